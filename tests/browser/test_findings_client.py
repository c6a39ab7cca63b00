"""Findings, links and percentile colours in the client, in headless Chromium against a real vrmon server replaying
real HotROD traces: the Findings list says what the server found, jumping to a finding lights its
spans (read from the three.js scene graph) and selects its key span, the list follows a live add,
and `/#trace=…&span=…` opens that span (on load, after a reload, for a trace not on show, for a trace only a
live Jaeger has).
"""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import VIEWPORT
from tests.browser.helpers import click_bar_control, next_frames
from tests.browser.test_headset import SMALL_VIEWPORT, enter_headset, press_menu_button
from tests.conftest import ROOT
from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub
from vrmon.analysis.findings import find_all
from vrmon.analysis.percentiles import rank_of_span
from vrmon.sources.files import load_trace_file

pytestmark = pytest.mark.browser

SERIAL = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"  # 2 N+1 groups, 1 error root cause, 1 slow span
RETRIES = "fixtures/otlp-hotrod-dispatch-trimmed-16spans-retries.json"  # 1 N+1 group, 1 error root cause
HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"  # the same request, as the Jaeger stub serves it

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
    # one shell per bar, around every span of this trace's findings (a bar in two findings is not framed twice)
    framed = [s["id"] for s in marks["shells"]]
    assert sorted(framed) == sorted(set().union(*(f["nodes"] for f in expected if f["trace"] == n_plus_one["trace"])))
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
    other.wait_for_function("() => window.vrmon?.system && window.vrmon.system.selectedId !== null && window.vrmon.system.selectedId !== undefined")
    assert other.evaluate("() => window.vrmon.system.selectedId") == page.evaluate("() => window.vrmon.system.selectedId")
    other.close()
    assert page.errors == []


def test_a_link_to_a_trace_that_is_not_loaded_says_so(vrmon_server, open_app, page):
    base = vrmon_server([SERIAL], scene="waterfall")
    open_app(base, "#trace=0badc0de0badc0de&span=0123456789abcdef")
    page.wait_for_function("() => !document.querySelector('#toast').hidden")
    assert page.inner_text("#toast") == "trace 0badc0de0badc0de is not loaded"
    assert page.evaluate("() => window.vrmon.system.selectedId") is None


def test_a_link_to_a_trace_only_live_jaeger_has_fetches_it_and_one_jaeger_lacks_says_so(live_jaeger, open_app, page):
    stub = JaegerStub()
    spans = stub.load(HOTROD_V3, int((time.time() - 2 * 3600) * 1e6))  # two hours old: no poll brings it
    stub.release(spans)
    live = live_jaeger(stub)
    trace, query = spans[0].trace_id, next(s for s in spans if s.operation == "SQL SELECT").span_id
    open_app(live.server.url, f"#trace={trace}&span={query}")
    page.wait_for_function("(t) => window.vrmon.system.scene.trace === t && window.vrmon.system.selectedId !== null", arg=trace)
    details = selected_details(page)
    assert details["title"] == "SQL SELECT" and details["link"] == f"{live.server.url}/#trace={trace}&span={query}"
    assert page.evaluate("() => document.querySelector('#toast').textContent") == (
        f"trace {trace} is not loaded: asking Jaeger at {stub.url} for it")
    assert any(r.startswith(f"GET /api/v3/traces/{trace}") for r in stub.requests)

    page.evaluate("() => { location.hash = '#trace=0badc0de0badc0de'; }")
    page.wait_for_function("() => document.querySelector('#toast').textContent.includes('0badc0de0badc0de is not loaded,')")
    assert page.inner_text("#toast") == f"trace 0badc0de0badc0de is not loaded, and Jaeger at {stub.url} does not have it"
    assert page.evaluate("() => window.vrmon.system.scene.trace") == trace  # still on show
    assert page.errors == []


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


# Per node id: its drawn instance colour and its own (service) colour, as hex.
DRAWN_COLOURS = """
() => {
  const THREE = AFRAME.THREE, spans = document.querySelector("[span-instances]").components["span-instances"].spans;
  const { nodes } = window.vrmon.system, c = new THREE.Color(), own = new THREE.Color(), out = {};
  for (let row = 0; row < nodes.count; row++) {
    spans.getColorAt(row, c);
    own.setRGB(nodes.color[row * 3] / 255, nodes.color[row * 3 + 1] / 255, nodes.color[row * 3 + 2] / 255, THREE.SRGBColorSpace);
    out[nodes.ids[row]] = [c.getHexString(), own.getHexString()];
  }
  return out;
}
"""


