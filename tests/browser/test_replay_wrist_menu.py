"""The wrist menu's Replay row in an emulated Quest 3 (IWER) against a real server playing a
recording: pause, speed and next error pressed with the right laser drive the server's clock; and
its switch between trace files shown whole and played in time."""

from __future__ import annotations

import pytest

from tests.browser.helpers import enter_vr, install_emulated_headset
from tests.browser.test_headset import HEADSET_HELPERS, RIGHT_HAND, SMALL_VIEWPORT, press_menu_button
from tests.recordings import write_recording

pytestmark = pytest.mark.browser
STATE = "document.querySelector('a-scene').systems['vrmon-replay']"


def in_headset(vrmon_server, open_app, page, replay):
    """A real server replaying `replay`, its page in an emulated Quest 3 with the wrist menu raised
    and the right laser ready; returns the server."""
    install_emulated_headset(page)
    url = vrmon_server([replay], tick=0.05, host_metrics=False)
    page.set_viewport_size(SMALL_VIEWPORT)
    open_app(url)
    enter_vr(page)
    page.wait_for_function("['left', 'right'].every((side) => document.querySelector(`#${side}-hand`).components['tracked-controls'])",
                           timeout=10_000)
    page.evaluate(HEADSET_HELPERS)
    page.evaluate("(pose) => window.headset.place('right', pose)", RIGHT_HAND)
    page.evaluate("async () => { await window.headset.place('left', [-0.15, 1.35, -0.35]); }")
    return vrmon_server.last


def test_the_wrist_menu_pauses_speeds_up_and_jumps_to_the_next_error(vrmon_server, open_app, page, tmp_path):
    path = tmp_path / "incident.vrrec"
    write_recording(path)
    server = in_headset(vrmon_server, open_app, page, path)
    page.wait_for_function(f"{STATE}.active && window.headset.menu().replayHeading.text.startsWith('Replay 0:')")
    page.wait_for_function(f"{STATE}.loadedUs === {STATE}.durationUs")  # read whole: every mark is known
    player = server.app.state.hub.replay  # playing: the page had its first replay frame

    press_menu_button(page, "m.playButton")
    page.wait_for_function(f"!{STATE}.playing && window.headset.menu().playButton.label.text === 'Play'")
    assert server.call(lambda: player.clock.playing) is False

    press_menu_button(page, "m.speedButton")
    page.wait_for_function(f"{STATE}.speed === 2 && window.headset.menu().speedButton.label.text === 'Speed 2×'")

    position = server.call(lambda: player.clock.position(player.now()))
    first_error = next(m["t_us"] for m in player.recording.marks if m["kind"] == "error" and m["t_us"] > position + 1000)
    press_menu_button(page, "m.nextErrorButton")
    page.wait_for_function(f"{STATE}.position() === {first_error}")
    assert server.call(lambda: player.clock.position(player.now())) == first_error
    assert page.errors == []


def test_the_wrist_menu_plays_trace_files_in_time_and_shows_them_whole(vrmon_server, open_app, page):
    in_headset(vrmon_server, open_app, page, "fixtures/otlp-hotrod-dispatch-40spans-serial.json")
    page.wait_for_function("window.headset.menu().filesInTimeButton.label.text === 'Play the files in time'")

    press_menu_button(page, "m.filesInTimeButton")
    page.wait_for_function(f"{STATE}.active && window.vrmon.system.scene.totals.spans < 40"
                           " && window.headset.menu().filesInTimeButton.label.text === 'Show the files whole'")
    press_menu_button(page, "m.filesInTimeButton")
    page.wait_for_function(f"!{STATE}.active && window.vrmon.system.scene.totals.spans === 40")
    assert page.errors == []
