"""The `findings` frame: protocol (sans-I/O), the feed that keeps it current, the hub, a real socket."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.trace_variants import OtlpTrace
from vrmon.analysis.findings import find_all
from vrmon.errors import ProtocolError
from vrmon.findings_feed import MAX_LISTED, FindingsFeed
from vrmon.hub import SNAPSHOT, Hub
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import SpanStore
from vrmon.protocol import (
    WatchFindings,
    decode_server_frame,
    encode_frame,
    findings_frame,
    findings_request_frame,
    parse_client_message,
)
from vrmon.scene_presets import load_presets
from vrmon.sources.files import load_trace_file

APIV3_HOTROD = FIXTURES / "apiv3-gettrace-hotrod-40spans.json"


def hotrod_store() -> SpanStore:
    return OtlpTrace.load().store()


def test_the_frame_and_the_request_round_trip():
    frame = decode_server_frame(findings_frame([{"kind": "orphan", "trace": "ab", "spans": ["01"], "nodes": [7], "reason": "r"}], 1))
    assert frame == {"type": "findings", "findings": [{"kind": "orphan", "trace": "ab", "spans": ["01"], "nodes": [7], "reason": "r"}], "total": 1}
    assert parse_client_message(findings_request_frame()) == WatchFindings(True)
    assert parse_client_message(findings_request_frame(watch=False)) == WatchFindings(False)


@pytest.mark.parametrize(("frame", "message"), [
    (encode_frame({"type": "findings", "findings": "no", "total": 1}), "needs a 'findings' list"),
    (encode_frame({"type": "findings", "findings": []}), "integer 'total'"),
])
def test_a_malformed_findings_frame_is_refused(frame, message):
    with pytest.raises(ProtocolError, match=message):
        decode_server_frame(frame)


def test_a_findings_request_with_a_bad_watch_flag_is_refused():
    with pytest.raises(ProtocolError, match="'watch' must be true or false"):
        parse_client_message(encode_frame({"type": "findings", "watch": "yes"}))


def test_the_feed_sends_the_findings_with_their_node_ids_and_only_new_ones_at_most_once_per_interval():
    store = hotrod_store()
    feed = FindingsFeed(store, interval=1.0)
    first = decode_server_frame(feed.latest(now=0.0))
    assert first["total"] == 3 and [f["kind"] for f in first["findings"]] == ["error-root-cause", "n-plus-one", "n-plus-one"]
    for finding in first["findings"]:
        rows = [store.row_of_uid(node) for node in finding["nodes"]]
        assert all(r >= 0 for r in rows)
        listed = finding.get("spans") or finding["chain"]
        assert [f"{int(store.span_id[r]):016x}" for r in rows][: len(listed)] == listed
    assert feed.poll(now=0.5) is None  # nothing new
    store.add(load_trace_file(APIV3_HOTROD))  # another trace: its own findings, and 26 GetDriver calls make slow spans
    assert feed.poll(now=0.6) is None  # changed, but too soon after the last frame
    later = decode_server_frame(feed.poll(now=1.1))
    assert later["findings"] == [f.to_json(store) | {"nodes": list(f.uids)} for f in find_all(store)]
    assert later["total"] == 8 and sum(f["kind"] == "slow-span" for f in later["findings"]) == 3
    assert feed.poll(now=2.5) is None


def test_long_span_lists_are_cut_and_say_how_many_more():
    batch = SpanBatch()
    n = MAX_LISTED + 50
    batch.trace_id, batch.span_id, batch.parent_id = [9] * n, list(range(1, n + 1)), [10_000] * n  # parent not in the trace
    batch.service, batch.operation = ["svc"] * n, ["op"] * n
    batch.start_us, batch.duration_us = list(range(n)), [1] * n
    batch.error, batch.kind, batch.follows_from = [False] * n, [2] * n, [False] * n
    batch.details = [b"\x81\xa6format\xa4none"] * n
    store = SpanStore()
    store.add(batch)
    [orphans] = decode_server_frame(FindingsFeed(store).latest(now=0.0))["findings"]
    assert orphans["kind"] == "orphan" and orphans["reason"] == f"{n} spans name a parent span that is not in the trace (drawn at depth 0)"
    assert (len(orphans["spans"]), orphans["spans_more"], len(orphans["nodes"]), orphans["nodes_more"]) == (MAX_LISTED, 50, MAX_LISTED, 50)


def test_the_hub_sends_findings_only_to_viewers_that_ask_and_again_after_their_snapshots():
    async def scenario():
        hub = Hub(hotrod_store(), load_presets([ROOT / "scenes"]), "waterfall")
        hub.findings.interval = 0.0  # every change goes out on the next tick
        watcher, other = hub.connect(), hub.connect()
        for viewer in (watcher, other):
            assert list(viewer.queue._queue) == [SNAPSHOT]
            await viewer.next_frame()
        hub.handle(watcher, WatchFindings(True))
        answer = decode_server_frame(await watcher.next_frame())
        assert answer["type"] == "findings" and answer["total"] == 3
        hub.tick()  # nothing changed
        assert watcher.queue.empty() and other.queue.empty()
        hub.store.add(load_trace_file(APIV3_HOTROD))
        hub.tick()
        frames = [decode_server_frame(await watcher.next_frame()) for _ in range(watcher.queue.qsize())]
        assert [f["total"] for f in frames if f["type"] == "findings"] == [8]  # after the scene's delta
        assert "findings" not in [decode_server_frame(await other.next_frame())["type"] for _ in range(other.queue.qsize())]
        hub.handle(watcher, parse_client_message(encode_frame({"type": "resync"})))
        assert decode_server_frame(await watcher.next_frame())["type"] == "snapshot"
        assert decode_server_frame(await watcher.next_frame())["total"] == 8
        hub.handle(watcher, WatchFindings(False))
        hub.store.add(load_trace_file(FIXTURES / "otlp-hotrod-dispatch-trimmed-16spans-retries.json"))
        hub.tick()
        assert "findings" not in [decode_server_frame(await watcher.next_frame())["type"] for _ in range(watcher.queue.qsize())]

    asyncio.run(scenario())


def test_a_viewer_over_a_real_socket_gets_the_findings_it_asks_for(vrmon_server):
    from websockets.sync.client import connect

    url = vrmon_server([FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"])
    with connect(url.replace("http", "ws") + "/ws") as ws:
        ws.send(findings_request_frame())
        while (frame := decode_server_frame(ws.recv(timeout=10)))["type"] != "findings":
            pass
    assert frame["total"] == 3
    assert {f["kind"] for f in frame["findings"]} == {"error-root-cause", "n-plus-one"}


def test_a_watcher_whose_queue_overflowed_gets_the_findings_again_after_its_snapshot():
    async def scenario():
        hub = Hub(SpanStore(), load_presets([ROOT / "scenes"]), "waterfall", queue_size=2)
        hub.findings.interval = 0.0
        watcher = hub.connect()
        hub.handle(watcher, WatchFindings(True))  # queue: snapshot, findings (of nothing yet)
        for path in (FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json", APIV3_HOTROD):
            hub.store.add(load_trace_file(path))
            hub.tick()  # a delta and a findings frame each time: more than the queue holds
        assert watcher.resyncs > 0
        hub.tick()
        frames = [await watcher.next_frame() for _ in range(watcher.queue.qsize())]
        decoded = [decode_server_frame(f) for f in frames if f is not None]
        assert [f["type"] for f in decoded][-2:] == ["snapshot", "findings"] and decoded[-1]["total"] == 8

    asyncio.run(scenario())
