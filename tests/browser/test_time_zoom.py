"""The waterfall's time zoom in the browser (issue 8, part 1), on a generated 20k-span trace over 40
services: the wheel over the bars zooms the time axis about the pointer (the time under it stays
there, measured through the three.js camera and the bars' world matrix), the server unfolds the
calls in the window (more marks ≥ 2×2 px, bars that were folded), the ruler re-ticks and OCR reads
it, the overview strip's rectangle is the window and dragging it pans, a drag on the bars pans,
and R goes back to the whole trace — the camera never moving by itself; in an emulated headset
the right thumbstick zooms and pans time while its laser is on a bar."""

from __future__ import annotations

import re

import pytest

from tests.browser.legibility import mark_figures, read_3d_view
from tests.browser.test_headset import SMALL_VIEWPORT, aim_at_span, enter_headset, front_top_span
from tests.generated_traces import named_store
from vrmon.layout.waterfall_lod import SUMMARY_BASE

pytestmark = pytest.mark.browser

CAMERA_JS = "() => document.querySelector('#camera').object3D.position.toArray()"

# True µs from the trace's start under a point of the canvas: the camera ray through it meets the
# bars' plane (z = 0 in the bars' entity), whose local x the scene's axis turns into time.
TIME_UNDER_JS = """
async ([clientX, clientY]) => {
  const { compress, expand, timeAt, shareOfX } = await import("/static/js/data/time-axis.js");
  const THREE = AFRAME.THREE;
  const sceneEl = document.querySelector("a-scene");
  const rect = sceneEl.canvas.getBoundingClientRect();
  const ray = new THREE.Raycaster();
  ray.setFromCamera(new THREE.Vector2((clientX - rect.left) / rect.width * 2 - 1, -(clientY - rect.top) / rect.height * 2 + 1), sceneEl.camera);
  const spans = document.querySelector("[span-instances]").object3D;
  spans.updateMatrixWorld();
  const local = ray.ray.clone().applyMatrix4(spans.matrixWorld.clone().invert());
  const point = local.at(-local.origin.z / local.direction.z, new THREE.Vector3());
  const axis = window.vrmon.system.scene.axis;
  return { us: expand(axis, timeAt(axis, shareOfX(axis, point.x))), span: expand(axis, axis.hi) - expand(axis, axis.lo) };
}
"""

# Canvas point (CSS px) of local x, y on the bars' plane.
SCREEN_OF_JS = """
([x, y]) => {
  const THREE = AFRAME.THREE;
  const sceneEl = document.querySelector("a-scene");
  const rect = sceneEl.canvas.getBoundingClientRect();
  const p = new THREE.Vector3(x, y, 0).applyMatrix4(document.querySelector("[span-instances]").object3D.matrixWorld).project(sceneEl.camera);
  return { x: rect.left + (p.x + 1) / 2 * rect.width, y: rect.top + (1 - p.y) / 2 * rect.height };
}
"""

# Where the strip draws the window's frame: the first and last column of the accent colour
# across the middle row of its canvas, in CSS px from its left edge, and its CSS width.
STRIP_FRAME_JS = """
() => {
  const canvas = document.querySelector("#time-strip canvas");
  const ctx = canvas.getContext("2d");
  const row = ctx.getImageData(0, Math.floor(canvas.height / 2), canvas.width, 1).data;
  let first = -1, last = -1;
  for (let x = 0; x < canvas.width; x++) {
    const [r, g, b] = [row[x * 4], row[x * 4 + 1], row[x * 4 + 2]];
    if (Math.abs(r - 88) < 12 && Math.abs(g - 166) < 12 && Math.abs(b - 255) < 12) { if (first < 0) first = x; last = x; }
  }
  const ratio = canvas.width / canvas.clientWidth;
  const box = canvas.getBoundingClientRect();
  return { first: first / ratio, last: (last + 1) / ratio, width: canvas.clientWidth, left: box.left, top: box.top, height: box.height };
}
"""

SETTLED_JS = "() => !window.vrmon.system.zoomPending()"
BARS_JS = f"() => window.vrmon.nodeIds().filter((id) => id < {SUMMARY_BASE})"


def axis(page) -> dict:
    return page.evaluate("window.vrmon.system.scene.axis")


def wait_for_window(page, before: dict) -> dict:
    """Wait until the server's answer to the last zoom or pan is shown; returns the new axis."""
    page.wait_for_function(f"""() => {{ const a = window.vrmon.system.scene.axis;
        return !window.vrmon.system.zoomPending() && (a.lo !== {before['lo']} || a.hi !== {before['hi']}); }}""", timeout=30_000)
    return axis(page)


@pytest.fixture(scope="module")
def store():
    return named_store(20_000, spans_per_trace=20_000, n_services=40)


