"""Replay of a recording: the clock is exact to the tick on an injected time, a seek gives the
scene that playing to the same point gives, and viewer requests are validated without sockets."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest

from tests.conftest import ROOT
from tests.recordings import write_recording
from vrmon.errors import ProtocolError
from vrmon.hub import SNAPSHOT, Hub
from vrmon.recording.reader import RecordingError, read_recording
from vrmon.protocol import ReplayRequest, decode_server_frame, parse_client_message, replay_request_frame
from vrmon.replay.clock import ReplayClock
from vrmon.replay import growing
from vrmon.replay.growing import PART_BYTES, GrowingRecording
from vrmon.replay.player import ReplayPlayer
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets


def test_speed_and_pause_are_exact_to_the_tick():
    clock = ReplayClock(duration_us=60_000_000, now=100.0, speed=4)
    assert clock.position(100.0) == 0
    assert clock.position(102.5) == 10_000_000  # 2.5 s at 4×
    clock.pause(103.0)
    assert clock.position(103.0) == clock.position(500.0) == 12_000_000
    clock.play(510.0)
    assert clock.position(510.25) == 13_000_000
    clock.set_speed(0.25, 511.0)  # 1 s at 4× then slow motion
    assert clock.position(511.0) == 16_000_000 and clock.position(515.0) == 17_000_000
    clock.seek(59_000_000, 520.0)
    assert clock.position(523.0) == 59_750_000 and not clock.ended(523.0)
    assert clock.position(540.0) == 60_000_000 and clock.ended(540.0)  # at the end it stays on the last scene
    clock.play(541.0)  # play at the end starts over
    assert clock.position(541.0) == 0 and clock.playing


def test_a_looping_clock_starts_over_and_speed_is_bounded():
    clock = ReplayClock(duration_us=10_000_000, now=0.0, speed=1000, loop=True)
    assert clock.position(0.012) == 2_000_000 and not clock.ended(0.012)
    with pytest.raises(ValueError):
        clock.set_speed(2000, 1.0)


def _scene_state(hub: Hub) -> dict[str, bytes]:
    """Every preset's snapshot of the hub's store, and the store's columns."""
    store = hub.store
    state = {name: SceneView(store, preset).snapshot() for name, preset in hub.presets.items()}
    state.update({f"column {name}": getattr(store, name).tobytes() for name in store._cols})
    state.update({f"trace {name}": col.tobytes() for name, col in store.trace_summaries().items()})
    state["details"] = msgpack.packb(store.details)
    state["services"] = msgpack.packb(store.services.names)
    return state


@pytest.mark.parametrize("part_bytes", [PART_BYTES, 4000])  # the file read in one part, or a frame or two a part
def test_a_seek_gives_the_scene_that_playing_to_the_same_point_gives(tmp_path, monkeypatch, part_bytes):
    monkeypatch.setattr(growing, "PART_BYTES", part_bytes)
    path = tmp_path / "incident.vrrec"
    times = write_recording(path)
    recording = GrowingRecording.read_whole(path)
    assert recording.parts == 1 if part_bytes == PART_BYTES else recording.parts >= 12
    presets = load_presets([ROOT / "scenes"])
    now = [0.0]
    played = Hub(recording.prefix(0), presets, "waterfall")
    player = ReplayPlayer(recording, played, ReplayClock(recording.duration_us, 0.0), lambda: now[0], name="x")
    player.step()
    sought = Hub(recording.prefix(0), presets, "waterfall")
    seeker = ReplayPlayer(recording, sought, ReplayClock(recording.duration_us, 0.0), lambda: now[0], name="x")
    for t in [times[0] - 1, times[0], times[3] + 2, times[6], times[-1]]:
        while now[0] < t:  # playing: one tick at a time, each adding what arrived since
            now[0] = min(t, now[0] + 0.7)
            player.step()
        seeker.control(ReplayRequest("seek", position_us=int(t * 1e6)))
        assert len(played.store) == len(sought.store) == recording.spans_until(int(t * 1e6))
        a, b = _scene_state(played), _scene_state(sought)
        assert a.keys() == b.keys() and [k for k in a if a[k] != b[k]] == []
        assert {k: (v.state, v.message) for k, v in played.sources.items()} == \
            {k: (v.state, v.message) for k, v in sought.sources.items()}
        assert played.last_metrics == sought.last_metrics and played.dependency_links == sought.dependency_links
    assert len(played.store) == len(recording.whole) == 600


