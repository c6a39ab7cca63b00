"""The services scene's harder cases (issue 8, part 2): names that differ only in their last
digits, graphs of one to three services, and the selected sphere's outline at the edge of the view.

Forty services named checkout-svc-0001 … checkout-svc-0040 (17 letters each): before the prefix
they share was shown once as a heading, 25 of the 40 names found a spot (62 %) on 2026-11-30;
now each sphere is named by what tells it apart ("…0007") under one heading "checkout-svc-…".
Figures come from the three.js scene graph (tests/browser/legibility.py), names from OCR where
they are drawn, with the DOM overlays hidden (VRMON_SHOTS=/some/dir keeps the screenshots).
"""

from __future__ import annotations

import pytest

from tests.browser.legibility import TWO_FRAMES_JS, letters_and_digits, mark_figures, ocr_boxes, require_tesseract, screenshot_3d_view
from tests.browser.test_services_legibility import LABELS_JS, label_figures, labels_clear_of_overlays, service_mesh_batch, shots
from tests.browser.test_legible_at_other_sizes import SIXTY
from tests.browser.test_services_panel import open_panel
from tests.generated_traces import LONG_AND_SHORT_NAMES, numbered_names, store_of
from vrmon.layout.waterfall_overview import LANE_NAME_CHARS

# The selection's outline on screen: its geometry's box through its world matrix, CSS pixels.
OUTLINE_JS = """() => {
  const THREE = AFRAME.THREE;
  const sceneEl = document.querySelector('a-scene'), camera = sceneEl.camera;
  const outline = document.querySelector('[span-instances]').components['span-instances'].outline;
  const canvas = sceneEl.canvas.getBoundingClientRect();
  outline.updateMatrixWorld(true);
  outline.geometry.computeBoundingBox();
  const bb = outline.geometry.boundingBox, v = new THREE.Vector3();
  const box = {x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity};
  for (let c = 0; c < 8; c++) {
    v.set(c & 1 ? bb.max.x : bb.min.x, c & 2 ? bb.max.y : bb.min.y, c & 4 ? bb.max.z : bb.min.z).applyMatrix4(outline.matrixWorld).project(camera);
    const x = (v.x + 1) / 2 * canvas.width, y = (1 - v.y) / 2 * canvas.height;
    box.x0 = Math.min(box.x0, x); box.x1 = Math.max(box.x1, x); box.y0 = Math.min(box.y0, y); box.y1 = Math.max(box.y1, y);
  }
  const panel = document.querySelector('#span-panel').getBoundingClientRect();
  return {visible: outline.visible, box, width: canvas.width, height: canvas.height, panelLeft: panel.left};
}"""


def open_graph(vrmon_server, page, names: list[str], n_traces: int) -> None:
    store = store_of(service_mesh_batch(len(names), n_traces=n_traces, names=names))
    page.goto(vrmon_server([], store=store, scene="services") + "/")
    page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=60_000)
    page.wait_for_function(f"(n) => window.vrmon.stats().instances === n && ({LABELS_JS})().length > 0", arg=len(names), timeout=60_000)


def test_forty_names_that_differ_in_their_digits_read_under_one_heading(vrmon_server, page, tmp_path):
    names = numbered_names(40)
    open_graph(vrmon_server, page, names, n_traces=300)
    labels = labels_clear_of_overlays(page)
    marks = mark_figures(page)
    figures = label_figures(labels, marks)
    require_tesseract()
    shot = screenshot_3d_view(page, shots(tmp_path) / "services-numbered-40.png")
    read = [label for label, text in zip(labels, ocr_boxes(shot, labels, inset=6)) if text == letters_and_digits(label["shown"])]
    headings = [label for label in read if label.get("heading")]
    named = {label["text"] for label in read if not label.get("heading")}
    print(f"\n40 numbered names: box {marks['box_share']:.1%}, names shown {len(labels)} (heading included), read in place "
          f"{len(read)}, {figures}, heading {[label['shown'] for label in headings]}, draw calls {page.evaluate('window.vrmon.stats().drawCalls')}")
    # the heading reads, and with it each name drawn is its service's name
    assert [label["shown"] for label in headings] == ["checkout-svc-…"]
    assert all(label["text"] == "checkout-svc-" + label["shown"].removeprefix("…") for label in labels if not label.get("heading"))
    assert len(named) >= 0.8 * len(names), sorted(set(names) - named)  # the figure: 40 of 40 on 2026-11-30
    assert figures["crossing"] == 0 and figures["on_nodes"] == 0 and figures["cut"] == 0 and figures["smallest_px"] >= 16
    assert marks["box_share"] >= 0.30 and marks["on_screen"] == 1 and marks["visible_2px"] >= 0.8
    assert page.evaluate("window.vrmon.stats().drawCalls") < 30
    assert page.errors == []


