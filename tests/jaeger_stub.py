"""A recorded-response Jaeger query service for tests: real fixture traces, real query semantics.

Traces come from fixtures/ and are time-shifted when loaded, so they look like they are happening
now. Nothing is visible until `release`d, which can happen in parts (a trace that grows). The
stub answers like the Jaeger it imitates:

- ``flavour="v2.19"``: api_v3 with /api/v3/trace-summaries; camelCase search parameters with the
  snake_case ones as deprecated aliases; no v1 search endpoints (Jaeger v2's current line).
- ``flavour="v2.0"``: api_v3 without trace-summaries, snake_case parameters only.
- ``flavour="v1"``: the v1 API only (`/api/services`, `/api/traces?service=…`).

All flavours keep `/api/traces/{id}` and `/api/dependencies`. Spans loaded from OTLP can be
served through v1 (converted here the way Jaeger's own OTLP→UI converter does); spans loaded
from the v1 fixture files are served through v1 as they are.

`fault` injects one failure into every answer (or those under `fault_paths`) until cleared
(tests/recorded_backend.py).
"""

from __future__ import annotations

import copy
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import FIXTURES
from tests.recorded_backend import RecordedBackend, go_not_found

OTLP_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclass
class StubSpan:
    """One span as stored by the stub, in the form it was loaded (OTLP or v1 JSON)."""

    form: str  # "otlp" or "v1"
    trace_id: str  # lower-case hex
    span_id: str
    service: str
    operation: str
    start_us: int
    end_us: int
    error: bool
    raw: dict  # the span object itself, times already shifted
    owner: dict  # OTLP: {"resource", "scope"}; v1: {"process"}


