"""The three scenes, the host-load ring and the scene switcher in headless Chromium, against a
real vrmon server. Expected counts come from the server (its snapshot, details and metrics
frames, decoded by vrmon.protocol), never from the page itself.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from websockets.sync.client import connect

from bench.synthetic import synthetic_batch
from tests.browser.helpers import click_bar_control, click_node, enter_vr, install_emulated_headset, next_frames, settled
from vrmon.layout.nodes import CRITICAL
from vrmon.model.span_store import SpanStore
from vrmon.protocol import decode_server_frame, scene_request_frame, select_frame

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
MANY_TRACES = "fixtures/jaeger-v1-synthetic-load-generator-100traces.json"
DEMO = [HOTROD, MANY_TRACES]
SMALL_VIEWPORT = {"width": 480, "height": 270}  # the 100k-span test: software GL draws ~1 frame/s


def server_frame(base_url: str, frame_type: str, request: bytes | None = None) -> dict[str, Any]:
    """The first frame of `frame_type` a new viewer gets after its first snapshot (and after
    sending `request`, if given)."""
    with connect(base_url.replace("http://", "ws://") + "/ws") as ws:
        decode_server_frame(ws.recv(timeout=10))
        if request is not None:
            ws.send(request)
        for _ in range(50):
            frame = decode_server_frame(ws.recv(timeout=10))
            if frame["type"] == frame_type:
                return frame
    raise AssertionError(f"the server sent no {frame_type} frame")


def wait_for_scene(page, name: str, instances: int) -> None:
    page.wait_for_function(
        "([name, n]) => { const s = window.vrmon.stats(); return s.scene === name && s.instances === n; }",
        arg=[name, instances],
    )


def test_waterfall_draws_every_span_and_highlights_the_critical_path(vrmon_server, open_app, server_snapshot, page):
    base_url = vrmon_server([MANY_TRACES], scene="waterfall")
    traces = server_snapshot(base_url)["traces"]
    # A trace whose critical path is only part of it, so the highlight has to pick the right spans.
    for trace in (t for t in traces if t["spans"] >= 5):
        snapshot = server_frame(base_url, "snapshot", scene_request_frame(trace=trace["id"]))
        critical = int(np.count_nonzero(snapshot["nodes"].flags & CRITICAL))
        if 0 < critical < trace["spans"]:
            break
    else:
        pytest.fail("no trace in the fixture has a partial critical path")
    open_app(base_url)
    page.evaluate("(id) => window.vrmon.system.switchScene({trace: id})", trace["id"])
    wait_for_scene(page, "waterfall", len(snapshot["nodes"].ids))
    page.wait_for_function("(n) => window.vrmon.stats().critical === n", arg=critical)
    stats = page.evaluate("window.vrmon.stats()")
    assert stats["spans"] == stats["instances"] == len(snapshot["nodes"].ids)
    assert stats["trace"] == trace["id"]
    assert 0 < stats["drawCalls"] < 30
    lanes = {label["text"] for label in snapshot["labels"] if label["kind"] == "lane"}
    assert lanes and lanes <= set(snapshot["services"])
    assert page.evaluate("!!document.querySelector('[scene-labels]').getObject3D('labels')")
    assert page.errors == []


def test_services_scene_draws_services_edges_and_moving_particles(vrmon_server, open_app, server_snapshot, page):
    base_url = vrmon_server(DEMO, scene="services")
    snapshot = server_snapshot(base_url)
    nodes, edges = snapshot["nodes"], snapshot["edges"]
    assert len(edges.ids) > 0
    open_app(base_url)
    page.wait_for_function("(n) => window.vrmon.stats().edges === n", arg=len(edges.ids))
    stats = page.evaluate("window.vrmon.stats()")
    assert stats["scene"] == "services"
    assert stats["instances"] == len(nodes.ids)
    assert len(edges.ids) <= stats["particles"] <= 3000  # every edge carries traffic, within the budget
    assert 0 < stats["drawCalls"] < 30
    # a service node is named by its service alone (labels, tooltip, the headset's panel links)
    names = page.evaluate("() => Array.from({length: window.vrmon.system.nodes.count}, (_, row) => window.vrmon.system.nodeLabel(row))")
    assert sorted(names) == sorted(snapshot["services"][s] for s in nodes.service)
    # particles move from caller to callee between frames
    moved = page.evaluate("""async () => {
      const mesh = document.querySelector('[service-edges]').components['service-edges'].particles;
      const before = Float32Array.from(mesh.instanceMatrix.array.subarray(0, mesh.count * 16));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = mesh.instanceMatrix.array;
      let moved = 0;
      for (let i = 0; i < mesh.count; i++) if (Math.abs(after[i * 16 + 12] - before[i * 16 + 12]) + Math.abs(after[i * 16 + 14] - before[i * 16 + 14]) > 1e-4) moved++;
      return moved / mesh.count;
    }""")
    assert moved > 0.9
    # the busiest edge is drawn thickest: tube widths come from the edge block
    widths = page.evaluate("""() => {
      const tubes = document.querySelector('[service-edges]').components['service-edges'].tubes;
      const m = new AFRAME.THREE.Matrix4(), p = new AFRAME.THREE.Vector3(), q = new AFRAME.THREE.Quaternion(), s = new AFRAME.THREE.Vector3();
      return Array.from({length: tubes.count}, (_, i) => { tubes.getMatrixAt(i, m); m.decompose(p, q, s); return s.x; });
    }""")
    assert sorted(round(w, 4) for w in widths) == sorted(round(float(w), 4) for w in edges.width)

    # Clicking a service shows what the server says about it: rate, errors, callers and callees.
    service_node = max(nodes.ids, key=lambda i: int(np.count_nonzero((edges.source == i) | (edges.target == i))))
    details = server_frame(base_url, "details", select_frame(int(service_node)))["span"]
    click_node(page, int(service_node))
    page.wait_for_function(
        "(name) => document.querySelector('#span-panel .panel-title').textContent === name"
        " && document.querySelector('#span-panel').innerText.includes('Span rate')",
        arg=details["service"],
    )
    panel = page.locator("#span-panel").inner_text()
    for call in details["callers"] + details["callees"]:
        assert call["service"] in panel
        assert f"{call['calls']} calls" in panel
    assert f"{details['spans']}" in panel
    assert page.errors == []


def test_wall_faces_the_newest_trace_and_pulls_a_trace_out_into_the_waterfall(vrmon_server, open_app, server_snapshot, page):
    base_url = vrmon_server(DEMO, scene="wall")
    snapshot = server_snapshot(base_url)
    nodes = snapshot["nodes"]
    open_app(base_url)
    stats = page.evaluate("window.vrmon.stats()")
    assert stats["scene"] == "wall"
    assert stats["instances"] == len(nodes.ids)
    assert 0 < stats["drawCalls"] < 30
    # The camera starts inside the room (a 6 m circle), level, looking at the newest panel
    # (straight ahead, −z) from in front of the page.
    eye, look = page.evaluate("""() => {
      const camera = document.querySelector('a-scene').camera;
      return [camera.getWorldPosition(new AFRAME.THREE.Vector3()).toArray(),
              camera.getWorldDirection(new AFRAME.THREE.Vector3()).toArray()];
    }""")
    assert abs(eye[0]) < 1 and math.hypot(eye[0], eye[2]) < 6 and 1 <= eye[1] <= 4
    assert look[2] < -0.95

    # Click a bar of the front panel; its trace opens in the waterfall.
    front = [int(i) for i, (x, y, z) in zip(nodes.ids, nodes.pos) if abs(x) < 1.0 and z < -5 and 1.0 < y < 2.0]
    assert front
    span_id = front[0]
    trace_id = server_frame(base_url, "details", select_frame(span_id))["span"]["trace_id"]
    click_node(page, span_id)
    button = page.locator("#span-panel button.open-trace")
    button.wait_for(state="visible")
    assert button.get_attribute("data-trace-id") == trace_id
    button.click()
    spans = next(t["spans"] for t in snapshot["traces"] if t["id"] == trace_id)
    page.wait_for_function(
        "([id, n]) => { const s = window.vrmon.stats(); return s.scene === 'waterfall' && s.trace === id && s.instances === n; }",
        arg=[trace_id, spans],
    )
    assert page.locator("#scene-switcher [aria-current='true']").inner_text() == "waterfall"
    assert page.errors == []


def test_error_markers_on_the_wall_sit_above_the_start_of_their_turned_bars(vrmon_server, open_app, server_snapshot, page):
    store = SpanStore()
    store.add(synthetic_batch(24 * 40, spans_per_trace=40, seed=7))  # 2 pages, ~1 % error spans
    base_url = vrmon_server([], store=store, scene="wall", host_metrics=False)
    # the first page of the wall with error bars on a turned side panel
    for wall_page in range(server_snapshot(base_url)["scene"]["pages"]):
        nodes = server_frame(base_url, "snapshot", scene_request_frame(page=wall_page))["nodes"]
        errors = [i for i in range(len(nodes.ids)) if nodes.flags[i] & 1]
        if any(nodes.yaw[i] != 0 for i in errors):
            break
    else:
        raise AssertionError("no error bar on a turned panel")
    open_app(base_url)
    for turned in range(wall_page):
        page.keyboard.press("PageDown")
        page.wait_for_function("(n) => window.vrmon.system.scene.page === n", arg=turned + 1)
    page.wait_for_function("(n) => window.vrmon.stats().instances === n", arg=len(nodes.ids))
    markers = page.evaluate("""() => {
      const mesh = document.querySelector("[span-instances]").components["span-instances"].markers;
      const m = new AFRAME.THREE.Matrix4(), p = new AFRAME.THREE.Vector3();
      return Array.from({length: mesh.count}, (_, k) => { mesh.getMatrixAt(k, m); return p.setFromMatrixPosition(m).toArray(); });
    }""")
    assert len(markers) == len(errors)
    for i in errors:
        angle = int(nodes.yaw[i]) * math.pi / 32767
        x, y, z = (float(v) for v in nodes.pos[i])
        along = min(float(nodes.size[i][0]) / 2, 0.15) - float(nodes.size[i][0]) / 2  # the bar's start, in its own x
        start = (x + along * math.cos(angle), z - along * math.sin(angle))
        assert any(math.dist(start, (mx, mz)) < 1e-3 and my > y for mx, my, mz in markers), int(nodes.ids[i])
    assert page.errors == []


def test_scene_switcher_lists_the_servers_scenes_and_switches(vrmon_server, open_app, server_snapshot, page):
    base_url = vrmon_server(DEMO, scene="waterfall")
    catalogue = [entry["name"] for entry in server_snapshot(base_url)["scene"]["scenes"]]
    services = server_frame(base_url, "snapshot", scene_request_frame(scene="services"))
    open_app(base_url)
    buttons = page.locator("#scene-switcher button")
    assert buttons.all_inner_texts() == catalogue
    assert page.locator("#scene-switcher [aria-current='true']").inner_text() == "waterfall"
    page.locator("#scene-switcher [data-scene='services']").click()
    wait_for_scene(page, "services", len(services["nodes"].ids))
    assert page.locator("#scene-switcher [aria-current='true']").inner_text() == "services"
    assert page.evaluate("window.vrmon.stats().edges") == len(services["edges"].ids)
    # the graph's nodes are services, and the title says so
    page.wait_for_function("(t) => document.querySelector('#view-detail').textContent === t",
                           arg=f"services · {len(services['nodes'].ids)} services")
    # back to the waterfall: the services' edges and particles go with them
    page.locator("#scene-switcher [data-scene='waterfall']").click()
    page.wait_for_function("window.vrmon.stats().scene === 'waterfall' && window.vrmon.stats().edges === 0")
    assert page.evaluate("window.vrmon.stats().particles") == 0
    assert page.errors == []


def test_host_gauge_shows_a_bar_per_core_and_toggles(vrmon_server, open_app, page):
    # On a screen host load is the corner gauge (the 3D ring is for headsets, at the feet).
    base_url = vrmon_server([HOTROD], scene="waterfall")
    cores = len(np.frombuffer(server_frame(base_url, "metrics")["cpu"], "<f4"))
    open_app(base_url)
    page.wait_for_function("(n) => window.vrmon.stats().hostGauge === n", arg=cores, timeout=10_000)
    assert page.evaluate("window.vrmon.stats().hostBars") == 0
    toggle = page.locator("#host-toggle")
    assert toggle.is_enabled() and toggle.get_attribute("aria-pressed") == "true"
    page.keyboard.press("h")
    assert page.evaluate("document.querySelector('#host-ring').getAttribute('visible')") is False
    assert page.evaluate("window.vrmon.stats().hostGauge") == 0
    assert toggle.get_attribute("aria-pressed") == "false"
    click_bar_control(page, "#host-toggle")
    assert page.evaluate("window.vrmon.stats().hostGauge") == cores
    # the contract other controls (the wrist menu) use
    page.evaluate("document.querySelector('#host-ring').setAttribute('visible', false)")
    page.wait_for_function("window.vrmon.stats().hostGauge === 0")
    page.wait_for_function("document.querySelector('#host-toggle').getAttribute('aria-pressed') === 'false'")
    assert page.errors == []


def test_host_ring_stays_empty_without_host_metrics(vrmon_server, open_app, page):
    base_url = vrmon_server([HOTROD], scene="waterfall", host_metrics=False)
    open_app(base_url)
    # A server with metrics on, started after this one, sends its first metrics frame a metrics
    # interval after it starts: by then this server would have sent one too.
    server_frame(vrmon_server([HOTROD], scene="waterfall"), "metrics")
    assert page.evaluate("window.vrmon.system.metrics") is None
    assert page.evaluate("window.vrmon.stats().hostBars") == 0
    assert page.evaluate("window.vrmon.stats().hostGauge") == 0
    assert page.locator("#host-toggle").is_disabled()
    assert page.errors == []


def test_draw_calls_stay_below_30_as_a_waterfall_grows_from_1k_to_100k_spans(vrmon_server, browser):
    store = SpanStore()
    store.add(synthetic_batch(1000, spans_per_trace=1000, seed=1))
    base_url = vrmon_server([], store=store, scene="waterfall", host_metrics=False)
    page = browser.new_page(viewport=SMALL_VIEWPORT, bypass_csp=True)  # see conftest.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(base_url)
        page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=30_000)
        # the overview folds what is too small to see: "expand all" draws every span
        page.evaluate("window.vrmon.system.setDetail({all: true})")
        page.wait_for_function("window.vrmon.stats().instances === 1000", timeout=30_000)
        # counted once the trace's findings are in and drawn (their marks are meshes too), in frames
        # shown on the canvas (on software GL a frame reaches it animation frames after it is drawn)
        page.wait_for_function("window.vrmon.system.findingsBytes")
        next_frames(page)
        small = page.evaluate("window.vrmon.stats()")
        assert 0 < small["drawCalls"] < 30

        # 99k more spans of the same trace arrive live: one delta grows the scene to 100k.
        growth = synthetic_batch(99_000, spans_per_trace=99_000, seed=2)
        root = int(store.span_id[0])
        growth.span_id = [s + (1 << 40) for s in growth.span_id]
        growth.parent_id = [p + (1 << 40) if p else root for p in growth.parent_id]
        page.evaluate("window.smallFindings = window.vrmon.system.findingsBytes")
        vrmon_server.last.call(store.add, growth)
        page.wait_for_function("window.vrmon.stats().instances === 100000", timeout=120_000, polling=500)
        page.wait_for_function("window.vrmon.system.findingsBytes !== window.smallFindings", timeout=60_000)
        next_frames(page, timeout=120_000)  # a 100k-span frame on software GL takes seconds on a busy machine
        big = page.evaluate("window.vrmon.stats()")
        assert big["spans"] == 100_000
        assert 0 < big["drawCalls"] < 30
        assert big["drawCalls"] <= small["drawCalls"] + 1  # the count does not grow with the spans
        assert big["triangles"] >= 100 * small["triangles"] * 0.9  # yet every span is drawn
        assert errors == []
    finally:
        page.close()


@pytest.mark.screenshots
def test_scene_screenshots(vrmon_server, open_app, server_snapshot, page, screenshot_dir):
    """scene-services.png and scene-wall.png (docs/img under `make screenshots`) from the demo traces."""
    base_url = vrmon_server(DEMO, scene="services")
    services = server_snapshot(base_url)
    open_app(base_url)
    page.locator("#trace-list .toggle").click()  # fold the list: the scene gets the screen
    page.wait_for_function("(n) => window.vrmon.stats().edges === n", arg=len(services["edges"].ids))
    page.mouse.move(640, 710)
    page.wait_for_function("window.vrmon.stats().hostGauge > 0")  # the first metrics frame, drawn (the corner gauge)
    settled(page)
    page.screenshot(path=str(screenshot_dir / "scene-services.png"))
    wall = server_frame(base_url, "snapshot", scene_request_frame(scene="wall"))
    page.locator("#scene-switcher [data-scene='wall']").click()
    wait_for_scene(page, "wall", len(wall["nodes"].ids))
    settled(page)
    page.screenshot(path=str(screenshot_dir / "scene-wall.png"))
    assert page.errors == []


def test_in_a_headset_the_wall_surrounds_the_viewer_and_the_host_ring_is_at_their_feet(vrmon_server, open_app, page):
    install_emulated_headset(page)
    base_url = vrmon_server(DEMO, scene="wall")
    cores = len(np.frombuffer(server_frame(base_url, "metrics")["cpu"], "<f4"))
    open_app(base_url)
    enter_vr(page)
    page.wait_for_function("(n) => window.vrmon.stats().hostBars === n", arg=cores, timeout=10_000)
    next_frames(page)
    rig, head, ring = page.evaluate("""() => {
      const v = () => new AFRAME.THREE.Vector3();
      const scene = document.querySelector('a-scene');
      return [document.querySelector('#rig').object3D.position.toArray(),
              scene.camera.getWorldPosition(v()).toArray(),
              document.querySelector('#host-ring').object3D.getWorldPosition(v()).toArray()];
    }""")
    assert rig == [0, 0, 0]  # the wall's centre: panels all around at 6 m
    assert abs(ring[0] - head[0]) < 0.05 and abs(ring[2] - head[2]) < 0.05 and ring[1] == 0  # on the floor, under the head
    # the bars go all the way round in a headset (on a screen only the far half): centred on the viewer
    centre = page.evaluate("""() => {
      const bars = document.querySelector('#host-ring').components['host-load-ring'].bars;
      const m = new AFRAME.THREE.Matrix4(), p = new AFRAME.THREE.Vector3(), sum = new AFRAME.THREE.Vector3();
      for (let i = 0; i < bars.count; i++) { bars.getMatrixAt(i, m); sum.add(p.setFromMatrixPosition(m)); }
      return Math.hypot(sum.x, sum.z) / bars.count;
    }""")
    if cores >= 2:
        assert centre < 0.2
    assert page.evaluate("window.vrmon.stats().drawCalls") < 60  # < 30 per eye
    assert page.errors == []


# Frames a broken or hostile server might send, fed to the data system as if from the socket.
FEED_BAD_FRAMES = """
async () => {
  const { encode } = await import("/vendor/msgpack/index.mjs");
  const system = window.vrmon.system;
  const feed = (frame) => system.receive(encode(frame).slice().buffer);
  feed({type: "metrics", cpu: "not binary", load: [1, 2, 3], mem_used: 1, mem_total: 2, ts: 0});
  feed({type: "metrics", cpu: new Uint8Array(7), load: null, mem_used: "x", mem_total: 0, ts: 0});
  feed({type: "metrics", cpu: new Uint8Array(new Float32Array([250, -5, NaN]).buffer), load: "high", mem_used: 5, mem_total: 0, ts: 0});
  feed({type: "delta", seq: system.seq + 1, edges: {count: 3, ids: new Uint8Array(4)}, added: {count: 0},
        updated: {count: 0}, removed: new Uint8Array(0)});
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return window.vrmon.stats();
}
"""


def test_malformed_metrics_and_edge_frames_leave_the_view_working(vrmon_server, open_app, page):
    base_url = vrmon_server([HOTROD], scene="waterfall", host_metrics=False)
    open_app(base_url)
    stats = page.evaluate(FEED_BAD_FRAMES)
    # the last metrics frame was readable: three bars in the screen's gauge, out-of-range values clamped
    assert stats["hostGauge"] == 3
    page.wait_for_function("window.vrmon.stats().instances === 40 && window.vrmon.stats().connected")
    assert page.evaluate("window.vrmon.stats().edges") == 0
    assert page.errors == []
