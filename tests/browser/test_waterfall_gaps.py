"""The waterfall's last gaps on a desktop (issue 8), at 1280×720 on a real server and page:
- a lone span beside an open 300-trace list is framed at ≥ 30 % of the canvas (26-29 % before:
  its picture had a screen's shape and was framed by the width the list leaves), and reads;
- a trace whose spans all take 0 µs says so on its overview strip ("0 µs · one instant", not
  "all 1 µs") and the strip is filled across, as its bars are;
- a live trace that grows past the view: the camera stays put, a hint says how many new spans
  are off view and where; framing (a click on it, or R) brings them in and the hint goes;
- one span calling 2,000 others in two bursts: their summary row is a dim band with a histogram of
  when the calls start (columns over the bursts only, each ≥ 2×2 px), not a solid slab, and a
  click on the band opens it;
- a 13-service checkout with a 60 s wait, switched to beside the open list, is framed at ≥ 30 %
  (28.4 % before: its legend took a third row beside the list, and the picture, framed by its
  height, shrank); the legend shows two rows and "+N more", which unfolds the rest; so is a
  610 µs chain at load (28.9 % before: its time axis, rounded up to 800 µs, left a quarter of
  the width bare).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import next_frames
from tests.browser.legibility import mark_figures
from tests.browser.test_odd_waterfalls import assert_reads, with_trace_id
from tests.browser.test_waterfall_legibility import CAMERA_JS
from tests.generated_traces import (T0_US, burst_then_wait_batch, deep_chain_batch, fan_out_batch, named_batch, spans_batch,
                                    zero_length_batch)
from vrmon.model.span_store import SpanStore

pytestmark = pytest.mark.browser

LONE, INSTANT, LIVE, BURSTS = 0xF00D0001, 0xF00D0002, 0xF00D0003, 0xF00D0004  # clear of named_batch's trace ids

# Share of the strip's width (in 16 slices) where its canvas has a painted pixel, and its caption.
STRIP_JS = """() => {
  const panel = document.querySelector("#time-strip"), canvas = panel.querySelector("canvas");
  const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  let painted = 0;
  for (let k = 0; k < 16; k++) {
    const x = Math.floor((k + 0.5) / 16 * w), column = ctx.getImageData(x, 0, 1, h).data;
    let any = false;
    for (let i = 3; i < column.length; i += 4) any ||= column[i] > 0 && (column[i - 3] + column[i - 2] + column[i - 1]) > 150;
    painted += any;
  }
  return { painted: painted / 16, caption: panel.querySelector(".text").textContent, hidden: panel.hidden };
}"""

HINT_JS = "() => { const b = document.querySelector('#off-view-hint'); return { hidden: b.hidden, text: b.textContent }; }"
# "3 new spans off view ↑ · R to frame", "2 spans moved off view ↓ · …", "3 new and 2 moved spans off view → · …"
HINT_TEXT = re.compile(r"(?:(?P<new>\d+) new(?: and (?P<moved>\d+) moved)? spans?|(?P<only_moved>\d+) spans? moved) off view [↑↓←→] · R to frame")
# Of the node ids given, those whose centre is off the canvas or under the top or bottom bar.
MOVED_OFF_JS = """(ids) => {
  const top = document.querySelector('#topbar').getBoundingClientRect().bottom, bottom = document.querySelector('#bottombar').getBoundingClientRect().top;
  const width = document.querySelector('a-scene').canvas.clientWidth;
  return ids.filter((id) => { const p = window.vrmon.screenPositionOf(id); return !p || p.y < top || p.y > bottom || p.x < 0 || p.x > width; });
}"""


def show(page, trace: int) -> None:
    hex_id = f"{trace:016x}"
    page.evaluate("(t) => window.vrmon.system.switchScene({ trace: t })", hex_id)
    page.wait_for_function("(t) => window.vrmon.system.scene.trace === t", arg=hex_id, timeout=20_000)
    next_frames(page)


def test_a_lone_span_beside_an_open_trace_list_and_an_instant_traces_strip(vrmon_server, open_app, page, tmp_path):
    store = SpanStore()
    store.add(named_batch(299 * 10, spans_per_trace=10, n_services=8))
    store.add(spans_batch([0], [1_500], [None], [0], trace_id=LONE))
    store.add(with_trace_id(zero_length_batch(5), INSTANT))
    open_app(vrmon_server([], store=store, host_metrics=False))
    assert len(page.evaluate("window.vrmon.system.traceList()")) == 301
    assert not page.evaluate("document.querySelector('#trace-list').classList.contains('collapsed')")

    show(page, LONE)
    framed = assert_reads(page, "a lone span beside the open list", tmp_path / "lone.png")
    assert framed["box_share"] >= 0.30, framed["box"]
    page.keyboard.press("r")
    next_frames(page)
    assert mark_figures(page)["box_share"] == pytest.approx(framed["box_share"], abs=0.005)

    show(page, INSTANT)
    strip = page.evaluate(STRIP_JS)
    print(f"\nlone span beside the list: {framed['box_share']:.1%} of the canvas; instant trace's strip: {strip}")
    assert not strip["hidden"] and strip["caption"] == "0 µs · one instant"
    assert strip["painted"] == 1.0, strip  # drawn across, as the bars are (a sliver at its left end before)
    show(page, LONE)  # any other trace's strip says its length again
    assert page.evaluate(STRIP_JS)["caption"] == "all 1.50 ms"
    assert not page.errors


def test_a_live_trace_growing_past_the_view_says_so_and_framing_brings_the_new_spans_in(vrmon_server, open_app, page):
    store = SpanStore()
    store.add(spans_batch([0, 100], [3_000, 1_000], [None, 0], [0, 1], trace_id=LIVE))
    open_app(vrmon_server([], store=store, host_metrics=False))
    camera = page.evaluate(CAMERA_JS)
    assert page.evaluate(HINT_JS)["hidden"]
    before = set(page.evaluate("window.vrmon.nodeIds()"))

    # a 23-span burst arrives live, in services the trace did not have: the picture grows past the view
    seq = page.evaluate("window.vrmon.system.seq")
    more = burst_then_wait_batch()
    more.trace_id = [LIVE] * len(more)
    more.span_id = [s + (1 << 40) for s in more.span_id]
    more.parent_id = [p + (1 << 40) if p else 1 for p in more.parent_id]
    vrmon_server.last.call(store.add, more)
    page.wait_for_function(f"window.vrmon.system.seq > {seq}", timeout=20_000)
    page.wait_for_function("!document.querySelector('#off-view-hint').hidden", timeout=20_000)
    assert page.evaluate(CAMERA_JS) == pytest.approx(camera, abs=1e-6)  # the camera never moves by itself
    grown = mark_figures(page)
    hint = page.evaluate(HINT_JS)
    added = len(set(page.evaluate("window.vrmon.nodeIds()")) - before)
    # the spans on show before, that the trace's new layout moved off the free view (their centre
    # at least): the hint counts them too (it counted only the new ones)
    moved_off = page.evaluate(MOVED_OFF_JS, sorted(before))
    print(f"\ngrown by {added} nodes: hint '{hint['text']}', {len(moved_off)} of the {len(before)} spans before moved off view; "
          f"marks on screen {grown['on_screen']:.0%}, box top {grown['box']['y0']:.0f} px")
    counted = HINT_TEXT.fullmatch(hint["text"])
    assert counted, hint["text"]
    assert 1 <= int(counted["new"]) <= added
    assert len(moved_off) <= int(counted["moved"] or 0) <= len(before)
    assert grown["on_screen"] < 1 or grown["box"]["y0"] <= 48  # the scene graph agrees: marks past the canvas or under the top bar

    page.click("#off-view-hint")  # frames the whole trace, as R does
    page.wait_for_function("document.querySelector('#off-view-hint').hidden", timeout=20_000)
    next_frames(page)
    framed = mark_figures(page)
    assert framed["on_screen"] == 1 and framed["box"]["y0"] > 48, framed["box"]
    assert page.evaluate(CAMERA_JS) != pytest.approx(camera, abs=1e-6)
    assert not page.errors


# Each histogram column as drawn: the trace time (true µs, from the axis and its idle breaks) at its centre, and its box in CSS px.
COLUMNS_JS = """() => {
  const THREE = AFRAME.THREE, sceneEl = document.querySelector("a-scene"), camera = sceneEl.camera;
  const mesh = document.querySelector("[fold-histograms]").components["fold-histograms"].columns;
  const axis = window.vrmon.system.scene.axis, canvas = sceneEl.canvas.getBoundingClientRect();
  camera.updateMatrixWorld();
  mesh.updateMatrixWorld(true);
  const m = new THREE.Matrix4(), w = new THREE.Matrix4(), v = new THREE.Vector3(), out = [];
  for (let i = 0; i < mesh.count; i++) {
    mesh.getMatrixAt(i, m);
    const u = axis.lo + (m.elements[12] - axis.x[0]) / (axis.x[1] - axis.x[0]) * (axis.hi - axis.lo);
    const k = Math.max(axis.warped.findIndex((x) => x >= u), 1);  // back to true time across an idle break
    const us = axis.true[k - 1] + (u - axis.warped[k - 1]) / (axis.warped[k] - axis.warped[k - 1]) * (axis.true[k] - axis.true[k - 1]);
    w.multiplyMatrices(mesh.matrixWorld, m);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let c = 0; c < 8; c++) {
      v.set(c & 1 ? 0.5 : -0.5, c & 2 ? 0.5 : -0.5, c & 4 ? 0.5 : -0.5).applyMatrix4(w).project(camera);
      const x = (v.x + 1) / 2 * canvas.width, y = (1 - v.y) / 2 * canvas.height;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
    out.push({ us, x0, y0, x1, y1 });
  }
  return out;
}"""


def two_bursts(children: int = 2_000):
    """fan_out_batch's one span calling `children` others, the calls in two bursts: the first half
    in the first 2 ms, the rest from 30 ms to 32 ms."""
    batch = fan_out_batch(children)
    half = children // 2
    batch.trace_id = [BURSTS] * len(batch)
    batch.start_us = [T0_US] + [T0_US + 10 + 2 * i for i in range(half)] + [T0_US + 30_000 + 2 * i for i in range(children - half)]
    batch.duration_us = [33_000] + [15] * children
    return batch


def test_a_fan_out_summary_row_is_a_histogram_of_its_calls_starts_and_opens_on_a_click(vrmon_server, open_app, page):
    store = SpanStore()
    store.add(two_bursts())
    open_app(vrmon_server([], store=store, host_metrics=False))
    (fold,) = page.evaluate("window.vrmon.system.scene.folds")
    band = page.evaluate("(id) => window.vrmon.screenPositionOf(id)", fold["id"])
    columns = page.evaluate(COLUMNS_JS)
    small = [c for c in columns if c["x1"] - c["x0"] < 2 or c["y1"] - c["y0"] < 2]
    # (the idle 28 ms between the bursts is a break a few px wide: a column at its edge may hold both sides)
    first = [c for c in columns if c["us"] < 5_000]
    second = [c for c in columns if 27_000 < c["us"] < 32_100]
    print(f"\n{len(columns)} columns ({len(first)} over the first burst, {len(second)} over the second), "
          f"{min(c['x1'] - c['x0'] for c in columns):.1f}-{max(c['x1'] - c['x0'] for c in columns):.1f} px wide")
    assert first and second and len(first) + len(second) == len(columns), [round(c["us"]) for c in columns if c not in first + second]
    assert not small, small
    # between the bursts the band is bare: a click there lands on the summary mark and opens it
    gap_x = (max(c["x1"] for c in first) + min(c["x0"] for c in second)) / 2
    page.mouse.click(gap_x, band["y"])
    page.wait_for_function("window.vrmon.system.scene.detail.opened === 1", timeout=20_000)
    assert page.evaluate("window.vrmon.system.scene.folds") is None or not page.evaluate("window.vrmon.system.scene.folds")
    assert not page.errors


HOUR_US = 3_600_000_000
# The legend's list: its rows of names (distinct tops), the names lying wholly inside its box, and its "+N more" button.
LEGEND_JS = """() => {
  const panel = document.querySelector('#legend'), list = panel.querySelector('ul'), box = list.getBoundingClientRect();
  const items = [...list.children].map((li) => [li.textContent, li.getBoundingClientRect()]);
  const more = panel.querySelector('.more');
  return { rows: new Set(items.map(([, b]) => Math.round(b.top))).size, names: items.map(([text]) => text),
           inside: items.filter(([, b]) => b.top >= box.top - 0.5 && b.bottom <= box.bottom + 0.5).map(([text]) => text),
           more: more.hidden ? null : more.textContent };
}"""


def test_a_trace_switched_to_beside_the_open_list_is_framed_at_30_percent_with_two_legend_rows(vrmon_server, open_app, page):
    checkout = burst_then_wait_batch(wait_s=60.0)  # 13 services: three rows of names beside the list
    checkout.start_us = [start - HOUR_US for start in checkout.start_us]  # older: the chain is shown first
    store = SpanStore()
    store.add(deep_chain_batch(300))
    store.add(checkout)
    open_app(vrmon_server([], store=store, host_metrics=True))
    page.wait_for_function("window.vrmon.stats().hostGauge > 0", timeout=20_000)  # the gauge takes the bottom bar's right end
    assert not page.evaluate("document.querySelector('#trace-list').classList.contains('collapsed')")
    # the 610 µs chain at load: its axis rounded up to 800 µs left a quarter of the width bare (28.9 %)
    chain = mark_figures(page)
    print(f"\n300-deep chain at load beside the open list: {chain['box_share']:.1%} of the canvas")
    assert chain["box_share"] >= 0.30, chain["box"]
    show(page, checkout.trace_id[0])
    framed = mark_figures(page)
    print(f"\n60 s-wait checkout beside the open list: {framed['box_share']:.1%} of the canvas")
    assert framed["box_share"] >= 0.30, framed["box"]
    legend = page.evaluate(LEGEND_JS)
    shown = sorted(set(checkout.service))
    hidden = len(legend["names"]) - len(legend["inside"])
    print(f"legend: {legend}")
    assert sorted(legend["names"]) == shown  # only the services on show
    assert len(legend["inside"]) < len(shown) and legend["more"] == f"+{hidden} more"

    page.click("#legend .more")  # unfolds every name
    page.wait_for_function("(n) => document.querySelector('#legend .more').textContent === 'fewer'", timeout=10_000)
    legend = page.evaluate(LEGEND_JS)
    assert legend["rows"] > 2 and sorted(legend["inside"]) == shown, legend
    page.keyboard.press("l")  # folds away, button and all
    assert page.locator("#legend ul").is_hidden() and page.locator("#legend .more").is_hidden()
    assert not page.errors
