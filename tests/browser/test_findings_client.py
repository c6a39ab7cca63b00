"""Findings and links in the client, in headless Chromium against a real vrmon server replaying
real HotROD traces: the Findings list says what the server found, jumping to a finding lights its
spans (read from the three.js scene graph) and selects its key span, the list follows a live add,
and `/#trace=…&span=…` opens that span (on load, after a reload, for a trace not on show).
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import next_frames
from vrmon.analysis.findings import find_all

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
    page.click("#findings-toggle")
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


def test_the_list_shows_the_servers_findings_and_a_jump_lights_the_n_plus_one_calls(vrmon_server, open_app, page):
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
    assert page.errors == []
