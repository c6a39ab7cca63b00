"""The overview strip in an emulated headset (issue 8: an overview of the whole trace stays visible
while you zoom): in the immersive session the strip stands ahead of the viewer below eye level,
seen below the waterfall's foot and turned to face them, with a caption of readable angular size;
after the right thumbstick zooms time, the window framed on its texture is the window the server
laid out; the trigger on the strip centres the window on the time pointed at. Where the frame is
drawn is read from the texture's pixels, the window from the scene the server sent."""

from __future__ import annotations

import pytest

from tests.browser.test_headset import RIGHT_HAND, SMALL_VIEWPORT, aim_at_span, enter_headset, front_top_span
from tests.browser.test_time_zoom import SETTLED_JS, axis

pytestmark = pytest.mark.browser

STRIP = "document.querySelector('#vr-time-strip').components['vr-time-strip']"

# Where the strip stands for the eyes: metres below them, ahead (along where they look, level) and
# to the side; how squarely it faces them (1: straight on); the caption's height in degrees; how
# far below the horizon the strip's top edge and the waterfall's foot (the lowest edge of its frame,
# front face, where it comes nearest) are seen, in degrees.
PLACEMENT_JS = f"""
() => {{
  const THREE = AFRAME.THREE;
  const strip = {STRIP};
  const camera = document.querySelector("a-scene").camera;
  const eye = camera.getWorldPosition(new THREE.Vector3());
  const look = camera.getWorldDirection(new THREE.Vector3()).setY(0).normalize();
  const side = new THREE.Vector3(-look.z, 0, look.x);
  const at = strip.mesh.getWorldPosition(new THREE.Vector3());
  const to = at.clone().sub(eye);
  const normal = new THREE.Vector3(0, 0, 1).transformDirection(strip.mesh.matrixWorld);
  const caption = strip.caption.getWorldPosition(new THREE.Vector3());
  const captionHeight = strip.caption.fontSize * strip.caption.getWorldScale(new THREE.Vector3()).y;
  const down = (p) => THREE.MathUtils.radToDeg(Math.atan2(eye.y - p.y, Math.hypot(p.x - eye.x, p.z - eye.z)));
  const top = new THREE.Vector3(0, strip.mesh.geometry.parameters.height / 2, 0).applyMatrix4(strip.mesh.matrixWorld);
  const [minx, miny, , maxx, , maxz] = window.vrmon.system.scene.frame;
  const spans = document.querySelector("[span-instances]").object3D;
  const nearest = THREE.MathUtils.clamp(spans.worldToLocal(eye.clone()).x, minx, maxx);
  const footDown = down(new THREE.Vector3(nearest, miny, maxz).applyMatrix4(spans.matrixWorld));
  return {{
    below: -to.y, ahead: to.dot(look), aside: Math.abs(to.dot(side)), stripTopDown: down(top), footDown,
    facing: normal.dot(eye.clone().sub(at).normalize()),
    captionDegrees: THREE.MathUtils.radToDeg(2 * Math.atan(captionHeight / 2 / caption.distanceTo(eye))),
  }};
}}
"""

# The window's frame on the strip's texture: the first and last column of the frame's colour
# across the middle row, as shares of the texture's width.
FRAME_ON_TEXTURE_JS = f"""
() => {{
  const canvas = {STRIP}.canvas;
  const row = canvas.getContext("2d").getImageData(0, Math.floor(canvas.height / 2), canvas.width, 1).data;
  let first = -1, last = -1;
  for (let x = 0; x < canvas.width; x++) {{
    const [r, g, b] = [row[x * 4], row[x * 4 + 1], row[x * 4 + 2]];
    if (Math.abs(r - 88) < 12 && Math.abs(g - 166) < 12 && Math.abs(b - 255) < 12) {{ if (first < 0) first = x; last = x; }}
  }}
  return [first / canvas.width, (last + 1) / canvas.width];
}}
"""


# World point of a share across the strip, at its middle height.
STRIP_POINT_JS = f"""
(share) => {{
  const mesh = {STRIP}.mesh;
  mesh.updateMatrixWorld();
  return mesh.localToWorld(new AFRAME.THREE.Vector3((share - 0.5) * mesh.geometry.parameters.width, 0, 0)).toArray();
}}
"""


def test_the_headset_strip_stands_ahead_below_the_eyes_and_frames_the_window_after_a_zoom(
        vrmon_server, open_app, server_snapshot, page):
    page, table = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT)
    page.wait_for_function(f"() => {STRIP}?.el.object3D.visible && {STRIP}.placeInFrames === 0 && {STRIP}.frame !== null")
    where = page.evaluate(PLACEMENT_JS)
    assert 0.3 <= where["below"] <= 0.8, where  # below eye level, above a standing viewer's knees
    assert 0.3 <= where["ahead"] <= 1.2 and where["aside"] <= 0.2, where  # straight ahead, within reach of a glance
    assert where["stripTopDown"] > where["footDown"], where  # seen below the waterfall: it hides none of it
    assert where["facing"] >= 0.95, where  # turned up to the eyes
    assert where["captionDegrees"] >= 1.2, where
    whole = axis(page)
    first, last = page.evaluate(FRAME_ON_TEXTURE_JS)
    assert first <= 0.01 and last >= 0.99  # the whole trace is shown: the frame is the whole strip
    assert "all " in page.evaluate(f"{STRIP}.caption.text")

    aim_at_span(page, front_top_span(table))
    page.wait_for_function("document.querySelector('#right-hand').components['vr-time-zoom'].isZooming()")
    page.evaluate("window.headset.stick('right', 0, -1, 30)")  # pushed forward, held: zoom in
    page.wait_for_function(SETTLED_JS)
    zoomed = axis(page)
    assert zoomed["zoomed"] and zoomed["hi"] - zoomed["lo"] < 0.9 * (whole["hi"] - whole["lo"])
    page.wait_for_function(f"() => {STRIP}.frame[1] - {STRIP}.frame[0] < 0.95")
    first, last = page.evaluate(FRAME_ON_TEXTURE_JS)
    share = 1 / 1024 * 8  # the frame's line, and a pixel's rounding either side
    assert abs(first - zoomed["lo"] / zoomed["whole"]) <= share and abs(last - zoomed["hi"] / zoomed["whole"]) <= share
    assert " of " in page.evaluate(f"{STRIP}.caption.text")

    # the trigger on the strip, four fifths across: the window (its width kept) centres there
    page.evaluate("async ([hand, point]) => { await window.headset.aim('right', hand, point); }",
                  [RIGHT_HAND, page.evaluate(STRIP_POINT_JS, 0.8)])
    page.wait_for_function("window.headset.laser('right').spot !== null")
    page.evaluate("window.headset.press('right', 'trigger')")
    page.wait_for_function(f"() => !window.vrmon.system.zoomPending() && window.vrmon.system.scene.axis.lo !== {zoomed['lo']}")
    centred = axis(page)
    assert abs((centred["lo"] + centred["hi"]) / 2 / centred["whole"] - 0.8) < 0.02
    assert abs((centred["hi"] - centred["lo"]) - (zoomed["hi"] - zoomed["lo"])) < 0.01 * (zoomed["hi"] - zoomed["lo"])
    page.wait_for_function(f"() => Math.abs(({STRIP}.frame[0] + {STRIP}.frame[1]) / 2 - 0.8) < 0.02")
    views = page.evaluate("document.querySelector('a-scene').renderer.xr.getCamera().cameras.length")
    assert 0 < page.evaluate("window.vrmon.stats().drawCalls") / views < 30
    assert not page.errors