@pytest.mark.screenshots
def test_the_wheel_zooms_time_about_the_pointer_unfolds_calls_and_the_ruler_reads(store, vrmon_server, open_app, page, tmp_path,
                                                                                 screenshot_dir):
    """Also desktop-time-zoom.png (docs/img under `make screenshots`): the zoomed 20k-span trace and its strip."""
    open_app(vrmon_server([], store=store, host_metrics=False))
    camera = page.evaluate(CAMERA_JS)
    whole = axis(page)
    before = mark_figures(page)
    bars_before = set(page.evaluate(BARS_JS))
    frame = page.evaluate("window.vrmon.system.scene.frame")
    # a point on the bars two fifths of the way across the time axis, halfway up the lanes
    x = whole["x"][0] + 0.4 * (whole["x"][1] - whole["x"][0])
    point = page.evaluate(SCREEN_OF_JS, [x, (frame[1] + frame[4]) / 2])
    grabbed = page.evaluate(TIME_UNDER_JS, [point["x"], point["y"]])
    page.mouse.move(point["x"], point["y"])
    for _ in range(12):  # twelve notches in: about a sixth of the time, faster than the server answers
        page.mouse.wheel(0, -100)
    zoomed = wait_for_window(page, whole)
    page.wait_for_function(SETTLED_JS)
    zoomed = axis(page)
    under = page.evaluate(TIME_UNDER_JS, [point["x"], point["y"]])
    assert zoomed["zoomed"] and under["span"] < grabbed["span"] / 5
    assert abs(under["us"] - grabbed["us"]) < 0.01 * under["span"]  # the same moment under the pointer
    assert page.evaluate(CAMERA_JS) == camera  # only the time axis moved

    # The overview's marks are already ≥ 2×2 px (level of detail folds the rest); the stretch zoomed
    # into had a few of them, and now fills the width with many more, still nearly all ≥ 2×2 px.
    after = mark_figures(page)
    edges = [page.evaluate(SCREEN_OF_JS, [whole["x"][0] + (zoomed[k] - whole["lo"]) / (whole["hi"] - whole["lo"]) * (whole["x"][1] - whole["x"][0]), frame[1]])["x"]
             for k in ("lo", "hi")]
    seen = lambda rect: rect[2] - rect[0] >= 2 and rect[3] - rect[1] >= 2  # noqa: E731
    there_before = sum(seen(r) and r[2] >= edges[0] and r[0] <= edges[1] for r in before["rects"])
    there_after = sum(seen(r) for r in after["rects"])
    assert after["visible_2px"] >= 0.95 and there_after >= 3 * there_before, (before["visible_2px"], after["visible_2px"], there_before, there_after)
    revealed = set(page.evaluate(BARS_JS)) - bars_before
    assert len(revealed) >= 30  # calls folded into summaries at the overview are bars now
    # a revealed bar starts where its span's true start time falls on the new axis
    t0 = int(store.start_us[store.rows_of_trace(0)].min())
    uid = next(u for u in sorted(revealed) if store.start_us[store.row_of_uid(u)] - t0 >= under["us"] - under["span"] / 2)
    left = page.evaluate(f"""async () => {{ const {{ compress, xOfTime }} = await import("/static/js/data/time-axis.js");
        const s = window.vrmon.system, row = s.nodes.rowOf.get({uid}), axis = s.scene.axis;
        return [s.nodes.pos[row * 3] - s.nodes.size[row * 3] / 2, xOfTime(axis, compress(axis, {int(store.start_us[store.row_of_uid(uid)] - t0)}))]; }}""")
    assert abs(left[0] - left[1]) < 0.01

    page.mouse.move(point["x"], 719)  # no hover tooltip in the picture
    page.locator("#tooltip").wait_for(state="hidden")
    page.screenshot(path=str(screenshot_dir / "desktop-time-zoom.png"))

    # the ruler re-ticked to the window, and a person can read it
    ticks = [label["text"] for label in page.evaluate("window.vrmon.system.labels") if label["kind"] == "tick"]
    assert len(ticks) >= 3
    words = read_3d_view(page, tmp_path / "zoomed.png")
    # the number whole, even where OCR runs it into its unit ("700-ms", "900.ms")
    read = [t for t in ticks if any(re.match(rf"{re.escape(t.split()[0])}(?!\.?[0-9])", w) for w in words)]
    assert len(read) >= len(ticks) - 1, (ticks, sorted(w for w in words if w[:1].isdigit()))

    page.keyboard.press("r")  # back to the whole trace, framed as at first
    page.wait_for_function("!window.vrmon.system.scene.axis.zoomed && !window.vrmon.system.zoomPending()", timeout=30_000)
    page.wait_for_function(f"(c) => {CAMERA_JS}().every((v, i) => Math.abs(v - c[i]) < 1e-6)", arg=camera)
    assert not page.errors


