"""OTLP JSON (TracesData), as exported by OpenTelemetry and returned inside Jaeger api_v3."""

from __future__ import annotations

from typing import Any

import msgpack

from vrmon.errors import TraceFormatError
from vrmon.model.ids import parse_id
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

_KIND_NAMES = {f"SPAN_KIND_{name.upper()}": code for code, name in enumerate(SPAN_KINDS)}
_STATUS_ERROR = (2, "STATUS_CODE_ERROR", "2")


def read_otlp(doc: dict) -> SpanBatch:
    resource_spans = doc.get("resourceSpans")
    if not isinstance(resource_spans, list):
        raise TraceFormatError('OTLP "resourceSpans" must be a list')
    batch = SpanBatch()
    packb = msgpack.Packer(unicode_errors="replace").pack
    for r_index, rs in enumerate(resource_spans):
        if not isinstance(rs, dict):
            raise TraceFormatError(f"resourceSpans[{r_index}] must be an object")
        resource = rs.get("resource") or {}
        service = attribute_value(resource.get("attributes"), "service.name")
        service = str(service) if service not in (None, "") else UNKNOWN_SERVICE
        # "instrumentationLibrarySpans" is the pre-1.0 name, still found in old exports
        for scope_spans in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or ():
            scope = scope_spans.get("scope") or scope_spans.get("instrumentationLibrary") or {}
            for s_index, span in enumerate(scope_spans.get("spans") or ()):
                try:
                    _read_span(batch, span, service, resource, scope, packb)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    what = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
                    raise TraceFormatError(
                        f"resourceSpans[{r_index}] span {s_index}: {what}; expected OTLP span fields "
                        "traceId, spanId, name, startTimeUnixNano, endTimeUnixNano"
                    ) from None
    return batch


def _read_span(batch: SpanBatch, span: dict, service: str, resource: dict, scope: dict, packb) -> None:
    start_ns = int(span["startTimeUnixNano"])
    end_ns = int(span.get("endTimeUnixNano") or start_ns)
    status = span.get("status") or {}
    kind = span.get("kind", 0)
    batch.trace_id.append(parse_id(span["traceId"], "traceId"))
    batch.span_id.append(parse_id(span["spanId"], "spanId"))
    batch.parent_id.append(parse_id(span.get("parentSpanId") or "", "parentSpanId"))
    batch.service.append(service)
    batch.operation.append(str(span["name"]))
    batch.start_us.append(start_ns // 1000)
    batch.duration_us.append((end_ns - start_ns) // 1000)
    batch.error.append(status.get("code") in _STATUS_ERROR)
    batch.kind.append(kind if isinstance(kind, int) else _KIND_NAMES.get(kind, 0))
    batch.follows_from.append(False)
    batch.details.append(packb({"format": "otlp", "span": span, "resource": resource, "scope": scope}))


def attribute_value(attributes: Any, key: str) -> Any:
    """The plain value of one OTLP attribute, or None."""
    for attr in attributes or ():
        if attr.get("key") == key:
            return any_value(attr.get("value"))
    return None


def any_value(value: Any) -> Any:
    """OTLP AnyValue → plain JSON value (int64 values arrive as decimal strings)."""
    if not isinstance(value, dict) or not value:
        return None
    (kind, inner), = value.items() if len(value) == 1 else list(value.items())[:1]
    if kind == "intValue":
        return int(inner)
    if kind == "arrayValue":
        return [any_value(v) for v in (inner or {}).get("values", ())]
    if kind == "kvlistValue":
        return {kv.get("key"): any_value(kv.get("value")) for kv in (inner or {}).get("values", ())}
    return inner
