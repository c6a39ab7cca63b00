"""Details of spans read from OTLP protobuf: their protobuf bytes, kept aside at load time, turned
into the OTLP JSON shape (hex ids, AnyValue maps) when a viewer opens the span, so the details view
reads them like spans from OTLP JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue

PROTO_FORMAT = "otlp-proto"  # the details' "format": the raw parts are protobuf bytes


def expand_details(raw: dict[str, Any]) -> dict[str, Any]:
    """The kept details of a protobuf span with its parts as OTLP JSON (hex ids, AnyValue maps)."""
    # protobuf's messages load when a span's details are first asked for, not before the server listens
    from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    span, resource, scope = Span(), Resource(), InstrumentationScope()
    span.ParseFromString(raw["span"])
    resource.ParseFromString(raw["resource"])
    scope.ParseFromString(raw["scope"])
    return {
        **raw,
        "span": {
            "traceId": span.trace_id.hex(),
            "spanId": span.span_id.hex(),
            "parentSpanId": span.parent_span_id.hex(),
            "name": span.name,
            "kind": span.kind,
            "startTimeUnixNano": span.start_time_unix_nano,
            "endTimeUnixNano": span.end_time_unix_nano,
            "attributes": _attributes(span.attributes),
            "events": [{"timeUnixNano": e.time_unix_nano, "name": e.name, "attributes": _attributes(e.attributes)}
                       for e in span.events],
            "links": [{"traceId": link.trace_id.hex(), "spanId": link.span_id.hex(),
                       "attributes": _attributes(link.attributes)} for link in span.links],
            "status": {"code": span.status.code, "message": span.status.message},
        },
        "resource": {"attributes": _attributes(resource.attributes)},
        "scope": {"name": scope.name, "version": scope.version},
    }


def _attributes(attributes) -> list[dict[str, Any]]:
    return [{"key": kv.key, "value": _json_value(kv.value)} for kv in attributes]


def _json_value(value: AnyValue) -> dict[str, Any]:
    """An AnyValue in the OTLP JSON mapping (bytes as hex, which reads better than base64 here)."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return {"arrayValue": {"values": [_json_value(v) for v in value.array_value.values]}}
    if kind == "kvlist_value":
        return {"kvlistValue": {"values": _attributes(value.kvlist_value.values)}}
    if kind not in _JSON_NAMES:  # unset, or a kind newer than this reader
        return {}
    return {_JSON_NAMES[kind]: plain_value(value)}


_JSON_NAMES = {"string_value": "stringValue", "bool_value": "boolValue", "int_value": "intValue",
               "double_value": "doubleValue", "bytes_value": "bytesValue"}


def plain_value(value: AnyValue) -> Any:
    """A scalar AnyValue as a Python value (bytes as hex)."""
    kind = value.WhichOneof("value")
    if kind == "bytes_value":
        return value.bytes_value.hex()
    if kind in ("array_value", "kvlist_value"):
        return str(value)  # only service.name reads a value this way; a list there is shown as text
    return getattr(value, kind) if kind else ""

