"""Findings and links in the client, in headless Chromium against a real vrmon server replaying
real HotROD traces: the Findings list says what the server found, jumping to a finding lights its
spans (read from the three.js scene graph) and selects its key span, the list follows a live add,
and `/#trace=…&span=…` opens that span (on load, after a reload, for a trace not on show).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import VIEWPORT
from tests.browser.helpers import click_bar_control, next_frames
from tests.browser.test_headset import SMALL_VIEWPORT, enter_headset, press_menu_button
from tests.conftest import ROOT
from vrmon.analysis.findings import find_all
from vrmon.sources.files import load_trace_file

pytestmark = pytest.mark.browser

SERIAL = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"  # 2 N+1 groups, 1 error root cause, 1 slow span
RETRIES = "fixtures/otlp-hotrod-dispatch-trimmed-16spans-retries.json"  # 1 N+1 group, 1 error root cause

# What the scene draws for findings: per lit shell and pin, its colour and the node it surrounds.
FINDING_MARKS = """
() => {
  const marks = document.querySelector("[finding-marks]").components["finding-marks"];
  const { nodes } = window.vrmon.system;
  const THREE = AFRAME.THREE, m = new THREE.Matrix4(), p = new THREE.Vector3(), c = new THREE.Color();
  const shells = [];
  for (let k = 0; k < marks.shells.count; k++) {
    marks.shells.getMatrixAt(k, m); p.setFromMatrixPosition(m); marks.shells.getColorAt(k, c);
    let id = null;  // the node whose bar this shell surrounds (same centre)
    for (let row = 0; row < nodes.count; row++) {
      if (Math.abs(nodes.pos[row * 3] - p.x) + Math.abs(nodes.pos[row * 3 + 1] - p.y) + Math.abs(nodes.pos[row * 3 + 2] - p.z) < 1e-4) id = nodes.ids[row];
    }
    shells.push({ id, color: "#" + c.getHexString() });
  }
  return { shells, pins: marks.pins.count, inScene: marks.shells.parent !== null && marks.pins.parent !== null };
}
"""


def open_panel(page) -> None:
    click_bar_control(page, "#findings-toggle")
    page.wait_for_selector("#findings-panel:not([hidden]) button.finding")


def entries(page) -> list[dict]:
    return page.eval_on_selector_all("#findings-panel button.finding", """(buttons) => buttons.map((b) => ({
        kind: b.dataset.kind, name: b.querySelector('.finding-name').textContent,
        reason: b.querySelector('.finding-reason').textContent, current: b.getAttribute('aria-current') === 'true'}))""")


def selected_details(page) -> dict:
    page.wait_for_function("() => !document.querySelector('#span-panel').hidden && document.querySelector('#span-panel .link-address')")
    return page.evaluate("""() => ({ title: document.querySelector('#span-panel .panel-title').textContent,
        link: document.querySelector('#span-panel .link-address').value,
        selected: window.vrmon.system.selectedId, trace: window.vrmon.system.scene.trace })""")


def server_findings(vrmon_server) -> list[dict]:
    """What the running server's store holds as findings, as `vrmon inspect --findings --json` says them."""
    store = vrmon_server.last.app.state.store
    return vrmon_server.last.call(lambda: [{**f.to_json(store), "nodes": list(f.uids)} for f in find_all(store)])


@pytest.mark.screenshots
def test_the_list_shows_the_servers_findings_and_a_jump_lights_the_n_plus_one_calls(vrmon_server, open_app, page, screenshot_dir):
    """Also desktop-findings.png (docs/img under `make screenshots`): the N+1 GetDriver calls jumped to."""
    base = vrmon_server([SERIAL, RETRIES], scene="waterfall")
    open_app(base)
    page.wait_for_function("() => document.querySelector('#findings-toggle .count').textContent !== ''")
    expected = server_findings(vrmon_server)
    assert page.inner_text("#findings-toggle .count") == str(len(expected))
    open_panel(page)
    listed = entries(page)
    assert sorted((e["kind"], e["reason"]) for e in listed) == sorted((f["kind"], f["reason"]) for f in expected)

    # the 13 GetDriver calls of the trace with retries (not the one on show at first)
    n_plus_one = next(f for f in expected if f["kind"] == "n-plus-one" and f["calls"] == 13 and f["trace"].startswith("ea6d"))
    index = next(i for i, e in enumerate(listed) if e["reason"] == n_plus_one["reason"])
    page.locator("#findings-panel button.finding").nth(index).click()

    page.wait_for_function("(t) => window.vrmon.system.scene.trace === t && window.vrmon.system.selectedId !== null", arg=n_plus_one["trace"])
    details = selected_details(page)
    assert details["title"] == "GetDriver"
    assert details["link"].endswith(f"#trace={n_plus_one['trace']}&span={n_plus_one['spans'][0]}")
    next_frames(page)
    marks = page.evaluate(FINDING_MARKS)
    assert marks["inScene"]
    lit = [s["id"] for s in marks["shells"] if s["color"] == "#c77dff"]  # full strength: the finding jumped to
    assert sorted(lit) == sorted(n_plus_one["nodes"]) and len(lit) == 13
    assert details["selected"] == n_plus_one["nodes"][0]
    assert marks["pins"] == 2  # this trace's N+1 and its error root cause
    assert [e["current"] for e in entries(page)].count(True) == 1
    page.mouse.move(640, 20)  # no hover highlight in the picture
    page.screenshot(path=str(screenshot_dir / "desktop-findings.png"))
    assert page.errors == []