def test_a_replay_shows_no_moment_past_what_is_read_and_follows_as_reading_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(growing, "PART_BYTES", 4000)
    path = tmp_path / "incident.vrrec"
    times = write_recording(path)
    recording = GrowingRecording.open(path)
    assert recording.duration_us == int(times[-1] * 1e6) and recording.loaded_us == -1  # known before any span is read
    hub = Hub(recording.prefix(0), load_presets([ROOT / "scenes"]), "waterfall")
    player = ReplayPlayer(recording, hub, ReplayClock(recording.duration_us, 0.0), lambda: times[-1], name="x")
    player.step()  # the clock is at the end; nothing is read
    assert len(hub.store) == 0 and not decode_server_frame(player.state_frame())["ended"]
    shown = []
    while recording.read_part():
        player.read_more()
        frame = decode_server_frame(player.state_frame())
        assert frame["position_us"] == frame["loaded_us"] == recording.loaded_us < recording.duration_us
        shown.append(len(hub.store))
        assert len(hub.store) == recording.spans_until(recording.loaded_us) == recording.spans
    player.read_more()
    assert shown == sorted(shown) and len(shown) == 11 and len(hub.store) == 600  # 12 parts, the last one after
    assert decode_server_frame(player.state_frame())["ended"]


def test_read_in_parts_a_torn_end_is_skipped_and_a_corrupted_frame_ends_the_replay_where_it_is(tmp_path, monkeypatch):
    monkeypatch.setattr(growing, "PART_BYTES", 4000)
    path = tmp_path / "incident.vrrec"
    times = write_recording(path)
    data = path.read_bytes()
    spans_frames = [f for f in read_recording(path).frames if f.kind == "spans"]
    torn = tmp_path / "torn.vrrec"
    torn.write_bytes(data[:-5])  # the end frame cut short
    recording = GrowingRecording.read_whole(torn)
    assert recording.spans == 600 and recording.torn_frames == 1 and "cut short" in recording.warnings[0]
    bad = tmp_path / "bad.vrrec"
    at = spans_frames[4].offset
    bad.write_bytes(data[:at + 20] + bytes([data[at + 20] ^ 0xFF]) + data[at + 21:])
    recording = GrowingRecording.open(bad)
    with pytest.raises(RecordingError, match=f"the frame at byte {at} is damaged"):
        while recording.read_part():
            pass
    recording.stop_at("damaged")
    assert recording.spans == 200 and recording.complete  # the four span frames before the damage
    assert recording.loaded_us == recording.duration_us == int(times[4] * 1e6) - 1


def test_a_seek_backwards_and_a_loop_restart_rebuild_the_earlier_scene(tmp_path):
    path = tmp_path / "incident.vrrec"
    times = write_recording(path, frames=4)
    recording = GrowingRecording.read_whole(path)
    hub = Hub(recording.prefix(0), load_presets([ROOT / "scenes"]), "waterfall")
    now = [0.0]
    player = ReplayPlayer(recording, hub, ReplayClock(recording.duration_us, 0.0, loop=True), lambda: now[0], name="x")
    now[0] = times[-1]
    player.step()
    assert len(hub.store) == 600
    now[0] = times[-1] + times[1]  # looped: one part less than two in
    player.step()
    assert recording.duration_us == int(times[-1] * 1e6)  # the end frame comes with the last part
    assert len(hub.store) == recording.spans_until(int(times[1] * 1e6)) == 300
    assert hub.sources["jaeger (recorded)"].state == "ok"
    player.control(ReplayRequest("seek", position_us=int(times[2] * 1e6)))  # the outage
    assert hub.sources["jaeger (recorded)"].state == "down"
    metrics = decode_server_frame(hub.last_metrics)
    assert metrics["recorded"] is True and metrics["load"][0] == 2


