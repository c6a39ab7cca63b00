"""Jaeger v1 JSON (query API ``/api/traces``, UI "Download JSON")."""

from __future__ import annotations

from typing import Any

import msgpack

from vrmon.errors import TraceFormatError
from vrmon.model.ids import parse_id
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

_KIND_CODES = {name: code for code, name in enumerate(SPAN_KINDS)}
_KNOWN_REF_TYPES = ("CHILD_OF", "FOLLOWS_FROM")


def read_jaeger_v1_traces(traces: list[Any]) -> SpanBatch:
    batch = SpanBatch()
    packb = msgpack.Packer(unicode_errors="replace").pack
    for t_index, trace in enumerate(traces):
        if not isinstance(trace, dict) or not isinstance(trace.get("spans"), list):
            raise TraceFormatError(f'trace {t_index} has no "spans" list')
        processes = trace.get("processes") or {}
        if not isinstance(processes, dict):
            raise TraceFormatError(f'trace {t_index}: "processes" must be an object')
        for s_index, span in enumerate(trace["spans"]):
            try:
                _read_span(batch, span, processes, packb)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise TraceFormatError(
                    f"trace {t_index}, span {s_index}: {_describe(exc)}; expected Jaeger v1 span fields "
                    "traceID, spanID, operationName, startTime, duration"
                ) from None
    return batch


def _read_span(batch: SpanBatch, span: dict, processes: dict, packb) -> None:
    trace_id = parse_id(span["traceID"], "traceID")
    parent_id = 0
    follows = False
    for ref in span.get("references") or ():
        if parse_id(ref.get("traceID", span["traceID"]), "reference traceID") != trace_id:
            continue  # a link into another trace: kept in details, not a parent
        ref_type = ref.get("refType", "CHILD_OF")
        if ref_type not in _KNOWN_REF_TYPES:
            batch.unknown_ref_types.add(str(ref_type))
        parent_id = parse_id(ref["spanID"], "reference spanID")
        follows = ref_type == "FOLLOWS_FROM"
        break  # jaeger-ui's rule: the first reference into the same trace is the parent
    if not parent_id and span.get("parentSpanID"):  # very old Jaeger JSON
        parent_id = parse_id(span["parentSpanID"], "parentSpanID")

    process = span.get("process") or processes.get(span.get("processID")) or {}
    tags = span.get("tags") or ()
    error = False
    kind = 0
    for tag in tags:
        key = tag.get("key")
        if key == "error":
            value = tag.get("value")
            error = error or value is True or (isinstance(value, str) and value.lower() == "true")
        elif key == "otel.status_code":
            error = error or tag.get("value") == "ERROR"
        elif key == "span.kind":
            kind = _KIND_CODES.get(str(tag.get("value")).lower(), 0)

    batch.trace_id.append(trace_id)
    batch.span_id.append(parse_id(span["spanID"], "spanID"))
    batch.parent_id.append(parent_id)
    batch.service.append(str(process.get("serviceName") or UNKNOWN_SERVICE))
    batch.operation.append(str(span["operationName"]))
    batch.start_us.append(int(span["startTime"]))
    batch.duration_us.append(int(span["duration"]))
    batch.error.append(error)
    batch.kind.append(kind)
    batch.follows_from.append(follows)
    batch.details.append(packb({"format": "jaeger-v1", "span": span, "process": process}))


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)
