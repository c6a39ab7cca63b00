"""Hostile viewers on a real server over loopback: too many of them, floods of requests, pings
never read, and thousands of malformed frames. The server stays up, the other viewers keep
getting their frames, and memory stays bounded."""

from __future__ import annotations

import asyncio
import os
import time

import httpx
import psutil
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bench.load import stalled_viewer
from bench.synthetic import synthetic_batch
from tests.conftest import FIXTURES, ROOT
from tests.viewer_fuzz import hostile_frames
from vrmon.errors import ProtocolError
from vrmon.formats import read_document
from vrmon.hub import MAX_PENDING_DETAILS, Hub
from vrmon.model.span_store import SpanStore
from vrmon.protocol import Select, decode_server_frame, resync_frame, scene_request_frame
from vrmon.scene_presets import load_presets

HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"
SCENES = ["waterfall", "wall", "services"]


def next_of(ws, kinds: tuple[str, ...], timeout: float = 10) -> dict:
    while True:
        frame = decode_server_frame(ws.recv(timeout=timeout))
        if frame["type"] in kinds:
            return frame


def rss() -> int:
    return psutil.Process(os.getpid()).memory_info().rss


def test_viewers_beyond_max_viewers_are_refused_with_a_reason(vrmon_server):
    url = vrmon_server([HOTROD], max_viewers=2)
    ws_url = url.replace("http", "ws") + "/ws"
    with connect(ws_url) as first, connect(ws_url) as second:
        next_of(first, ("snapshot",)), next_of(second, ("snapshot",))
        with connect(ws_url) as third:
            with pytest.raises(ConnectionClosed) as closed:
                third.recv(timeout=10)
            assert closed.value.rcvd.code == 1013
            assert "2 viewers (--max-viewers)" in closed.value.rcvd.reason
    with connect(ws_url) as later:  # a place came free
        assert next_of(later, ("snapshot",))["nodes"]


def test_a_scene_switch_flood_is_rate_limited_and_starves_no_one(vrmon_server):
    store = SpanStore()
    store.add(synthetic_batch(20_000, spans_per_trace=20_000))  # one big trace: every switch is a full layout
    url = vrmon_server([], store=store, host_metrics=False)
    ws_url = url.replace("http", "ws") + "/ws"
    with connect(ws_url, max_size=None) as calm, connect(ws_url, max_size=None) as flood, httpx.Client(base_url=url) as http:
        next_of(calm, ("snapshot",)), next_of(flood, ("snapshot",))
        for i in range(300):
            flood.send(scene_request_frame(scene=SCENES[i % 3]))
        started = time.monotonic()
        assert http.get("/healthz", timeout=30).json()["viewers"] == 2
        healthz_seconds = time.monotonic() - started
        refused = 0
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                frame = decode_server_frame(flood.recv(timeout=30))
                refused += frame["type"] == "error" and "too many scene and resync requests" in frame["message"]
        assert closed.value.rcvd.code == 1008 and refused >= 40
        calm.send(resync_frame())
        assert len(next_of(calm, ("snapshot",))["nodes"]) > 0  # the calm viewer was served throughout
    # generous: before the rate limit one flooding socket made /healthz take 15 s
    assert healthz_seconds < 5, healthz_seconds


def test_details_answers_waiting_for_one_viewer_are_capped():
    async def scenario() -> None:
        store = SpanStore()
        store.add(read_document(__import__("json").loads(HOTROD.read_text())))
        hub = Hub(store, load_presets([ROOT / "scenes"]), "waterfall")
        viewer = hub.connect()
        node = int(store.uid[0])
        for _ in range(MAX_PENDING_DETAILS):
            hub.handle(viewer, Select(node))
        with pytest.raises(ProtocolError, match="still waiting"):
            hub.handle(viewer, Select(node))
        while viewer.pending_details:  # the answers go out ...
            await viewer.next_frame()
        hub.handle(viewer, Select(node))  # ... and selecting works again
        assert viewer.pending_details == 1

    asyncio.run(scenario())


def test_a_peer_sending_pings_it_never_reads_does_not_grow_the_server(vrmon_server):
    url = vrmon_server([HOTROD], host_metrics=False)
    port = int(url.rsplit(":", 1)[1])
    peer = stalled_viewer(port)  # handshake done; from now on it never reads
    ping = b"\x89\xfd" + b"\0\0\0\0" + b"p" * 125  # a masked ping with the largest payload allowed
    before = rss()
    burst = ping * 1000
    for _ in range(200):  # 200 000 pings: 25 MB of pongs if each were answered
        peer.sendall(burst)
    # Then two malformed requests: each gets an error frame, and as the peer reads nothing the
    # second stays in its queue; once it is there, every ping before it has been handled.
    peer.sendall(b"\x82\x81\0\0\0\0\xc1" * 2)
    hub = vrmon_server.last.app.state.hub
    deadline = time.monotonic() + 60
    while not vrmon_server.last.call(lambda: any(v.queue.qsize() for v in hub.viewers)):
        assert time.monotonic() < deadline, "the server never got to the requests after the pings"
        time.sleep(0.05)
    grown = rss() - before
    peer.close()
    assert grown < 12 * 2**20, f"the server grew {grown / 2**20:.1f} MiB"


def test_thousands_of_hostile_frames_leave_the_server_up_and_the_others_served(vrmon_server):
    store = SpanStore()
    store.add(synthetic_batch(2_000, spans_per_trace=50))
    url = vrmon_server([], store=store, host_metrics=False, tick=0.02)
    server = vrmon_server.last
    ws_url = url.replace("http", "ws") + "/ws"
    with connect(ws_url, max_size=None) as watcher:
        snapshot = next_of(watcher, ("snapshot",))
        node_ids = [int(i) for i in snapshot["nodes"].ids]
        frames = hostile_frames(seed=9, scenes=SCENES, node_ids=node_ids)
        before = rss()
        sent = connections = closes = 0
        next_trace = 1_000
        while sent < 4_000:
            connections += 1
            with connect(ws_url, max_size=None) as fuzzer:
                try:
                    for frame in frames:
                        fuzzer.send(frame)
                        sent += 1
                        if sent % 500 == 0:  # the store grows meanwhile: the watcher must get the deltas
                            batch = synthetic_batch(50, spans_per_trace=50, seed=sent, first_trace=next_trace)
                            server.call(store.add, batch)
                            next_trace += 1
                        if sent >= 4_000:
                            break
                except ConnectionClosed:
                    closes += 1  # too many refused requests in a row, or a frame over the size cap
        added = {format(trace, "016x") for trace in range(1_000, next_trace)}
        announced: set[str] = set()
        while not added <= announced:  # every trace added during the fuzzing reached the watcher in a delta
            announced |= {t["id"] for t in next_of(watcher, ("delta",), timeout=30)["traces"]}
        with httpx.Client(base_url=url) as http:
            health = http.get("/healthz").json()
        assert health["status"] == "ok" and health["spans"] == 2_000 + 8 * 50
    grown = rss() - before
    assert connections > 1 and closes >= 1  # the fuzzer was thrown out, and came back
    assert grown < 64 * 2**20, f"the server grew {grown / 2**20:.1f} MiB over {sent} hostile frames"
