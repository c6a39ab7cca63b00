"""The trace's first picture, drawn on a 2D canvas from the early socket's snapshot before A-Frame
is evaluated (static/js/scene/first-picture.js), is the picture the 3D view then shows: the same
camera, every span where the 3D view draws it in its colour, the labels; it stays until the 3D view
has drawn the framed view, and the page answers the mouse once it is gone."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pytest
from PIL import Image

from tests.browser.helpers import next_frames
from tests.browser.test_waterfall_legibility import LABEL_PX_JS
from tests.browser.test_waterfall_span_labels import BARS_JS

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"

# Before the page's scripts: keep the first picture's canvas (it leaves the page at the handover),
# note whether A-Frame existed when it was drawn, and the 3D view's frames around the handover.
WATCH_PICTURE = """
  window.__picture = {canvas: null, aframe: null, framedAt: null, renderedAtRemoval: null};
  new MutationObserver((records) => {
    const scene = document.querySelector("a-scene");
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.id === "first-picture") Object.assign(window.__picture, {canvas: node, aframe: typeof window.AFRAME !== "undefined"});
      }
      for (const node of record.removedNodes) {
        if (node.id === "first-picture") window.__picture.renderedAtRemoval = scene.renderer?.info.render.frame ?? -1;
      }
    }
  }).observe(document, {childList: true, subtree: true});
  document.addEventListener("vrmon-view-framed", (event) => {
    if (window.__picture.framedAt === null) window.__picture.framedAt = event.target.renderer.info.render.frame;
  }, true);
"""

# Each node's centre as the picture projected it and as the 3D camera does (CSS px), and the two cameras.
COMPARE = """() => {
  const {canvas} = window.__picture, system = window.vrmon.system, {pos, ids, count} = system.nodes;
  const camera = document.querySelector("a-scene").camera, eye = new AFRAME.THREE.Vector3();
  camera.getWorldPosition(eye);
  const turn = new AFRAME.THREE.Euler().setFromQuaternion(camera.getWorldQuaternion(new AFRAME.THREE.Quaternion()));
  const nodes = [];
  for (let row = 0; row < count; row++) {
    nodes.push({picture: canvas.view.project(Array.from(pos.subarray(row * 3, row * 3 + 3))), scene: window.vrmon.screenPositionOf(ids[row])});
  }
  return {nodes, pictureEye: canvas.view.eye, pictureDown: canvas.view.pitch, sceneEye: eye.toArray(), sceneTurn: [turn.x, turn.y, turn.z],
          image: canvas.toDataURL("image/png"), size: [canvas.width, canvas.height]};
}"""


def wait_for_the_first_picture_handed_over(page, timeout: float = 30_000) -> None:
    """Once the page is ready (WATCH_PICTURE added), wait until its first picture was drawn and
    then taken away by the 3D view.

    On a loaded machine the snapshot can come after the picture's wait (1 s); then, by design, no
    picture is drawn and A-Frame draws the view (test_a_snapshot_that_comes_after_aframe_started_loading_draws_no_picture). A
    reload is served the snapshot the server has already laid out: load again until a picture was
    drawn, a few times at most."""
    for _ in range(3):
        if page.evaluate("window.__picture.canvas !== null"):
            break
        page.reload()
        page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=2 * timeout)
    page.wait_for_function("() => !document.getElementById('first-picture') && window.__picture.renderedAtRemoval !== null",
                           timeout=timeout)


def bar_face_patch(bar: dict, labels: list[dict]) -> tuple[slice, slice]:
    """Rows and columns of the patch of up to 3×3 pixels nearest the middle of the bar's front face
    whose pixels lie whole on the face (off its antialiased edges: a bar can be 2 px wide) and off
    every label's box. A patch across a glyph's or a bar's edge compares the canvas's antialiasing
    with WebGL's, not colours (a mean 13 apart where a span's centre fell on its label's letters)."""
    face = bar["face"]
    (left, right), (top, bottom) = [(math.ceil(face[f"{a}0"]), math.floor(face[f"{a}1"]) - 1) for a in "xy"]
    clear = [(x, y) for y in range(top, bottom + 1) for x in range(left, right + 1)
             if not any(label["x0"] - 2 <= x <= label["x1"] + 2 and label["y0"] - 2 <= y <= label["y1"] + 2 for label in labels)]
    assert clear, f"bar {bar['id']} has no pixel on its face {face} clear of labels"
    x, y = min(clear, key=lambda p: math.hypot(p[0] - (face["x0"] + face["x1"]) / 2, p[1] - (face["y0"] + face["y1"]) / 2))
    return slice(max(y - 1, top), min(y + 1, bottom) + 1), slice(max(x - 1, left), min(x + 1, right) + 1)


def rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


