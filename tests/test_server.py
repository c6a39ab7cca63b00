"""A real vrmon server on loopback: HTTP, websocket frames, the CLI against it, hostile viewers."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading

import httpx
import msgpack
import numpy as np
import psutil
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bench.synthetic import synthetic_batch
from tests.conftest import FIXTURES, ROOT
from tests.fixture_counts import expected_counts
from vrmon.formats import read_document
from vrmon.hub import SNAPSHOT, Hub
from vrmon.model.span_store import SpanStore
from vrmon.protocol import decode_server_frame, resync_frame, scene_request_frame, select_frame
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets

HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"
HUNDRED = FIXTURES / "jaeger-v1-synthetic-load-generator-100traces.json"


def vrmon_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vrmon.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def recv(ws, timeout: float = 10, skip: tuple[str, ...] = ("status",)) -> dict:
    """The next frame, passing over source-status frames (sent on connect and on any change)."""
    while True:
        frame = decode_server_frame(ws.recv(timeout=timeout))
        if frame["type"] not in skip:
            return frame


@pytest.mark.parametrize("path", [HOTROD, HUNDRED, FIXTURES / "apiv3-gettrace-hotrod-40spans.json",
                                  FIXTURES / "otlp-telemetrygen-missing-parents.json"], ids=lambda p: p.name)
def test_tail_once_reports_the_fixture_counts(vrmon_server, path):
    url = vrmon_server([path])
    result = vrmon_cli("tail", url.replace("http", "ws") + "/ws", "--once", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    expected = expected_counts(path)
    assert summary["traces"] == expected["traces"]
    assert summary["spans"] == expected["spans"]
    assert summary["services"] == expected["services"]
    assert summary["nodes"] >= 1


def test_tail_prints_the_snapshot_source_status_and_host_load_as_lines(vrmon_server):
    url = vrmon_server([HOTROD])
    tail = subprocess.Popen([sys.executable, "-m", "vrmon.cli", "tail", url.replace("http", "ws") + "/ws"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    lines: list[str] = []
    watchdog = threading.Timer(30, tail.kill)  # a tail that never prints them ends the loop, and the test fails
    watchdog.start()
    try:
        for line in tail.stdout:  # read until the file's status and the first host-load line are in
            lines.append(line.rstrip("\n"))
            if any(seen.startswith("metrics ") for seen in lines) and any(seen.startswith("status ") for seen in lines):
                break
        assert tail.poll() is None  # without --once, tail runs until stopped
    finally:
        watchdog.cancel()
        tail.terminate()
        tail.wait(timeout=10)
    assert lines[0].startswith("snapshot seq=0 scene=waterfall traces=1 spans=40 nodes=40 services=customer,driver,")
    assert f"status file:{HOTROD.name}: ok: loaded {HOTROD.name}" in lines
    metrics = [line for line in lines if line.startswith("metrics ")]
    assert metrics and f"of {psutil.cpu_count()} cores" in metrics[0] and "MiB" in metrics[0]


def test_index_healthz_and_vendor_files_are_served(vrmon_server):
    url = vrmon_server([HOTROD])
    with httpx.Client(base_url=url) as http:
        assert "<a-scene" in http.get("/").text
        health = http.get("/healthz").json()
        assert health["status"] == "ok" and health["spans"] == 40 and health["traces"] == 1
        assert http.get("/vendor/aframe/aframe-master.module.min.js").status_code == 200
        assert http.get("/vendor/msgpack/index.mjs").status_code == 200
        assert http.get("/vendor/../package.json").status_code == 404


def test_every_import_map_target_and_the_headset_font_are_served(vrmon_server):
    url = vrmon_server([HOTROD])
    with httpx.Client(base_url=url) as http:
        page = http.get("/").text
        import_map = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page, re.S).group(1))
        assert "three" in import_map["imports"]
        for target in import_map["imports"].values():
            response = http.get(target)
            assert response.status_code == 200, target
            assert "javascript" in response.headers["content-type"], target
        font = http.get("/vendor/inter-font/inter-latin-400-normal.woff")
        assert font.status_code == 200 and font.content[:4] == b"wOFF"


def test_select_returns_the_span_details(vrmon_server):
    url = vrmon_server([HOTROD])
    with connect(url.replace("http", "ws") + "/ws") as ws:
        snap = recv(ws)
        nodes = snap["nodes"]
        error_node = int(nodes.ids[np.flatnonzero(nodes.flags & 1)[0]])
        ws.send(select_frame(error_node))
        details = recv(ws)
        assert details["type"] == "details"
        span = details["span"]
        assert span["id"] == error_node and span["error"] is True
        assert span["operation"] == snap["operations"][nodes.operation[nodes.ids == error_node][0]]
        assert any(log["fields"][0] == ["event", "redis timeout"] for log in span["logs"]) or span["logs"]


def test_select_on_a_synthetic_span_answers_with_empty_tags(vrmon_server):
    """Spans made without a source document (the benchmarks' synthetic ones) have details too."""
    store = SpanStore()
    store.add(synthetic_batch(50, spans_per_trace=50))
    url = vrmon_server([], store=store)
    with connect(url.replace("http", "ws") + "/ws") as ws:
        node = int(recv(ws)["nodes"].ids[3])
        ws.send(select_frame(node))
        span = recv(ws)["span"]
        assert span["id"] == node
        assert span["tags"] == span["logs"] == span["process"] == []


def test_hostile_frames_get_an_error_and_the_connection_goes_on(vrmon_server):
    url = vrmon_server([HOTROD])
    with connect(url.replace("http", "ws") + "/ws") as ws:
        recv(ws)
        for bad in (b"\xc1garbage", msgpack.packb({"type": "rm -rf"}), msgpack.packb({"type": "select", "id": 10**12}),
                    "a text frame", select_frame(999_999)):
            ws.send(bad)
            frame = recv(ws, skip=("status", "metrics"))  # host load arrives every second, whatever the test does
            assert frame["type"] == "error" and frame["message"]
        ws.send(resync_frame())
        assert recv(ws)["type"] == "snapshot"
    with httpx.Client(base_url=url) as http:
        assert http.get("/healthz").json()["status"] == "ok"


def test_oversized_frame_closes_only_that_viewer(vrmon_server):
    url = vrmon_server([HOTROD])
    ws_url = url.replace("http", "ws") + "/ws"
    with connect(ws_url) as other:
        recv(other)
        with connect(ws_url) as ws:
            recv(ws)
            # The server may close on the size cap while the 2 MiB are still being sent, so the
            # close can surface in the send itself as well as in a later recv.
            with pytest.raises(ConnectionClosed):
                ws.send(b"\x00" * (2 << 20))
                for _ in range(5):
                    recv(ws)
        other.send(resync_frame())
        assert recv(other)["type"] == "snapshot"


def test_switching_trace_sends_that_traces_snapshot(vrmon_server):
    url = vrmon_server([HUNDRED])
    with connect(url.replace("http", "ws") + "/ws") as ws:
        snap = recv(ws)
        other = next(t for t in snap["traces"] if t["id"] != snap["scene"]["trace"])
        ws.send(scene_request_frame(trace=other["id"]))
        switched = recv(ws)
        assert switched["type"] == "snapshot"
        assert switched["scene"]["trace"] == other["id"]
        assert len(switched["nodes"]) == other["spans"]
        ws.send(scene_request_frame(trace="ffff"))
        assert "not loaded" in recv(ws)["message"]


def test_cli_errors_are_one_line_without_traceback():
    result = vrmon_cli("serve", "--port", "0", "--replay", "does-not-exist.json")  # port 0: 8080 may be taken here
    assert result.returncode == 1
    assert result.stderr.strip() == "vrmon: error: does-not-exist.json: no such file; pass a Jaeger JSON or OTLP JSON trace file"
    result = vrmon_cli("tail", "ws://127.0.0.1:9/ws", "--once", "--timeout", "2")
    assert result.returncode == 1 and "is `vrmon serve` running there?" in result.stderr
    assert "Traceback" not in result.stderr


def test_inspect_prints_counts():
    result = vrmon_cli("inspect", str(HOTROD), "--json")
    report = json.loads(result.stdout)
    assert report["spans"] == 40 and report["errors"] == 3 and report["max_depth"] == 4


# -- scene deltas and the hub, without sockets ------------------------------------------------


def split_hotrod() -> tuple[SpanStore, dict, dict]:
    doc = json.loads(HOTROD.read_text())
    spans = [(rs, ss, s) for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    def part(keep):
        return {"resourceSpans": [{"resource": rs["resource"], "scopeSpans": [{"scope": ss.get("scope", {}), "spans": [s]}]}
                                  for i, (rs, ss, s) in enumerate(spans) if keep(i)]}
    return SpanStore(), part(lambda i: i % 2 == 0), part(lambda i: i % 2 == 1)


def test_delta_brings_a_viewer_to_the_same_scene_as_a_fresh_snapshot():
    store, first, second = split_hotrod()
    store.add(read_document(first))
    view = SceneView(store, load_presets([ROOT / "scenes"])["waterfall"])
    before = decode_server_frame(view.snapshot())
    assert view.refresh() is None  # nothing new: no frame at all
    store.add(read_document(second))
    delta = decode_server_frame(view.refresh())
    assert delta["seq"] == before["seq"] + 1
    state = {int(i): tuple(p) for i, p in zip(before["nodes"].ids, before["nodes"].pos)}
    for i in delta["removed"]:
        state.pop(int(i))
    for block in (delta["added"], delta["updated"]):
        state.update({int(i): tuple(p) for i, p in zip(block.ids, block.pos)})
    after = decode_server_frame(view.snapshot())
    assert state == {int(i): tuple(p) for i, p in zip(after["nodes"].ids, after["nodes"].pos)}
    assert len(state) == 40
    assert view.refresh() is None


def test_slow_viewer_is_resynced_and_never_blocks_the_others():
    async def scenario():
        store, first, second = split_hotrod()
        store.add(read_document(first))
        hub = Hub(store, load_presets([ROOT / "scenes"]), "waterfall", queue_size=2)
        slow, fast = hub.connect(), hub.connect()
        assert await fast.next_frame() is not None  # snapshot
        spans = read_document(second)
        for i in range(len(spans.span_id)):  # one span per tick: many deltas
            one = spans.take([i])
            store.add(one)
            assert hub.tick() == 1  # encoded once for both viewers
            assert await fast.next_frame() is not None
        assert slow.resyncs > 0
        assert slow.queue.qsize() <= 2
        frames = [await slow.next_frame() for _ in range(slow.queue.qsize())]
        decoded = [decode_server_frame(f) for f in frames if f is not None]
        assert decoded[0]["type"] == "snapshot" and len(decoded[0]["nodes"]) == 40
        assert all(d["seq"] > decoded[0]["seq"] for d in decoded[1:])
        assert SNAPSHOT not in list(slow.queue._queue)

    asyncio.run(scenario())