@dataclass
class JaegerStub(RecordedBackend):
    flavour: str = "v2.19"
    dependencies: list[dict] | None = None  # /api/dependencies links; None: the 4271-link fixture

    # -- data -------------------------------------------------------------------------------

    def load(self, name: str, end_us: int | None = None) -> list[StubSpan]:
        """Spans of a fixture file, shifted so its last span starts at `end_us` (default: now)."""
        doc = json.loads((FIXTURES / name).read_text())
        body = doc.get("result", doc) if isinstance(doc, dict) else doc
        spans = _otlp_spans(body) if isinstance(body, dict) and "resourceSpans" in body else _v1_spans(body)
        target = end_us if end_us is not None else int(time.time() * 1e6)
        shift_spans(spans, target - max(s.start_us for s in spans))
        return spans

    # -- the server (started, stopped and faulted by RecordedBackend) -------------------------

    def app(self) -> Starlette:
        routes = [
            Route("/api/traces/{trace_id}", self._v1_trace),
            Route("/api/dependencies", self._dependencies),
        ]
        if self.flavour == "v1":
            routes += [
                Route("/api/services", self._v1_services),
                Route("/api/services/{service}/operations", self._v1_operations),
                Route("/api/traces", self._v1_search),
            ]
        else:
            routes += [
                Route("/api/v3/services", self._v3_services),
                Route("/api/v3/operations", self._v3_operations),
                Route("/api/v3/traces", self._v3_search),
                Route("/api/v3/traces/{trace_id}", self._v3_trace),
            ]
            if self.flavour == "v2.19":
                routes.append(Route("/api/v3/trace-summaries", self._v3_summaries))
        # unknown paths get Go's ServeMux answer, plain text (that is how older servers lack an endpoint)
        return Starlette(routes=routes, exception_handlers={404: go_not_found})

    # -- v3 endpoints -----------------------------------------------------------------------

    async def _v3_services(self, request: Request) -> Response:
        return JSONResponse({"services": sorted({s.service for s in self.visible()})})

    async def _v3_operations(self, request: Request) -> Response:
        service = request.query_params.get("service", "")
        ops = sorted({(s.operation, _kind_name(s)) for s in self.visible() if not service or s.service == service})
        return JSONResponse({"operations": [{"name": name, "spanKind": kind} for name, kind in ops]})

    async def _v3_search(self, request: Request) -> Response:
        query = self._v3_query(request)
        if isinstance(query, Response):
            return query
        traces = self._search(*query)
        if not traces:
            return _v3_error(404, "No traces found")
        return JSONResponse({"result": to_otlp([s for t in traces for s in t])})

    async def _v3_summaries(self, request: Request) -> Response:
        query = self._v3_query(request)
        if isinstance(query, Response):
            return query
        return JSONResponse({"summaries": [_summary(t) for t in self._search(*query)]})

    async def _v3_trace(self, request: Request) -> Response:
        spans = self._trace(request.path_params["trace_id"])
        return JSONResponse({"result": to_otlp(spans)}) if spans else _v3_error(404, "trace not found")

    def _v3_query(self, request: Request) -> tuple[str, int, int, int] | Response:
        q = request.query_params
        camel = self.flavour == "v2.19"

        def param(canonical: str, alias: str) -> str:
            return (q.get(canonical) if camel else None) or q.get(alias) or ""

        service = param("query.serviceName", "query.service_name")
        t_min = param("query.startTimeMin", "query.start_time_min")
        t_max = param("query.startTimeMax", "query.start_time_max")
        depth = param("query.searchDepth", "query.num_traces") if camel else q.get("query.num_traces", "")
        if not t_min or not t_max:
            names = "query.startTimeMin and query.startTimeMax" if camel else "query.start_time_min and query.start_time_max"
            return _v3_error(400, f"{names} are required")
        try:
            start_us, end_us = _parse_rfc3339_us(t_min), _parse_rfc3339_us(t_max)
            limit = int(depth) if depth else 20
        except ValueError as exc:
            return _v3_error(400, f"malformed parameter: {exc}")
        return service, start_us, end_us, limit

    # -- v1 endpoints -----------------------------------------------------------------------

    async def _v1_services(self, request: Request) -> Response:
        names = sorted({s.service for s in self.visible()})
        return JSONResponse({"data": names, "total": len(names), "limit": 0, "offset": 0, "errors": None})

    async def _v1_operations(self, request: Request) -> Response:
        names = sorted({s.operation for s in self.visible() if s.service == request.path_params["service"]})
        return JSONResponse({"data": names, "total": len(names), "limit": 0, "offset": 0, "errors": None})

    async def _v1_search(self, request: Request) -> Response:
        q = request.query_params
        if not q.get("service"):
            return _v1_error(400, "parameter 'service' is required")
        try:
            end_us = int(q["end"]) if q.get("end") else int(time.time() * 1e6)
            lookback_us = int(_go_duration_s(q.get("lookback", "1h")) * 1e6) if q.get("lookback") != "custom" else 3600_000_000
            start_us = int(q["start"]) if q.get("start") else end_us - lookback_us
            limit = int(q.get("limit") or 20)
        except ValueError as exc:
            return _v1_error(400, f"malformed parameter: {exc}")
        traces = self._search(q["service"], start_us, end_us, limit)
        return JSONResponse({"data": [to_v1_trace(t) for t in traces], "total": len(traces), "limit": 0, "offset": 0,
                             "errors": None})

    async def _v1_trace(self, request: Request) -> Response:
        spans = self._trace(request.path_params["trace_id"])
        if not spans:
            return _v1_error(404, "trace not found")
        return JSONResponse({"data": [to_v1_trace(spans)], "total": 0, "limit": 0, "offset": 0, "errors": None})

    async def _dependencies(self, request: Request) -> Response:
        for name in ("endTs", "lookback"):
            value = request.query_params.get(name)
            if value is not None and not value.isdigit():
                return _v1_error(400, f"unable to parse param '{name}': {value!r} is not a number of milliseconds")
        links = self.dependencies
        if links is None:
            links = json.loads((FIXTURES / "jaeger-dependencies-uber-derived-4271links.json").read_text())
        return JSONResponse({"data": links, "total": len(links), "limit": 0, "offset": 0, "errors": None})

    # -- query semantics --------------------------------------------------------------------

    def _search(self, service: str, start_us: int, end_us: int, limit: int) -> list[list[StubSpan]]:
        """Whole traces with a span of `service` starting in [start, end]; the `limit` newest."""
        by_trace: dict[str, list[StubSpan]] = defaultdict(list)
        for span in self.visible():
            by_trace[span.trace_id].append(span)
        matches = []
        for spans in by_trace.values():
            hits = [s.start_us for s in spans if (not service or s.service == service) and start_us <= s.start_us <= end_us]
            if hits:
                matches.append((max(hits), spans))
        matches.sort(key=lambda m: -m[0])
        return [spans for _, spans in matches[:limit]]

    def _trace(self, trace_id: str) -> list[StubSpan]:
        wanted = trace_id.lower().lstrip("0")
        return [s for s in self.visible() if s.trace_id.lstrip("0") == wanted]


