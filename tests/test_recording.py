"""Recording: a real `vrmon record` killed with SIGKILL keeps every span it received; a torn last
frame is skipped with a warning; a corrupted, cut or foreign file is one line; bounds and a full
disk stop recording with a status, never an exception."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from websockets.sync.client import connect

from tests.conftest import ROOT, RunningServer, free_port
from tests.generated_traces import named_batch
from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub
from tests.test_otlp_receiver import ENDPOINT_LINE, assert_received_as_made, run_app
from vrmon.app import create_app
from vrmon.cli import main
from vrmon.protocol import decode_server_frame, resync_frame
from vrmon.settings import ServeConfig
from vrmon.errors import ConfigError
from vrmon.model.details import span_details
from vrmon.model.span_store import SpanStore
from vrmon.recording.contents import read_contents
from vrmon.recording.format import decode_spans
from vrmon.recording.reader import RecordingError, read_recording
from vrmon.recording.writer import Recorder

HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"
HOTROD_16 = "otlp-hotrod-dispatch-trimmed-16spans-retries.json"


def recorded_span_ids(path: Path) -> list[int]:
    return [int(i) for f in read_recording(path).frames if f.kind == "spans" for i in decode_spans(f.payload).span_id]


def wait_for(done, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _ids(spans) -> set[int]:
    return {int(s.span_id, 16) for s in spans}


def test_a_recorder_killed_with_sigkill_keeps_every_span_it_received(tmp_path):
    stub = JaegerStub().start()
    first, second, third = stub.load(HOTROD_V3), stub.load(HOTROD_16), stub.load("jaeger-v1-opentracing-tutorial-3services-logs.json")
    path = tmp_path / "incident.vrrec"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VRMON_")}
    recorder = subprocess.Popen([sys.executable, "-m", "vrmon.cli", "record", "--jaeger", stub.url, "--record", str(path),
                                 "--poll", "0.05", "--no-host-metrics"], cwd=ROOT, env=env,
                                stderr=subprocess.PIPE, text=True)
    try:
        stub.release(first)
        wait_for(lambda: path.exists() and path.stat().st_size and set(recorded_span_ids(path)) >= _ids(first), "the first stage on disk")
        stub.release(second)
        wait_for(lambda: set(recorded_span_ids(path)) >= _ids(first) | _ids(second), "the second stage on disk")
        polls = len(stub.requests)
        wait_for(lambda: len(stub.requests) > polls + 6, "more polls that find nothing new")
        recorder.send_signal(signal.SIGKILL)
        recorder.wait(timeout=10)
        stub.release(third)  # released after the kill: never received
    finally:
        recorder.kill()
        stub.stop()
    ids = recorded_span_ids(path)
    assert sorted(ids) == sorted(_ids(first) | _ids(second)), "each received span is recorded exactly once"
    assert read_recording(path).header["sources"] == ["jaeger"]
    # a viewer of the replay, played to its end, holds exactly the spans received before the kill
    server = RunningServer(create_app(ServeConfig(replay=[path], speed=1000, tick=0.02, host_metrics=False)), free_port()).start()
    try:
        with connect(server.ws_url, max_size=None) as ws:
            frames = iter(lambda: decode_server_frame(ws.recv(timeout=20)), None)
            greeting = next(f for f in frames if f["type"] == "replay")
            assert greeting["clock"] == "shared"
            if not greeting["ended"]:  # at 1000× it may be over by the time this viewer joins
                next(f for f in frames if f["type"] == "replay" and f["ended"])
            ws.send(resync_frame())
            snapshot = next(f for f in frames if f["type"] == "snapshot")
    finally:
        server.stop()
    expected = {s.trace_id.rjust(32, "0") for s in first + second}
    assert {t["id"].rjust(32, "0") for t in snapshot["traces"]} == expected
    assert snapshot["scene"]["totals"]["spans"] == sum(t["spans"] for t in snapshot["traces"]) == len(ids)


def test_record_otlp_records_what_an_apps_sdk_exports_with_its_attributes_events_and_links(tmp_path):
    path = tmp_path / "exported.vrrec"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VRMON_")}
    recorder = subprocess.Popen([sys.executable, "-m", "vrmon.cli", "record", "--otlp", "0", "--record", str(path),
                                 "--no-host-metrics"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = next(m for line in recorder.stderr if (m := re.search(ENDPOINT_LINE, line))).group(1)
        made = run_app(endpoint)  # the real SDK and its OTLP/HTTP exporter, in an app of its own
        wait_for(lambda: len(recorded_span_ids(path)) >= len(made), "the exported spans on disk")
        recorder.send_signal(signal.SIGINT)  # Ctrl-C
        assert recorder.wait(timeout=20) == 0
    finally:
        recorder.kill()
    recording = read_recording(path)
    assert recording.header["sources"] == ["otlp"]
    contents = read_contents(recording)
    store = SpanStore()
    store.add(contents.batch(0, len(contents.arrival_us)))
    received = {details["span_id"]: details for details in (span_details(store, row) for row in range(len(store)))}
    assert len(received) == len(store) == len(made) == 8  # each span once
    assert_received_as_made(made, received)


def _small_recording(path: Path, batches: int = 3) -> None:
    recorder = Recorder(path, ["jaeger"])
    for i in range(batches):
        recorder.record_spans("jaeger", named_batch(20, spans_per_trace=10, seed=i))
    recorder.record_status("jaeger", "degraded", "Jaeger answered 503")
    os.close(recorder._fd)  # as a killed recorder leaves it: no end frame


def test_a_torn_last_frame_is_skipped_with_a_warning_and_the_rest_is_read(tmp_path):
    path = tmp_path / "torn.vrrec"
    _small_recording(path)
    whole = read_recording(path)
    assert [f.kind for f in whole.frames] == ["spans", "spans", "spans", "status"] and whole.torn_frames == 0
    for name, keep in (("in-prefix", 3), ("in-body", 9), ("last-byte", -1)):  # bytes of the last frame left
        path = tmp_path / f"{name}.vrrec"
        _small_recording(path)
        last = read_recording(path).frames[-1].offset
        data = path.read_bytes()
        path.write_bytes(data[: last + keep] if keep > 0 else data[:keep])
        torn = read_recording(path)
        assert torn.torn_frames == 1 and [f.kind for f in torn.frames] == ["spans"] * 3
        assert "cut short" in torn.warnings[0] and "3 frames before it are read" in torn.warnings[0]
    _small_recording(path := tmp_path / "zeros.vrrec")
    with path.open("ab") as f:  # a power cut can leave zeros where the last write was going
        f.write(b"\0" * 4096)
    assert read_recording(path).torn_frames == 1


@pytest.mark.parametrize("damage, message", [
    (lambda data, at: data[:at + 20] + bytes([data[at + 20] ^ 0xFF]) + data[at + 21:], "frame at byte {at} is damaged"),
    (lambda data, at: b'{"data": []}', "not a vrmon recording"),
    (lambda data, at: data[:5], "cut short (5 bytes) before its header"),
    (lambda data, at: b"", "cut short (0 bytes) before its header"),
])
def test_a_corrupted_cut_or_foreign_file_is_one_line(tmp_path, capsys, damage, message):
    path = tmp_path / "bad.vrrec"
    _small_recording(path)
    at = read_recording(path).frames[1].offset  # the second span frame: more follow it
    path.write_bytes(damage(path.read_bytes(), at))
    with pytest.raises(RecordingError, match=message.format(at=at).replace("(", r"\(").replace(")", r"\)")):
        read_recording(path)
    assert main(["inspect", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("vrmon: error: ") and str(path) in err


def test_recording_never_overwrites_a_file(tmp_path):
    path = tmp_path / "kept.vrrec"
    path.write_bytes(b"precious")
    with pytest.raises(ConfigError, match="already exists"):
        Recorder(path, ["jaeger"])
    assert path.read_bytes() == b"precious"


def test_max_size_stops_recording_with_a_status_and_the_file_stays_under_it(tmp_path):
    statuses: list[tuple[str, str]] = []
    path = tmp_path / "bounded.vrrec"
    recorder = Recorder(path, ["jaeger"], max_size=40_000, report=lambda *s: statuses.append(s))
    for seed in range(20):
        recorder.record_spans("jaeger", named_batch(40, spans_per_trace=10, seed=seed))
    assert recorder.stopped and "--record-max-size 0.04 MB" in statuses[-1][1] and statuses[-1][0] == "degraded"
    recorder.close()
    assert path.stat().st_size <= 40_000
    recording = read_recording(path)
    assert recording.frames[-1].kind == "end" and "max-size" in recording.frames[-1].payload["reason"]
    assert len(recorded_span_ids(path)) == recorder.spans > 0


def test_max_age_stops_recording_on_the_injected_clock(tmp_path):
    now = [100.0]
    path = tmp_path / "aged.vrrec"
    recorder = Recorder(path, ["jaeger"], max_age=60, clock=lambda: now[0])
    recorder.record_spans("jaeger", named_batch(10))
    now[0] += 59
    recorder.check_age()
    assert not recorder.stopped
    now[0] += 2
    recorder.check_age()
    assert recorder.stopped == "stopped at --record-max-age 60 s"
    recorder.record_spans("jaeger", named_batch(10, seed=1))
    recorder.close()
    assert len(recorded_span_ids(path)) == 10


def test_a_full_disk_stops_recording_with_a_status_and_the_file_stays_readable(tmp_path):
    room = [6000]  # bytes the "disk" has left

    def write(fd: int, data) -> int:
        if room[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = os.write(fd, bytes(data[: room[0]]))
        room[0] -= written
        return written

    statuses: list[tuple[str, str]] = []
    path = tmp_path / "full.vrrec"
    recorder = Recorder(path, ["jaeger"], report=lambda *s: statuses.append(s), write=write)
    for seed in range(10):
        recorder.record_spans("jaeger", named_batch(20, spans_per_trace=10, seed=seed))
    assert recorder.failed and statuses[-1][0] == "down" and "the disk is full" in statuses[-1][1]
    recorder.close()
    recording = read_recording(path)
    assert recording.torn_frames == 1  # the write the disk refused halfway
    assert len(recorded_span_ids(path)) == recorder.spans


def test_serving_with_record_records_each_span_once_and_shows_the_recording_status(live_jaeger, tmp_path):
    path = tmp_path / "served.vrrec"
    stub = JaegerStub(flavour="v2.0")  # no trace summaries: every poll fetches whole traces again
    stub.release(stub.load(HOTROD_V3))
    live = live_jaeger(stub, serve={"record": str(path)})
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40, what="the 40 HotROD spans")
    live.polls_later(3)
    assert sorted(recorded_span_ids(path)) == sorted(_ids(stub.visible()))
    assert live.healthz()["sources"]["recording"]["message"].startswith("recording to served.vrrec: 40 spans")
    assert viewer is not None


def test_a_recorded_batch_reads_back_as_the_spans_the_store_took_with_their_sparse_extras(tmp_path):
    from vrmon.recording.contents import read_contents

    batch = named_batch(12, spans_per_trace=6)
    batch.incomplete = {1, 4, 9}
    batch.peer_service = {2: "redis", 9: "mysql"}
    batch.callee = {3: "0.0.0.0:8083", 5: "redis", 11: "mysql"}
    batch.unknown_ref_types = {"SIBLING_OF"}
    keep = np.array([i not in (0, 4, 5) for i in range(12)])
    path = tmp_path / "extras.vrrec"
    recorder = Recorder(path, ["jaeger"])
    recorder.record_spans("jaeger", batch, keep)
    recorder.close()
    read = read_contents(read_recording(path)).batch(0, 9)
    assert vars(read) == vars(batch.take(np.flatnonzero(keep).tolist()))
