"""The waterfall reads at a glance at every size (issue 8, part 1), on data the fixtures do not
have: 5, 40, 20k, 100k and 1M spans over 40 services, and a 10-deep burst followed by a 15 s wait.

At the default view of a 1280×720 page: the marks' box covers ≥ 30 % of the canvas, ≥ 90 % of
the marks are on screen, ≥ 80 % of them are at least 2×2 px, draw calls stay under 30, every lane
name on show is ≥ 12 px tall and OCR reads it from a screenshot of the 3D view alone.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import enter_vr, install_emulated_headset, lane_names_point
from tests.browser.legibility import TWO_FRAMES_JS, mark_figures, names_read, read_3d_view
from tests.generated_traces import burst_then_wait_batch, burst_then_wait_store, named_batch, named_store, store_of

pytestmark = pytest.mark.browser

# Font px of every lane label as drawn: its quad's projected height × the atlas' font share.
LANE_LABEL_PX_JS = """
() => {
  const THREE = AFRAME.THREE;
  const camera = document.querySelector("a-scene").camera;
  const labels = document.querySelector("[scene-labels]").object3D;
  const H = document.querySelector("a-scene").canvas.getBoundingClientRect().height;
  camera.updateMatrixWorld();
  const px = (x, y, z) => new THREE.Vector3(x, y, z).applyMatrix4(labels.matrixWorld).project(camera);
  return window.vrmon.system.labels.filter((l) => l.kind === "lane").map((l) => {
    const [x, y, z] = l.pos;
    const top = px(x, y + l.size / 2, z), bottom = px(x, y - l.size / 2, z);
    return { text: l.text, font: (top.y - bottom.y) / 2 * H * 56 / 76, x: (top.x + 1) / 2 };
  });
}
"""

CAMERA_JS = "() => document.querySelector('#camera').object3D.position.toArray()"

CASES = {
    "5 spans": lambda: named_store(5, spans_per_trace=5, n_services=40),
    "40 spans": lambda: named_store(40, spans_per_trace=40, n_services=40),
    "20k spans": lambda: named_store(20_000, spans_per_trace=20_000, n_services=40),
    "100k spans": lambda: named_store(100_000, spans_per_trace=100_000, n_services=40),
    "1M spans": lambda: named_store(1_000_000, spans_per_trace=1_000_000, n_services=40),
    "burst then 15 s wait": burst_then_wait_store,
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_waterfall_is_framed_visible_and_its_lane_names_read(case, vrmon_server, page, tmp_path):
    base = vrmon_server([], store=CASES[case](), host_metrics=False)
    page.goto(base)
    # a million spans: the server folds them (~0.3 s, more on a busy machine) before the first frame
    page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=90_000)
    figures = mark_figures(page)
    stats = page.evaluate("window.vrmon.stats()")
    assert figures["box_share"] >= 0.30, figures["box"]
    assert figures["on_screen"] >= 0.90
    assert figures["visible_2px"] >= 0.80
    assert stats["drawCalls"] < 30

    lanes = page.evaluate(LANE_LABEL_PX_JS)
    assert lanes, "the waterfall names its lanes"
    small = [lane for lane in lanes if lane["font"] < 12]
    assert not small, small
    assert all(lane["x"] > 0 for lane in lanes), "a lane name is cut by the left edge"
    words = read_3d_view(page, tmp_path / "waterfall.png")
    names = [lane["text"] for lane in lanes]
    read = names_read(words, names)
    assert len(read) == len(names), sorted(set(names) - set(read))
    assert not page.errors


def assert_legible(page) -> dict:
    figures = mark_figures(page)
    assert figures["box_share"] >= 0.30, figures["box"]
    assert figures["on_screen"] >= 0.90
    assert figures["visible_2px"] >= 0.80
    return figures


def test_a_trace_switch_and_reset_frame_the_new_trace_and_a_live_delta_never_moves_the_camera(vrmon_server, open_app, page):
    store = store_of(named_batch(20_000, spans_per_trace=20_000, n_services=40))
    store.add(burst_then_wait_batch())
    base = vrmon_server([], store=store, host_metrics=False)
    open_app(base)
    assert_legible(page)
    shown = page.evaluate("window.vrmon.system.scene.trace")
    other = next(t["id"] for t in page.evaluate("window.vrmon.system.traceList()") if t["id"] != shown)
    page.evaluate(f"window.vrmon.system.switchScene({{trace: '{other}'}})")
    page.wait_for_function(f"window.vrmon.system.scene.trace === '{other}'", timeout=20_000)
    page.evaluate(TWO_FRAMES_JS)
    framed = assert_legible(page)
    camera = page.evaluate(CAMERA_JS)

    # the wheel over the lane names (off the bars, where it zooms time) moves the view away; R brings back the same framing
    page.mouse.move(*lane_names_point(page))
    for _ in range(5):
        page.mouse.wheel(0, -400)
    page.evaluate(TWO_FRAMES_JS)
    assert page.evaluate(CAMERA_JS) != camera
    page.keyboard.press("r")
    page.evaluate(TWO_FRAMES_JS)
    assert page.evaluate(CAMERA_JS) == pytest.approx(camera, abs=1e-6)
    assert mark_figures(page)["box"] == pytest.approx(framed["box"], abs=0.5)

    # a live delta to the shown trace: the picture changes, the camera does not
    seq = page.evaluate("window.vrmon.system.seq")
    rows = store.rows_of_trace(store.trace_code(other))
    root = int(store.span_id[rows][store.depth[rows] == 0][0])
    more = burst_then_wait_batch()
    more.trace_id = [int(other, 16)] * len(more)
    more.span_id = [s + (1 << 40) for s in more.span_id]
    more.parent_id = [p + (1 << 40) if p else root for p in more.parent_id]
    vrmon_server.last.call(store.add, more)
    page.wait_for_function(f"window.vrmon.system.seq > {seq}", timeout=20_000)
    page.evaluate(TWO_FRAMES_JS)
    assert page.evaluate(CAMERA_JS) == pytest.approx(camera, abs=1e-6)
    assert not page.errors


# Each lane name's visual angle from the headset's eye (its quad's font height over its distance),
# and the angle off straight ahead of the picture's centre, in degrees.
HEADSET_FIGURES_JS = """
() => {
  const THREE = AFRAME.THREE;
  const eye = document.querySelector("a-scene").camera.getWorldPosition(new THREE.Vector3());
  const labels = document.querySelector("[scene-labels]").object3D;
  labels.updateMatrixWorld(true);
  const scale = labels.matrixWorld.getMaxScaleOnAxis();
  const degrees = (radians) => radians * 180 / Math.PI;
  const lanes = window.vrmon.system.labels.filter((l) => l.kind === "lane").map((l) => {
    const at = new THREE.Vector3(...l.pos).applyMatrix4(labels.matrixWorld);
    return { text: l.text, degrees: degrees(l.size * scale * 56 / 76 / at.distanceTo(eye)) };
  });
  const [x0, y0, z0, x1, y1, z1] = window.vrmon.system.scene.frame;
  const centre = new THREE.Vector3((x0 + x1) / 2, (y0 + y1) / 2, z1).applyMatrix4(labels.matrixWorld).sub(eye);
  const width = (x1 - x0) * scale;
  return { lanes, off_ahead: degrees(Math.atan2(Math.hypot(centre.x, centre.y), -centre.z)), distance: -centre.z, width };
}
"""


def test_in_a_headset_the_waterfall_stands_in_front_and_its_lane_names_look_big_enough(vrmon_server, open_app, page):
    install_emulated_headset(page)
    page.set_viewport_size({"width": 640, "height": 360})
    open_app(vrmon_server([], store=CASES["20k spans"](), host_metrics=False))
    enter_vr(page)
    page.evaluate(TWO_FRAMES_JS)
    figures = page.evaluate(HEADSET_FIGURES_JS)
    assert figures["off_ahead"] < 15  # straight ahead, near eye height
    assert 1.0 <= figures["distance"] <= 3.0 and 2.0 <= figures["width"] <= 6.0  # arm's length to room size
    small = [lane for lane in figures["lanes"] if lane["degrees"] < 1.2]
    assert not small, small
    assert not page.errors
