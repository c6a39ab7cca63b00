"""Bounded memory: spans leave by age (--retain) and count (--max-spans), through delta removals."""

from __future__ import annotations

import time

import numpy as np

from tests.conftest import FIXTURES, ROOT
from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub
from vrmon.model.details import span_details
from vrmon.model.span_store import SpanFlag, SpanStore
from vrmon.protocol import decode_server_frame
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets
from vrmon.sources.files import load_trace_file

HUNDRED = FIXTURES / "jaeger-v1-synthetic-load-generator-100traces.json"
HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"


def loaded() -> SpanStore:
    store = SpanStore()
    store.add(load_trace_file(HUNDRED))
    store.add(load_trace_file(HOTROD))
    return store


def parent_uids(store: SpanStore) -> dict[int, int]:
    return {int(u): (int(store.uid[p]) if p >= 0 else -1) for u, p in zip(store.uid, store.parent)}


def test_eviction_by_age_drops_whole_traces_and_keeps_node_ids_and_links():
    store = loaded()
    before = {int(u): (int(t), int(s)) for u, t, s in zip(store.uid, store.trace, store.span_id)}
    parents = parent_uids(store)
    ends = store.trace_summaries()["end_us"]
    cut = int(np.median(ends))
    result = store.evict(older_than_us=cut)
    assert result.spans > 0 and len(result.traces) == int(np.sum(ends < cut))
    assert not np.any(store.trace_summaries()["end_us"][store.trace] < cut)
    assert {int(u): (int(t), int(s)) for u, t, s in zip(store.uid, store.trace, store.span_id)} == \
        {u: v for u, v in before.items() if u in set(store.uid.tolist())}
    assert parent_uids(store) == {u: parents[u] for u in store.uid.tolist()}  # whole traces: links unchanged
    assert all(store.row_of_uid(int(u)) == row for row, u in enumerate(store.uid))
    # the key index was rebuilt: re-adding a kept trace adds nothing, an evicted one comes back as new
    assert store.add(load_trace_file(HOTROD)).rows.size == 0
    again = store.add(load_trace_file(HUNDRED))
    assert again.rows.size == result.spans and again.skipped == len(store) - 40 - result.spans
    assert span_details(store, 0)["id"] == int(store.uid[0])


def test_eviction_by_count_keeps_the_most_recently_active_traces():
    store = loaded()
    summaries = store.trace_summaries()
    newest = int(np.argmax(summaries["end_us"]))
    store.evict(max_spans=100)
    assert len(store) <= 100
    kept = np.unique(store.trace)
    assert newest in kept
    assert summaries["end_us"][kept].min() >= np.sort(summaries["end_us"][: store.trace_count])[-len(kept)]


def test_a_trace_larger_than_the_cap_loses_its_earliest_spans_and_orphans_are_flagged():
    store = SpanStore()
    store.add(load_trace_file(HOTROD))
    latest = set(store.uid[np.argsort(store.start_us, kind="stable")[-10:]].tolist())
    store.evict(max_spans=10)
    assert set(store.uid.tolist()) == latest
    orphans = store.flags & SpanFlag.ORPHAN > 0
    assert np.all(store.parent[orphans] == -1) and orphans.any()
    assert np.all(store.depth[store.parent < 0] == 0)


def test_a_view_whose_trace_is_evicted_does_not_crash_and_removes_its_nodes():
    store = SpanStore()
    store.add(load_trace_file(HUNDRED))
    preset = load_presets([ROOT / "scenes"])["waterfall"]
    pinned = SceneView(store, preset, 0)  # a viewer chose this trace
    default = SceneView(store, preset)  # shows the newest trace of the moment
    aged = default.trace
    store.add(load_trace_file(HOTROD))  # a newer trace arrives; then everything older ages out
    for view in (pinned, default):
        view.refresh()
    shown = set(pinned.nodes.ids.tolist())
    hotrod = int(store.trace[-1])
    store.evict(older_than_us=int(store.trace_summaries()["start_us"][hotrod]))
    delta = decode_server_frame(pinned.refresh())
    assert set(delta["removed"].tolist()) == shown and len(delta["added"]) == 0
    assert len(decode_server_frame(pinned.snapshot())["nodes"]) == 0
    default.refresh()
    assert default.trace == hotrod != aged and len(default.nodes) == 40  # it moved on to a live trace
    listed = [t["id"] for t in decode_server_frame(default.snapshot())["traces"]]
    assert listed == [store.trace_id_hex(hotrod)]  # evicted traces leave the trace list
    assert store.trace_code(store.trace_id_hex(0)) is None
    store.evict(older_than_us=2**62)  # everything
    for view in (pinned, default):
        view.refresh()
        assert len(decode_server_frame(view.snapshot())["nodes"]) == 0


def test_live_spans_age_out_through_delta_removals(live_jaeger):
    stub = JaegerStub()
    stub.release(stub.load("apiv3-gettrace-hotrod-40spans.json"))
    # The trace must be fetched and shown before it is `retain` old: 3 s leaves room for a first
    # poll on a loaded machine (at 1 s it was evicted before any viewer saw it under load).
    live = live_jaeger(stub, lookback=2.9, late=0.2, serve={"retain": 3.0})
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40)
    shown = set(viewer.nodes)
    viewer.until(lambda v: not v.nodes, timeout=15, what="the trace to age out")
    assert viewer.removed == shown and len(live.store) == 0
    stub.release(stub.load("otlp-hotrod-dispatch-trimmed-16spans-retries.json"))
    viewer.until(lambda v: len(v.nodes) == 16, what="a new trace after the old one aged out")
    live.polls_later()
    assert not shown & set(viewer.nodes)  # the evicted trace was not fetched again


def test_live_span_cap_replaces_the_oldest_trace(live_jaeger):
    stub = JaegerStub()
    stub.release(stub.load("apiv3-gettrace-hotrod-40spans.json", end_us=int((time.time() - 5) * 1e6)))
    live = live_jaeger(stub, serve={"max_spans": 40})
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40)
    first = set(viewer.nodes)
    stub.release(stub.load("otlp-hotrod-dispatch-trimmed-16spans-retries.json"))
    viewer.until(lambda v: len(v.nodes) == 16 and first <= v.removed, what="the old trace replaced by the new one")
    assert len(live.store) == 16 and live.healthz()["spans"] == 16
