"""Failure is a normal state: for every fault the issue lists, the last good scene stays, viewers
and /healthz are told in plain words, and polling recovers by itself when the fault clears.

Bad spans (duplicate ids, cycles, missing parents, bad durations, clock skew, unknown reference
types) are not failures: they are kept, flagged, and the reason is in the span's details.
"""

from __future__ import annotations

import json
import socket
import time

import numpy as np
import pytest

from tests.conftest import RunningServer
from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub, v1_error_body, v3_error_body
from tests.recorded_backend import Fault
from vrmon.model.flags import FLAG_REASONS, SpanFlag
from vrmon.protocol import decode_server_frame, select_frame

HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"
HOTROD_16 = "otlp-hotrod-dispatch-trimmed-16spans-retries.json"
TUTORIAL_V1 = "jaeger-v1-opentracing-tutorial-3services-logs.json"

# fault id → (stub flavour, fault, words the status must contain)
HTTP_FAULTS = {
    "timeout": ("v2.19", Fault("slow", seconds=3.0), ["no answer from", "within 1 s"]),
    "http-401-v3-envelope": ("v2.19", Fault("status", 401, v3_error_body(401, "missing bearer token")),
                             ["HTTP 401: missing bearer token", "--jaeger-header"]),
    "http-500-v3-envelope": ("v2.19", Fault("status", 500, v3_error_body(500, "storage unavailable")),
                             ["HTTP 500: storage unavailable"]),
    "http-503-v1-errors-envelope": ("v1", Fault("status", 503, v1_error_body(503, "cassandra: no hosts available")),
                                    ["HTTP 503: cassandra: no hosts available (code 503)"]),
    "http-502-plain-text": ("v2.0", Fault("status", 502, b"<html>502 Bad Gateway</html>"), ["HTTP 502: <html>502 Bad Gateway"]),
    "not-json": ("v2.0", Fault("not_json"), ["is not JSON", "Welcome to nginx"]),
    "wrong-shape": ("v2.19", Fault("wrong_shape"), ["expected"]),
    "cut-off-mid-body": ("v2.19", Fault("cut_off"), ["cut off mid-body"]),
    "enormous": ("v2.0", Fault("huge", size=3 * 2**20), ["over the 1 MiB cap"]),
}


# The deadline of the faults that wait for it ("within 1 s"); every other test keeps 5 s, so a
# loaded machine's slow answer is never taken for a fault.
SHORT_DEADLINES = {"jaeger_timeout": 1.0}


def start_with_hotrod(live_jaeger, flavour: str, **settings):
    stub = JaegerStub(flavour=flavour)
    stub.release(stub.load(TUTORIAL_V1 if flavour == "v1" else HOTROD_V3))
    # answers capped at 1 MiB, for the "enormous" and gzip bomb faults
    live = live_jaeger(stub, **{"jaeger_timeout": 5.0, "max_response": 1.0, **settings})
    viewer = live.viewer().until(lambda v: len(v.nodes) == len(stub.visible()) and v.status is not None)
    return stub, live, viewer


def assert_survives_and_recovers(live, stub, viewer, words: list[str], clear) -> None:
    shown = dict(viewer.nodes)
    viewer.until(viewer.state("degraded", *words), what=f"a degraded status saying {words}")
    assert "showing the last good scene" in viewer.status["message"]
    health = live.healthz()
    assert health["status"] == "degraded" and health["spans"] == len(shown)
    assert health["sources"]["jaeger"]["state"] == "degraded"
    assert all(w in health["sources"]["jaeger"]["message"] for w in words), health["sources"]["jaeger"]["message"]
    assert live.viewer().nodes == shown  # a viewer arriving during the fault gets the last good scene

    clear()
    more = stub.load(HOTROD_16) if stub.flavour != "v1" else stub.load("jaeger-v1-follows-from-issue115.json")
    stub.release(more)
    viewer.until(lambda v: v.status["state"] == "ok" and len(v.nodes) >= len(shown), what="recovery")
    live.wait(lambda: len(live.store) == len(shown) + len(more), what="the spans released after the fault")
    health = live.healthz()
    assert health["status"] == "ok", (health["sources"], [s["message"] for s in viewer.statuses[-3:]])


@pytest.mark.parametrize("fault_id", list(HTTP_FAULTS))
def test_http_faults_keep_the_scene_report_and_recover(live_jaeger, fault_id):
    flavour, fault, words = HTTP_FAULTS[fault_id]
    stub, live, viewer = start_with_hotrod(live_jaeger, flavour, **(SHORT_DEADLINES if fault_id == "timeout" else {}))
    stub.fault = fault

    def clear() -> None:
        stub.fault = None

    assert_survives_and_recovers(live, stub, viewer, words, clear)


