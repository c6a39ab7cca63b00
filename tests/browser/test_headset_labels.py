"""In the emulated headset (IWER Quest 3), the names above the nearest spans never overlap as the
viewer sees them and keep at least ~1.2° of visual angle, on HotROD's busy trace (its stacked
redis calls put many spans next to each other), before and after walking up to them."""

from __future__ import annotations

import pytest

from tests.browser.helpers import names_placed, next_frames
from tests.browser.test_headset import SMALL_VIEWPORT, enter_headset, front_top_span, open_panel_on

pytestmark = pytest.mark.browser

# Each shown name's box as typeset by troika (its block bounds through the text's world matrix),
# in degrees right of and below straight ahead of the headset's camera, and its letters' angle.
NAME_BOXES_JS = """() => {
  const THREE = AFRAME.THREE;
  const camera = document.querySelector("a-scene").renderer.xr.getCamera();
  camera.updateMatrixWorld();
  const head = new THREE.Vector3().setFromMatrixPosition(camera.matrixWorld);
  const toView = camera.matrixWorldInverse;
  const labels = document.querySelector("[vr-span-labels]").components["vr-span-labels"];
  const degrees = THREE.MathUtils.radToDeg;
  const scale = new THREE.Vector3();
  // A batched text's own matrixWorld is not kept up to date: compose it from its batch's.
  labels.group.updateWorldMatrix(true, false);
  return labels.texts.filter((t) => t.text && t.textRenderInfo).map((t) => {
    const world = new THREE.Matrix4().compose(t.position, t.quaternion, t.scale).premultiply(labels.group.matrixWorld);
    const [x0, y0, x1, y1] = t.textRenderInfo.blockBounds;
    let ax0 = Infinity, ay0 = Infinity, ax1 = -Infinity, ay1 = -Infinity;
    for (const [x, y] of [[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) {
      const p = new THREE.Vector3(x, y, 0).applyMatrix4(world).applyMatrix4(toView);
      const across = degrees(Math.atan2(p.x, -p.z)), down = -degrees(Math.atan2(p.y, Math.hypot(p.x, p.z)));
      ax0 = Math.min(ax0, across); ax1 = Math.max(ax1, across); ay0 = Math.min(ay0, down); ay1 = Math.max(ay1, down);
    }
    scale.setFromMatrixScale(world);
    const at = new THREE.Vector3().setFromMatrixPosition(world);
    return { text: t.text, x0: ax0, y0: ay0, x1: ax1, y1: ay1, letterDegrees: degrees(Math.atan2(t.fontSize * scale.y, at.distanceTo(head))) };
  });
}"""

TYPESET_JS = """() => document.querySelector("[vr-span-labels]").components["vr-span-labels"].texts
  .filter((t) => t.text).every((t) => t.textRenderInfo && t.textRenderInfo.parameters.text === t.text)"""


def overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]]


def shown_names(page) -> list[dict]:
    page.wait_for_function(TYPESET_JS)
    next_frames(page)
    return page.evaluate(NAME_BOXES_JS)


def test_span_names_in_the_headset_never_overlap_and_keep_their_angle(vrmon_server, open_app, server_snapshot, page):
    page, table = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT)
    target = front_top_span(table)
    open_panel_on(page, table, target)
    page.wait_for_function("(n) => document.querySelector('[vr-span-labels]').components['vr-span-labels'].texts[0].text === n",
                           arg=f"{table[target]['service']}: {table[target]['operation']}")
    for where in ("where the session starts", "a step from the redis calls"):
        if where != "where the session starts":
            # walk up to the stack of redis calls: many spans, all near
            redis = [node_id for node_id, node in table.items() if node["service"] == "redis-manual"]
            page.evaluate("""(id) => { const rig = document.querySelector('#rig').object3D;
              const [x, y, z] = window.headset.spanPoint(id); rig.position.set(x, y - 1.6, z + 1.2); }""", redis[0])
            names_placed(page)
        names = shown_names(page)
        print(f"\n{where}: {len(names)} names, smallest {min(n['letterDegrees'] for n in names):.2f}°")
        assert len(names) >= 2, names
        assert overlaps(names) == [], names
        assert min(n["letterDegrees"] for n in names) >= 1.2
    assert page.errors == []
