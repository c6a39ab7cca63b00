"""--start: where a replay begins, as an offset (12m30s) or a wall-clock time (14:05:30, or an
ISO 8601 date and time) within the recording."""

from __future__ import annotations

from datetime import datetime, timedelta

from vrmon.errors import ConfigError
from vrmon.settings import duration


def start_position(text: str, start_us: int, duration_us: int) -> int:
    """µs into the recording; a time outside it is a ConfigError that says when it runs."""
    if not text:
        return 0
    try:
        offset_us = round(duration(text) * 1e6)
    except ValueError:
        offset_us = _wall_clock(text, start_us) - start_us
    if not 0 <= offset_us <= duration_us:
        begin = datetime.fromtimestamp(start_us / 1e6).astimezone()
        end = begin + timedelta(microseconds=duration_us)
        raise ConfigError(f"--start {text}: the recording runs {duration_us / 1e6:.0f} s, from {begin:%Y-%m-%d %H:%M:%S} "
                          f"to {end:%H:%M:%S %Z}; give an offset such as 12m30s or a time in between")
    return offset_us


def _wall_clock(text: str, start_us: int) -> int:
    """A time of day on the recording's first day (local time), or an ISO date and time."""
    begin = datetime.fromtimestamp(start_us / 1e6).astimezone()
    for form in ("%H:%M:%S", "%H:%M"):
        try:
            clock = datetime.strptime(text.strip(), form).time()
        except ValueError:
            continue
        moment = datetime.combine(begin.date(), clock, begin.tzinfo)
        if moment < begin - timedelta(seconds=1):  # a recording across midnight: the next day
            moment += timedelta(days=1)
        return round(moment.timestamp() * 1e6)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--start {text!r}: give an offset such as 12m30s, a time of day such as 14:05:30, "
                          "or a date and time such as 2026-11-30T14:05:30Z") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, like the times of day
    return round(moment.timestamp() * 1e6)
