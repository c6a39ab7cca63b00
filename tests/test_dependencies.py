"""Jaeger's /api/dependencies reaches the services scene as typed links (source → sink → hub →
view → layout): an edge that only Jaeger reports is drawn, with Jaeger's count."""

from __future__ import annotations

from websockets.sync.client import connect

from tests.conftest import FIXTURES
from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub
from tests.recorded_backend import Fault
from vrmon.layout.services import service_graph
from vrmon.model.dependencies import DependencyLink
from vrmon.model.span_store import SpanStore
from vrmon.protocol import decode_server_frame, scene_request_frame
from vrmon.sources.files import load_trace_file

HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"
HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"
ONLY_JAEGER = ("mysql", "redis-manual")  # no HotROD span of mysql calls redis


def graph_pairs(store: SpanStore, links=()) -> dict[tuple[str, str], int]:
    graph = service_graph(store, links)
    names = store.services.names
    service_of = graph.services  # graph node → service code
    return {(names[service_of[s]], names[service_of[t]]): int(c) for s, t, c in zip(graph.source, graph.target, graph.calls)}


def test_reported_links_join_the_graph_and_win_where_both_know_a_pair():
    store = SpanStore()
    store.add(load_trace_file(HOTROD))
    from_spans = graph_pairs(store)
    assert ONLY_JAEGER not in from_spans and ("frontend", "customer") in from_spans
    links = [DependencyLink(*ONLY_JAEGER, 7), DependencyLink("frontend", "customer", 1234),
             DependencyLink("frontend", "no-such-service", 5), DependencyLink("mysql", "mysql", 9)]
    merged = graph_pairs(store, links)
    assert merged[ONLY_JAEGER] == 7
    assert merged[("frontend", "customer")] == 1234
    assert set(merged) == set(from_spans) | {ONLY_JAEGER}  # unknown services and self-calls are not drawn


def test_an_edge_only_jaeger_reports_reaches_a_services_viewer(live_jaeger):
    stub = JaegerStub(dependencies=[{"parent": ONLY_JAEGER[0], "child": ONLY_JAEGER[1], "callCount": 7}])
    stub.release(stub.load(HOTROD_V3))
    live = live_jaeger(stub)
    hub = live.server.app.state.hub
    live.wait(lambda: len(live.store) == 40 and hub.dependency_links, what="the trace and Jaeger's links")
    assert hub.dependency_links == (DependencyLink(*ONLY_JAEGER, 7),)
    with connect(live.server.ws_url, max_size=None) as ws:
        ws.send(scene_request_frame(scene="services"))
        while (frame := decode_server_frame(ws.recv(timeout=15)))["type"] != "snapshot" or frame["scene"]["name"] != "services":
            pass
    names, nodes, edges = frame["services"], frame["nodes"], frame["edges"]
    service_of = dict(zip(nodes.ids.tolist(), nodes.service.tolist()))
    pairs = {(names[service_of[s]], names[service_of[t]]) for s, t in zip(edges.source.tolist(), edges.target.tolist())}
    assert ONLY_JAEGER in pairs
    assert ("frontend", "customer") in pairs  # the traces' own calls stay


def test_a_failed_dependencies_read_is_retried_on_the_next_poll_not_a_minute_later(live_jaeger):
    stub = JaegerStub(dependencies=[{"parent": ONLY_JAEGER[0], "child": ONLY_JAEGER[1], "callCount": 7}])
    stub.release(stub.load(HOTROD_V3))
    stub.fault, stub.fault_paths = Fault("status", 503, b"dependencies store busy"), ("/api/dependencies",)
    live = live_jaeger(stub)
    viewer = live.viewer().until(lambda v: v.status is not None and "dependencies could not be read" in v.status["message"],
                                 what="a status saying the dependencies could not be read")
    assert viewer.status["state"] == "degraded" and len(viewer.nodes) == 40  # the spans are shown all the same
    stub.fault = None
    viewer.until(lambda v: v.status["state"] == "ok", timeout=30, what="recovery within a few polls (the next read is not 60 s away)")
    assert live.server.app.state.hub.dependency_links == (DependencyLink(*ONLY_JAEGER, 7),)
