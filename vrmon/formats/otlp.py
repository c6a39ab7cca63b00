"""OTLP JSON (TracesData), as exported by OpenTelemetry and returned inside Jaeger api_v3."""

from __future__ import annotations

from typing import Any

import msgpack

from vrmon.errors import TraceFormatError
from vrmon.formats.call_peers import peer_of_otlp_attributes
from vrmon.formats.proto_names import spelt_with_proto_names, with_json_names
from vrmon.formats.values import as_dict, as_list, failure_reason, fit_id, fit_time, pack_untrusted, span_kind, whole_number
from vrmon.model.attribute_values import any_value
from vrmon.model.ids import parse_id
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

_KIND_NAMES = {f"SPAN_KIND_{name.upper()}": code for code, name in enumerate(SPAN_KINDS)}
_STATUS_ERROR = (2, "STATUS_CODE_ERROR", "2")
_SPAN_FIELDS = "traceId, spanId, name, startTimeUnixNano, endTimeUnixNano"
_BAD_VALUE = (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError)


def read_otlp(doc: dict, rejected: list[str] | None = None) -> SpanBatch:
    """Every span of an OTLP JSON TracesData. A span that cannot be read raises TraceFormatError,
    or, when `rejected` is given, is left out and the reason appended there (the OTLP receiver's
    partial success)."""
    resource_spans = doc.get("resourceSpans", doc.get("resource_spans"))
    if not isinstance(resource_spans, list):
        raise TraceFormatError('OTLP "resourceSpans" must be a list')
    batch = SpanBatch()
    packb = msgpack.Packer().pack
    for r_index, rs in enumerate(resource_spans):
        if not isinstance(rs, dict):
            raise TraceFormatError(f"resourceSpans[{r_index}] must be an object")
        if spelt_with_proto_names(rs):  # `scope_spans`, `trace_id`, …: read under the JSON names
            rs = with_json_names(rs)
        # A resource or scope of the wrong type is ignored (with a warning on each of its spans):
        # it only describes the spans, which are still worth showing.
        context: list[str] = []
        resource = as_dict(rs.get("resource"), "the resource", context)
        try:
            service = attribute_value(as_list(resource.get("attributes"), "the resource's attributes", context),
                                      "service.name")
        except _BAD_VALUE as exc:
            context.append(f"the resource's service.name cannot be read ({failure_reason(exc)})")
            service = None
        service = str(service) if service not in (None, "") else UNKNOWN_SERVICE
        # "instrumentationLibrarySpans" is the pre-1.0 name, still found in old exports
        groups = rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans")
        for g_index, scope_spans in enumerate(as_list(groups, f"resourceSpans[{r_index}].scopeSpans", [])):
            if not isinstance(scope_spans, dict):
                raise TraceFormatError(f"resourceSpans[{r_index}].scopeSpans[{g_index}] must be an object, "
                                       f"got {type(scope_spans).__name__}")
            problems = list(context)
            scope = as_dict(scope_spans.get("scope") or scope_spans.get("instrumentationLibrary"), "the scope", problems)
            spans = scope_spans.get("spans")
            if spans is not None and not isinstance(spans, list):
                raise TraceFormatError(f"resourceSpans[{r_index}].scopeSpans[{g_index}].spans must be a list, "
                                       f"got {type(spans).__name__}")
            for s_index, span in enumerate(spans or ()):
                try:
                    _read_span(batch, span, service, resource, scope, list(problems), packb)
                except (*_BAD_VALUE, TraceFormatError) as exc:
                    if rejected is None and isinstance(exc, TraceFormatError):
                        raise  # it names the field already (an id that is neither hex nor base64)
                    reason = (f"resourceSpans[{r_index}] span {s_index}: {failure_reason(exc)}; "
                              f"expected OTLP span fields {_SPAN_FIELDS}")
                    if rejected is None:
                        raise TraceFormatError(reason) from None
                    rejected.append(reason)
    return batch


def _read_span(batch: SpanBatch, span: dict, service: str, resource: dict, scope: dict, problems: list[str],
               packb) -> None:
    """Append one span; every value is computed before the first append, so a bad span adds nothing."""
    start_ns = whole_number(span["startTimeUnixNano"], "startTimeUnixNano", problems)
    end = span.get("endTimeUnixNano")
    end_ns = whole_number(end, "endTimeUnixNano", problems) if end else start_ns
    start_us = fit_time(start_ns // 1000, "start (startTimeUnixNano / 1000)", problems)
    duration_us = fit_time((end_ns - start_ns) // 1000, "duration (end - start)", problems)
    status = as_dict(span.get("status"), "status", problems)
    trace_id = fit_id(parse_id(span["traceId"], "traceId"), 128, "traceId", problems)
    span_id = fit_id(parse_id(span["spanId"], "spanId"), 64, "spanId", problems)
    parent_id = fit_id(parse_id(span.get("parentSpanId") or "", "parentSpanId"), 64, "parentSpanId", problems)
    operation = str(span["name"])
    attributes = span.get("attributes")
    callee = peer_of_otlp_attributes(attributes) if isinstance(attributes, list) else ""
    details = {"format": "otlp", "span": span, "resource": resource, "scope": scope}
    if problems:
        details["problems"] = problems
    packed = pack_untrusted(packb, details)

    if callee:
        batch.callee[len(batch)] = callee
    batch.trace_id.append(trace_id)
    batch.span_id.append(span_id)
    batch.parent_id.append(parent_id)
    batch.service.append(service)
    batch.operation.append(operation)
    batch.start_us.append(start_us)
    batch.duration_us.append(duration_us)
    batch.error.append(status.get("code") in _STATUS_ERROR)
    batch.kind.append(span_kind(span.get("kind", 0), _KIND_NAMES, len(SPAN_KINDS)))
    batch.follows_from.append(False)
    batch.details.append(packed)



def attribute_value(attributes: Any, key: str) -> Any:
    """The plain value of one OTLP attribute, or None (attributes that are not objects are skipped)."""
    for attr in attributes or ():
        if isinstance(attr, dict) and attr.get("key") == key:
            return any_value(attr.get("value"))
    return None