def test_connection_refused_keeps_the_scene_and_recovers_when_jaeger_is_back(live_jaeger):
    stub, live, viewer = start_with_hotrod(live_jaeger, "v2.19")
    stub.stop()
    assert_survives_and_recovers(live, stub, viewer, ["refused", "is Jaeger running"], stub.restart)


def test_dns_failure_keeps_the_scene_and_recovers_when_the_name_resolves(live_jaeger, monkeypatch):
    """The name is resolved by a stand-in for the system resolver: failing, then answering 127.0.0.1."""
    real_getaddrinfo = socket.getaddrinfo
    dns_up = {"value": True}

    def resolver(host, *args, **kwargs):
        if host in ("jaeger.vrmon.test", b"jaeger.vrmon.test"):  # anyio passes the IDNA-encoded bytes
            if not dns_up["value"]:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    stub = JaegerStub()
    stub.release(stub.load(HOTROD_V3))
    stub.start()
    live = live_jaeger(stub, url=stub.url.replace("127.0.0.1", "jaeger.vrmon.test"))
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40 and v.status is not None)
    dns_up["value"] = False
    stub.stop()  # drop the kept-alive connection, so the next request has to look the name up
    stub.restart()
    assert_survives_and_recovers(live, stub, viewer, ["cannot resolve the host name 'jaeger.vrmon.test'"],
                                 lambda: dns_up.update(value=True))


def test_a_source_that_never_reached_jaeger_is_down_not_degraded(live_jaeger):
    stub = JaegerStub()
    stub.start()
    stub.stop()
    live = live_jaeger(stub, url=stub.url)
    viewer = live.viewer().until(lambda v: v.status is not None and v.status["state"] == "down")
    assert "refused" in viewer.status["message"] and live.healthz()["status"] == "degraded"
    attempts = len(viewer.statuses)
    stub.release(stub.load(HOTROD_V3))
    stub.restart()
    viewer.until(lambda v: len(v.nodes) == 40 and v.status["state"] == "ok", what="the first load after the outage")
    assert len(viewer.statuses) == attempts + 1  # one status per change of state or words, not one per retry


def test_the_api_found_stays_through_an_outage_and_is_detected_again_after_an_upgrade(live_jaeger):
    stub = JaegerStub(flavour="v1")  # an older Jaeger, serving HotROD's spans through the v1 API
    stub.release(stub.load(HOTROD_V3))
    live = live_jaeger(stub)
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40 and v.state("ok", "the v1 API")(v))
    before = len(stub.requests)
    stub.fault = Fault("status", 401, v1_error_body(401, "missing bearer token"))
    viewer.until(viewer.state("degraded", "HTTP 401: missing bearer token"))
    live.requests_later(5)  # several retries: each reports the real problem, never a vaguer detection failure
    viewer.until(viewer.state("degraded", "HTTP 401: missing bearer token"))
    assert all("no Jaeger query API" not in s["message"] for s in viewer.statuses)
    assert not any("/api/v3/" in r for r in stub.requests[before:])  # it did not go looking for another API
    stub.fault = None

    stub.stop()  # the same address now answers as Jaeger v2: the v1 search endpoints are gone
    stub.flavour = "v2.19"
    stub.server = RunningServer(stub.app(), stub.server.port).start()
    stub.release(stub.load(HOTROD_16))
    viewer.until(viewer.state("ok", "api_v3 with trace-summaries"), what="the upgrade detected")
    live.wait(lambda: len(live.store) == 56, what="the trace released after the upgrade")


def test_a_trace_gone_between_its_summary_and_its_fetch_is_skipped_not_a_failure(live_jaeger):
    stub, live, viewer = start_with_hotrod(live_jaeger, "v2.19")
    stub.fault_paths = ("/api/v3/traces/",)  # summaries still list it; fetching it by id finds nothing
    stub.fault = Fault("status", 404, v3_error_body(404, "trace not found"))
    stub.release(stub.load(HOTROD_16))
    before = len(stub.requests)
    live.wait(lambda: sum("/api/v3/traces/" in r for r in stub.requests[before:]) >= 3, what="three polls asking for it")
    assert viewer.collect(0.3).count("status") == 0 and viewer.status["state"] == "ok"
    stub.fault = None
    live.wait(lambda: len(live.store) == 56, what="the trace, once Jaeger has it again")


