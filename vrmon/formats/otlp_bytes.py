"""OTLP JSON straight from the file's bytes: typed msgspec Structs for what the store's columns need,
each span's own JSON kept as it is for its details, with its resource and scope (vrmon.model.raw_details).

As in jaeger_v1_bytes.py, anything the general reader (otlp.py) would bring into range or note
as a problem raises `Unusual`, and the file is read the general way.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Raw, Struct

from vrmon.formats.call_peers import PEER_KEYS, peer_of
from vrmon.formats.otlp import _KIND_NAMES, _STATUS_ERROR, attribute_value
from vrmon.formats.proto_names import spelt_with_proto_names
from vrmon.formats.typed_checks import Seen, Unusual, check_ranges
from vrmon.model.attribute_values import any_value
from vrmon.model.raw_details import Keeper
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

ABSENT = Raw(b"")


class Status(Struct):
    code: int | str | None = None


class Attribute(Struct):
    key: str
    value: Raw = ABSENT


class Span(Struct):
    traceId: str
    spanId: str
    name: str
    startTimeUnixNano: int | str
    endTimeUnixNano: int | str | None = None
    parentSpanId: str | None = None
    kind: int | str = 0
    status: Status | None = None
    attributes: list[Attribute] | None = None


class ScopeSpans(Struct):
    spans: list[Raw] | None = None
    scope: Raw = ABSENT
    instrumentationLibrary: Raw = ABSENT  # the pre-1.0 name, still found in old exports


class ResourceSpans(Struct):
    resource: Raw = ABSENT
    scopeSpans: list[ScopeSpans] | None = None
    instrumentationLibrarySpans: list[ScopeSpans] | None = None
    scope_spans: Raw = ABSENT  # protobuf's spelling (proto_names.py): left to the general reader


_span = msgspec.json.Decoder(Span).decode
_resource_spans = msgspec.json.Decoder(ResourceSpans).decode
_any = msgspec.json.Decoder().decode


class OtlpResourceSpans:
    """Reads resourceSpans one at a time into one batch, each span's details kept by `keep`; `add`
    raises Unusual (or msgspec.ValidationError, ValueError) for anything unusual."""

    def __init__(self, keep: Keeper) -> None:
        self.keep = keep
        self.batch = SpanBatch()
        self._first = True
        self._seen = Seen()

    def add(self, raw_rs: bytes | memoryview) -> None:
        keep, batch = self.keep, self.batch
        if self._first and spelt_with_proto_names(_any(raw_rs)):  # a writer spells every level one way
            raise Unusual("protobuf field names")
        self._first = False
        rs = _resource_spans(raw_rs)
        if rs.scope_spans is not ABSENT:
            raise Unusual("protobuf field names")
        resource = _object(rs.resource)
        service = attribute_value(_list(resource.get("attributes")), "service.name")
        service = str(service) if service not in (None, "") else UNKNOWN_SERVICE
        service = self._seen.names.setdefault(service, service)
        resource_place = keep.where(None if rs.resource is ABSENT else rs.resource)
        for scope_spans in rs.scopeSpans or rs.instrumentationLibrarySpans or ():
            scope = next((raw for raw in (scope_spans.scope, scope_spans.instrumentationLibrary) if _object(raw)), None)
            context = keep.otlp_context(resource_place, keep.where(scope))
            spans = scope_spans.spans or []
            for raw, place in zip(spans, keep.spans(spans)):
                _read_span(batch, _span(raw), service, self._seen)
                batch.details.append(keep.otlp(place, context))

    def finish(self) -> SpanBatch:
        check_ranges(self.batch)
        return self.batch


def _read_span(batch: SpanBatch, span: Span, service: str, seen: Seen) -> None:
    """Append the span's columns (not its details)."""
    start_ns = _nanoseconds(span.startTimeUnixNano)
    end_ns = _nanoseconds(span.endTimeUnixNano) if span.endTimeUnixNano else start_ns
    kind = span.kind
    callee = _callee(span.attributes) if span.attributes else ""
    if callee:
        batch.callee[len(batch)] = callee
    batch.trace_id.append(seen.trace_id(span.traceId, _id))
    batch.span_id.append(_id(span.spanId))
    batch.parent_id.append(_id(span.parentSpanId) if span.parentSpanId else 0)
    batch.service.append(service)
    batch.operation.append(seen.names.setdefault(span.name, span.name))
    batch.start_us.append(start_ns // 1000)
    batch.duration_us.append((end_ns - start_ns) // 1000)
    batch.error.append(span.status is not None and span.status.code in _STATUS_ERROR)
    batch.kind.append((kind if 0 <= kind < len(SPAN_KINDS) else 0) if type(kind) is int else _KIND_NAMES.get(kind, 0))
    batch.follows_from.append(False)


def _callee(attributes: list[Attribute]) -> str:
    """What `peer_of_otlp_attributes` reads, decoding only the peer keys' values."""
    found = {a.key: any_value(_any(a.value)) if a.value is not ABSENT else None for a in attributes if a.key in PEER_KEYS}
    return peer_of(found) if found else ""


def _id(text: str) -> int:
    """Hex, as most OTLP JSON writes ids; base64 (with "=") is left to the general reader."""
    if "=" in text:
        raise Unusual("a base64 id")
    return int(text, 16)


def _nanoseconds(value: int | str) -> int:
    return value if type(value) is int else int(value)  # int64 as a decimal string; "1.5e18" raises ValueError


def _object(raw: Raw) -> dict[str, Any]:
    if raw is ABSENT:
        return {}
    value = _any(raw)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unusual("a resource or scope that is not an object")
    return value


def _list(value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unusual("attributes that are not a list")
    return value