def test_a_link_opens_its_span_in_a_trace_not_on_show_again_after_a_reload_and_copy_link_gives_it(vrmon_server, open_app, page, browser):
    base = vrmon_server([SERIAL, RETRIES], scene="waterfall")
    # the retry trace's second GetDriver call: the default view shows the other (newer) trace
    trace, span = "ea6db5d7b317ca1a5e2c4e0e7cea53ce", "c5f1def4c8a5c5ee"
    open_app(base, f"#trace={trace}&span={span}")
    page.wait_for_function("(t) => window.vrmon.system.scene.trace === t && window.vrmon.system.selectedId !== null", arg=trace)
    details = selected_details(page)
    assert details["title"] == "GetDriver" and details["link"] == f"{base}/#trace={trace}&span={span}"
    assert page.evaluate("(id) => window.vrmon.screenPositionOf(id) !== null", details["selected"])  # framed in view

    page.reload()
    page.wait_for_function("(t) => window.vrmon?.system.scene?.trace === t && window.vrmon.system.selectedId !== null", arg=trace)
    assert selected_details(page)["selected"] == details["selected"]

    # another span selected: the address follows, and "Copy link" puts it on the clipboard
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.locator("#span-panel button.link").first.click()  # its parent
    page.wait_for_function("(s) => !location.hash.endsWith(s) && /span=[0-9a-f]{16}$/.test(location.hash)", arg=span)
    page.wait_for_function("() => document.querySelector('#span-panel .link-address')?.value.endsWith(location.hash)")
    page.click("#span-panel .copy-link")
    page.wait_for_function("() => document.querySelector('#span-panel .copy-link').textContent === 'Link copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{base}/{page.evaluate('location.hash')}"

    # that link pasted into a fresh page opens the same span
    other = browser.new_page(viewport=VIEWPORT, bypass_csp=True)
    other.goto(copied)
    other.wait_for_function("() => window.vrmon?.system.selectedId !== null && window.vrmon.system.selectedId !== undefined")
    assert other.evaluate("() => window.vrmon.system.selectedId") == page.evaluate("() => window.vrmon.system.selectedId")
    other.close()
    assert page.errors == []


def test_a_link_to_a_trace_that_is_not_loaded_says_so(vrmon_server, open_app, page):
    base = vrmon_server([SERIAL], scene="waterfall")
    open_app(base, "#trace=0badc0de0badc0de&span=0123456789abcdef")
    page.wait_for_function("() => !document.querySelector('#toast').hidden")
    assert page.inner_text("#toast") == "trace 0badc0de0badc0de is not loaded"
    assert page.evaluate("() => window.vrmon.system.selectedId") is None


def test_the_list_and_the_scene_follow_findings_that_arrive_live(vrmon_server, open_app, page):
    base = vrmon_server([SERIAL], scene="waterfall")
    open_app(base)
    open_panel(page)
    # alone, its 13 GetDriver calls are too few for a slow-span verdict (20 samples at least)
    page.wait_for_function("() => document.querySelectorAll('#findings-panel button.finding').length === 3")
    store = vrmon_server.last.app.state.store
    vrmon_server.last.call(store.add, load_trace_file(ROOT / RETRIES))  # as a live source adds a trace
    page.wait_for_function("() => document.querySelectorAll('#findings-panel button.finding').length === 6")
    assert page.inner_text("#findings-toggle .count") == "6"
    listed = entries(page)
    assert [e["kind"] for e in listed].count("n-plus-one") == 3
    assert sum(e["reason"].startswith("13 redis-manual GetDriver calls") for e in listed) == 2
    assert [e["kind"] for e in listed].count("slow-span") == 1  # 26 GetDriver calls now: one is above their p99
    next_frames(page)
    assert page.evaluate(FINDING_MARKS)["pins"] == 4  # the trace on show gained its slow span's pin
    assert page.errors == []


def test_the_wrist_menu_lists_the_findings_and_jumps_to_one_in_a_headset(vrmon_server, open_app, server_snapshot, page):
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(SERIAL, RETRIES))
    page.evaluate("async () => { await window.headset.place('left', [-0.15, 1.35, -0.35]); }")
    page.wait_for_function("() => window.headset.menu().findingButtons[0].label.text !== ''")
    labels = page.evaluate("() => window.headset.menu().findingButtons.map((b) => b.label.text)")
    findings = server_findings(vrmon_server)
    assert labels == [f"{'error starts here' if f['kind'] == 'error-root-cause' else 'N+1 calls'}: {f['service']} {f['operation']}"
                      for f in findings[:2]]
    # the next page, then the first N+1 group of the other trace
    press_menu_button(page, "m.nextFindingsButton")
    page.wait_for_function("(l) => window.headset.menu().findingButtons[0].label.text !== l", arg=labels[0])
    page_two = findings[2:4]
    wanted = next(i for i, f in enumerate(page_two) if f["kind"] == "n-plus-one")
    press_menu_button(page, f"m.findingButtons[{wanted}]")
    page.wait_for_function("(id) => window.vrmon.system.selectedId === id", arg=page_two[wanted]["nodes"][0], timeout=10_000)
    assert page.evaluate("() => window.vrmon.system.scene.trace") == page_two[wanted]["trace"]
    assert page.evaluate("(i) => window.headset.menu().findingButtons[i].active", wanted) is True
    assert page.errors == []
