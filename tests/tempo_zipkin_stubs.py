"""Recorded-response Tempo and Zipkin servers for tests, built from the real documents in fixtures/.

The spans are the real ones, time-shifted so they look like they are happening now, and nothing
is visible until `release`d (in parts, for a trace that grows). The envelopes are the ones the
real servers answer with:

- Tempo (per its API docs and `tempopb`): `GET /api/search` → `{"traces": [{traceID (hex without
  leading zeros), rootServiceName, rootTraceName, startTimeUnixNano, durationMs, spanSets:
  [{spans, matched}]}], "metrics": {...}}`; `GET /api/v2/traces/{id}` → `{"trace":
  {"resourceSpans": [...]}}`; `GET /api/traces/{id}` → `{"batches": [...]}` (servers before the
  v2 API, `v2=False`, which answer a plain "404 page not found" for /api/v2).
- Zipkin: `GET /api/v2/traces?endTs&lookback&limit&serviceName` → a list of traces, each a list
  of spans; `GET /api/v2/dependencies` → a list of `{parent, child, callCount}` links. No real
  dependencies answer was found (fixtures/PROVENANCE.md): the test sets the links it expects.

Faults, a required header and starting and stopping come from tests/recorded_backend.py.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.conftest import FIXTURES
from tests.recorded_backend import RecordedBackend, go_not_found


def hex_id(value: str) -> int:
    """An OTLP or Zipkin id (hex, or base64 in Tempo's JSON) as a number."""
    if "=" in value or any(c not in "0123456789abcdefABCDEF" for c in value):
        return int.from_bytes(base64.b64decode(value), "big")
    return int(value, 16)


# -- Tempo ------------------------------------------------------------------------------------


@dataclass
class TempoSpan:
    trace_id: int
    start_ns: int
    end_ns: int
    parent: str
    raw: dict  # the span, times shifted
    resource: dict
    scope: dict


@dataclass
class TempoStub(RecordedBackend):
    v2: bool = True  # False: a Tempo before /api/v2/traces (answers {"batches"} on /api/traces)

    def load(self, name: str, end_ns: int | None = None) -> list[TempoSpan]:
        """The spans of a Tempo or OTLP fixture, shifted so the last one starts at `end_ns` (default now)."""
        doc = json.loads((FIXTURES / name).read_text())
        spans = []
        for rs in doc.get("resourceSpans", doc.get("batches", [])):
            for ss in rs.get("scopeSpans", rs.get("instrumentationLibrarySpans", [])):
                scope = ss.get("scope", ss.get("instrumentationLibrary", {}))
                for raw in ss["spans"]:
                    spans.append(TempoSpan(hex_id(raw["traceId"]), int(raw["startTimeUnixNano"]),
                                           int(raw["endTimeUnixNano"]), raw.get("parentSpanId", ""),
                                           copy.deepcopy(raw), rs.get("resource", {}), scope))
        shift = (end_ns if end_ns is not None else time.time_ns()) - max(s.start_ns for s in spans)
        for span in spans:
            span.start_ns += shift
            span.end_ns += shift
            span.raw["startTimeUnixNano"], span.raw["endTimeUnixNano"] = str(span.start_ns), str(span.end_ns)
            for event in span.raw.get("events", ()):
                event["timeUnixNano"] = str(int(event["timeUnixNano"]) + shift)
        return spans

    def app(self) -> Starlette:
        routes = [Route("/api/search", self._search), Route("/api/traces/{trace_id}", self._trace_v1)]
        if self.v2:
            routes.append(Route("/api/v2/traces/{trace_id}", self._trace_v2))
        return Starlette(routes=routes, exception_handlers={404: go_not_found})

    async def _search(self, request: Request) -> Response:
        q = request.query_params
        try:
            start_s, end_s = int(q["start"]), int(q["end"])
            limit, spss = int(q.get("limit", 20)), int(q.get("spss", 3))
        except (KeyError, ValueError) as exc:
            return PlainTextResponse(f"invalid start, end, limit or spss: {exc}", status_code=400)
        if q.get("q") != "{}":
            return PlainTextResponse(f"this stub only answers the query {{}}, got {q.get('q')!r}", status_code=400)
        by_trace: dict[int, list[TempoSpan]] = defaultdict(list)
        for span in self.visible():
            by_trace[span.trace_id].append(span)
        rows = []
        for trace_id, spans in by_trace.items():
            if not any(start_s * 10**9 <= s.start_ns <= end_s * 10**9 for s in spans):
                continue
            roots = [s for s in spans if not s.parent]
            root = roots[0] if roots else None
            start = min(s.start_ns for s in spans)
            row = {"traceID": format(trace_id, "x"),  # Tempo drops leading zeros
                   "startTimeUnixNano": str(start), "durationMs": (max(s.end_ns for s in spans) - start) // 10**6,
                   "spanSets": [{"spans": [{"spanID": s.raw["spanId"]} for s in spans[:spss]], "matched": len(spans)}]}
            if root is not None:  # Tempo leaves them out until the root span arrives
                row["rootServiceName"] = _service(root.resource)
                row["rootTraceName"] = root.raw["name"]
            rows.append((start, row))
        rows.sort(key=lambda r: -r[0])
        return JSONResponse({"traces": [row for _, row in rows[:limit]], "metrics": {"inspectedTraces": len(by_trace)}})

    def _trace_spans(self, request: Request) -> list[TempoSpan]:
        wanted = int(request.path_params["trace_id"], 16)
        return [s for s in self.visible() if s.trace_id == wanted]

    async def _trace_v2(self, request: Request) -> Response:
        spans = self._trace_spans(request)
        if not spans:
            return PlainTextResponse("trace not found", status_code=404)
        return JSONResponse({"trace": {"resourceSpans": _resource_spans(spans)}})

    async def _trace_v1(self, request: Request) -> Response:
        spans = self._trace_spans(request)
        if not spans:
            return PlainTextResponse("trace not found", status_code=404)
        legacy = [{"resource": rs["resource"], "instrumentationLibrarySpans": [
            {"instrumentationLibrary": ss["scope"], "spans": ss["spans"]} for ss in rs["scopeSpans"]]}
            for rs in _resource_spans(spans)]
        return JSONResponse({"batches": legacy})


def _service(resource: dict) -> str:
    return next((a["value"].get("stringValue", "") for a in resource.get("attributes", []) if a["key"] == "service.name"), "")


def _resource_spans(spans: list[TempoSpan]) -> list[dict]:
    groups: dict[str, dict] = {}
    for span in spans:
        key = json.dumps([span.resource, span.scope], sort_keys=True)
        group = groups.setdefault(key, {"resource": span.resource, "scopeSpans": [{"scope": span.scope, "spans": []}]})
        group["scopeSpans"][0]["spans"].append(span.raw)
    return list(groups.values())


# -- Zipkin -----------------------------------------------------------------------------------


@dataclass
class ZipkinStub(RecordedBackend):
    dependencies: list[dict] = field(default_factory=list)  # the /api/v2/dependencies answer

    def load(self, name: str, end_us: int | None = None) -> list[dict]:
        """The spans of a Zipkin fixture, shifted so the last one starts at `end_us` (default now)."""
        spans = copy.deepcopy(json.loads((FIXTURES / name).read_text()))
        stamps = [s["timestamp"] for s in spans if s.get("timestamp")]
        shift = (end_us if end_us is not None else time.time_ns() // 1000) - max(stamps)
        for span in spans:
            if span.get("timestamp"):
                span["timestamp"] += shift
            for annotation in span.get("annotations", ()):
                annotation["timestamp"] += shift
        return spans

    def app(self) -> Starlette:
        routes = [Route("/api/v2/traces", self._traces), Route("/api/v2/trace/{trace_id}", self._trace),
                  Route("/api/v2/dependencies", self._dependencies)]
        return Starlette(routes=routes, exception_handlers={404: go_not_found})

    async def _trace(self, request: Request) -> Response:
        """One trace's spans, whatever their time; Zipkin's own 404 text when it has none."""
        wanted = request.path_params["trace_id"]
        spans = [s for s in self.visible() if hex_id(s["traceId"]) == hex_id(wanted)]
        return JSONResponse(spans) if spans else PlainTextResponse(f"{wanted} not found", status_code=404)

    async def _traces(self, request: Request) -> Response:
        q = request.query_params
        try:
            end_ms = int(q.get("endTs") or time.time() * 1000)
            lookback_ms = int(q.get("lookback") or 86_400_000)
            limit = int(q.get("limit") or 10)
        except ValueError as exc:
            return JSONResponse({"message": f"invalid parameter: {exc}"}, status_code=400)
        by_trace: dict[str, list[dict]] = defaultdict(list)
        for span in self.visible():
            by_trace[span["traceId"]].append(span)
        found = []
        for spans in by_trace.values():
            stamps = [s["timestamp"] for s in spans if s.get("timestamp")]
            in_window = any((end_ms - lookback_ms) * 1000 <= t <= end_ms * 1000 for t in stamps)
            service = q.get("serviceName")
            if in_window and (not service or any((s.get("localEndpoint") or {}).get("serviceName") == service for s in spans)):
                found.append((max(stamps), spans))
        found.sort(key=lambda f: -f[0])
        return JSONResponse([spans for _, spans in found[:limit]])

    async def _dependencies(self, request: Request) -> Response:
        if not request.query_params.get("endTs", "").isdigit():
            return JSONResponse({"message": "endTs is required"}, status_code=400)
        return JSONResponse(self.dependencies)
