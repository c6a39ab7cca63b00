"""Counts computed straight from the raw JSON, independently of vrmon's readers."""

from __future__ import annotations

import base64
import json
from pathlib import Path


def norm_id(value: str) -> str:
    if "=" in value or any(c not in "0123456789abcdefABCDEF" for c in value):
        value = base64.b64decode(value).hex()
    return value.lower().lstrip("0") or "0"


def raw_spans(path: Path) -> list[dict]:
    """One dict per span object: trace, span, parent (or None), service, error (Zipkin: one per
    span after merging the parts of spans reported more than once)."""
    doc = json.loads(path.read_text())
    if isinstance(doc, dict) and "result" in doc:
        doc = doc["result"]
    if isinstance(doc, dict) and "batches" in doc:  # Tempo's name for resourceSpans
        doc = {"resourceSpans": doc["batches"]}
    if isinstance(doc, list) and doc and "traceId" in doc[0]:
        return zipkin_spans(doc)
    out = []
    if isinstance(doc, dict) and ("resourceSpans" in doc or "resource_spans" in doc):
        # protobuf's JSON allows each field under its JSON name or its proto name (resource_spans, trace_id)
        for rs in either(doc, "resourceSpans", "resource_spans"):
            attributes = rs.get("resource", {}).get("attributes", [])
            service = next((either(a["value"], "stringValue", "string_value") for a in attributes if a["key"] == "service.name"), None)
            groups = (either(rs, "scopeSpans", "scope_spans") or
                      either(rs, "instrumentationLibrarySpans", "instrumentation_library_spans") or [])
            for ss in groups:
                for s in ss["spans"]:
                    parent = norm_id(either(s, "parentSpanId", "parent_span_id") or "0")
                    out.append({
                        "trace": norm_id(either(s, "traceId", "trace_id")), "span": norm_id(either(s, "spanId", "span_id")),
                        "parent": None if parent == "0" else parent,  # no parent, or an all-zero one
                        "service": service, "error": s.get("status", {}).get("code") in (2, "STATUS_CODE_ERROR"),
                    })
        return out
    traces = doc["data"] if isinstance(doc, dict) else doc
    for trace in traces:
        for s in trace["spans"]:
            refs = [r for r in s.get("references") or [] if norm_id(r["traceID"]) == norm_id(s["traceID"])]
            out.append({
                "trace": norm_id(s["traceID"]), "span": norm_id(s["spanID"]),
                "parent": norm_id(refs[0]["spanID"]) if refs else None,
                "service": trace["processes"][s["processID"]]["serviceName"],
                "error": any(t["key"] == "error" and t["value"] in (True, "true") for t in s.get("tags") or []),
            })
    return out


def either(obj: dict, json_name: str, proto_name: str):
    return obj[json_name] if json_name in obj else obj.get(proto_name)


def zipkin_spans(spans: list[dict]) -> list[dict]:
    """Zipkin v2 spans, one per distinct (trace, id, kind, shared, local endpoint): the parts of a
    span reported several times count once. A shared server half's parent is its client half;
    `remote` is the remoteEndpoint's service."""
    merged: dict[tuple, dict] = {}
    for s in spans:
        local = s.get("localEndpoint") or {}
        shared = bool(s.get("shared")) and s.get("kind") != "CLIENT"
        key = (norm_id(s["traceId"])[-16:], norm_id(s["id"]), s.get("kind"), shared,
               local.get("serviceName"), local.get("ipv4"), local.get("port"))
        merged.setdefault(key, {"error": False})["error"] |= "error" in (s.get("tags") or {})
        row = merged[key]
        row.update(trace=key[0], span=key[1], service=local.get("serviceName"), shared=shared,
                   parent=norm_id(s["parentId"]) if s.get("parentId") else row.get("parent"),
                   remote=(s.get("remoteEndpoint") or {}).get("serviceName") or row.get("remote"))
    out = list(merged.values())
    clients = {(s["trace"], s["span"]) for s in out if not s["shared"]}
    for s in out:
        if s["shared"] and (s["trace"], s["span"]) in clients:
            s["parent"] = s["span"]
    return out


def expected_counts(path: Path) -> dict:
    spans = raw_spans(path)
    ids = {(s["trace"], s["span"]) for s in spans}
    return {
        "spans": len(spans),
        "traces": len({s["trace"] for s in spans}),
        # Zipkin's remote services are services too (the services graph draws the calls to them)
        "services": sorted({s["service"] for s in spans} | {s["remote"] for s in spans if s.get("remote")}),
        "errors": sum(s["error"] for s in spans),
        "orphans": sum(1 for s in spans if s["parent"] is not None and (s["trace"], s["parent"]) not in ids),
    }