# and on a portrait page, laid out for its shape (layout/page_shape.py) and framed below the folded list's button
@pytest.mark.parametrize("size", [(1280, 720), (600, 900)])
def test_the_first_picture_is_drawn_before_aframe_and_is_the_picture_the_3d_view_then_shows(vrmon_server, open_app, page, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.add_init_script(WATCH_PICTURE)
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False))
    wait_for_the_first_picture_handed_over(page)
    watched = page.evaluate("({aframe: window.__picture.aframe, framedAt: window.__picture.framedAt, removed: window.__picture.renderedAtRemoval})")
    assert watched["aframe"] is False, "drawn before A-Frame was evaluated"
    assert watched["framedAt"] is not None and watched["removed"] > watched["framedAt"], \
        "taken away only after the 3D view drew a frame with the camera framing the view (never an empty or unframed canvas)"
    marks = page.evaluate("performance.getEntriesByType('mark').map((m) => m.name)")
    assert marks.index("vrmon:first-picture") < marks.index("vrmon:first-picture-gone")

    compared = page.evaluate(COMPARE)
    assert np.allclose(compared["pictureEye"], compared["sceneEye"], atol=1e-3), "the same camera position"
    assert np.allclose(compared["sceneTurn"], [-compared["pictureDown"], 0, 0], atol=1e-5), "looking the same way"
    on_screen = [n for n in compared["nodes"] if n["scene"] is not None]
    assert len(on_screen) == len(compared["nodes"]) == 40
    offsets = [np.hypot(n["picture"][0] - n["scene"]["x"], n["picture"][1] - n["scene"]["y"]) for n in on_screen]
    assert max(offsets) < 1.0, f"every span's centre where the 3D view draws it (largest offset {max(offsets):.2f} px)"

    # The 3D view alone against the picture, pixel for pixel: the overlays hidden, and what the 3D
    # view draws from its second frame on (floor grid, critical path, finding marks: first-frame.js).
    page.add_style_tag(content=".overlay, .a-enter-vr { visibility: hidden !important; }")
    page.evaluate("document.querySelectorAll('[after-first-frame]').forEach((el) => { el.object3D.visible = false; })")
    next_frames(page)
    scene = rgb(page.screenshot())
    picture = rgb(base64.b64decode(compared["image"].split(",", 1)[1]))
    assert picture.shape == scene.shape
    labels = page.evaluate(LABEL_PX_JS, page.evaluate("[...new Set(window.vrmon.system.labels.map((l) => l.kind))]"))
    for bar in page.evaluate(BARS_JS):  # each span's colour on its bar's front face, where no label covers it
        rows, columns = bar_face_patch(bar, labels)
        assert np.abs(picture[rows, columns].mean((0, 1)) - scene[rows, columns].mean((0, 1))).max() < 12, \
            f"the span at {columns}, {rows}: {picture[rows, columns].tolist()} in the picture, {scene[rows, columns].tolist()} in the 3D view"
    differing = (np.abs(picture - scene).max(axis=2) > 48).mean()
    assert differing < 0.03, f"{differing:.1%} of the pixels differ (antialiasing and text edges only)"


def test_after_the_handover_the_mouse_points_at_and_selects_spans(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False))
    page.wait_for_function("() => !document.getElementById('first-picture')")
    node = page.evaluate("window.vrmon.nodeIds().find((id) => id < 0xE0000000)")
    point = page.evaluate("(id) => window.vrmon.screenPositionOf(id)", node)
    page.mouse.move(point["x"], point["y"])
    page.wait_for_function("(id) => window.vrmon.system.hoveredId === id", arg=node)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("(id) => window.vrmon.system.selectedId === id && !document.getElementById('span-panel').hidden", arg=node)
    assert page.errors == []


def test_a_snapshot_that_comes_after_aframe_started_loading_draws_no_picture(vrmon_server, page):
    """On a busy machine the snapshot can come after the picture's wait: A-Frame loads then, and a
    picture drawn that late would read A-Frame's entities and never be retired by the 3D view."""
    base_url = vrmon_server([HOTROD], scene="waterfall", host_metrics=False)
    held: dict = {"holding": True, "frames": [], "socket": None}

    def hold_the_server_frames(ws):
        server = ws.connect_to_server()
        held["socket"] = ws
        server.on_message(lambda message: held["frames"].append(message) if held["holding"] else ws.send(message))

    page.route_web_socket("**/ws*", hold_the_server_frames)
    page.goto(f"{base_url}/")
    page.wait_for_function("() => typeof window.AFRAME !== 'undefined'")  # the picture's wait is over: A-Frame loads
    assert held["frames"], "the server sent the snapshot"
    while held["frames"]:  # in order, those that come meanwhile too
        held["socket"].send(held["frames"].pop(0))
    held["holding"] = False
    page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=30_000)
    assert page.evaluate("document.getElementById('first-picture')") is None
    assert page.errors == []