@pytest.mark.screenshots
def test_percentile_colours_paint_each_span_by_its_rank_with_a_key_and_switch_back(vrmon_server, open_app, page, screenshot_dir):
    """Also desktop-percentiles.png (docs/img under `make screenshots`): the HotROD trace by duration percentile."""
    base = vrmon_server([SERIAL, RETRIES], scene="waterfall")
    open_app(base)
    store = vrmon_server.last.app.state.store
    ranks = vrmon_server.last.call(lambda: {int(store.uid[row]): (int(rank_of_span(store, row).rank), store.operations.names[store.operation[row]])
                                            for row in range(len(store))})
    assert page.is_hidden("#colour-key .scale")
    click_bar_control(page, "#percentile-toggle")  # in the ⋯ menu
    page.keyboard.press("Escape")  # closes the menu
    page.wait_for_function("() => document.querySelector('#percentile-toggle').getAttribute('aria-pressed') === 'true'")
    page.wait_for_function("() => window.vrmon.system.el.systems['vrmon-colour'].rankOf.size === window.vrmon.system.nodes.count")
    assert page.is_visible("#colour-key .scale") and page.inner_text("#colour-key .ticks").split() == ["p0", "p50", "p99"]
    next_frames(page)
    drawn = {int(k): v for k, v in page.evaluate(DRAWN_COLOURS).items()}
    expected = page.evaluate("""(ranks) => { const colours = window.vrmon.system.el.systems['vrmon-colour'], c = new AFRAME.THREE.Color();
        return Object.fromEntries(Object.entries(ranks).map(([id, rank]) => [id, colours.rankColor(rank, c).getHexString()])); }""",
                             {str(uid): ranks[uid][0] for uid in drawn})
    assert {uid: colour for uid, (colour, _) in drawn.items()} == {int(k): v for k, v in expected.items()}
    # the slowest GetDriver call (p98 of 26, the slow-span finding) is painted hot, the fastest cool
    getdriver = sorted((ranks[uid][0], uid) for uid in drawn if ranks[uid][1] == "GetDriver")
    slow, fast = drawn[getdriver[-1][1]][0], drawn[getdriver[0][1]][0]
    assert getdriver[-1][0] == 98 and int(slow[0:2], 16) > 200 and int(slow[4:6], 16) < 100  # red, little blue
    assert int(fast[4:6], 16) > int(fast[0:2], 16)  # more blue than red
    # the details panel says the same rank
    page.evaluate("(id) => window.vrmon.select(id)", getdriver[-1][1])
    page.wait_for_function("() => [...document.querySelectorAll('#span-panel th')].some((th) => th.textContent === 'Percentile')")
    assert "p98 of 26 GetDriver calls" in page.inner_text("#span-panel")
    page.mouse.move(640, 20)
    next_frames(page)
    page.screenshot(path=str(screenshot_dir / "desktop-percentiles.png"))
    # C switches back: every span in its service colour again
    page.mouse.move(640, 20)
    page.keyboard.press("c")
    page.wait_for_function("() => document.querySelector('#percentile-toggle').getAttribute('aria-pressed') === 'false'")
    next_frames(page)
    assert all(colour == own for colour, own in page.evaluate(DRAWN_COLOURS).values())
    assert page.errors == []


APIV3 = "fixtures/apiv3-gettrace-hotrod-40spans.json"  # the same request with a route pool of three


def test_a_link_carries_the_comparison_and_the_search_and_opens_them_again(vrmon_server, open_app, page):
    base = vrmon_server([SERIAL, RETRIES], scene="waterfall")
    serial, retries = "fe65c5beefbe4e96119efbba3da07e99", "ea6db5d7b317ca1a5e2c4e0e7cea53ce"
    link = f"#trace={retries}&compare={serial}&search=getdriver"

    def shows_the_link() -> None:
        page.wait_for_function("() => document.querySelector('#compare-panel .total')?.textContent.startsWith('B − A: +568 ms')")
        page.wait_for_function("() => document.querySelector('#span-search [name=text]').value === 'getdriver'")
        page.wait_for_function("() => /^\\d+ matches$/.test(document.querySelector('#span-search .matches').textContent)")
        assert page.evaluate("() => window.vrmon.system.scene.trace") == retries
        page.wait_for_function("(h) => location.hash === h", arg=link)

    open_app(base, link)
    shows_the_link()
    page.reload()  # from the address it keeps
    shows_the_link()
    page.fill("#span-search [name=text]", "sql select")  # the address follows the search
    page.wait_for_function("(h) => location.hash === h", arg=f"#trace={retries}&compare={serial}&search=sql%20select")
    page.click("#compare-panel .close")  # and stops saying A when the comparison stops
    page.wait_for_function("(h) => location.hash === h", arg=f"#trace={retries}&search=sql%20select")
    assert page.errors == []