def v3_error_body(status: int, message: str) -> bytes:
    return json.dumps({"error": {"httpCode": status, "message": message}}).encode()


def v1_error_body(status: int, message: str) -> bytes:
    return json.dumps({"data": None, "total": 0, "limit": 0, "offset": 0,
                       "errors": [{"code": status, "msg": message}]}).encode()


def _v3_error(status: int, message: str) -> Response:
    return Response(v3_error_body(status, message), status, media_type="application/json")


def _v1_error(status: int, message: str) -> Response:
    return Response(v1_error_body(status, message), status, media_type="application/json")


# -- loading and shifting ---------------------------------------------------------------------


def _otlp_spans(doc: dict) -> list[StubSpan]:
    out = []
    for rs in doc["resourceSpans"]:
        resource = rs.get("resource", {})
        service = next((a["value"].get("stringValue") for a in resource.get("attributes", []) if a["key"] == "service.name"),
                       "unknown_service")
        for ss in rs.get("scopeSpans", []):
            for span in ss["spans"]:
                start_ns, end_ns = int(span["startTimeUnixNano"]), int(span["endTimeUnixNano"])
                out.append(StubSpan("otlp", span["traceId"].lower(), span["spanId"].lower(), service, span["name"],
                                    start_ns // 1000, end_ns // 1000, (span.get("status") or {}).get("code") == 2,
                                    copy.deepcopy(span), {"resource": resource, "scope": ss.get("scope", {})}))
    return out


def _v1_spans(doc: Any) -> list[StubSpan]:
    traces = doc["data"] if isinstance(doc, dict) else doc  # {"data": [...]} or a bare list of traces
    out = []
    for trace in traces:
        for span in trace["spans"]:
            process = trace["processes"][span["processID"]]
            error = any(t["key"] == "error" and t["value"] in (True, "true") for t in span.get("tags") or [])
            out.append(StubSpan("v1", span["traceID"].lower(), span["spanID"].lower(), process["serviceName"],
                                span["operationName"], span["startTime"], span["startTime"] + span["duration"], error,
                                copy.deepcopy(span), {"process": process}))
    return out


def shift_spans(spans: list[StubSpan], shift_us: int) -> None:
    """Move spans in time, in their own JSON too (OTLP nanosecond strings, v1 microseconds)."""
    for s in spans:
        s.start_us += shift_us
        s.end_us += shift_us
        if s.form == "otlp":
            for key in ("startTimeUnixNano", "endTimeUnixNano"):
                s.raw[key] = str(int(s.raw[key]) + shift_us * 1000)
            for event in s.raw.get("events") or ():
                event["timeUnixNano"] = str(int(event["timeUnixNano"]) + shift_us * 1000)
        else:
            s.raw["startTime"] += shift_us
            for log in s.raw.get("logs") or ():
                log["timestamp"] += shift_us


# -- rendering --------------------------------------------------------------------------------


def to_otlp(spans: list[StubSpan]) -> dict:
    """OTLP TracesData: spans grouped by resource and scope, as Jaeger's api_v3 returns them."""
    groups: dict[str, dict] = {}
    for s in spans:
        assert s.form == "otlp", "the stub serves v1 fixture files through the v1 API only"
        key = json.dumps([s.owner["resource"], s.owner["scope"]], sort_keys=True)
        group = groups.setdefault(key, {"resource": s.owner["resource"], "scopeSpans": [{"scope": s.owner["scope"], "spans": []}]})
        group["scopeSpans"][0]["spans"].append(s.raw)
    return {"resourceSpans": list(groups.values())}


def to_v1_trace(spans: list[StubSpan]) -> dict:
    """One v1 trace object; OTLP spans are converted the way Jaeger's OTLP→UI converter does."""
    processes: dict[str, dict] = {}
    out = []
    for s in spans:
        process = s.owner["process"] if s.form == "v1" else _otlp_process(s.owner["resource"])
        key = json.dumps(process, sort_keys=True)
        pid = next((p for p, known in processes.items() if json.dumps(known, sort_keys=True) == key), None)
        if pid is None:
            pid = f"p{len(processes) + 1}"
            processes[pid] = process
        span = dict(s.raw) if s.form == "v1" else _otlp_to_v1_span(s)
        span["processID"] = pid
        out.append(span)
    return {"traceID": spans[0].trace_id, "spans": out, "processes": processes, "warnings": None}


