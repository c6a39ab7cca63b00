"""Trace files read straight from their bytes with msgspec, for the shapes that make big files:
Jaeger v1 JSON (``{"data": [...]}``, a list of traces, one trace) and OTLP JSON (``{"resourceSpans": [...]}``).

The document is read a trace (Jaeger) or a resourceSpans (OTLP) at a time through a window of
its bytes (json_window.py), so a file of a million spans never sits in memory whole: only the
spans' columns and a small entry per span saying where its details are stay (raw_details.py).

`read_window` returns None for any other shape, and for any file the typed readers find unusual
(malformed JSON, a value of an unexpected type, an id or time the general readers bring into
range with a warning): the caller then reads it the general way (`json.loads` and
`vrmon.formats.read_document`), whose messages name the place and what was expected. A
well-formed file is decoded once, without a Python object per tag, event or log.
"""

from __future__ import annotations

from typing import Final

import msgspec

from vrmon.formats.jaeger_v1_bytes import JaegerTraces
from vrmon.formats.json_window import Malformed, Window
from vrmon.formats.otlp_bytes import OtlpResourceSpans
from vrmon.formats.typed_checks import PROGRESS_STEPS, Progress, Unusual
from vrmon.model.raw_details import InMemory, Keeper
from vrmon.model.span_batch import SpanBatch

# A single Jaeger trace ({"traceID", "spans", "processes"}): its processes follow its spans, so it
# is decoded whole, from all the file's bytes (`read_bytes`); one trace is never the big file.
ONE_TRACE: Final = "one trace"

_READERS = {"data": JaegerTraces, "resourceSpans": OtlpResourceSpans}
# keys of shapes left to the general reader (a Jaeger api_v3 envelope or error, a Tempo trace,
# OTLP spelt with protobuf's field names)
_OTHER_SHAPES = frozenset(("result", "error", "batches", "trace", "resource_spans"))
# what a typed reader raises for a file it leaves to the general one (ValueError: an id that is
# not plain hex; RecursionError: JSON nested too deeply, said as such by the general reader; the
# others: a resource attribute the general reader notes as a problem)
_LEFT_TO_GENERAL = (Malformed, msgspec.MsgspecError, Unusual, ValueError, TypeError, KeyError, AttributeError,
                    OverflowError, RecursionError)


def read_window(window: Window, size: int, progress: Progress | None, keep: Keeper) -> SpanBatch | str | None:
    """The spans of the document `window` reads (`size` bytes, for the progress), ONE_TRACE for a
    single Jaeger trace (`read_bytes` reads it), or None when the general reader must read it."""
    try:
        start = window.peek()
        if start == b"[":  # a list of Jaeger traces
            found = _read_elements(window, JaegerTraces(keep), size, progress)
        elif start == b"{":
            found = _read_object(window, size, progress, keep)
        else:
            return None
        return found if window.at_end() else None  # more after the document: JSON Lines, or garbage
    except _LEFT_TO_GENERAL:
        return None


def read_bytes(data: bytes, progress: Progress | None = None, keep: Keeper | None = None) -> SpanBatch | None:
    """The spans of a document held whole, or None when the general reader must read it; `keep`
    keeps each span's details (in memory by default)."""
    keep = keep or InMemory()
    found = read_window(Window.of_bytes(data), len(data), progress, keep)
    if found != ONE_TRACE:
        return found
    try:
        keep.look_in(data, 0, 0)
        reader = JaegerTraces(keep)
        reader.add(data)
        return reader.finish()
    except _LEFT_TO_GENERAL:
        return None


def _read_object(window: Window, size: int, progress: Progress | None, keep: Keeper) -> SpanBatch | str | None:
    found: SpanBatch | str | None = None
    for key in window.members():
        if key in _OTHER_SHAPES:
            return None
        if key in _READERS:
            if isinstance(found, SpanBatch) or window.peek() != b"[":
                return None  # both, twice or not a list: the general reader says what the document holds
            found = _read_elements(window, _READERS[key](keep), size, progress)
        else:
            if key == "spans" and found is None:
                found = ONE_TRACE
            window.skip()
    return found


def _read_elements(window: Window, reader: JaegerTraces | OtlpResourceSpans, size: int, progress: Progress | None) -> SpanBatch:
    """Every element of the array that starts here, one at a time; `progress` hears of each 5 % of the file."""
    step = max(1, size // PROGRESS_STEPS)
    next_report = step if progress is not None else None
    for _ in window.elements():
        element = window.value()
        reader.keep.look_in(window.data, window.base, window.start)
        reader.add(element)
        del element  # the window may move on: no view of it stays
        if next_report is not None and window.offset >= next_report:
            progress(min(1.0, window.offset / size), len(reader.batch))
            next_report = window.offset + step
    if progress is not None:  # all read: what is left of the document is its closing brackets
        progress(1.0, len(reader.batch))
    return reader.finish()
