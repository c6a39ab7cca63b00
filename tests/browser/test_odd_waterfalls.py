"""Odd traces read at a glance too (issue 8, "Empty and odd states"): a lone span, a lone span of
0 µs, spans that all happen at one instant, spans that all start together, a span whose parent
never arrived, two spans 15 s apart, breaks a moment apart, a chain 200 calls deep and one span
calling 2,000 others. One server holds them all and one 1280×720 page shows each in turn (a trace
switch), then again after Reset (R): the marks' box covers ≥ 30 % of the part of the canvas the
trace list and the top and bottom bars leave free (of the whole canvas where the list is folded: a
lone span alone), ≥ 90 % of the marks are on screen and ≥ 80 % at least 2×2 px; every label's letters are ≥ 12 px tall; no label is cut by the edge, overlaps another or lies on a bar
(a span's own label lies on its bar: that is where it is read), and OCR reads every lane name.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import next_frames
from tests.browser.legibility import letters_and_digits, mark_figures, ocr_boxes, screenshot_3d_view
from tests.browser.test_waterfall_legibility import CAMERA_JS, LABEL_PX_JS, overlapping_lanes
from tests.browser.test_waterfall_span_labels import BARS_JS, SPAN_KINDS, crosses, label_node, letters
from tests.conftest import FIXTURES
from tests.generated_traces import deep_chain_batch, fan_out_batch, spans_batch, zero_length_batch
from vrmon.model.span_store import SpanStore

pytestmark = pytest.mark.browser

SECOND = 1_000_000


def orphan():
    """Eight spans; the fifth names a parent that never arrived (it stands at depth 0, flagged)."""
    batch = spans_batch([0, 100, 300, 900, 2_000, 2_100, 2_500, 4_000], [9_000, 600, 500, 300, 1_500, 800, 400, 3_000],
                        [None, 0, 1, 0, None, 4, 4, 0], [0, 1, 2, 1, 3, 3, 2, 0], trace_id=0x0A1)
    batch.parent_id[4] = 0xBAD_BAD
    return batch


def with_trace_id(batch, trace_id):
    batch.trace_id = [trace_id] * len(batch)
    return batch


CASES = {  # name → the trace's batch
    "a lone span": lambda: spans_batch([0], [1_500], [None], [0], trace_id=0x0A2),
    "a lone span of 0 µs": lambda: spans_batch([0], [0], [None], [4], trace_id=0x0A3),
    "5 spans at one instant": lambda: with_trace_id(zero_length_batch(5), 0x0A4),
    "6 spans starting together": lambda: spans_batch([0] * 6, [900, 700, 500, 400, 300, 100], [None, 0, 0, 1, 1, 2],
                                                     [0, 1, 1, 2, 0, 2], trace_id=0x0A5),
    "an orphan": orphan,
    "2 spans 15 s apart": lambda: spans_batch([0, 15 * SECOND], [3_000, 2_000], [None, None], [5, 6], trace_id=0x0A6),
    "breaks a moment apart": lambda: spans_batch([1_000, 5 * SECOND], [200_000, 15 * SECOND], [None, None], [7, 8], trace_id=0x0A7),
    "a 200-deep chain": lambda: deep_chain_batch(200),
    "2,000 calls from one span": lambda: fan_out_batch(2_000),
}


def labels_by_kind(page) -> dict[str, list[dict]]:
    return {kind: page.evaluate(LABEL_PX_JS, [kind]) for kind in ("lane", "tick", "break", "fold", *SPAN_KINDS)}


# CSS px of the canvas the overlays at its edges leave free: right of the trace list (when open),
# between the top bar and the bottom bar (time strip and legend).
FREE_AREA_JS = """() => {
  const canvas = document.querySelector("a-scene").canvas.getBoundingClientRect();
  const list = document.querySelector("#trace-list").getBoundingClientRect();
  const top = document.querySelector("#topbar").getBoundingClientRect().bottom;
  const bottom = document.querySelector("#bottombar").getBoundingClientRect().top;
  return (canvas.width - (list.width ? list.right : 0)) * (bottom - top);
}"""


def assert_reads(page, case: str, shot) -> dict:
    """The figures of the module's docstring for what is on show; returns the marks' figures."""
    figures = mark_figures(page)
    box = figures["box"]
    free_share = (box["x1"] - box["x0"]) * (box["y1"] - box["y0"]) / page.evaluate(FREE_AREA_JS)
    assert free_share >= 0.30, (case, box, free_share)
    assert figures["on_screen"] >= 0.90 and figures["visible_2px"] >= 0.80, (case, figures)
    labels = labels_by_kind(page)
    everything = [label for kind in labels.values() for label in kind]
    cut = [t["text"] for t in everything if t["x0"] < 0 or t["x1"] > figures["width"] or t["y0"] < 0 or t["y1"] > figures["height"]]
    assert not cut, (case, "cut by the edge", cut)
    assert overlapping_lanes(everything) == [], (case, "labels overlap")
    small = [(t["text"], round(t["font"], 1)) for t in everything if t["font"] < 12]
    assert not small, (case, "smaller than 12 px", small)
    bars = page.evaluate(BARS_JS)
    spans = labels["span"] + labels["span-left"]
    own = dict(zip(range(len(spans)), label_node(page)))
    on_bars = [(t["text"], b["id"]) for k, t in enumerate(spans) for b in bars if b["id"] != own[k] and crosses(letters(t), b)]
    on_bars += [(t["text"], b["id"]) for kind in ("lane", "tick", "break", "fold") for t in labels[kind] for b in bars
                if crosses(letters(t), b)]
    assert not on_bars, (case, "labels on bars", on_bars)
    # the lane names as a person reads them, each where it is drawn
    path = screenshot_3d_view(page, shot)
    lanes = labels["lane"]
    read = [t["text"] for t, text in zip(lanes, ocr_boxes(path, lanes)) if text == letters_and_digits(t["text"])]
    assert read == [t["text"] for t in lanes], (case, "lane names OCR did not read whole", read)
    print(f"{case}: box {figures['box_share']:.1%} of the canvas, {free_share:.1%} of its free part, {figures['marks']} marks, {len(lanes)} lane names read, "
          f"{len(spans)} span labels, {len(labels['break'])} break labels")
    return figures


def test_odd_traces_are_framed_and_read_after_a_trace_switch_and_after_reset(vrmon_server, open_app, page, tmp_path):
    store = SpanStore()
    for make in CASES.values():
        store.add(make())
    open_app(vrmon_server([], store=store, host_metrics=False))
    assert len(page.evaluate("window.vrmon.system.traceList()")) == len(CASES)
    shown_first = page.evaluate("window.vrmon.system.scene.trace")
    # at load: whichever trace the page opens on
    assert_reads(page, f"at load ({shown_first})", tmp_path / "load.png")
    for k, (case, make) in enumerate(CASES.items()):
        trace = f"{make().trace_id[0]:016x}"
        page.evaluate("(t) => window.vrmon.system.switchScene({ trace: t })", trace)
        page.wait_for_function("(t) => window.vrmon.system.scene.trace === t", arg=trace, timeout=20_000)
        next_frames(page)
        framed = assert_reads(page, case, tmp_path / f"{k}-switched.png")
        camera = page.evaluate(CAMERA_JS)
        page.mouse.move(640, 360)
        page.keyboard.press("r")
        next_frames(page)
        assert page.evaluate(CAMERA_JS) == pytest.approx(camera, abs=1e-6), case
        assert assert_reads(page, f"{case}, after Reset", tmp_path / f"{k}-reset.png")["box"] == pytest.approx(framed["box"], abs=0.5)
    assert not page.errors


def test_a_lone_span_alone_fills_the_view_with_its_bar_name_and_label(vrmon_server, open_app, page, tmp_path):
    """The lone span of a 0 µs trace, the only trace (the list folds): its bar fills ≥ 30 % of
    the canvas (6 % before, a bar one row tall at the width of the picture; 0.1 % for 0 µs, a sliver)."""
    store = SpanStore()
    store.add(CASES["a lone span of 0 µs"]())
    open_app(vrmon_server([], store=store, host_metrics=False))
    assert page.evaluate("document.querySelector('#trace-list').classList.contains('collapsed')")
    figures = assert_reads(page, "a lone span of 0 µs, alone", tmp_path / "alone.png")
    assert figures["box_share"] >= 0.30, figures["box"]
    (span,) = page.evaluate(LABEL_PX_JS, ["span"])
    assert span["text"] == "cart/call-0 · 0 µs"
    assert not page.errors


# Each ghost of the comparison as drawn (its instance's box projected to CSS px).
GHOSTS_JS = """
() => {
  const THREE = AFRAME.THREE, sceneEl = document.querySelector("a-scene"), camera = sceneEl.camera;
  const canvas = sceneEl.canvas.getBoundingClientRect();
  const ghosts = document.querySelector("[compare-marks]").components["compare-marks"].ghosts;
  camera.updateMatrixWorld();
  ghosts.updateMatrixWorld(true);
  const m = new THREE.Matrix4(), v = new THREE.Vector3(), rects = [];
  for (let i = 0; i < ghosts.count; i++) {
    ghosts.getMatrixAt(i, m);
    m.premultiply(ghosts.matrixWorld);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let c = 0; c < 8; c++) {
      v.set(c & 1 ? 0.5 : -0.5, c & 2 ? 0.5 : -0.5, c & 4 ? 0.5 : -0.5).applyMatrix4(m).project(camera);
      const x = (v.x + 1) / 2 * canvas.width, y = (1 - v.y) / 2 * canvas.height;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
    rects.push({ x0, y0, x1, y1 });
  }
  return rects;
}
"""


def test_a_compared_traces_ghosts_lie_under_their_anchors_clear_of_every_label_and_bar(vrmon_server, open_app, page, tmp_path):
    """HotROD's trimmed retry trace against the serial one: A's 24 spans missing from B stood a
    'row' (two bar heights) under their anchors, across the next rows' bars and labels (3 labels
    under ghosts); now each lies in the free band under its anchor's bar."""
    serial, retries = "fe65c5beefbe4e96119efbba3da07e99", "ea6db5d7b317ca1a5e2c4e0e7cea53ce"
    base = vrmon_server([FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json",
                         FIXTURES / "otlp-hotrod-dispatch-trimmed-16spans-retries.json"], scene="waterfall", host_metrics=False)
    open_app(base, f"#trace={retries}&compare={serial}")
    page.wait_for_function("() => document.querySelector('[compare-marks]').components['compare-marks'].ghosts.count === 24",
                           timeout=20_000)
    page.mouse.move(640, 20)
    next_frames(page)
    ghosts = page.evaluate(GHOSTS_JS)
    labels = [label for kind in labels_by_kind(page).values() for label in kind]
    bars = page.evaluate(BARS_JS)
    under_ghosts = [label["text"] for label in labels for g in ghosts if crosses(letters(label), g)]
    on_bars = [b["id"] for b in bars for g in ghosts if crosses((g["x0"], g["y0"], g["x1"], g["y1"]), b)]
    small = [g for g in ghosts if g["y1"] - g["y0"] < 2]
    page.screenshot(path=str(tmp_path / "compare.png"))
    print(f"\n{len(ghosts)} ghosts, {min(g['y1'] - g['y0'] for g in ghosts):.1f}-{max(g['y1'] - g['y0'] for g in ghosts):.1f} px tall")
    assert not under_ghosts, f"labels under ghosts: {under_ghosts}"
    assert not on_bars, f"ghosts across bars: {on_bars}"
    assert not small, small
    assert not page.errors


