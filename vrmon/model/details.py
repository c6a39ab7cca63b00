"""Span details: the raw span kept aside at load time, turned into one plain shape on demand."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from vrmon.model.attribute_values import any_value
from vrmon.model.flags import FLAG_REASONS, SpanFlag
from vrmon.model.ids import format_span_id
from vrmon.model.raw_details import unpack_details
from vrmon.model.span_batch import SPAN_KINDS

if TYPE_CHECKING:
    from vrmon.model.span_store import SpanStore

MAX_CHILDREN_LISTED = 200


def span_details(store: "SpanStore", row: int) -> dict[str, Any]:
    """Everything the store knows about one span, as plain JSON-able values (for `details` frames)."""
    raw = unpack_details(store.details[row])
    flags = SpanFlag(int(store.flags[row]))
    start_us = int(store.start_us[row])
    parent = int(store.parent[row])
    children = np.flatnonzero(store.parent == row)[:MAX_CHILDREN_LISTED]
    if raw["format"] == "jaeger-v1":
        tags, logs, process, refs = _jaeger_parts(raw)
    elif raw["format"] == "zipkin":
        tags, logs, process, refs = _zipkin_parts(raw)
    elif "span" in raw:
        tags, logs, process, refs = _otlp_parts(raw)
    else:  # spans made without a source document (synthetic ones) have no tags, logs or process
        tags, logs, process, refs = [], [], [], []
    return {
        "id": int(store.uid[row]),
        "trace_id": store.trace_id_hex(int(store.trace[row])),
        # a Zipkin server half sharing its client's id is stored under an id of its own; show Zipkin's
        "span_id": raw.get("span_id") or format_span_id(int(store.span_id[row])),
        "parent_span_id": raw.get("parent_span_id") or (format_span_id(int(store.parent_id[row])) if store.parent_id[row] else None),
        "service": store.services.names[store.service[row]],
        "operation": store.operations.names[store.operation[row]],
        "kind": SPAN_KINDS[int(store.kind[row])] if 0 <= store.kind[row] < len(SPAN_KINDS) else "unspecified",
        "start_us": start_us,
        "start": _iso_time(start_us),
        "duration_us": int(store.duration_us[row]),
        "depth": int(store.depth[row]),
        "error": bool(flags & SpanFlag.ERROR),
        "warnings": [text for flag, text in FLAG_REASONS.items() if flags & flag] + list(raw.get("problems", ())),
        "tags": tags,
        "logs": logs,
        "process": process,
        "references": refs,
        "parent": int(store.uid[parent]) if parent >= 0 else None,
        "children": [int(u) for u in store.uid[children]],
    }


def _iso_time(us: int) -> str:
    """ISO 8601, or a plain note for times a calendar cannot show (bad input from a tracer)."""
    try:
        return datetime.fromtimestamp(us / 1e6, timezone.utc).isoformat(timespec="microseconds")
    except (ValueError, OverflowError, OSError):
        return f"out of calendar range ({us} µs since 1970)"


# The raw span is untrusted: any part may be of the wrong type. Such parts show as empty (the
# reader already put the reason among the span's problems).


def _items(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict]:
    return [item for item in _items(value) if isinstance(item, dict)]


def _obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _jaeger_parts(raw: dict) -> tuple[list, list, list, list]:
    span = raw["span"]
    tags = [[t.get("key"), t.get("value")] for t in _dicts(span.get("tags"))]
    logs = [
        {"timestamp_us": _int(log.get("timestamp", 0)), "fields": [[f.get("key"), f.get("value")] for f in _dicts(log.get("fields"))]}
        for log in _dicts(span.get("logs"))
    ]
    process = _obj(raw.get("process"))
    ptags = [["service.name", process.get("serviceName")]] + [[t.get("key"), t.get("value")] for t in _dicts(process.get("tags"))]
    refs = [{"type": r.get("refType"), "trace_id": r.get("traceID"), "span_id": r.get("spanID")} for r in _dicts(span.get("references"))]
    return tags, logs, ptags, refs


def _zipkin_parts(raw: dict) -> tuple[list, list, list, list]:
    span = raw["span"]
    tags = [[k, v] for k, v in _obj(span.get("tags")).items()]
    remote = _obj(span.get("remoteEndpoint"))
    tags += [[f"remoteEndpoint.{k}", v] for k, v in remote.items()]
    logs = [{"timestamp_us": _int(a.get("timestamp")), "fields": [["annotation", a.get("value")]]}
            for a in _dicts(span.get("annotations"))]
    local = _obj(span.get("localEndpoint"))
    process = [["service.name" if k == "serviceName" else k, v] for k, v in local.items()]
    if span.get("shared"):
        process.append(["shared", True])  # the server half of an RPC whose client reported the same id
    return tags, logs, process, []


def _otlp_parts(raw: dict) -> tuple[list, list, list, list]:
    span = raw["span"]
    tags = _attrs(span.get("attributes"))
    status = _obj(span.get("status"))
    if status:
        tags.append(["otel.status_code", status.get("code")])
        if status.get("message"):
            tags.append(["otel.status_description", status.get("message")])
    logs = []
    for event in _dicts(span.get("events")):
        time_ns = _int(event.get("timeUnixNano", 0))
        logs.append({"timestamp_us": time_ns // 1000 if time_ns is not None else None,
                     "fields": [["event", event.get("name")]] + _attrs(event.get("attributes"))})
    resource = _obj(raw.get("resource"))
    scope = _obj(raw.get("scope"))
    process = _attrs(resource.get("attributes"))
    if scope.get("name"):
        process.append(["otel.scope.name", scope.get("name")])
    refs = [{"type": "LINK", "trace_id": link.get("traceId"), "span_id": link.get("spanId")} for link in _dicts(span.get("links"))]
    return tags, logs, process, refs


def _attrs(attributes: Any) -> list[list[Any]]:
    return [[a.get("key"), any_value(a.get("value"))] for a in _dicts(attributes)]
