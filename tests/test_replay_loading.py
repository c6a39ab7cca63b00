"""`vrmon serve --replay` listens first and reads the files after: a real server on loopback."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from websockets.sync.client import connect

import vrmon.sources.files
from tests.conftest import FIXTURES, RunningServer, free_port
from vrmon.app import create_app
from vrmon.errors import SourceError
from vrmon.protocol import decode_server_frame
from vrmon.settings import ServeConfig

HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"


def serve_in_background(replay) -> RunningServer:
    app = create_app(ServeConfig(replay=replay, scene="waterfall", host_metrics=False, tick=0.05), replay_in_background=True)
    return RunningServer(app, free_port()).start()


def wait_for_sources(url: str, done, timeout: float = 20) -> dict:
    """/healthz once `done(sources)` holds (polled; the files are read in a worker thread)."""
    deadline = time.monotonic() + timeout
    while True:
        health = httpx.get(url + "/healthz").json()
        if done(health["sources"]) or time.monotonic() > deadline:
            return health
        time.sleep(0.05)


def test_a_missing_file_still_fails_before_anything_listens(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        create_app(ServeConfig(replay=[tmp_path / "nope.json"]), replay_in_background=True)


def test_a_viewer_connected_while_a_file_loads_sees_loading_then_a_snapshot_of_it(monkeypatch):
    gate = threading.Event()
    real_load = vrmon.sources.files.load_trace_file

    def held_load(path, progress=None):
        assert gate.wait(20)
        return real_load(path, progress)

    monkeypatch.setattr(vrmon.sources.files, "load_trace_file", held_load)
    server = serve_in_background([HOTROD])
    try:
        with connect(server.ws_url) as ws:
            status = decode_server_frame(ws.recv(timeout=10))
            assert status["type"] == "status" and status["source"] == f"file:{HOTROD.name}"
            assert status["state"] == "loading" and status["message"].startswith(f"reading {HOTROD.name} (")
            gate.set()
            # the first snapshot is the whole file, not an empty scene that fills later (the
            # reading's progress may come first, as statuses)
            snapshot = next_snapshot(ws)
            assert len(snapshot["nodes"]) == 40
            status = decode_server_frame(ws.recv(timeout=10))
            assert status["type"] == "status" and status["state"] == "ok"
    finally:
        gate.set()
        server.stop()


def next_snapshot(ws) -> dict:
    """The next snapshot, after any statuses of the file being read."""
    while True:
        frame = decode_server_frame(ws.recv(timeout=10))
        if frame["type"] == "snapshot":
            return frame
        assert frame["type"] == "status" and frame["state"] in ("loading", "ok"), frame


def test_a_viewer_waiting_for_a_file_sees_how_far_the_reading_got(monkeypatch):
    big = FIXTURES / "jaeger-v1-synthetic-load-generator-100traces.json"  # 420 spans in 100 traces: a status every 5 % of its bytes
    halfway: list[str] = []  # what the reading said when it passed half the file
    seen = threading.Event()
    real_load = vrmon.sources.files.load_trace_file

    def load_held_halfway(path, progress):
        def held(fraction, spans):
            if fraction >= 0.5 and not halfway:
                halfway.append(f"reading {big.name}: {fraction:.0%} ({spans:,} spans)…")
                progress(fraction, spans)
                assert seen.wait(120)  # the reading waits, halfway, until the viewer has seen it
            else:
                progress(fraction, spans)
        return real_load(path, held)

    monkeypatch.setattr(vrmon.sources.files, "load_trace_file", load_held_halfway)
    server = serve_in_background([big])
    try:
        with connect(server.ws_url) as ws:
            while True:
                # generous: on a loaded machine the reading thread's first import of the readers takes seconds
                status = decode_server_frame(ws.recv(timeout=60))
                assert status["type"] == "status" and status["state"] == "loading", status
                if "%" in status["message"]:
                    fraction, spans = re.fullmatch(rf"reading {re.escape(big.name)}: (\d+)% \((\d+) spans\)…", status["message"]).groups()
                    assert 0 < int(fraction) <= 100 and 0 < int(spans) < 420
                if status["message"] in halfway:
                    break
            seen.set()
            assert len(next_snapshot(ws)["nodes"]) > 0
        assert httpx.get(server.url + "/healthz").json()["spans"] == 420
    finally:
        seen.set()
        server.stop()


def test_a_bad_file_says_why_in_its_status_and_the_good_one_is_served(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"data": [')
    server = serve_in_background([bad, HOTROD])
    try:
        health = wait_for_sources(server.url, lambda s: all(v["state"] != "loading" for v in s.values()))
        assert health["sources"]["file:broken.json"]["state"] == "down"
        assert "broken.json: not valid JSON" in health["sources"]["file:broken.json"]["message"]
        assert health["sources"][f"file:{HOTROD.name}"]["state"] == "ok"
        assert health["spans"] == 40
    finally:
        server.stop()


def test_the_terminal_gets_a_line_per_quarter_when_it_is_not_a_terminal():
    import io

    from vrmon.replay.terminal_progress import TerminalProgress

    out = io.StringIO()  # not a tty: a log file, a service manager
    line = TerminalProgress(out)
    for k in range(1, 21):
        line.show(k / 20, f"reading big.json: {k * 5}% ({k * 1000:,} spans)…")
    line.end("read big.json: 20,000 spans")
    assert out.getvalue().splitlines() == [f"vrmon: reading big.json: {p}% ({p * 200:,} spans)…" for p in (25, 50, 75, 100)] + [
        "vrmon: read big.json: 20,000 spans"]