def test_the_strip_shows_the_window_and_drags_on_it_and_on_the_bars_pan(store, vrmon_server, open_app, page):
    open_app(vrmon_server([], store=store, host_metrics=False))
    whole = axis(page)
    # the whole trace has no time to pan to: a drag on the bars looks around, as it always did
    frame = page.evaluate("window.vrmon.system.scene.frame")
    look = "() => document.querySelector('#camera').object3D.rotation.y"
    start = page.evaluate(SCREEN_OF_JS, [0, (frame[1] + frame[4]) / 2])
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(start["x"] + 60, start["y"], steps=4)
    page.mouse.up()
    assert page.evaluate(look) != 0 and not page.evaluate("window.vrmon.system.zoomPending()")
    page.keyboard.press("r")
    page.wait_for_function(f"Math.abs(({look})()) < 1e-9")
    page.keyboard.press("+")
    page.keyboard.press("+")  # a quarter of the trace, about the middle
    zoomed = wait_for_window(page, whole)
    page.wait_for_function(SETTLED_JS)
    zoomed = axis(page)
    assert zoomed["hi"] - zoomed["lo"] == pytest.approx(whole["whole"] / 4, rel=1e-6)

    strip = page.evaluate(STRIP_FRAME_JS)
    assert abs(strip["first"] - zoomed["lo"] / zoomed["whole"] * strip["width"]) <= 2
    assert abs(strip["last"] - zoomed["hi"] / zoomed["whole"] * strip["width"]) <= 2

    # drag the strip's rectangle 60 px right: the window moves by as much of the whole trace
    y = strip["top"] + strip["height"] / 2
    start = strip["left"] + (strip["first"] + strip["last"]) / 2
    page.mouse.move(start, y)
    page.mouse.down()
    page.mouse.move(start + 30, y, steps=3)
    page.mouse.move(start + 60, y, steps=3)
    page.mouse.up()
    page.wait_for_function(SETTLED_JS)
    moved = axis(page)
    shift = 60 / strip["width"] * zoomed["whole"]
    assert moved["lo"] == pytest.approx(zoomed["lo"] + shift, abs=0.01 * zoomed["whole"])
    assert moved["hi"] - moved["lo"] == pytest.approx(zoomed["hi"] - zoomed["lo"], rel=1e-6)
    strip = page.evaluate(STRIP_FRAME_JS)
    assert abs(strip["first"] - moved["lo"] / moved["whole"] * strip["width"]) <= 2

    # drag on the bars 200 px left: the time grabbed stays under the pointer
    camera = page.evaluate(CAMERA_JS)
    frame = page.evaluate("window.vrmon.system.scene.frame")
    grab = page.evaluate(SCREEN_OF_JS, [moved["x"][0] + 0.6 * (moved["x"][1] - moved["x"][0]), (frame[1] + frame[4]) / 2])
    grabbed = page.evaluate(TIME_UNDER_JS, [grab["x"], grab["y"]])
    page.mouse.move(grab["x"], grab["y"])
    page.mouse.down()
    page.mouse.move(grab["x"] - 100, grab["y"], steps=4)
    page.mouse.move(grab["x"] - 200, grab["y"], steps=4)
    page.mouse.up()
    page.wait_for_function(SETTLED_JS)
    panned = axis(page)
    assert panned["lo"] > moved["lo"]
    assert abs(page.evaluate(TIME_UNDER_JS, [grab["x"] - 200, grab["y"]])["us"] - grabbed["us"]) < 0.01 * grabbed["span"]
    assert page.evaluate(CAMERA_JS) == camera  # the drag panned time; it did not turn the view
    assert not page.errors


def test_in_a_headset_the_right_thumbstick_on_a_bar_zooms_time_and_moves_nobody(vrmon_server, open_app, server_snapshot, page):
    page, table = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT)
    target = front_top_span(table)
    aim_at_span(page, target)
    page.wait_for_function("document.querySelector('#right-hand').components['vr-time-zoom'].isZooming()")
    whole = axis(page)
    rig = page.evaluate("window.headset.rig()")
    page.evaluate("window.headset.stick('right', 0, -1, 30)")  # pushed forward, held: zoom in (not teleport)
    page.wait_for_function(SETTLED_JS)
    zoomed = axis(page)
    assert zoomed["zoomed"] and zoomed["hi"] - zoomed["lo"] < 0.9 * (whole["hi"] - whole["lo"])
    assert page.evaluate("window.headset.rig()") == rig  # nothing turned, walked or teleported
    widest = page.evaluate("""() => { const { nodes } = window.vrmon.system; let best = 0;
      for (let row = 1; row < nodes.count; row++) if (nodes.size[row * 3] > nodes.size[best * 3]) best = row;
      return nodes.ids[best]; }""")
    aim_at_span(page, widest)  # the bars moved under the laser: point at one again
    page.wait_for_function("document.querySelector('#right-hand').components['vr-time-zoom'].isZooming()")
    page.evaluate("window.headset.stick('right', 1, 0, 20)")  # right: later times
    page.wait_for_function(SETTLED_JS)
    assert axis(page)["lo"] > zoomed["lo"]
    assert page.evaluate("window.headset.rig()") == rig
    assert not page.errors
