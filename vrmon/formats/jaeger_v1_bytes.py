"""Jaeger v1 JSON straight from the file's bytes: typed msgspec Structs for what the store's columns
need, each span's own JSON kept as it is for its details (vrmon.model.raw_details).

Only well-formed spans are read here. Anything the general reader (jaeger_v1.py) would bring into
range or note as a problem — an id that is not plain hex or too long, a time beyond ±2^62 µs, a
tag value that is a list — raises `Unusual`, and the caller reads the file the general way, which
keeps its exact messages and warnings.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Raw, Struct

from vrmon.formats.call_peers import PEER_KEYS, peer_of
from vrmon.formats.typed_checks import Seen, Unusual, check_ranges
from vrmon.model.raw_details import Keeper
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

_KIND_CODES = {name: code for code, name in enumerate(SPAN_KINDS)}
_KNOWN_REF_TYPES = ("CHILD_OF", "FOLLOWS_FROM")
_MASK_128 = 2**128 - 1


def _hex(text: str) -> int:
    return int(text, 16)


class Reference(Struct):
    spanID: str
    refType: str = "CHILD_OF"
    traceID: str | msgspec.UnsetType = msgspec.UNSET  # absent: the span's own trace (null is for the general reader)


class Tag(Struct):
    key: str = ""
    value: str | bool | int | float | None = None


class Process(Struct):
    serviceName: str = ""


class Span(Struct):
    traceID: str
    spanID: str
    operationName: str
    startTime: int
    duration: int
    references: list[Reference] | None = None
    parentSpanID: str | None = None
    processID: str | None = None
    process: Process | None = None
    tags: list[Tag] | None = None


class Trace(Struct):
    spans: list[Raw]
    processes: dict[str, Raw] | None = None


_trace = msgspec.json.Decoder(Trace).decode
_span = msgspec.json.Decoder(Span).decode
_process = msgspec.json.Decoder(Process).decode


class JaegerTraces:
    """Reads traces one at a time into one batch, each span's details kept by `keep`; `add` raises
    Unusual (or msgspec.ValidationError) for anything unusual."""

    def __init__(self, keep: Keeper) -> None:
        self.keep = keep
        self.batch = SpanBatch()
        self._seen = Seen()

    def add(self, raw_trace: bytes | memoryview) -> None:
        """The spans of one trace object (its "spans" and "processes"; other keys are left alone)."""
        keep, batch, trace = self.keep, self.batch, _trace(raw_trace)
        places = keep.spans(trace.spans)  # first: Jaeger writes a trace's processes after its spans
        processes = {pid: (_process(raw).serviceName, keep.where(raw)) for pid, raw in (trace.processes or {}).items()}
        for raw, place in zip(trace.spans, places):
            batch.details.append(keep.jaeger(place, _read_span(batch, _span(raw), processes, self._seen)))

    def finish(self) -> SpanBatch:
        check_ranges(self.batch)
        return self.batch


def _read_span(batch: SpanBatch, span: Span, processes: dict[str, tuple[str, Any]], seen: Seen) -> Any:
    """Append the span's columns (not its details); the place of the process it names, or None."""
    trace_text = span.traceID
    trace_id = seen.trace_id(trace_text, _hex)
    parent_id = 0
    follows = False
    for ref in span.references or ():
        if ref.traceID is not msgspec.UNSET and ref.traceID != trace_text and int(ref.traceID, 16) & _MASK_128 != trace_id:
            continue  # a link into another trace: kept in details, not a parent
        if ref.refType not in _KNOWN_REF_TYPES:
            batch.unknown_ref_types.add(ref.refType)
        parent_id = int(ref.spanID, 16)
        follows = ref.refType == "FOLLOWS_FROM"
        break  # jaeger-ui's rule: the first reference into the same trace is the parent
    if not parent_id and span.parentSpanID:  # very old Jaeger JSON
        parent_id = int(span.parentSpanID, 16)
    error = False
    kind = 0
    peer_tags = None
    for tag in span.tags or ():
        key = tag.key
        if key == "span.kind":
            kind = _KIND_CODES.get(str(tag.value).lower(), 0)
        elif key == "error":
            value = tag.value
            error = error or value is True or (isinstance(value, str) and value.lower() == "true")
        elif key == "otel.status_code":
            error = error or tag.value == "ERROR"
        elif key in PEER_KEYS:  # read here, in the one pass over the tags
            if peer_tags is None:
                peer_tags = {}
            peer_tags[key] = tag.value
    service, process = processes.get(span.processID, ("", None))
    if span.process is not None:  # the span's own process (its JSON holds it), before the trace's
        if not span.process.serviceName:
            raise Unusual("a span's own process without a service name")
        service = span.process.serviceName
    if peer_tags:
        callee = peer_of(peer_tags)
        if callee:
            batch.callee[len(batch)] = callee

    batch.trace_id.append(trace_id)
    batch.span_id.append(int(span.spanID, 16))
    batch.parent_id.append(parent_id)
    batch.service.append(service or UNKNOWN_SERVICE)
    batch.operation.append(seen.names.setdefault(span.operationName, span.operationName))
    batch.start_us.append(span.startTime)
    batch.duration_us.append(span.duration)
    batch.error.append(error)
    batch.kind.append(kind)
    batch.follows_from.append(follows)
    return process