def test_retries_back_off(live_jaeger):
    stub, live, viewer = start_with_hotrod(live_jaeger, "v2.19", retry_max=0.4)
    stub.fault = Fault("status", 500, v3_error_body(500, "storage unavailable"))
    viewer.until(viewer.state("degraded"))
    began = time.monotonic()
    live.requests_later(6)
    # Each failed try asks once (the service list fails). Polling on every 0.05 s, six tries would
    # take 0.3 s; backing off, each retry waits at least half its doubled delay (0.05 · 2^k / 2,
    # up to 0.4 / 2): 0.1 + 0.2 + 0.2 + 0.2 + 0.2 s at least after the first. A slower machine only adds time.
    assert time.monotonic() - began >= 0.9


# -- bad spans: kept, flagged, explained ----------------------------------------------------------


def select_details(viewer, node_id: int) -> dict:
    viewer.ws.send(select_frame(node_id))
    while True:
        frame = decode_server_frame(viewer.ws.recv(timeout=5))
        if frame["type"] == "details":
            return frame["span"]
        viewer.apply(frame)


def by_operation(live, operation: str) -> list[int]:
    store = live.store
    code = store.operations.code_of(operation)
    return [int(u) for u in store.uid[store.operation == code]]


def test_bad_spans_are_kept_flagged_and_explained(live_jaeger):
    stub = JaegerStub()
    spans = stub.load(HOTROD_V3)
    raw = [s.raw for s in spans]
    first, second, third, fourth, fifth = raw[1], raw[2], raw[3], raw[4], raw[5]
    duplicate = json.loads(json.dumps(first))
    duplicate["name"] = "a second span with the first one's id"
    spans.append(type(spans[1])(**{**spans[1].__dict__, "raw": duplicate}))
    first["name"], second["name"] = "cycle-a", "cycle-b"
    first["parentSpanId"], second["parentSpanId"] = second["spanId"], first["spanId"]
    third["name"], third["parentSpanId"] = "orphan", "00000000deadbeef"
    fourth["name"], fourth["endTimeUnixNano"] = "negative", str(int(fourth["startTimeUnixNano"]) - 5_000_000)
    fifth["name"], fifth["endTimeUnixNano"] = "two days", str(int(fifth["startTimeUnixNano"]) + 2 * 86400 * 10**9)
    raw[6]["name"], raw[6]["startTimeUnixNano"] = "skewed", str(int(raw[6]["startTimeUnixNano"]) - 10**12)
    raw[7]["name"], raw[7]["startTimeUnixNano"] = "far future", "9" * 30  # beyond int64 microseconds
    stub.release(spans)
    live = live_jaeger(stub)
    viewer = live.viewer().until(lambda v: len(v.nodes) == 41, what="every span, bad ones included")
    expected = {
        "a second span with the first one's id": SpanFlag.DUPLICATE,
        "cycle-a": SpanFlag.CYCLE,
        "orphan": SpanFlag.ORPHAN,
        "negative": SpanFlag.BAD_DURATION,
        "two days": SpanFlag.BAD_DURATION,
        "skewed": SpanFlag.CLOCK_SKEW,
    }
    for operation, flag in expected.items():
        (node,) = by_operation(live, operation)
        details = select_details(viewer, node)
        assert FLAG_REASONS[flag] in details["warnings"], (operation, details["warnings"])
    (future,) = by_operation(live, "far future")
    assert select_details(viewer, future)["operation"] == "far future"
    viewer.until(viewer.state("ok"), what="an ok status: bad spans are not a failure")
    live.polls_later()
    assert len(live.store) == 41  # re-fetched each poll, never added twice


def test_unknown_reference_types_are_kept_linked_and_named(live_jaeger):
    stub = JaegerStub(flavour="v1")
    spans = stub.load(TUTORIAL_V1)
    child = next(s for s in spans if s.raw.get("references"))
    child.raw["references"][0]["refType"] = "CAUSED_BY"
    stub.release(spans)
    live = live_jaeger(stub)
    viewer = live.viewer().until(lambda v: len(v.nodes) == 5)
    viewer.until(viewer.state("ok", "unknown reference types (CAUSED_BY)", "CHILD_OF"))
    (node,) = [int(u) for u, s in zip(live.store.uid, live.store.span_id) if format(int(s), "x") == child.span_id.lstrip("0")]
    details = select_details(viewer, node)
    ref = child.raw["references"][0]
    assert details["references"] == [{"type": "CAUSED_BY", "trace_id": ref["traceID"], "span_id": ref["spanID"]}]
    assert details["parent"] is not None and not np.any(live.store.flags & SpanFlag.ORPHAN)
