"""Exploration (temporary)."""

from __future__ import annotations

import pytest

from tests.browser.legibility import TWO_FRAMES_JS, letters_and_digits, mark_figures, ocr_boxes, screenshot_3d_view
from tests.browser.test_services_legibility import LABELS_JS, label_figures, labels_clear_of_overlays, service_mesh_batch, shots
from tests.browser.test_services_panel import open_panel
from tests.generated_traces import LONG_AND_SHORT_NAMES, numbered_names, service_names, store_of

OUTLINE_JS = """() => {
  const THREE = AFRAME.THREE;
  const sceneEl = document.querySelector('a-scene'), camera = sceneEl.camera;
  const outline = document.querySelector('[span-instances]').components['span-instances'].outline;
  const canvas = sceneEl.canvas.getBoundingClientRect();
  outline.updateMatrixWorld(true);
  const v = new THREE.Vector3();
  const box = {x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity};
  outline.geometry.computeBoundingBox();
  const bb = outline.geometry.boundingBox;
  for (let c = 0; c < 8; c++) {
    v.set(c & 1 ? bb.max.x : bb.min.x, c & 2 ? bb.max.y : bb.min.y, c & 4 ? bb.max.z : bb.min.z).applyMatrix4(outline.matrixWorld).project(camera);
    const x = (v.x + 1) / 2 * canvas.width, y = (1 - v.y) / 2 * canvas.height;
    box.x0 = Math.min(box.x0, x); box.x1 = Math.max(box.x1, x); box.y0 = Math.min(box.y0, y); box.y1 = Math.max(box.y1, y);
  }
  const panel = document.querySelector('#span-panel').getBoundingClientRect();
  return {visible: outline.visible, box, width: canvas.width, height: canvas.height, panelLeft: panel.left};
}"""


@pytest.mark.parametrize("n", [1, 2, 3, -1, -2, -3, 12])
def test_small(vrmon_server, page, tmp_path, n):
    names = LONG_AND_SHORT_NAMES[::2][:-n] if n < 0 else LONG_AND_SHORT_NAMES if n == 12 else service_names(n)
    n = abs(n)
    store = store_of(service_mesh_batch(n, n_traces=60, names=names))
    page.goto(vrmon_server([], store=store, scene="services") + "/")
    page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=60_000)
    page.wait_for_function(f"(n) => window.vrmon.stats().instances === n && ({LABELS_JS})().length === n", arg=n, timeout=60_000)
    labels = labels_clear_of_overlays(page)
    marks = mark_figures(page)
    fig = label_figures(labels, marks)
    screenshot_3d_view(page, shots(tmp_path) / f"small-{n}.png")
    print(f"\nsmall {n}: box {marks['box_share']:.1%} {marks['box']} onscreen {marks['on_screen']:.0%} shown {len(labels)} {fig}")
    open_panel(page)
    out = page.evaluate(OUTLINE_JS)
    page.screenshot(path=str(shots(tmp_path) / f"small-{n}-selected.png"))
    print(f"selected: {out}")