# The screen y (CSS px) of the highest error marker's top (error-markers.js: a marker reaches
# min(0.13, 0.6 × bar height) × 3 m above its bar), and the top bar's foot.
MARKERS_TOP_JS = """() => {
  const THREE = AFRAME.THREE, { pos, size, flags, count } = window.vrmon.system.nodes;
  const camera = document.querySelector('a-scene').camera, canvas = document.querySelector('a-scene').canvas;
  const spans = document.querySelector('[span-instances]').object3D;
  let top = Infinity;
  for (let r = 0; r < count; r++) {
    if (!(flags[r] & 1)) continue;
    const h = size[r * 3 + 1];
    const v = new THREE.Vector3(pos[r * 3], pos[r * 3 + 1] + h / 2 + Math.min(0.13, 0.6 * h) * 3, pos[r * 3 + 2])
      .applyMatrix4(spans.matrixWorld).project(camera);
    top = Math.min(top, (1 - v.y) / 2 * canvas.clientHeight);
  }
  return [top, document.getElementById('topbar').getBoundingClientRect().bottom];
}"""


def test_an_error_on_the_root_is_framed_with_its_marker_clear_of_the_top_bar(vrmon_server, open_app, page):
    # Tempo's mythical trace: its root failed, and its marker stands above the top row (it was half under the bar)
    open_app(vrmon_server([str(FIXTURES / "tempo-otlp-mythical-failed-requests-15spans-base64.json")], scene="waterfall", host_metrics=False))
    next_frames(page)
    top, bar = page.evaluate(MARKERS_TOP_JS)
    assert top >= bar, (top, bar)
    assert mark_figures(page)["box_share"] >= 0.3