@pytest.mark.screenshots
def test_compare_paints_b_by_its_change_against_baseline_a_with_ghosts_a_summary_and_jumps(vrmon_server, open_app, page, screenshot_dir):
    """Also desktop-compare.png (docs/img under `make screenshots`): the retried request against the serial one."""
    base = vrmon_server([SERIAL, APIV3, RETRIES], scene="waterfall")
    serial, pooled, retries = "fe65c5beefbe4e96119efbba3da07e99", "2ea75461946a7dd10f2c15ab36a076cb", "ea6db5d7b317ca1a5e2c4e0e7cea53ce"
    open_app(base, f"#trace={pooled}")
    page.wait_for_function("(t) => window.vrmon.system.scene.trace === t", arg=pooled)
    page.click(f"#trace-list .baseline[data-baseline='{serial}']")  # B (on show) against A = the serial capture
    page.wait_for_selector("#compare-panel:not([hidden]) .total")
    assert page.inner_text("#compare-panel .total") == "B − A: −414 ms (-37.1 %)"
    assert "40 spans matched · 0 only in A (ghosts) · 0 only in B (framed)" in page.inner_text("#compare-panel")
    next_frames(page)
    # the root ran 414 ms (37 %) faster: painted on the blue side; every span has a colour of the scale
    store = vrmon_server.last.app.state.store
    root = vrmon_server.last.call(lambda: int(store.uid[[r for r in store.rows_of_trace(store.trace_code(pooled)) if store.parent[r] < 0][0]]))
    drawn = {int(k): v[0] for k, v in page.evaluate(DRAWN_COLOURS).items()}
    expected_root = page.evaluate("() => window.vrmon.system.el.systems['vrmon-compare'].changeColor(-414.4 / 1117.0, new AFRAME.THREE.Color()).getHexString()")
    assert drawn[root] == expected_root and int(drawn[root][4:6], 16) > int(drawn[root][0:2], 16)

    # a contributor jumps to its span in B
    first = page.locator("#compare-panel button.contributor").first
    span = first.get_attribute("data-span")
    first.click()
    page.wait_for_function("([s, a]) => location.hash.endsWith(`span=${s}&compare=${a}`)", arg=[span, serial])  # the link says A too
    # and so does the link the span's panel copies
    page.wait_for_function("([s, a]) => document.querySelector('#span-panel .link-address')?.value.endsWith(`span=${s}&compare=${a}`)", arg=[span, serial])

    # against the trimmed retry capture: A's 24 missing spans stand as ghosts in B
    page.evaluate("(t) => window.vrmon.system.switchScene({ trace: t })", retries)
    page.wait_for_function("(t) => window.vrmon.system.scene.trace === t", arg=retries)
    page.click(f"#trace-list .baseline[data-baseline='{serial}']")
    page.wait_for_function("() => document.querySelector('#compare-panel .total')?.textContent.startsWith('B − A: +568 ms')")
    next_frames(page)
    marks = page.evaluate("() => { const m = document.querySelector('[compare-marks]').components['compare-marks']; return [m.ghosts.count, m.frames.count, m.ghosts.parent !== null]; }")
    assert marks == [24, 0, True]
    page.mouse.move(640, 20)
    page.screenshot(path=str(screenshot_dir / "desktop-compare.png"))
    page.click("#compare-panel .close")
    page.wait_for_function("() => document.querySelector('#compare-panel').hidden")
    next_frames(page)
    assert all(colour == own for colour, own in page.evaluate(DRAWN_COLOURS).values())  # service colours again
    assert page.evaluate("() => document.querySelector('[compare-marks]').components['compare-marks'].ghosts.count") == 0
    assert page.errors == []


def test_the_wrist_menu_compares_the_trace_on_show_against_a_baseline_in_a_headset(vrmon_server, open_app, server_snapshot, page):
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(SERIAL, RETRIES))
    page.evaluate("async () => { await window.headset.place('left', [-0.15, 1.35, -0.35]); }")
    baseline = page.evaluate("() => window.vrmon.system.scene.trace")
    press_menu_button(page, "m.baselineButton")
    page.wait_for_function("() => window.headset.menu().baselineButton.active")
    other = page.evaluate("(t) => window.vrmon.system.traceList().findIndex((trace) => trace.id !== t)", baseline)
    press_menu_button(page, f"m.traceButtons[{other}]")
    page.wait_for_function("(t) => window.vrmon.system.scene.trace !== t", arg=baseline, timeout=10_000)
    press_menu_button(page, "m.compareButton")
    page.wait_for_function("() => window.vrmon.system.el.systems['vrmon-compare'].showing()", timeout=10_000)
    summary = page.evaluate("() => window.vrmon.system.el.systems['vrmon-compare'].comparison.summary")
    assert summary["a"]["trace"] == baseline and summary["only_in_a_total"] == 24  # the trimmed retry trace lacks 24 spans
    page.wait_for_function("() => document.querySelector('[compare-marks]').components['compare-marks'].ghosts.count === 24")
    assert page.evaluate("() => window.headset.menu().compareButton.label.text") == "Stop comparing"
    assert page.errors == []