def test_replay_frames_and_requests_are_validated_without_sockets(tmp_path):
    assert parse_client_message(replay_request_frame("seek", position_us=12_500_000)) == ReplayRequest("seek", 12_500_000)
    assert parse_client_message(replay_request_frame("speed", speed=32)) == ReplayRequest("speed", speed=32.0)
    assert parse_client_message(replay_request_frame("pause")) == ReplayRequest("pause")
    for bad, message in [(replay_request_frame("rewind"), "'action' must be one of"),
                         (replay_request_frame("seek"), "'position_us' must be an integer"),
                         (replay_request_frame("seek", position_us=-1), "'position_us' must be an integer"),
                         (replay_request_frame("speed", speed=0.1), "from 0.25 to 1000"),
                         (replay_request_frame("speed", speed=True), "from 0.25 to 1000")]:
        with pytest.raises(ProtocolError, match=message):
            parse_client_message(bad)
    path = tmp_path / "incident.vrrec"
    write_recording(path, frames=3)
    recording = GrowingRecording.read_whole(path)
    hub = Hub(recording.prefix(0), load_presets([ROOT / "scenes"]), "waterfall")
    player = ReplayPlayer(recording, hub, ReplayClock(recording.duration_us, 0.0), lambda: 0.0, name="incident.vrrec")
    greeting = decode_server_frame(player.greeting())
    assert greeting["type"] == "replay" and greeting["duration_us"] == recording.duration_us
    assert {m["kind"] for m in greeting["marks"]} == {"error", "service", "outage"}
    assert np.all(np.diff([m["t_us"] for m in greeting["marks"]]) >= 0)


