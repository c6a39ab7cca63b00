"""The replay timeline in real Chromium, against a real server playing a recording: it shows the
recording's marks, plays and pauses, changes speed, seeks by dragging (the scene follows), jumps
to the next error, sits at the bottom out of the top bar's way, and the host gauge says the load
it shows is recorded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.recordings import write_recording
from vrmon.replay.growing import GrowingRecording

STATE = "document.querySelector('a-scene').systems['vrmon-replay']"


@pytest.fixture
def recording(tmp_path) -> Path:
    path = tmp_path / "incident.vrrec"
    write_recording(path, frames=12, seconds_apart=5.0)
    return path


def server_position(server) -> int:
    return server.call(lambda: server.app.state.hub.replay.clock.position(server.app.state.hub.replay.now()))


def server_shows(server) -> tuple[int, int]:
    """(position, spans in the store), read together on the server's loop."""
    def read() -> tuple[int, int]:
        hub = server.app.state.hub
        return hub.replay.clock.position(hub.replay.now()), len(hub.store)
    return server.call(read)


def until(predicate, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return value


def test_the_timeline_plays_pauses_speeds_seeks_and_jumps_to_errors(vrmon_server, open_app, recording):
    contents = GrowingRecording.read_whole(recording)
    url = vrmon_server([recording], tick=0.05)
    server = vrmon_server.last
    page = open_app(url)
    page.wait_for_function(f"{STATE}.active && !document.querySelector('#timeline').hidden")
    # the server reads the recording as it plays: once it is read whole, the read bar fills the track
    page.wait_for_function(f"{STATE}.loadedUs === {STATE}.durationUs && document.querySelector('#timeline .read').style.width === '100%'")
    marks = server.call(lambda: server.app.state.hub.replay.recording.marks)
    assert page.locator("#timeline .mark").count() == len(marks) > 0
    assert page.locator("#timeline .mark.outage").count() == 1

    # pause: the button turns to Play once the server says so, and the server's clock stops
    page.click("#timeline .play")
    page.wait_for_function(f"!{STATE}.playing && document.querySelector('#timeline .play').getAttribute('aria-label') === 'Play'")
    paused_at = server_position(server)
    assert server_position(server) == paused_at

    # speed
    page.select_option("#timeline .speed", "32")
    page.wait_for_function(f"{STATE}.speed === 32")
    assert server.call(lambda: server.app.state.hub.replay.clock.speed) == 32

    # drag from the start to about 60 % of the track: the server seeks and the scene follows
    box = page.locator("#timeline .track").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    page.mouse.up()
    sought = page.evaluate(f"{STATE}.soughtUs")  # where the pointer let go: the last seek sent
    assert abs(sought - 0.6 * contents.duration_us) < 0.02 * contents.duration_us
    position, spans = until(lambda: (state := server_shows(server))[0] == sought and state, "the server at the last seek")
    assert spans == contents.spans_until(position)
    page.wait_for_function(f"window.vrmon.system.scene.totals.spans === {spans} && {STATE}.position() === {sought}")
    clock = page.locator("#timeline .clock").inner_text()
    assert clock.startswith("recorded ") and "/ 1:00" in clock

    # next error: the first error mark after the position
    next_error = next(m["t_us"] for m in marks if m["kind"] == "error" and m["t_us"] > position + 1000)
    page.click("#timeline .next-error")
    page.wait_for_function(f"{STATE}.position() === {next_error}")
    assert server_position(server) == next_error

    # play again from there
    page.keyboard.press("Space")
    page.wait_for_function(f"{STATE}.playing")

    # the recorded host's load, labelled so; the timeline is the bottom row, clear of the top bar
    page.wait_for_function("document.querySelector('#host-gauge .text').textContent.startsWith('recorded · CPU')")
    timeline = page.locator("#timeline").bounding_box()
    topbar = page.locator("#topbar").bounding_box()
    assert timeline["y"] > topbar["y"] + topbar["height"] and timeline["y"] + timeline["height"] > 720 - 20
    assert page.errors == []
