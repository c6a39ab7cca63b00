"""What the typed readers (jaeger_v1_bytes.py, otlp_bytes.py) share: what they leave to the general
readers, and how they tell a long load's progress."""

from __future__ import annotations

from collections.abc import Callable

from vrmon.formats.values import TIME_LIMIT
from vrmon.model.span_batch import SpanBatch

# (fraction of the document read, spans read so far): called about every 5 %, from the reading thread
Progress = Callable[[float, int], None]
PROGRESS_STEPS = 20

_MASK_64 = 2**64 - 1
_MASK_128 = 2**128 - 1


class Seen:
    """One object for each name and for a trace's id however many spans repeat it (a 1M-span file
    would otherwise hold a million copies of a few hundred names while it is read). A trace's
    spans come one after the other: the last id read is kept, not every one (a file of
    one-span traces would make that a million)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # operation and service names
        self._trace_text = ""
        self._trace_id = 0

    def trace_id(self, text: str, parse: Callable[[str], int]) -> int:
        if text != self._trace_text:
            self._trace_id = parse(text)
            self._trace_text = text
        return self._trace_id


class Unusual(Exception):
    """The document needs the general reader (its message says why, for the curious)."""


def check_ranges(batch: SpanBatch) -> None:
    """Raise Unusual for an id or time the general reader would mask or clamp (with a warning on the span)."""
    if not batch.span_id:
        return
    if min(batch.trace_id) < 0 or max(batch.trace_id) > _MASK_128:
        raise Unusual("a trace id beyond 128 bits")
    for name in ("span_id", "parent_id"):
        values = getattr(batch, name)
        if min(values) < 0 or max(values) > _MASK_64:
            raise Unusual(f"a {name} beyond 64 bits")
    for name in ("start_us", "duration_us"):
        values = getattr(batch, name)
        if min(values) < -TIME_LIMIT or max(values) > TIME_LIMIT:
            raise Unusual(f"a {name} beyond ±2^62 µs")
