"""Trace files read straight from their bytes with msgspec, for the shapes that make big files:
Jaeger v1 JSON (``{"data": [...]}``, a list of traces, one trace) and OTLP JSON (``{"resourceSpans": [...]}``).

`read_bytes` returns None for any other shape, and for any file the typed readers find unusual
(malformed JSON, a value of an unexpected type, an id or time the general readers bring into
range with a warning): the caller then reads it the general way (`json.loads` and
`vrmon.formats.read_document`), whose messages name the place and what was expected. A
well-formed file is decoded once, without a Python object per tag, event or log.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, Raw, Struct, UnsetType

from vrmon.formats.jaeger_v1_bytes import Trace, read_jaeger_traces
from vrmon.formats.otlp_bytes import ABSENT, read_otlp_resource_spans
from vrmon.formats.typed_checks import Progress, Unusual
from vrmon.model.raw_details import Keeper
from vrmon.model.span_batch import SpanBatch


class Document(Struct):
    """The top-level object: its Jaeger or OTLP part decoded, the keys of other shapes only noticed.
    A null where a list belongs is left to the general reader (it says what the document holds)."""

    resourceSpans: list[Raw] | UnsetType = UNSET
    data: list[Trace] | UnsetType = UNSET
    spans: list[Raw] | UnsetType = UNSET  # a single Jaeger trace
    processes: dict[str, Raw] | None = None
    # shapes left to the general reader
    result: Raw = ABSENT
    error: Raw = ABSENT
    batches: Raw = ABSENT
    trace: Raw = ABSENT
    resource_spans: Raw = ABSENT  # protobuf's spelling (proto_names.py)


_document = msgspec.json.Decoder(Document).decode
_trace_list = msgspec.json.Decoder(list[Trace]).decode
# what a typed reader raises for a file it leaves to the general one (ValueError: an id that is
# not plain hex; the others: a resource attribute the general reader notes as a problem)
_LEFT_TO_GENERAL = (msgspec.MsgspecError, Unusual, ValueError, TypeError, KeyError, AttributeError, OverflowError)


def read_bytes(data: bytes, progress: Progress | None = None, keep: Keeper | None = None) -> SpanBatch | None:
    """The file's spans, or None when the general reader must read it; `progress` hears how far
    it got, `keep` keeps each span's details (in memory by default)."""
    start = data.lstrip(b" \t\r\n")[:1]
    try:
        if start == b"[":
            return read_jaeger_traces(_trace_list(data), progress, keep)
        if start != b"{":
            return None
        doc = _document(data)
        if any(part is not ABSENT for part in (doc.result, doc.error, doc.batches, doc.trace, doc.resource_spans)):
            return None
        if doc.resourceSpans is not UNSET:
            return read_otlp_resource_spans(doc.resourceSpans, progress, keep)
        if doc.data is not UNSET:
            return read_jaeger_traces(doc.data, progress, keep)
        if doc.spans is not UNSET:
            return read_jaeger_traces([Trace(doc.spans, doc.processes)], progress, keep)
        return None
    except _LEFT_TO_GENERAL:
        return None
