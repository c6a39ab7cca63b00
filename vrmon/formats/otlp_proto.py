"""OTLP protobuf (a serialized TracesData or ExportTraceServiceRequest: the same bytes on the wire).

Only what the store's columns need is read; the span, its resource and its scope are kept as
their own protobuf bytes and turned into the OTLP JSON shape (model.otlp_proto_details) only when
a viewer opens the span, so the details view reads them exactly like spans from OTLP JSON files.
A well-formed message of some size is read in bulk (otlp_proto_columns.py); small ones, anything
unusual, and every message with a span to reject or a problem to note, are read here span by span
with the protobuf package, whose messages say what is wrong.
"""

from __future__ import annotations

import msgpack
from google.protobuf.message import DecodeError
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, TracesData

from vrmon.errors import TraceFormatError
from vrmon.formats.call_peers import PEER_KEYS, peer_of_pairs
from vrmon.formats.otlp_proto_columns import ProtoKeeper, read_columns
from vrmon.formats.proto_wire import Malformed
from vrmon.formats.typed_checks import Unusual
from vrmon.model.otlp_proto_details import PROTO_FORMAT, plain_value
from vrmon.model.raw_details import InMemory
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

PROTOBUF_START = b"\n"  # the tag of TracesData's field 1 (resource_spans), length-delimited
# bytes: reading in bulk costs about a millisecond of numpy calls whatever the size, so smaller
# messages (an SDK's usual export of up to 512 spans is about 60 KB) are quicker span by span
BULK_FROM = 64 * 1024
_STATUS_CODE_ERROR = 2


def read_otlp_protobuf(data: bytes, rejected: list[str] | None = None, keep: ProtoKeeper | None = None,
                       empty_groups: list[str] | None = None) -> SpanBatch:
    """Every span of a serialized TracesData. A span without valid ids raises TraceFormatError,
    or, when `rejected` is given, is left out and the reason appended there (the OTLP receiver's
    partial success). `keep` keeps each span's details (in memory by default); `empty_groups`
    hears of each resourceSpans without scopeSpans and each scopeSpans without spans."""
    found: list[str] = []
    batch = None
    if len(data) >= BULK_FROM:
        try:
            batch = read_columns(data, keep or InMemory(), found)
        except (Unusual, Malformed):
            found.clear()
    if batch is None:
        batch = _read_each(data, rejected, found)
    if empty_groups is not None:
        empty_groups += found
    return batch


def _read_each(data: bytes, rejected: list[str] | None, empty_groups: list[str]) -> SpanBatch:
    message = TracesData()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise TraceFormatError(f"not a valid OTLP protobuf message ({exc})") from None
    batch = SpanBatch()
    packb = msgpack.Packer().pack
    for r_index, resource_spans in enumerate(message.resource_spans):
        resource = resource_spans.resource
        service = _service_name(resource) or UNKNOWN_SERVICE
        resource_bytes = resource.SerializeToString()
        if not resource_spans.scope_spans:
            empty_groups.append(f"resourceSpans[{r_index}] has no scopeSpans")
        for g_index, scope_spans in enumerate(resource_spans.scope_spans):
            scope_bytes = scope_spans.scope.SerializeToString()
            if not scope_spans.spans:
                empty_groups.append(f"resourceSpans[{r_index}].scopeSpans[{g_index}] has no spans")
            for s_index, span in enumerate(scope_spans.spans):
                reason = _invalid_ids(span)
                if reason is not None:
                    where = f"resourceSpans[{r_index}].scopeSpans[{g_index}].spans[{s_index}]"
                    if rejected is None:
                        raise TraceFormatError(f"{where}: {reason}")
                    rejected.append(f"{where}: {reason}")
                    continue
                _append_span(batch, span, service, resource_bytes, scope_bytes, packb)
    return batch


def _invalid_ids(span: Span) -> str | None:
    """Why the span cannot be placed in a trace, or None (ids as the OTLP specification says)."""
    if len(span.trace_id) != 16 or not any(span.trace_id):
        return f"traceId must be 16 bytes, not all zero (got {len(span.trace_id)} bytes)"
    if len(span.span_id) != 8 or not any(span.span_id):
        return f"spanId must be 8 bytes, not all zero (got {len(span.span_id)} bytes)"
    return None


def _append_span(batch: SpanBatch, span: Span, service: str, resource: bytes, scope: bytes, packb) -> None:
    problems: list[str] = []
    parent = span.parent_span_id
    if parent and len(parent) != 8:
        problems.append(f"parentSpanId has {len(parent)} bytes, not 8; the span is shown as a root")
        parent = b""
    start_ns, end_ns = span.start_time_unix_nano, span.end_time_unix_nano or span.start_time_unix_nano
    # fixed64 nanoseconds: in µs within ±2^64/1000, well inside the store's ±2^62 (no clamping needed;
    # the store flags an end before the start)
    start_us, duration_us = start_ns // 1000, (end_ns - start_ns) // 1000
    details = {"format": PROTO_FORMAT, "span": span.SerializeToString(), "resource": resource, "scope": scope}
    if problems:
        details["problems"] = problems
    callee = peer_of_pairs((a.key, plain_value(a.value)) for a in span.attributes if a.key in PEER_KEYS)
    if callee:
        batch.callee[len(batch)] = callee
    batch.trace_id.append(int.from_bytes(span.trace_id, "big"))
    batch.span_id.append(int.from_bytes(span.span_id, "big"))
    batch.parent_id.append(int.from_bytes(parent, "big"))
    batch.service.append(service)
    batch.operation.append(span.name)
    batch.start_us.append(start_us)
    batch.duration_us.append(duration_us)
    batch.error.append(span.status.code == _STATUS_CODE_ERROR)
    batch.kind.append(span.kind if 0 <= span.kind < len(SPAN_KINDS) else 0)
    batch.follows_from.append(False)
    batch.details.append(packb(details))


def _service_name(resource: Resource) -> str:
    for attribute in resource.attributes:
        if attribute.key == "service.name":
            return str(plain_value(attribute.value))
    return ""
