"""Trace files switched between shown whole and played in time from the page, against a real
server: the top bar's "In time" button and P, for every viewer (a second page follows)."""

from __future__ import annotations

from tests.browser.helpers import click_bar_control

STATE = "document.querySelector('a-scene').systems['vrmon-replay']"
SPANS = "window.vrmon?.system.scene?.totals.spans"  # window.vrmon comes once A-Frame has loaded
HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"


def test_the_top_bar_button_and_p_play_trace_files_in_time_and_show_them_whole(vrmon_server, open_app, browser):
    url = vrmon_server([HOTROD], tick=0.05, host_metrics=False)
    page = open_app(url)
    button = page.locator("#files-in-time")
    page.wait_for_function(f"{SPANS} === 40 && !document.querySelector('#files-in-time').hidden")
    assert button.get_attribute("aria-pressed") == "false" and page.locator("#timeline").is_hidden()
    watcher = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)  # another viewer of the same server
    watcher.goto(url)
    watcher.wait_for_function(f"{SPANS} === 40")

    click_bar_control(page, "#files-in-time")  # in the bar, or in the ⋯ menu where it moved. In time: the first spans, the timeline, the button pressed; the other viewer follows
    for viewer in (page, watcher):
        viewer.wait_for_function(f"{STATE}.active && {STATE}.files && {SPANS} < 40 && !document.querySelector('#timeline').hidden")
    assert button.get_attribute("aria-pressed") == "true"
    assert page.locator("#timeline .clock").inner_text().startswith("+")  # the trace's own time, stretched
    page.wait_for_function(f"{SPANS} > 1")  # spans keep arriving at their start times

    page.keyboard.press("p")  # whole again, from the keyboard
    for viewer in (page, watcher):
        viewer.wait_for_function(f"!{STATE}.active && {SPANS} === 40 && document.querySelector('#timeline').hidden")
    assert button.get_attribute("aria-pressed") == "false"
    assert page.errors == []
    watcher.close()


def test_files_started_with_play_show_the_button_pressed(vrmon_server, open_app):
    url = vrmon_server([HOTROD], play=True, tick=0.05, host_metrics=False)
    page = open_app(url)
    page.wait_for_function(f"{STATE}.active && document.querySelector('#files-in-time').getAttribute('aria-pressed') === 'true'")
    click_bar_control(page, "#files-in-time")
    page.wait_for_function(f"!{STATE}.active && {SPANS} === 40")
    assert page.errors == []
