"""The services scene can be read at its default view, at 40 and at 200 services (issue 8, part 2).

Generated data shaped like a real service mesh: realistic names, entry services calling a few
services of the next tier down to the data stores, errors in a few of them. (bench.synthetic's
traces call services at random, so 40 services make a near-complete graph of ~1,150 links, which
no real system has; tests/test_services_layout.py checks the geometry on that one too.) Figures
come from the three.js scene graph (tests/browser/legibility.py), names from OCR of the 3D view
with the DOM overlays hidden. The screenshots stay in the test's tmp_path (set
VRMON_SHOTS=/some/dir to keep them for a look).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.helpers import enter_vr, install_emulated_headset
from tests.browser.legibility import (TWO_FRAMES_JS, labels_read, letters_and_digits, mark_figures, names_read, ocr_boxes,
                                     overlay_cover, read_3d_view, require_tesseract, screenshot_3d_view)
from tests.generated_traces import LONG_AND_SHORT_NAMES, T0_US, service_names, store_of
from vrmon.layout.services import ServicesParams
from vrmon.model.span_batch import SpanBatch

LABELS_JS = "() => document.querySelector('[service-labels]').components['service-labels'].shownLabels()"


def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("VRMON_SHOTS", tmp_path))


def service_mesh_batch(n_services: int, n_traces: int = 300, seed: int = 5, names: list[str] | None = None) -> SpanBatch:
    """Traces through a layered service mesh: tiers of services, each calling 2–4 of the next
    tiers; one trace walks down from an entry service, fanning out. A few services fail often.
    The services are called `names` (default: generated_traces.service_names)."""
    rng = np.random.default_rng(seed)
    names = names or service_names(n_services)
    tiers = np.minimum((np.arange(n_services) * 5) // n_services, 4)  # 0: entry … 4: data stores
    callees = [rng.choice(np.flatnonzero(tiers > tiers[i]), size=min(int(rng.integers(2, 5)), int((tiers > tiers[i]).sum())),
                          replace=False) if tiers[i] < 4 else np.empty(0, int) for i in range(n_services)]
    for j in np.flatnonzero(tiers > 0):  # everyone has a caller
        if not any(j in c for c in callees):
            caller = int(rng.choice(np.flatnonzero(tiers < tiers[j])))
            callees[caller] = np.append(callees[caller], j)
    failing = {int(i): float(rng.uniform(0.02, 0.3)) for i in rng.choice(n_services, size=min(n_services, max(2, n_services // 10)), replace=False)}
    batch = SpanBatch()
    for t in range(n_traces):
        stack = [(int(rng.choice(np.flatnonzero(tiers == 0))), 0, T0_US + t * 20_000, 20_000)]
        while stack:
            service, parent, start, duration = stack.pop()
            span = len(batch.span_id) + 1
            batch.trace_id.append(t + 1); batch.span_id.append(span); batch.parent_id.append(parent)
            batch.service.append(names[service]); batch.operation.append(f"{names[service]}/handle")
            batch.start_us.append(start); batch.duration_us.append(duration)
            batch.error.append(bool(rng.random() < failing.get(service, 0.0)))
            batch.kind.append(2); batch.follows_from.append(False); batch.details.append(b"\x81\xa6format\xa4none")
            for callee in callees[service][rng.random(len(callees[service])) < 0.6]:
                stack.append((int(callee), span, start + duration // 10, duration // 3))
    return batch


# The busiest services get room for their names in the layout (ServicesParams.named): these must
# always read, however many services there are.
NAMED = ServicesParams().named


def busiest(store, count: int) -> list[str]:
    """The `count` services with the most spans (ties: first seen first, as the layout breaks them)."""
    spans = np.bincount(store.service, minlength=len(store.services))
    return [store.services.names[code] for code in np.argsort(-spans, kind="stable")[:count]]


def open_services(vrmon_server, page, n_services: int):
    store = store_of(service_mesh_batch(n_services, n_traces=300 if n_services <= 40 else 500))
    names = sorted(set(store.services.names))
    page.busiest = busiest(store, NAMED)
    page.goto(vrmon_server([], store=store, scene="services") + "/")
    # 200 services: the first layout of the graph takes a while on a busy machine
    page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=60_000)
    page.wait_for_function("(n) => window.vrmon.stats().instances === n && window.vrmon.stats().edges > 0", arg=len(names))
    page.wait_for_function(f"() => ({LABELS_JS})().length > 0")
    return page, names


# Names a DOM overlay (top bar, trace list, legend, …) covers: the top element at a name's
# corners and centre is not the canvas.
UNDER_OVERLAYS_JS = """(labels) => {
  const canvas = document.querySelector("a-scene").canvas;
  return labels.filter((l) => [[l.x0 + 1, l.y0 + 1], [l.x1 - 1, l.y0 + 1], [l.x0 + 1, l.y1 - 1], [l.x1 - 1, l.y1 - 1],
    [(l.x0 + l.x1) / 2, (l.y0 + l.y1) / 2]].some(([x, y]) => document.elementFromPoint(x, y) !== canvas)).map((l) => l.text);
}"""


def labels_clear_of_overlays(page, timeout_ms: float = 20_000) -> list[dict]:
    """The names on show ({text, x0, y0, x1, y1}), once none is under a DOM overlay. An overlay that
    shows or grows after the names were placed (the error key, the host gauge's text) has the
    names it covers placed again at the next frame (one is drawn for it, also at rest): measuring
    before that frame would catch them mid-way. Fails, naming them, if names stay under one."""
    try:
        return page.wait_for_function(
            f"() => {{ const labels = ({LABELS_JS})(); return ({UNDER_OVERLAYS_JS})(labels).length === 0 && labels; }}",
            timeout=timeout_ms).json_value()
    except PlaywrightTimeoutError:
        under = page.evaluate(f"() => ({UNDER_OVERLAYS_JS})(({LABELS_JS})())")
        pytest.fail(f"names under the top bar, a list or a panel for {timeout_ms / 1000:.0f} s: {under}")


def label_figures(labels: list[dict], marks: dict) -> dict:
    """Overlaps between names, names lying on nodes, names cut by the edge."""
    def overlap(a, b) -> bool:
        return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]

    nodes = [{"x0": r[0], "y0": r[1], "x1": r[2], "y1": r[3]} for r in marks["rects"]]
    return {
        "crossing": sum(overlap(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]),
        "on_nodes": sum(any(overlap(label, node) for node in nodes) for label in labels),
        "cut": sum(not (0 <= l["x0"] and l["x1"] <= marks["width"] and 0 <= l["y0"] and l["y1"] <= marks["height"]) for l in labels),
        "smallest_px": min(l["y1"] - l["y0"] for l in labels),
    }


@pytest.mark.parametrize("n_services", [40, 200])
def test_services_graph_reads_at_the_default_view(vrmon_server, page, tmp_path, n_services):
    page, names = open_services(vrmon_server, page, n_services)
    labels = labels_clear_of_overlays(page)
    marks = mark_figures(page)
    figures = label_figures(labels, marks)
    shot = shots(tmp_path) / f"services-{n_services}.png"
    read = names_read(read_3d_view(page, shot), names)  # the whole view at once
    # and each name where it is drawn (inside its backing, 10 px round the letters: a node's dot
    # at a corner reads as "|"), as a person reads one name among many dots
    read_in_place = {label["text"] for label, text in zip(labels, ocr_boxes(shot, labels, inset=6))
                     if text == letters_and_digits(label["shown"])}
    busiest_unread = [name for name in page.busiest if name not in read_in_place]
    print(f"\n{n_services} services: box {marks['box_share']:.0%}, on screen {marks['on_screen']:.0%}, "
          f"≥2×2 px {marks['visible_2px']:.0%}, names shown {len(labels)}, read in place {len(read_in_place)}, "
          f"read in the whole view {len(read)}, {figures}, the {NAMED} busiest not read {busiest_unread}, "
          f"not read {sorted(set(names) - set(read))[:12]}")
    assert marks["marks"] == len(names) >= 0.9 * n_services
    assert marks["box_share"] >= 0.30
    assert marks["on_screen"] >= 0.90
    assert marks["visible_2px"] >= 0.80
    assert figures["crossing"] == 0 and figures["on_nodes"] == 0 and figures["cut"] == 0
    assert figures["smallest_px"] >= 16  # the letters' size; the backing adds a few pixels
    shown = {label["text"] for label in labels}
    # Names shown must read where they are: 36 of 36 at 40 and at 200 services in runs on
    # 2026-11-30. (Read all at once, tesseract loses names among a 200-node graph's dots — 26–29
    # of 36, each one clear on the screenshot — and one or two among 40 services' links.)
    assert len(read_in_place) >= 0.9 * len(shown), f"read in place {sorted(read_in_place)} of {sorted(shown)}"
    # The busiest services are named, wherever they sit, and read (before the layout gave their
    # names room, 1 of the 20 busiest of 200 was named: 27 names around the graph's edge).
    assert set(page.busiest) <= shown, f"the busiest services unnamed: {sorted(set(page.busiest) - shown)}"
    assert busiest_unread == [], f"the busiest services not read by OCR: {busiest_unread}"
    if n_services == 40:
        # 35–37 of 40 shown, 33–35 read in the whole view in runs on 2026-11-30 (the 20 busiest
        # have room kept for their names; the other 20 take the free spots left)
        assert len(shown) >= 0.85 * len(names)
        assert len(read) >= 0.8 * len(names), f"OCR read {sorted(read)}"  # the figure
    else:  # far more names than fit: the rest show when pointed at, or closer
        assert len(shown) >= 25
    assert page.errors == []


# The services on show whose spheres are whole in view: the canvas, not a DOM overlay (the trace
# list, the bars), at their centres and 8 px round them (a sphere half under the trace list's edge,
# or in the sliver of canvas left of it, is not what a person sees of the graph).
SERVICES_IN_VIEW_JS = """() => {
  const system = window.vrmon.system, canvas = document.querySelector('a-scene').canvas, box = canvas.getBoundingClientRect();
  const onCanvas = (x, y) => x >= box.left && x <= box.right && y >= box.top && y <= box.bottom && document.elementFromPoint(x, y) === canvas;
  const seen = [];
  for (let row = 0; row < system.nodes.count; row++) {
    const at = window.vrmon.screenPositionOf(system.nodes.ids[row]);
    if (at && [[0, 0], [-8, 0], [8, 0], [0, -8], [0, 8]].every(([dx, dy]) => onCanvas(at.x + dx, at.y + dy))) {
      seen.push({name: system.services[system.nodes.service[row]], x: at.x, y: at.y});
    }
  }
  return seen;
}"""
WHEEL_NOTCHES = 4  # one spin of a mouse wheel


def test_one_wheel_spin_toward_a_region_of_200_services_names_what_is_then_in_view(vrmon_server, page, tmp_path):
    """Part 2's "labels placed ... the rest on demand": at 200 services the default view names the
    busiest (45 of 200), and one spin of the wheel toward any part of the graph names most of the
    services then in view, read by OCR where they stand. Before (2026-12-01) the wheel moved the
    camera 1 m a notch along the view's axis, whatever the pointer: four notches went through the
    graph (no sphere in view), and a region off the middle could not be reached by the wheel."""
    page, names = open_services(vrmon_server, page, 200)
    for region in [(0.3, 0.3), (0.7, 0.6)]:
        page.keyboard.press("r")
        page.evaluate(TWO_FRAMES_JS)
        box = mark_figures(page)["box"]
        x, y = box["x0"] + region[0] * (box["x1"] - box["x0"]), box["y0"] + region[1] * (box["y1"] - box["y0"])
        aimed = min(page.evaluate(SERVICES_IN_VIEW_JS), key=lambda s: (s["x"] - x) ** 2 + (s["y"] - y) ** 2)
        page.mouse.move(x, y)
        for _ in range(WHEEL_NOTCHES):
            page.mouse.wheel(0, -100)
        page.evaluate(TWO_FRAMES_JS)
        seen = page.evaluate(SERVICES_IN_VIEW_JS)
        in_view = {s["name"] for s in seen}
        labels = labels_clear_of_overlays(page)
        named = {label["text"] for label in labels} & in_view
        shot = shots(tmp_path) / f"services-200-wheel-{region[0]}-{region[1]}.png"
        read = set(labels_read(screenshot_3d_view(page, shot), labels, inset=6)) & in_view
        after = next((s for s in seen if s["name"] == aimed["name"]), None)
        figures = label_figures(labels, mark_figures(page))
        print(f"\nwheel toward {region}: {len(in_view)} services in view, {len(named)} named, {len(read)} read, "
              f"{aimed['name']} from ({aimed['x']:.0f}, {aimed['y']:.0f}) to {after and (round(after['x']), round(after['y']))}, {figures}")
        # the region came closer about the pointer: the sphere nearest it went no further from it than
        # the zoom (four quarters of the distance: 3.2 times as close) took it
        before, now = math.dist((x, y), (aimed["x"], aimed["y"])), after and math.dist((x, y), (after["x"], after["y"]))
        assert after is not None and now <= 3.5 * before + 10, (before, now)
        assert 20 <= len(in_view) <= 0.5 * len(names)
        assert len(named) >= 0.8 * len(in_view) and len(read) >= 0.8 * len(in_view), sorted(in_view - read)
        assert figures["crossing"] == 0 and figures["on_nodes"] == 0 and figures["cut"] == 0
    assert page.errors == []


# Each sphere's outline on screen: points all over it projected, CSS pixels: {x (its middle), width, height}.
SPHERE_OUTLINES_JS = """() => {
  const THREE = AFRAME.THREE, sceneEl = document.querySelector('a-scene'), camera = sceneEl.camera, nodes = window.vrmon.system.nodes;
  const W = sceneEl.canvas.clientWidth, H = sceneEl.canvas.clientHeight;
  const world = document.querySelector('[span-instances]').object3D;
  camera.updateMatrixWorld();
  world.updateMatrixWorld(true);
  const p = new THREE.Vector3(), centre = new THREE.Vector3(), outlines = [];
  for (let row = 0; row < nodes.count; row++) {
    const r = nodes.size[row * 3] / 2;
    centre.fromArray(nodes.pos, row * 3);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < 600; i++) {  // a spiral over the sphere
      const z = 1 - (2 * (i + 0.5)) / 600, across = Math.sqrt(1 - z * z), turn = i * 2.39996;
      p.set(across * Math.cos(turn), across * Math.sin(turn), z).multiplyScalar(r).add(centre);
      p.applyMatrix4(world.matrixWorld).project(camera);
      const x = ((p.x + 1) / 2) * W, y = ((1 - p.y) / 2) * H;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    outlines.push({x: (x0 + x1) / 2, width: x1 - x0, height: y1 - y0});
  }
  return outlines;
}"""
CAMERA_FOV_JS = "document.querySelector('#camera').getAttribute('camera').fov"


def test_spheres_at_the_edge_of_a_wide_view_are_round(vrmon_server, page):
    """Through the camera's 55° lens (86° across 1280x720) a sphere 600 px right of the view's
    middle was drawn 1.33 times as wide as tall, those in the middle 0.96-1.0 (2026-12-01): the
    services graph is seen through a 30° lens, and the other scenes keep theirs."""
    page, names = open_services(vrmon_server, page, 40)
    page.evaluate(TWO_FRAMES_JS)
    outlines = page.evaluate(SPHERE_OUTLINES_JS)
    edge = max(outlines, key=lambda o: abs(o["x"] - 640))
    widest = max(o["width"] / o["height"] for o in outlines)
    print(f"\nspheres: the furthest from the middle at x {edge['x']:.0f}, {edge['width'] / edge['height']:.3f} as wide as tall; "
          f"the most stretched {widest:.3f}; box {mark_figures(page)['box_share']:.1%}")
    assert abs(edge["x"] - 640) > 450  # a sphere near the edge is measured
    assert widest <= 1.12
    assert page.evaluate(CAMERA_FOV_JS) == 30
    page.evaluate("window.vrmon.system.switchScene({scene: 'waterfall'})")
    page.wait_for_function("window.vrmon.system.scene.layout === 'waterfall' && window.vrmon.stats().instances > 0")
    page.wait_for_function(f"{CAMERA_FOV_JS} === 55")
    page.evaluate(TWO_FRAMES_JS)
    assert mark_figures(page)["box_share"] >= 0.30
    assert page.errors == []


def framed_with_every_name(page) -> tuple[dict, list[dict], dict, list[str]]:
    """Once the app is up and every service named: the marks' figures, the names on show, their
    figures (label_figures) and their texts, sorted."""
    page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=20_000)
    page.wait_for_function(f"() => window.vrmon.stats().instances > 0 && ({LABELS_JS})().length === window.vrmon.stats().instances")
    page.evaluate(TWO_FRAMES_JS)
    labels = labels_clear_of_overlays(page)
    marks = mark_figures(page)
    return marks, labels, label_figures(labels, marks), sorted(label["text"] for label in labels)


# What the error markers take on screen: the span-instances' marker mesh measured as the marks.
MARKERS_AS_MARKS_JS = """(on) => {
  const c = document.querySelector('[span-instances]').components['span-instances'];
  c.spans.userData.legibilityMarks = !on;
  c.markers.userData.legibilityMarks = on;
}"""


# Real small systems (before: a chain of 1-3 spheres lying across the view, framed at 6-8 % for
# 2 and 3 services and 27 % for one): turned to the view's diagonal and framed with their error
# markers and names; one service is framed at a third of the view's height.
@pytest.mark.parametrize("fixture, n_services", [("otlp-telemetrygen-missing-parents.json", 1),
                                                 ("tempo-otlp-mythical-failed-requests-15spans-base64.json", 2),
                                                 ("jaeger-v1-opentracing-tutorial-3services-logs.json", 3)])
def test_a_small_service_graph_fills_the_view_with_every_name_read(vrmon_server, page, tmp_path, fixture, n_services):
    page.goto(vrmon_server([f"fixtures/{fixture}"], scene="services") + "/")
    marks, labels, figures, names = framed_with_every_name(page)
    require_tesseract()
    shot = screenshot_3d_view(page, shots(tmp_path) / f"services-{n_services}.png")
    # Each name read where it is drawn: particles flow along the links, and one passing beside a
    # name as the screenshot was taken garbled a read of the whole view at once (mythical-requester,
    # placed above its link, in 1 of 4 runs on 2026-11-30).
    read = sorted(label["text"] for label, text in zip(labels, ocr_boxes(shot, labels, inset=6)) if text == letters_and_digits(label["shown"]))
    print(f"\n{fixture}: box {marks['box_share']:.0%}, on screen {marks['on_screen']:.0%}, ≥2×2 px {marks['visible_2px']:.0%}, "
          f"names {names}, read {read}, {figures}")
    assert marks["marks"] == n_services
    if n_services == 1:
        # A lone sphere a third of the view's height (test_services_names.py), where 30 % of the
        # canvas took one 420 px tall (60 % of it): a wall, not a node.
        sphere = marks["rects"][0]
        assert 0.25 * 720 <= sphere[3] - sphere[1] <= 0.36 * 720
    else:
        assert marks["box_share"] >= 0.30
    assert marks["on_screen"] == 1 and marks["visible_2px"] == 1
    assert figures["crossing"] == 0 and figures["on_nodes"] == 0 and figures["cut"] == 0 and figures["smallest_px"] >= 16
    assert read == names
    # The error markers are in the picture, under the top bar's edge, not behind it.
    page.evaluate(MARKERS_AS_MARKS_JS, True)
    markers = mark_figures(page)
    page.evaluate(MARKERS_AS_MARKS_JS, False)
    if markers["marks"]:
        top_bar = page.locator("#topbar").bounding_box()
        assert markers["on_screen"] == 1 and markers["box"]["y0"] >= top_bar["y"] + top_bar["height"], markers["box"]
    assert page.errors == []


# Mid-sized systems: before their names were placed where they do not widen the picture and the
# view framed the spheres with the names as placed, every name went right of its sphere and the
# view kept room for the longest ones: 22 % of a 1280x720 view for the load generator's 10
# services (long names such as productcatalogservice), 29 % for SmartThings' 8, 20 % and 26 % for
# the generated meshes of 5 and 12 services with long and two-letter names.
SYNTHETIC_LOAD = "jaeger-v1-synthetic-load-generator-100traces.json"
SMARTTHINGS = "zipkin-v2-smartthings-oauth-175spans-shared-ids.json"


@pytest.mark.parametrize("case, least", [
    (SYNTHETIC_LOAD, 0.38),  # 42 % on 2026-11-30
    (SMARTTHINGS, 0.38),  # 42 %
    (5, 0.32),  # 36 %: 5 of LONG_AND_SHORT_NAMES
    (12, 0.45),  # 55 %
])
def test_a_mid_sized_service_graph_fills_the_view_with_its_names_read_where_they_stand(vrmon_server, page, tmp_path, case, least):
    if isinstance(case, str):
        page.goto(vrmon_server([f"fixtures/{case}"], scene="services") + "/")
    else:
        store = store_of(service_mesh_batch(case, n_traces=120, names=LONG_AND_SHORT_NAMES[:case]))
        page.goto(vrmon_server([], store=store, scene="services") + "/")
    marks, labels, figures, names = framed_with_every_name(page)
    require_tesseract()
    shot = screenshot_3d_view(page, shots(tmp_path) / f"services-{case}.png")
    read_in_place = sorted(label["text"] for label, text in zip(labels, ocr_boxes(shot, labels, inset=6))
                           if text == letters_and_digits(label["shown"]))
    print(f"\n{case}: box {marks['box_share']:.1%}, on screen {marks['on_screen']:.0%}, ≥2×2 px {marks['visible_2px']:.0%}, "
          f"{len(names)} names, read in place {len(read_in_place)}, {figures}, "
          f"not read in place {sorted(set(names) - set(read_in_place))}")
    assert marks["marks"] == len(names) >= 5
    assert marks["box_share"] >= least
    assert marks["on_screen"] == 1 and marks["visible_2px"] == 1
    assert overlay_cover(page, marks["box"]) <= 0.12
    assert figures["crossing"] == 0 and figures["on_nodes"] == 0 and figures["cut"] == 0 and figures["smallest_px"] >= 16
    # Every name shows, and tesseract reads them where they stand: all but the two-letter 'ui' and
    # 'fx' on 2026-11-30, each clear on the screenshot (read all at once, which takes longer, it
    # lost 'db' and 'kv' too, and yelp_main/api_proxy's punctuation).
    assert len(read_in_place) >= 0.8 * len(names), read_in_place
    assert page.errors == []


CAMERA_JS = "() => document.querySelector('#camera').object3D.position.toArray()"


def test_a_live_delta_never_moves_the_camera_and_reset_frames_the_grown_graph(vrmon_server, page):
    page, names = open_services(vrmon_server, page, 40)
    camera = page.evaluate(CAMERA_JS)
    # New services arrive live, called by the busiest one: the graph grows, the view stays put.
    store = vrmon_server.last.app.state.store
    batch = service_mesh_batch(40, n_traces=20, seed=9)
    batch.trace_id = [t + 10_000 for t in batch.trace_id]
    batch.span_id = [s + 1_000_000 for s in batch.span_id]
    batch.parent_id = [p + 1_000_000 if p else 0 for p in batch.parent_id]
    batch.service = [f"{name}-live" if i % 5 == 4 else name for i, name in enumerate(batch.service)]
    vrmon_server.last.call(store.add, batch)
    grown = len(set(store.services.names))
    page.wait_for_function("(n) => window.vrmon.stats().instances === n", arg=grown, timeout=30_000)
    page.evaluate(TWO_FRAMES_JS)
    assert grown > len(names)
    assert page.evaluate(CAMERA_JS) == pytest.approx(camera, abs=1e-6)
    page.keyboard.press("r")
    page.evaluate(TWO_FRAMES_JS)
    marks = mark_figures(page)
    print(f"\ngrown to {grown} services, after Reset: box {marks['box_share']:.0%}, on screen {marks['on_screen']:.0%}")
    assert marks["marks"] == grown and marks["box_share"] >= 0.30 and marks["on_screen"] >= 0.90
    assert page.errors == []


def test_pointing_at_a_service_shows_its_hidden_name(vrmon_server, page):
    page, names = open_services(vrmon_server, page, 200)
    shown = {label["text"] for label in page.evaluate(LABELS_JS)}
    hidden = [name for name in names if name not in shown]
    assert hidden
    point = page.evaluate("""(name) => {
      const system = window.vrmon.system;
      const s = system.services.indexOf(name);
      for (let row = 0; row < system.nodes.count; row++) if (system.nodes.service[row] === s) return window.vrmon.screenPositionOf(system.nodes.ids[row]);
      return null;
    }""", hidden[0])
    page.mouse.move(point["x"], point["y"])
    page.wait_for_function(f"(name) => ({LABELS_JS})().some((label) => label.text === name)", arg=hidden[0])


def test_in_a_headset_the_graph_is_in_front_at_room_size_and_names_keep_their_angle(vrmon_server, page, tmp_path):
    install_emulated_headset(page)
    page, names = open_services(vrmon_server, page, 40)
    enter_vr(page)
    # The head stands at its height and the names are placed for where it looks (on a busy machine
    # the first frames in the headset came before the head's pose, or before the names' placement)
    page.wait_for_function("""() => {
      const sceneEl = document.querySelector('a-scene'), camera = sceneEl.renderer.xr.getCamera();
      const labels = document.querySelector('[service-labels]').components['service-labels'];
      if (new AFRAME.THREE.Vector3().setFromMatrixPosition(camera.matrixWorld).y < 1 || !labels.shown) return false;
      const m = new AFRAME.THREE.Matrix4().multiplyMatrices(camera.matrixWorldInverse, labels.el.object3D.matrixWorld).elements;
      return m.every((v, i) => Math.abs(v - labels.lastMatrix[i]) < 1e-5);
    }""")
    seen = page.evaluate("""() => {
      const THREE = AFRAME.THREE;
      const sceneEl = document.querySelector('a-scene');
      const camera = sceneEl.renderer.xr.getCamera();
      const head = new THREE.Vector3().setFromMatrixPosition(camera.matrixWorld);
      const forward = new THREE.Vector3(0, 0, -1).transformDirection(camera.matrixWorld);
      const nodes = window.vrmon.system.nodes;
      const world = document.querySelector('#world').object3D;
      const p = new THREE.Vector3();
      let nearest = Infinity, widest = 0, ahead = 0;
      const centre = new THREE.Vector3();
      for (let row = 0; row < nodes.count; row++) {
        p.fromArray(nodes.pos, row * 3).applyMatrix4(world.matrixWorld);
        centre.add(p);
        nearest = Math.min(nearest, p.distanceTo(head));
        const toNode = p.clone().sub(head).normalize();
        widest = Math.max(widest, Math.acos(Math.min(1, toNode.dot(forward))) * 180 / Math.PI);
      }
      centre.divideScalar(nodes.count);
      // a name's letters, as the shader draws them: corner offsets × distance × pxAngle
      const labels = document.querySelector('[service-labels]').components['service-labels'];
      const uniforms = labels.material.uniforms;
      const degrees = 16 * uniforms.pxAngle.value * 180 / Math.PI;  // TEXT_PX label pixels
      return {nearest, widest, distance: centre.distanceTo(head), degrees, centreHeight: centre.y - head.y,
              shown: labels.shown};
    }""")
    print(f"\nheadset: {seen}")
    assert 0.8 <= seen["nearest"] and seen["distance"] <= 6  # arm's length to room size
    assert seen["widest"] <= 45  # all of it in front, within a comfortable turn of the eyes
    assert abs(seen["centreHeight"]) < 1.0
    assert seen["degrees"] >= 1.2
    assert seen["shown"] >= 0.5 * len(names)
    page.screenshot(path=str(shots(tmp_path) / "services-headset.png"))
    assert page.errors == []


@pytest.mark.screenshots
def test_services_200_screenshot(vrmon_server, page, screenshot_dir):
    """scene-services-200.png (docs/img under `make screenshots`): 200 services at the default view."""
    page, names = open_services(vrmon_server, page, 200)
    page.locator("#trace-list .toggle").click()  # fold the list: the scene gets the screen
    page.wait_for_function(f"() => ({LABELS_JS})().length >= {NAMED}")
    page.mouse.move(640, 710)
    page.evaluate(TWO_FRAMES_JS)
    page.screenshot(path=str(screenshot_dir / "scene-services-200.png"))
    assert page.errors == []
