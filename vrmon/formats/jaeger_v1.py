"""Jaeger v1 JSON (query API ``/api/traces``, UI "Download JSON")."""

from __future__ import annotations

from typing import Any

import msgpack

from vrmon.errors import TraceFormatError
from vrmon.formats.call_peers import PEER_KEYS, peer_of
from vrmon.formats.values import TIME_LIMIT, as_dict, as_list, fit_id, fit_time, json_kind, pack_untrusted
from vrmon.model.ids import parse_id
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

_KIND_CODES = {name: code for code, name in enumerate(SPAN_KINDS)}
_KNOWN_REF_TYPES = ("CHILD_OF", "FOLLOWS_FROM")


def read_jaeger_v1_traces(traces: list[Any]) -> SpanBatch:
    batch = SpanBatch()
    packb = msgpack.Packer().pack
    for t_index, trace in enumerate(traces):
        if not isinstance(trace, dict) or not isinstance(trace.get("spans"), list):
            raise TraceFormatError(f'trace {t_index} has no "spans" list')
        processes = trace.get("processes") or {}
        if not isinstance(processes, dict):
            raise TraceFormatError(f'trace {t_index}: "processes" must be an object')
        for s_index, span in enumerate(trace["spans"]):
            try:
                _read_span(batch, span, processes, packb)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError) as exc:
                raise TraceFormatError(
                    f"trace {t_index}, span {s_index}: {_describe(exc)}; expected Jaeger v1 span fields "
                    "traceID, spanID, operationName, startTime, duration"
                ) from None
    return batch


def _read_span(batch: SpanBatch, span: dict, processes: dict, packb) -> None:
    """Append one span; every value is computed before the first append, so a bad span adds nothing."""
    problems: list[str] = []  # values brought into range or ignored: the span's details show them
    trace_id = fit_id(parse_id(span["traceID"], "traceID"), 128, "traceID", problems)
    span_id = fit_id(parse_id(span["spanID"], "spanID"), 64, "spanID", problems)
    parent_id = 0
    follows = False
    for ref in as_list(span.get("references"), "references", problems):
        if not isinstance(ref, dict):
            problems.append(f"a reference is {json_kind(ref)}, not an object; ignored")
            continue
        if fit_id(parse_id(ref.get("traceID", span["traceID"]), "reference traceID"), 128, "", []) != trace_id:
            continue  # a link into another trace: kept in details, not a parent
        ref_type = ref.get("refType", "CHILD_OF")
        if ref_type not in _KNOWN_REF_TYPES:
            batch.unknown_ref_types.add(str(ref_type))
        parent_id = parse_id(ref["spanID"], "reference spanID")
        follows = ref_type == "FOLLOWS_FROM"
        break  # jaeger-ui's rule: the first reference into the same trace is the parent
    if not parent_id and span.get("parentSpanID"):  # very old Jaeger JSON
        parent_id = parse_id(span["parentSpanID"], "parentSpanID")
    parent_id = fit_id(parent_id, 64, "parent span id", problems)

    process = span.get("process") or processes.get(span.get("processID")) or {}
    process = as_dict(process, "process", problems)
    error = False
    kind = 0
    peer_tags = None
    for tag in as_list(span.get("tags"), "tags", problems):
        key = tag.get("key") if isinstance(tag, dict) else None
        if key == "error":
            value = tag.get("value")
            error = error or value is True or (isinstance(value, str) and value.lower() == "true")
        elif key == "otel.status_code":
            error = error or tag.get("value") == "ERROR"
        elif key == "span.kind":
            kind = _KIND_CODES.get(str(tag.get("value")).lower(), 0)
        elif key.__class__ is str and key in PEER_KEYS:  # read here, in the one pass over the tags
            if peer_tags is None:
                peer_tags = {}
            peer_tags[key] = tag.get("value")
    start = span["startTime"]
    if type(start) is not int or not -TIME_LIMIT <= start <= TIME_LIMIT:  # the usual case costs one test
        start = fit_time(start, "startTime", problems)
    duration = span["duration"]
    if type(duration) is not int or not -TIME_LIMIT <= duration <= TIME_LIMIT:
        duration = fit_time(duration, "duration", problems)
    details = {"format": "jaeger-v1", "span": span, "process": process}
    if problems:
        details["problems"] = problems
    packed = pack_untrusted(packb, details)
    service = str(process.get("serviceName") or UNKNOWN_SERVICE)
    operation = str(span["operationName"])
    callee = peer_of(peer_tags) if peer_tags else ""

    if callee:
        batch.callee[len(batch)] = callee
    batch.trace_id.append(trace_id)
    batch.span_id.append(span_id)
    batch.parent_id.append(parent_id)
    batch.service.append(service)
    batch.operation.append(operation)
    batch.start_us.append(start)
    batch.duration_us.append(duration)
    batch.error.append(error)
    batch.kind.append(kind)
    batch.follows_from.append(follows)
    batch.details.append(packed)


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)
