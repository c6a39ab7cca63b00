"""Variants of the real HotROD OTLP trace: the same spans and structure, other timings or status.

The rules must hold on traces they were not tuned on, so the tests build the cases from a real
capture and change only what a different run of the same request would change: when calls
happen (a worker pool of three instead of one), how long a call waited before it gave up, and
which calls failed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vrmon.formats import read_document
from vrmon.model.span_store import SpanStore

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOTROD_SERIAL = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"
ROUTE_PORT = "8083"  # HotROD's route service


class OtlpTrace:
    """One OTLP document, its spans addressable by hex span id."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = copy.deepcopy(doc)
        self.spans = {s["spanId"].lower(): s for s in self._all_spans()}

    @classmethod
    def load(cls, path: Path = HOTROD_SERIAL) -> "OtlpTrace":
        return cls(json.loads(path.read_text()))

    def _all_spans(self) -> Iterator[dict[str, Any]]:
        for rs in self.doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                yield from ss["spans"]

    def service_of(self, span_id: str) -> str:
        for rs in self.doc["resourceSpans"]:
            if any(s["spanId"].lower() == span_id for ss in rs["scopeSpans"] for s in ss["spans"]):
                return next(a["value"]["stringValue"] for a in rs["resource"]["attributes"] if a["key"] == "service.name")
        raise KeyError(span_id)

    def children(self, span_id: str) -> list[dict[str, Any]]:
        kids = [s for s in self.spans.values() if (s.get("parentSpanId") or "").lower() == span_id]
        return sorted(kids, key=lambda s: int(s["startTimeUnixNano"]))

    def subtree(self, span_id: str) -> list[dict[str, Any]]:
        found = [self.spans[span_id]]
        for kid in self.children(span_id):
            found += self.subtree(kid["spanId"].lower())
        return found

    def attribute(self, span_id: str, key: str) -> Any:
        for a in self.spans[span_id].get("attributes") or ():
            if a["key"] == key:
                return next(iter(a["value"].values()))
        return None

    def start(self, span_id: str) -> int:
        return int(self.spans[span_id]["startTimeUnixNano"])

    def end(self, span_id: str) -> int:
        return int(self.spans[span_id]["endTimeUnixNano"])

    def shift(self, span_id: str, delta_ns: int) -> None:
        """Move a span and everything under it in time, by `delta_ns`."""
        for span in self.subtree(span_id):
            for key in ("startTimeUnixNano", "endTimeUnixNano"):
                span[key] = str(int(span[key]) + delta_ns)
            for event in span.get("events") or ():
                event["timeUnixNano"] = str(int(event["timeUnixNano"]) + delta_ns)

    def set_end(self, span_id: str, end_ns: int) -> None:
        self.spans[span_id]["endTimeUnixNano"] = str(end_ns)

    def set_error(self, span_id: str, failed: bool, message: str = "") -> None:
        self.spans[span_id]["status"] = {"code": 2, "message": message} if failed else {}

    def errored(self) -> list[str]:
        return [sid for sid, s in self.spans.items() if (s.get("status") or {}).get("code") in (2, "STATUS_CODE_ERROR")]

    def store(self) -> SpanStore:
        store = SpanStore()
        store.add(read_document(self.doc))
        return store

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.doc))
        return path


def root_id(trace: OtlpTrace) -> str:
    return next(sid for sid, s in trace.spans.items() if not s.get("parentSpanId"))


def route_calls(trace: OtlpTrace) -> list[str]:
    """The frontend's HTTP GET calls to the route service, in start order."""
    return [s["spanId"].lower() for s in trace.children(root_id(trace))
            if trace.attribute(s["spanId"].lower(), "server.port") == ROUTE_PORT and s["name"] == "HTTP GET"]


def with_route_pool(trace: OtlpTrace, workers: int) -> OtlpTrace:
    """The same request as if HotROD ran its route calls on a pool of `workers`: call i goes to
    worker i % workers, each worker runs its calls back to back from where the first call
    started, every call keeps its duration and its subtree moves with it; the root ends when
    the last call returns (plus the gap it had after the last call in the capture)."""
    pooled = OtlpTrace(trace.doc)
    calls = route_calls(pooled)
    first_start = pooled.start(calls[0])
    tail_gap = pooled.end(root_id(pooled)) - pooled.end(calls[-1])
    free_at = [first_start] * workers
    for i, call in enumerate(calls):
        w = i % workers
        pooled.shift(call, free_at[w] - pooled.start(call))
        free_at[w] = pooled.end(call)
    pooled.set_end(root_id(pooled), max(free_at) + tail_gap)
    return pooled


def customer_call(trace: OtlpTrace) -> str:
    """The frontend's HTTP GET call to the customer service (the first call of the request)."""
    return next(s["spanId"].lower() for s in trace.children(root_id(trace)) if s["name"] == "HTTP GET")


def with_customer_timeout(trace: OtlpTrace, after_ms: int = 200) -> OtlpTrace:
    """The same request where nothing failed but the frontend's customer call, which gave up
    after `after_ms` ("context deadline exceeded") while the customer service and its MySQL
    query (311 ms in the capture) were still running."""
    timed_out = OtlpTrace(trace.doc)
    for span_id in timed_out.errored():
        timed_out.set_error(span_id, False)
    call = customer_call(timed_out)
    timed_out.set_end(call, timed_out.start(call) + after_ms * 1_000_000)
    timed_out.set_error(call, True, "context deadline exceeded")
    return timed_out
