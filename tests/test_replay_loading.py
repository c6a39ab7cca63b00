"""`vrmon serve --replay` listens first and reads the files after: a real server on loopback."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from websockets.sync.client import connect

import vrmon.replay.whole_files
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
    real_load = vrmon.replay.whole_files.load_trace_file

    def held_load(path):
        assert gate.wait(20)
        return real_load(path)

    monkeypatch.setattr(vrmon.replay.whole_files, "load_trace_file", held_load)
    server = serve_in_background([HOTROD])
    try:
        with connect(server.ws_url) as ws:
            status = decode_server_frame(ws.recv(timeout=10))
            assert status["type"] == "status" and status["source"] == f"file:{HOTROD.name}"
            assert status["state"] == "loading" and status["message"].startswith(f"reading {HOTROD.name} (")
            gate.set()
            # the first snapshot is the whole file, not an empty scene that fills later
            snapshot = decode_server_frame(ws.recv(timeout=10))
            assert snapshot["type"] == "snapshot" and len(snapshot["nodes"]) == 40
            status = decode_server_frame(ws.recv(timeout=10))
            assert status["type"] == "status" and status["state"] == "ok"
    finally:
        gate.set()
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