def test_a_lone_service_is_a_sphere_not_a_wall_and_its_selection_ring_stays_in_view(vrmon_server, page, tmp_path):
    open_graph(vrmon_server, page, ["checkout"], n_traces=60)  # with errors: its marker stands above it
    labels = labels_clear_of_overlays(page)
    marks = mark_figures(page)
    sphere = marks["rects"][0]
    print(f"\none service: sphere {sphere[3] - sphere[1]:.0f} px tall, box {marks['box_share']:.1%}")
    # A third of the free part's height (604 px between the top and bottom bars), not the 60 %
    # that 30 % of the canvas would take (420 px for telemetrygen's sphere before, 260 with its
    # marker): the name beside it, its marker above.
    assert 0.25 * 720 <= sphere[3] - sphere[1] <= 0.36 * 720
    assert [label["text"] for label in labels] == ["checkout"] and label_figures(labels, marks)["on_nodes"] == 0
    for width, height in [(1280, 720), (900, 700)]:
        page.set_viewport_size({"width": width, "height": height})
        page.keyboard.press("r")
        page.evaluate(TWO_FRAMES_JS)
        open_panel(page)
        outline = page.evaluate(OUTLINE_JS)
        print(f"{width}x{height}, selected: ring {outline['box']}, panel from x {outline['panelLeft']}")
        box = outline["box"]
        assert outline["visible"] and 0 <= box["x0"] and box["x1"] <= outline["panelLeft"] and 0 <= box["y0"] and box["y1"] <= height
        page.keyboard.press("Escape")
        page.locator("#span-panel").wait_for(state="hidden")
    assert page.errors == []


# Two and three services with long names (api-gateway-edge-proxy, recommendation-engine-v2,
# payment-authorization-service): the two lay as a chain turned steeply up, for names the layout
# thought would take the view's width, framed at 27.5 % on 2026-11-30; their names go between
# the spheres, so the chain is turned for the spheres alone: 40.5 %.
@pytest.mark.parametrize("n_services", [2, 3])
def test_two_or_three_services_with_long_names_fill_the_view(vrmon_server, page, n_services):
    names = LONG_AND_SHORT_NAMES[::2][:n_services]
    open_graph(vrmon_server, page, names, n_traces=60)
    page.wait_for_function(f"(n) => ({LABELS_JS})().length === n", arg=n_services)
    labels = labels_clear_of_overlays(page)
    marks = mark_figures(page)
    figures = label_figures(labels, marks)
    print(f"\n{n_services} services with long names: box {marks['box_share']:.1%}, {figures}")
    assert marks["box_share"] >= 0.30 and marks["on_screen"] == 1
    assert sorted(label["text"] for label in labels) == sorted(names)
    assert figures["crossing"] == 0 and figures["on_nodes"] == 0 and figures["cut"] == 0
    assert page.errors == []


# Six services with 60-character names (as test_legible_at_other_sizes.py's waterfall has them):
# whole, the names took the view beside a small graph, its spheres framed at 24.7 % of a 1280x720
# canvas on 2026-12-01; shortened in the middle as the waterfall's lanes are, 42.5 %.
def test_sixty_character_names_are_shortened_and_the_graph_fills_the_view(vrmon_server, page, tmp_path):
    open_graph(vrmon_server, page, SIXTY, n_traces=120)
    page.wait_for_function(f"(n) => ({LABELS_JS})().length === n", arg=len(SIXTY))
    labels = labels_clear_of_overlays(page)
    marks = mark_figures(page)
    figures = label_figures(labels, marks)
    require_tesseract()
    shot = screenshot_3d_view(page, shots(tmp_path) / "services-sixty.png")
    read = [label["text"] for label, text in zip(labels, ocr_boxes(shot, labels, inset=6)) if text == letters_and_digits(label["shown"])]
    print(f"\nsix 60-character names: box {marks['box_share']:.1%}, shown {[label['shown'] for label in labels]}, read {len(read)}, {figures}")
    assert sorted(label["text"] for label in labels) == sorted(SIXTY)
    assert all(len(label["shown"]) == LANE_NAME_CHARS and "…" in label["shown"] for label in labels)
    assert marks["box_share"] >= 0.30 and marks["on_screen"] == 1 and marks["visible_2px"] == 1
    assert figures["crossing"] == 0 and figures["on_nodes"] == 0 and figures["cut"] == 0
    assert len(read) >= 0.8 * len(SIXTY), read
    assert page.errors == []