def _otlp_to_v1_span(s: StubSpan) -> dict:
    raw = s.raw
    tags = [_v1_tag(a["key"], a["value"]) for a in raw.get("attributes") or ()]
    kind = OTLP_KINDS.get(raw.get("kind", 0))
    if kind:
        tags.append({"key": "span.kind", "type": "string", "value": kind})
    status = raw.get("status") or {}
    if status.get("code") == 2:
        tags.append({"key": "error", "type": "bool", "value": True})
        tags.append({"key": "otel.status_code", "type": "string", "value": "ERROR"})
    start_ns, end_ns = int(raw["startTimeUnixNano"]), int(raw["endTimeUnixNano"])
    parent = raw.get("parentSpanId")
    return {
        "traceID": raw["traceId"].lower(),
        "spanID": raw["spanId"].lower(),
        "operationName": raw["name"],
        "references": [{"refType": "CHILD_OF", "traceID": raw["traceId"].lower(), "spanID": parent.lower()}] if parent else [],
        "startTime": start_ns // 1000,
        "duration": (end_ns - start_ns) // 1000,
        "tags": tags,
        "logs": [{"timestamp": int(e["timeUnixNano"]) // 1000,
                  "fields": [{"key": "event", "type": "string", "value": e.get("name", "")}]
                  + [_v1_tag(a["key"], a["value"]) for a in e.get("attributes") or ()]} for e in raw.get("events") or ()],
        "flags": raw.get("flags", 1),
        "warnings": None,
    }


def _otlp_process(resource: dict) -> dict:
    attrs = resource.get("attributes") or []
    service = next((a["value"].get("stringValue") for a in attrs if a["key"] == "service.name"), "unknown_service")
    return {"serviceName": service, "tags": [_v1_tag(a["key"], a["value"]) for a in attrs if a["key"] != "service.name"]}


def _v1_tag(key: str, value: dict) -> dict:
    (kind, inner), = value.items()
    if kind == "intValue":
        return {"key": key, "type": "int64", "value": int(inner)}
    if kind == "boolValue":
        return {"key": key, "type": "bool", "value": inner}
    if kind == "doubleValue":
        return {"key": key, "type": "float64", "value": inner}
    return {"key": key, "type": "string", "value": str(inner)}


def _kind_name(s: StubSpan) -> str:
    return OTLP_KINDS.get(s.raw.get("kind", 1), "internal") if s.form == "otlp" else "server"


def _summary(spans: list[StubSpan]) -> dict:
    ids = {s.span_id for s in spans}
    parents = {s.span_id: _parent_of(s) for s in spans}
    roots = [s for s in spans if not parents[s.span_id]] or sorted(spans, key=lambda s: s.start_us)[:1]
    per_service: dict[str, list[StubSpan]] = defaultdict(list)
    for s in spans:
        per_service[s.service].append(s)
    return {
        "traceId": spans[0].trace_id.rjust(32, "0"),
        "rootServiceName": roots[0].service,
        "rootOperationName": roots[0].operation,
        "minStartTimeUnixNano": str(min(s.start_us for s in spans) * 1000),
        "maxEndTimeUnixNano": str(max(s.end_us for s in spans) * 1000),
        "spanCount": len(spans),
        "errorSpanCount": sum(s.error for s in spans),
        "orphanSpanCount": sum(1 for p in parents.values() if p and p not in ids),
        "services": [{"name": name, "spanCount": len(group), "errorSpanCount": sum(s.error for s in group)}
                     for name, group in sorted(per_service.items())],
    }


def _parent_of(s: StubSpan) -> str:
    if s.form == "otlp":
        return (s.raw.get("parentSpanId") or "").lower()
    refs = s.raw.get("references") or []
    return refs[0]["spanID"].lower() if refs else ""


def _parse_rfc3339_us(text: str) -> int:
    """RFC 3339 with up to nanoseconds → µs (Python's fromisoformat stops at microseconds)."""
    head, _, frac = text.rstrip("Z").partition(".")
    seconds = datetime.fromisoformat(head + "+00:00").timestamp()
    return int(seconds) * 1_000_000 + int((frac + "000000")[:6] or 0)


def _go_duration_s(text: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1}
    if not text or text[-1] not in units:
        raise ValueError(f"lookback {text!r} is not a duration like 1h")
    return float(text[:-1]) * units[text[-1]]