def test_a_trace_file_played_in_time_delivers_its_spans_at_their_scaled_start_times():
    from vrmon.replay.from_file import FRAME_US, SHORTEST_S, load_in_time
    from vrmon.sources.files import load_trace_file

    path = ROOT / "fixtures" / "otlp-hotrod-dispatch-40spans-serial.json"
    recording, scale = load_in_time([path])
    starts = sorted(load_trace_file(path).start_us)
    extent = starts[-1] - starts[0]
    assert recording.duration_us == round(extent * scale) == SHORTEST_S * 1e6  # a 0.7 s trace over 20 s
    assert recording.spans == 40 and recording.batch(0, 40).start_us == starts  # in the order they start
    hub = Hub(recording.prefix(0), load_presets([ROOT / "scenes"]), "waterfall")
    now = [0.0]
    player = ReplayPlayer(recording, hub, ReplayClock(recording.duration_us, 0.0), lambda: now[0], name=path.name,
                          time_scale=scale)
    for t in (0.0, 5.0, 10.0, 20.0):
        now[0] = t
        player.step()
        started = sum((s - starts[0]) * scale // FRAME_US * FRAME_US <= t * 1e6 for s in starts)
        assert len(hub.store) == started
    assert decode_server_frame(player.greeting())["time_scale"] == scale


def test_per_viewer_clocks_let_each_viewer_drive_its_own_replay(tmp_path):
    from websockets.sync.client import connect

    from tests.conftest import RunningServer, free_port
    from vrmon.app import create_app
    from vrmon.protocol import resync_frame
    from vrmon.settings import ServeConfig

    path = tmp_path / "incident.vrrec"
    write_recording(path)
    recording = GrowingRecording.read_whole(path)
    server = RunningServer(create_app(ServeConfig(replay=[path], replay_clock="per-viewer", tick=0.02, host_metrics=False)),
                           free_port()).start()

    def frames_of(ws):
        return iter(lambda: decode_server_frame(ws.recv(timeout=20)), None)

    def read_whole(frames) -> dict:
        """The first replay frame, once the server has read the whole recording (that frame says so)."""
        return next(f for f in frames if f["type"] == "replay" and f["loaded_us"] == f["duration_us"])

    def replay_after(frames, request: bytes, ws, answered) -> dict:
        """The replay frame that answers `request`: the first that `answered` (other replay frames,
        e.g. reading progress, may come before it)."""
        ws.send(request)
        return next(f for f in frames if f["type"] == "replay" and answered(f))

    try:
        with connect(server.ws_url, max_size=None) as a, connect(server.ws_url, max_size=None) as b:
            frames_a, frames_b = frames_of(a), frames_of(b)
            assert read_whole(frames_b)["clock"] == "per-viewer"
            paused_b = replay_after(frames_b, replay_request_frame("pause"), b, lambda f: not f["playing"])
            read_whole(frames_a)
            sought = replay_after(frames_a, replay_request_frame("seek", position_us=recording.duration_us), a,
                                  lambda f: f["position_us"] == recording.duration_us)
            assert sought["ended"] and sought["playing"]  # A's clock plays on; B's stays paused
            a.send(resync_frame())
            assert next(f for f in frames_a if f["type"] == "snapshot")["scene"]["totals"]["spans"] == 600
            b.send(resync_frame())  # B's clock stayed where B paused it
            expected = recording.spans_until(paused_b["position_us"])
            assert next(f for f in frames_b if f["type"] == "snapshot")["scene"]["totals"]["spans"] == expected < 600
    finally:
        server.stop()


def test_trace_files_switch_between_whole_and_in_time_for_every_viewer():
    from websockets.sync.client import connect

    from tests.conftest import RunningServer, free_port
    from vrmon.app import create_app
    from vrmon.settings import ServeConfig

    path = ROOT / "fixtures" / "otlp-hotrod-dispatch-40spans-serial.json"
    server = RunningServer(create_app(ServeConfig(replay=[path], tick=0.02, host_metrics=False)), free_port()).start()

    def frames_of(ws):
        return iter(lambda: decode_server_frame(ws.recv(timeout=20)), None)

    def scene_then_replay(frames) -> tuple[dict, dict]:
        """The snapshot a switch sends, then the replay frame that says what the viewer now has."""
        snapshot = next(f for f in frames if f["type"] == "snapshot")
        return snapshot, next(f for f in frames if f["type"] == "replay")

    try:
        with connect(server.ws_url, max_size=None) as a, connect(server.ws_url, max_size=None) as b:
            frames_a, frames_b = frames_of(a), frames_of(b)
            for frames in (frames_a, frames_b):  # shown whole: no clock, no replay frame
                assert next(f for f in frames if f["type"] != "status")["scene"]["totals"]["spans"] == 40
            a.send(replay_request_frame("seek", position_us=0))
            error = next(f for f in frames_a if f["type"] == "error")
            assert "shown whole: play it in time first" in error["message"]
            a.send(replay_request_frame("in_time"))  # A switches; B follows
            for frames in (frames_a, frames_b):
                snapshot, replay = scene_then_replay(frames)
                assert replay["files"] and replay["playing"] and replay["time_scale"] > 1 and replay["position_us"] < 5e6
                assert snapshot["scene"]["totals"]["spans"] < 40  # the first spans only
            b.send(replay_request_frame("whole"))  # B switches back; A follows
            for frames in (frames_a, frames_b):
                snapshot, replay = scene_then_replay(frames)
                assert replay == {"type": "replay", "whole": True, "files": True, "name": path.name}
                assert snapshot["scene"]["totals"]["spans"] == 40
    finally:
        server.stop()


def test_a_replay_says_it_ended_only_after_the_scene_that_ends_it_is_queued(tmp_path):
    """The SIGKILL test's race: a viewer joining a 1000× replay whose clock ran past the end before
    the player stepped there was told `ended` over a scene without the last spans (empty, when the
    first step was before the first span). `ended` speaks of the scene viewers have, not the clock."""
    path = tmp_path / "incident.vrrec"
    times = write_recording(path, frames=3)
    recording = GrowingRecording.read_whole(path)
    now = [0.0]
    hub = Hub(recording.prefix(0), load_presets([ROOT / "scenes"]), "waterfall")
    player = ReplayPlayer(recording, hub, ReplayClock(recording.duration_us, 0.0, speed=1000), lambda: now[0], name="x")
    player.step()  # at 0: before the first span
    now[0] = times[-1]  # the clock is far past the end; the player has not stepped since
    viewer = hub.connect()
    queued = [viewer.queue.get_nowait() for _ in range(viewer.queue.qsize())]
    greeting = decode_server_frame(next(f for f in queued if isinstance(f, bytes) and b"replay" in f))
    assert not greeting["ended"] and greeting["position_us"] == 0 and len(hub.store) == 0
    player.step()
    queued = [viewer.queue.get_nowait() for _ in range(viewer.queue.qsize())]
    scene_at = next(i for i, f in enumerate(queued) if isinstance(f, tuple) or f is SNAPSHOT)  # a delta, or a snapshot
    ended_at = next(i for i, f in enumerate(queued) if isinstance(f, bytes) and decode_server_frame(f).get("ended"))
    assert scene_at < ended_at and len(hub.store) == 600
