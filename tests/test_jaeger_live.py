"""vrmon watching a live Jaeger (the stub, over real HTTP): detection, incremental polls, merging."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from tests.conftest import FIXTURES
from tests.fixture_counts import expected_counts
from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub
from vrmon.settings import jaeger_config
from vrmon.sources.jaeger import make_client
from vrmon.sources.jaeger_query import JaegerQuery, detect

HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"
HOTROD_16 = "otlp-hotrod-dispatch-trimmed-16spans-retries.json"
V1_FILES = ("jaeger-v1-opentracing-tutorial-3services-logs.json", "jaeger-v1-follows-from-issue115.json",
            "jaeger-v1-api-traces-response-jaeger-query-self-trace.json",
            "jaeger-v1-telemetrygen-missing-parents-converted.json")


def hotrod_stub(flavour: str, end_us: int | None = None) -> JaegerStub:
    stub = JaegerStub(flavour=flavour)
    stub.release(stub.load(HOTROD_V3, end_us))
    return stub


@pytest.mark.parametrize("flavour, described, search_param", [
    ("v2.19", "api_v3 with trace-summaries", "query.startTimeMin="),
    ("v2.0", "api_v3,", "query.start_time_min="),
    ("v1", "the v1 API", "start="),
])
def test_each_jaeger_flavour_is_detected_and_its_traces_arrive(live_jaeger, flavour, described, search_param):
    live = live_jaeger(hotrod_stub(flavour))
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40, what="the 40 HotROD spans")
    viewer.until(viewer.state("ok", described))
    assert any(search_param in r for r in live.stub.requests)
    health = live.healthz()
    assert health["status"] == "ok" and health["spans"] == 40 and health["sources"]["jaeger"]["state"] == "ok"


def test_trace_summaries_fetch_a_trace_again_only_when_it_grew(live_jaeger):
    stub = JaegerStub()
    spans = stub.load(HOTROD_V3)
    stub.release(spans[:30])
    live = live_jaeger(stub)
    live.viewer().until(lambda v: len(v.nodes) == 30)
    live.wait(lambda: sum("/api/v3/trace-summaries" in r for r in stub.requests) > 10, what="ten polls")
    fetches = [r for r in stub.requests if r.startswith("GET /api/v3/traces/")]
    assert len(fetches) == 1  # ten polls, one full fetch: nothing changed after it
    stub.release(spans[30:])
    live.wait(lambda: len(live.store) == 40)
    assert len([r for r in stub.requests if r.startswith("GET /api/v3/traces/")]) == 2
    assert not [r for r in stub.requests if r.startswith("GET /api/v3/traces?")]  # summaries mode never searches


def test_v1_fixture_files_arrive_with_their_counts(live_jaeger):
    stub = JaegerStub(flavour="v1")
    for name in V1_FILES:
        stub.release(stub.load(name))
    live = live_jaeger(stub)
    expected = [expected_counts(FIXTURES / name) for name in V1_FILES]
    live.wait(lambda: len(live.store) == sum(e["spans"] for e in expected), what="every v1 span")
    store = live.store
    assert store.trace_count == sum(e["traces"] for e in expected)
    assert sorted(store.services.names) == sorted({s for e in expected for s in e["services"]})
    assert int(np.count_nonzero(store.flags & 2)) == sum(e["orphans"] for e in expected)


def span_model(store) -> list[tuple]:
    """Everything the span model holds about each span, independent of row order and interning."""
    return sorted(
        (store.trace_id_hex(int(t)), int(s), int(p), store.services.names[sv], store.operations.names[op],
         int(st), int(d), int(f), int(k), int(dp))
        for t, s, p, sv, op, st, d, f, k, dp in zip(store.trace, store.span_id, store.parent_id, store.service,
                                                    store.operation, store.start_us, store.duration_us, store.flags,
                                                    store.kind, store.depth)
    )


def test_the_same_trace_through_v1_and_v3_gives_the_same_span_model(live_jaeger):
    end_us = int(time.time() * 1e6)
    models = {}
    for flavour in ("v2.19", "v2.0", "v1"):
        live = live_jaeger(hotrod_stub(flavour, end_us))
        live.wait(lambda: len(live.store) == 40)
        models[flavour] = span_model(live.store)
    assert models["v2.19"] == models["v2.0"] == models["v1"]
    assert len({row[1] for row in models["v1"]}) == 40


@pytest.mark.parametrize("flavour", ["v2.19", "v1"])
def test_a_trace_released_in_three_parts_reaches_a_viewer_as_one_snapshot_then_deltas(live_jaeger, flavour):
    stub = JaegerStub(flavour=flavour)
    spans = sorted(stub.load(HOTROD_V3), key=lambda s: s.end_us)  # children end first, the root last
    live = live_jaeger(stub)
    viewer = live.viewer()
    for part in (spans[:13], spans[13:27], spans[27:]):
        stub.release(part)
        viewer.until(lambda v, n=len(stub.visible()): len(v.nodes) == n, what=f"{len(stub.visible())} nodes")
    assert viewer.kinds.count("snapshot") == 1 and viewer.kinds[0] == "snapshot"
    assert viewer.kinds.count("delta") >= 3 and not viewer.removed
    fresh = live.viewer()  # a viewer arriving now sees exactly what the deltas built
    assert fresh.nodes == viewer.nodes
    assert sorted(fresh.nodes) == sorted(live.store.uid.tolist())
    assert len(live.store) == 40 and not np.any(live.store.flags & 8)  # re-fetched spans were not duplicated


def test_a_quiet_poll_sends_no_frame(live_jaeger):
    live = live_jaeger(hotrod_stub("v2.0"))
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40 and v.status is not None)
    polls = len(live.stub.requests)
    live.polls_later(3)  # three whole polls, each re-fetching the trace (counted, not timed: a busy machine polls slower)
    assert len(live.stub.requests) - polls >= 3
    # A frame from any of those polls' ticks would be waiting in the socket by now.
    assert viewer.collect(0.1) == []


def test_spans_that_show_up_late_within_the_overlap_are_caught(live_jaeger):
    stub = hotrod_stub("v2.0")
    live = live_jaeger(stub)  # default --late 60s
    live.wait(lambda: len(live.store) == 40)
    live.polls_later()  # several polls later, spans that started 50 s ago become queryable
    stub.release(stub.load(HOTROD_16, end_us=int((time.time() - 50) * 1e6)))
    live.wait(lambda: len(live.store) == 56, what="the late trace")


def test_new_services_appear_and_service_filters_apply(live_jaeger):
    stub = JaegerStub(flavour="v1")
    stub.release(stub.load("jaeger-v1-opentracing-tutorial-3services-logs.json"))
    everything = live_jaeger(stub)
    only_formatter = live_jaeger(stub, url=stub.url, service=("formatter",))
    everything.wait(lambda: len(everything.store) == 5)
    stub.release(stub.load(HOTROD_V3))  # six services nobody asked about yet
    everything.wait(lambda: len(everything.store) == 45, what="the new services' trace")
    assert "frontend" in everything.store.services.names
    only_formatter.polls_later()
    assert len(only_formatter.store) == 5  # the formatter's whole trace, and nothing of HotROD


def test_dependencies_and_operations_are_read(live_jaeger):
    live = live_jaeger(hotrod_stub("v2.19"))
    live.wait(lambda: len(live.source.dependencies) == 4271, what="the dependency links")
    link = live.server.app.state.sources[0].dependencies[0]
    assert (link.parent, link.child, link.call_count) == ("Service574", "Service1529", 54)

    async def operations() -> list[str]:
        async with make_client(jaeger_config(jaeger=live.stub.url)) as client:
            return await JaegerQuery(client, await detect(client, "auto")).operations("redis-manual")

    assert sorted(asyncio.run(operations())) == sorted({s.operation for s in live.stub.visible() if s.service == "redis-manual"})


def test_hitting_the_limit_is_reported(live_jaeger):
    stub = JaegerStub(flavour="v1")
    stub.release(stub.load("jaeger-v1-synthetic-load-generator-100traces.json"))
    live = live_jaeger(stub, limit=5)
    viewer = live.viewer().until(lambda v: v.status is not None and "--limit 5" in v.status["message"])
    assert viewer.status["state"] == "ok"
