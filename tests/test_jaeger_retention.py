"""Bounded memory: spans leave by age (--retain) and count (--max-spans), through delta removals.

Age is the time since vrmon last received a span of the trace, not the spans' own times: a file
of last week's spans, or an export of old spans, is as new as when it arrived. Traces loaded from
files never leave.
"""

from __future__ import annotations

import json
import time

import httpx
import numpy as np

from tests.conftest import FIXTURES, ROOT, RunningServer, free_port
from tests.jaeger_harness import FAST, Live, live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub
from vrmon.app import create_app
from vrmon.model.details import span_details
from vrmon.model.span_store import SpanFlag, SpanStore
from vrmon.protocol import decode_server_frame
from vrmon.scene import SceneView
from vrmon.otlp_receiver import OtlpReceiver
from vrmon.scene_presets import load_presets
from vrmon.settings import ServeConfig, jaeger_config
from vrmon.sources.files import load_trace_file
from vrmon.sources.jaeger import JaegerSource

HUNDRED = FIXTURES / "jaeger-v1-synthetic-load-generator-100traces.json"
HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"


ARRIVED_US = 1_800_000_000_000_000  # when the tests' spans "arrive" (2027), after all of their own times


def loaded() -> SpanStore:
    """The 100 traces, one add each, arriving in the reverse order of their end times (the latest
    ending arrives first), then the HotROD trace, last."""
    store = SpanStore()
    batch = load_trace_file(HUNDRED)
    ends: dict[int, int] = {}
    for i, (trace, start, duration) in enumerate(zip(batch.trace_id, batch.start_us, batch.duration_us)):
        ends[trace] = max(ends.get(trace, start), start + duration)
    for rank, trace in enumerate(sorted(ends, key=ends.__getitem__, reverse=True)):
        store.add(batch.take([i for i, t in enumerate(batch.trace_id) if t == trace]), arrived_us=ARRIVED_US + rank)
    store.add(load_trace_file(HOTROD), arrived_us=ARRIVED_US + len(ends))
    return store


def parent_uids(store: SpanStore) -> dict[int, int]:
    return {int(u): (int(store.uid[p]) if p >= 0 else -1) for u, p in zip(store.uid, store.parent)}


def test_eviction_by_age_drops_whole_traces_by_arrival_and_keeps_node_ids_and_links():
    store = loaded()
    before = {int(u): (int(t), int(s)) for u, t, s in zip(store.uid, store.trace, store.span_id)}
    parents = parent_uids(store)
    ends = store.trace_summaries()["end_us"].copy()
    assert store.evict(older_than_us=int(ends.max()) + 1).spans == 0  # every span ended long ago; all arrived later
    cut = ARRIVED_US + 50  # the 50 first to arrive leave: the 50 that end latest
    result = store.evict(older_than_us=cut)
    assert result.spans > 0 and len(result.traces) == 50
    hundred = ends[:100]  # the HotROD trace, code 100, ended after all of them and arrived last
    assert hundred[result.traces].min() > np.delete(hundred, result.traces).max()
    assert not np.any(store.trace_summaries()["arrived_us"][store.trace] < cut)
    assert {int(u): (int(t), int(s)) for u, t, s in zip(store.uid, store.trace, store.span_id)} == \
        {u: v for u, v in before.items() if u in set(store.uid.tolist())}
    assert parent_uids(store) == {u: parents[u] for u in store.uid.tolist()}  # whole traces: links unchanged
    assert all(store.row_of_uid(int(u)) == row for row, u in enumerate(store.uid))
    # the key index was rebuilt: re-adding a kept trace adds nothing, an evicted one comes back as new
    assert store.add(load_trace_file(HOTROD)).rows.size == 0
    again = store.add(load_trace_file(HUNDRED))
    assert again.rows.size == result.spans and again.skipped == len(store) - 40 - result.spans
    assert span_details(store, 0)["id"] == int(store.uid[0])


