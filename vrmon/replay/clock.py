"""The replay clock, sans-I/O: where in the recording playback is, given the time now.

Time is always passed in (`now`, seconds on any monotonic clock), so playback, pause and speed
are exact to the microsecond in tests, with no sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass

from vrmon.settings import MAX_SPEED, MIN_SPEED


@dataclass
class ReplayClock:
    duration_us: int  # the recording's length; playback stops (or loops) there
    now: float  # when the clock was made
    speed: float = 1.0
    loop: bool = False
    playing: bool = True
    _anchor_us: int = 0  # the position at _anchor_now
    _anchor_now: float = 0.0

    def __post_init__(self) -> None:
        self._anchor_now = self.now
        self._check_speed(self.speed)

    def position(self, now: float) -> int:
        """µs into the recording at `now`: at the end it stays there, or starts over with `loop`."""
        pos = self._anchor_us + (round((now - self._anchor_now) * 1e6 * self.speed) if self.playing else 0)
        if pos <= self.duration_us:
            return pos
        if self.loop and self.duration_us > 0:
            return pos % self.duration_us
        return self.duration_us

    def ended(self, now: float) -> bool:
        return not self.loop and self.position(now) >= self.duration_us

    def play(self, now: float) -> None:
        if self.ended(now):  # play at the end starts over, as a video player does
            self.seek(0, now)
        self._reanchor(now)
        self.playing = True

    def pause(self, now: float) -> None:
        self._reanchor(now)
        self.playing = False

    def seek(self, position_us: int, now: float) -> None:
        self._anchor_us = max(0, min(int(position_us), self.duration_us))
        self._anchor_now = now

    def set_speed(self, speed: float, now: float) -> None:
        self._check_speed(speed)
        self._reanchor(now)
        self.speed = speed

    def _reanchor(self, now: float) -> None:
        self._anchor_us = self.position(now)
        self._anchor_now = now

    @staticmethod
    def _check_speed(speed: float) -> None:
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise ValueError(f"speed {speed:g} is outside {MIN_SPEED:g}-{MAX_SPEED:g}")