def test_eviction_by_count_keeps_the_most_recently_arrived_traces():
    store = loaded()
    arrived = store.trace_summaries()["arrived_us"].copy()
    store.evict(max_spans=100)
    assert 40 < len(store) <= 100
    kept = np.unique(store.trace)
    assert int(np.argmax(arrived)) in kept  # the HotROD trace, which ended before most of the others
    assert arrived[kept].min() >= np.sort(arrived)[-len(kept)]


def test_traces_loaded_from_files_never_leave_nor_count_against_the_cap():
    store = SpanStore()
    store.add(load_trace_file(HUNDRED), pinned=True, arrived_us=ARRIVED_US)
    files = len(store)
    live = load_trace_file(HOTROD)
    store.add(live.take(range(20)), arrived_us=ARRIVED_US + 10)
    assert store.evictable_spans() == 20
    assert store.evict(older_than_us=ARRIVED_US + 5, max_spans=20).spans == 0  # the files' traces are older: they stay
    store.add(live.take(range(20, 40)), arrived_us=ARRIVED_US + 20)  # the live trace grows past the cap
    assert store.evict(max_spans=30).spans == 10 and len(store) == files + 30  # its earliest spans go, no file's
    assert store.evict(older_than_us=ARRIVED_US + 21).spans == 30 and len(store) == files


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
    store.add(load_trace_file(HUNDRED), arrived_us=ARRIVED_US)
    preset = load_presets([ROOT / "scenes"])["waterfall"]
    pinned = SceneView(store, preset, 0)  # a viewer chose this trace
    default = SceneView(store, preset)  # shows the newest trace of the moment
    aged = default.trace
    store.add(load_trace_file(HOTROD), arrived_us=ARRIVED_US + 1)  # a newer trace arrives; then everything older ages out
    for view in (pinned, default):
        view.refresh()
    shown = set(pinned.nodes.ids.tolist())
    hotrod = int(store.trace[-1])
    store.evict(older_than_us=ARRIVED_US + 1)
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


OLD_OTLP_EXPORT = {"resourceSpans": [{  # two spans that ran in November 2023
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "cart"}}]},
    "scopeSpans": [{"spans": [
        {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "add item",
         "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000250000000"},
        {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175", "parentSpanId": "eee19b7ec3c1b174",
         "name": "save", "startTimeUnixNano": "1700000000100000000", "endTimeUnixNano": "1700000000200000000"},
    ]}],
}]}


def test_a_replayed_file_stays_and_old_exported_spans_live_their_retain_beside_live_traces():
    """`vrmon serve --replay FILE --jaeger URL --otlp 0 --retain 3s`, as the CLI builds it: the
    file's 2021 traces outlive every retention tick, and an export of 2023 spans stays until it has
    been idle for --retain, not a tick."""
    file_trace_ids = {t["traceID"] for t in json.loads(HUNDRED.read_text())}  # read apart from vrmon's readers
    stub = JaegerStub()
    stub.release(stub.load("apiv3-gettrace-hotrod-40spans.json"))
    stub.start()
    jaeger = jaeger_config(jaeger=stub.url, **{**FAST, "lookback": 2.9, "late": 0.2})
    config = ServeConfig(tick=0.02, host_metrics=False, jaeger=jaeger, retain=3.0, replay=[HUNDRED],
                         otlp=("127.0.0.1", 0))
    store = SpanStore()
    otlp = OtlpReceiver.from_config(config, store)
    app = create_app(config, store, sources=[JaegerSource(jaeger), otlp], replay_in_background=True)
    live = Live(stub, RunningServer(app, free_port()).start(), app.state.sources[0])
    try:
        live.wait(lambda: len(store) == 420 + 40, what="the file and the live trace")
        assert httpx.post(otlp.endpoint + "/v1/traces", json=OLD_OTLP_EXPORT, timeout=10).status_code == 200
        live.polls_later(3)  # retention ticks every 20 ms meanwhile
        assert live.server.call(lambda: store.trace_code("5b8efff798038103d269b633813fc60c")) is not None
        live.wait(lambda: len(store) == 420, timeout=15, what="the live trace and the export to be idle for --retain")
        fresh = live.viewer()
        assert {t["id"] for t in next(f for f in fresh.frames if f["type"] == "snapshot")["traces"]} == file_trace_ids
    finally:
        live.close()
