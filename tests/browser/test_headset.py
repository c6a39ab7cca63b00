"""The client in an emulated Quest 3 (IWER from npm, injected only by these tests).

A real server on loopback, real headless Chromium, A-Frame's own laser-controls and the
controllers' buttons and sticks driven through IWER. Expected span names come from the server's
snapshot (decoded by vrmon.protocol), never from the page.

Aiming: A-Frame places a controller entity at the XR *grip* pose, which IWER tilts away from
the pose's -Z, so a laser is aimed by measuring its ray once and turning the controller by the
rotation from that ray to the wanted one (see shared/recipes/browser-and-webxr-testing.md §6).
"""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import ROOT
from tests.browser.helpers import DELTA_BUILDER_JS, enter_vr, install_emulated_headset, next_frames

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
MANY_TRACES = "fixtures/jaeger-v1-synthetic-load-generator-100traces.json"
SMALL_VIEWPORT = {"width": 640, "height": 360}

# Controller poses in IWER's space, which is the rig's own space (the head stands at 1.6 m).
RIGHT_HAND = [0.25, 1.3, -0.3]
LEFT_HAND_AWAY = [-0.6, 0.7, 0.1]  # low and to the side: its wrist menu stays out of the way
# A hand turned a quarter turn outwards: its laser points away from the picture, whose bars (a
# few-row trace's bars fill their rows) would otherwise take the pointer or the thumbstick.
HAND_OUT = {"left": [0, 0.7071068, 0, 0.7071068], "right": [0, -0.7071068, 0, 0.7071068]}

# Page-side helpers for the tests: frames, controller poses, aiming, buttons and sticks.
HEADSET_HELPERS = """
() => {
  const THREE = AFRAME.THREE;
  const rig = document.querySelector("#rig").object3D;
  const hand = (side) => document.querySelector(`#${side}-hand`);
  const controller = (side) => window.xrdevice.controllers[side];
  const frames = (n) => new Promise((resolve) => {
    let left = n;
    const step = () => (--left <= 0 ? resolve() : requestAnimationFrame(step));
    requestAnimationFrame(step);
  });
  const headset = {
    frames,
    async place(side, position, quaternion = [0, 0, 0, 1]) {
      controller(side).position.set(...position);
      controller(side).quaternion.set(...quaternion);
      await frames(4);
    },
    /**
     * Aim a hand's laser from `from` (rig space) at `target` (world space). The grip offset
     * also moves the ray's origin when the controller turns, so the turn is refined a few times.
     */
    async aim(side, from, target) {
      await headset.place(side, from);
      const raycaster = hand(side).components.raycaster;
      const toRig = rig.getWorldQuaternion(new THREE.Quaternion()).invert();
      const pose = new THREE.Quaternion();
      for (let i = 0; i < 4; i++) {
        raycaster.updateOriginDirection();
        const { origin, direction } = raycaster.raycaster.ray;
        const wanted = new THREE.Vector3(...target).sub(origin).normalize();
        const turn = new THREE.Quaternion().setFromUnitVectors(direction.clone().applyQuaternion(toRig), wanted.applyQuaternion(toRig));
        pose.premultiply(turn);
        controller(side).quaternion.set(pose.x, pose.y, pose.z, pose.w);
        await frames(4);
      }
    },
    /** Turn the head to look at `target` (world space; the rig unturned), level (no roll). */
    async look(target) {
      const head = new THREE.Vector3(...headset.head());
      const [x, y, z] = new THREE.Vector3(...target).sub(head).toArray();
      const turn = new THREE.Quaternion().setFromEuler(new THREE.Euler(Math.atan2(y, Math.hypot(x, z)), Math.atan2(-x, -z), 0, "YXZ"));
      window.xrdevice.quaternion.set(turn.x, turn.y, turn.z, turn.w);
      await frames(4);
    },
    async lookAhead() {
      window.xrdevice.quaternion.set(0, 0, 0, 1);
      await frames(4);
    },
    async press(side, button) {
      controller(side).updateButtonValue(button, 1);
      await frames(6);
      controller(side).updateButtonValue(button, 0);
      await frames(6);
    },
    async stick(side, x, y, hold = 6) {
      controller(side).updateAxes("thumbstick", x, y);
      await frames(hold);
      controller(side).updateAxes("thumbstick", 0, 0);
      await frames(4);
    },
    /** World position of a node's centre. */
    spanPoint(id) {
      const row = window.vrmon.system.nodes.rowOf.get(id);
      const spans = document.querySelector("[span-instances]").object3D;
      return new THREE.Vector3().fromArray(window.vrmon.system.nodes.pos, row * 3).applyMatrix4(spans.matrixWorld).toArray();
    },
    /** World position of the centre of a panel button (a rectangle of its PanelSurface). */
    buttonPoint(button) {
      const rects = button.surface.rects;
      rects.updateMatrixWorld(true);
      const matrix = new THREE.Matrix4();
      rects.getMatrixAt(button.index, matrix);
      return new THREE.Vector3().setFromMatrixPosition(matrix).applyMatrix4(rects.matrixWorld).toArray();
    },
    /** World position of the wrist menu's centre (its entity's origin). */
    menuPoint() {
      return document.querySelector("#wrist-menu").object3D.getWorldPosition(new THREE.Vector3()).toArray();
    },
    head() {
      return document.querySelector("a-scene").camera.getWorldPosition(new THREE.Vector3()).toArray();
    },
    rig: () => ({ position: rig.position.toArray(), yaw: rig.rotation.y }),
    laser: (side) => hand(side).components["vr-laser"],
    panel: () => document.querySelector("#vr-span-panel").components["vr-span-panel"],
    menu: () => document.querySelector("#wrist-menu").components["vr-wrist-menu"],
  };
  window.headset = headset;
}
"""


def node_table(snapshot) -> dict[int, dict]:
    """node id → service, operation and centre, from a decoded snapshot."""
    nodes, services, operations = snapshot["nodes"], snapshot["services"], snapshot["operations"]
    return {
        int(nodes.ids[i]): {
            "service": services[nodes.service[i]],
            "operation": operations[nodes.operation[i]] if nodes.operation[i] < len(operations) else None,  # none: a summary mark
            "pos": [float(v) for v in nodes.pos[i]],
            "flags": int(nodes.flags[i]),
        }
        for i in range(len(nodes.ids))
    }


def enter_headset(vrmon_server, open_app, server_snapshot, page, viewport, replay=(HOTROD,), scene="waterfall", **server_options):
    """A HotROD trace (or what `server_options` give the server) in an emulated Quest 3, in VR,
    with both controllers connected.

    Returns (page, node table from the server's snapshot).
    """
    install_emulated_headset(page)
    base_url = vrmon_server(list(replay), scene=scene, **server_options)
    page.snapshot = server_snapshot(base_url)
    table = node_table(page.snapshot)
    # Everything, fonts included, must come from vrmon: a headset may have no way out.
    page.external_requests = []
    page.on("request", lambda request: None if request.url.startswith((base_url, "data:", "blob:")) else page.external_requests.append(request.url))
    page.set_viewport_size(viewport)
    open_app(base_url)
    enter_vr(page)
    page.wait_for_function(
        "['left', 'right'].every((side) => document.querySelector(`#${side}-hand`).components['tracked-controls'])",
        timeout=10_000,
    )
    page.evaluate(HEADSET_HELPERS)
    page.evaluate("([at, turn]) => window.headset.place('left', at, turn)", [LEFT_HAND_AWAY, HAND_OUT["left"]])
    return page, table


@pytest.fixture
def headset(vrmon_server, open_app, server_snapshot, page):
    # Software GL draws every frame twice in XR: a small canvas keeps the frames coming.
    return enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT)


def front_top_span(table) -> int:
    """A span nothing else hides from the viewer: in the front lane (largest z), the highest one."""
    return max(table, key=lambda node_id: (round(table[node_id]["pos"][2], 3), table[node_id]["pos"][1], -node_id))


def aim_at_span(page, node_id: int) -> None:
    page.evaluate(
        "async ([hand, id]) => { await window.headset.aim('right', hand, window.headset.spanPoint(id)); }",
        [RIGHT_HAND, node_id],
    )


def open_panel_on(page, table, node_id: int) -> None:
    """Aim at a span, check the laser highlights it, pull the trigger, wait for its details."""
    aim_at_span(page, node_id)
    page.wait_for_function(
        "(id) => { const row = window.headset.laser('right').spanRow;"
        " return row >= 0 && window.vrmon.system.nodes.ids[row] === id"
        " && window.vrmon.system.hoveredRow === row; }",
        arg=node_id,
    )
    page.evaluate("window.headset.press('right', 'trigger')")
    wait_for_panel(page, table[node_id]["operation"])


def wait_for_panel(page, operation: str) -> None:
    page.wait_for_function(
        "(op) => { const p = window.headset.panel(); return p.el.object3D.visible && p.title.text === op"
        " && p.facts.text.startsWith('Start:'); }",
        arg=operation,
        timeout=10_000,
    )


def test_trigger_on_a_span_opens_the_in_world_panel_with_its_details(headset):
    page, table = headset
    target = front_top_span(table)
    open_panel_on(page, table, target)
    panel = page.evaluate(
        "() => { const p = window.headset.panel(); return {selected: window.vrmon.system.selectedId,"
        " subtitle: p.subtitle.text, facts: p.facts.text, rows: p.rows.map((r) => r.label.text), items: p.items.map((i) => i.text) }; }"
    )
    assert panel["selected"] == target
    assert panel["subtitle"].startswith(table[target]["service"])
    assert "Duration:" in panel["facts"] and "Error:" in panel["facts"]
    assert panel["rows"][0] == "Parent"
    headings = [item for item in panel["items"] if not item.startswith(" ")]
    assert [h.split(" (")[0] for h in headings] == ["Parent", "Children", "Tags", "Logs", "Process"]
    # troika lays the text out with the font vrmon serves, asynchronously (a worker): wait for it
    page.wait_for_function("() => Boolean(window.headset.panel().title.textRenderInfo)")
    assert page.external_requests == []
    # Labels in the headset: the selected span's name, plus a fixed few nearest ones.
    page.wait_for_function(
        "(name) => document.querySelector('[vr-span-labels]').components['vr-span-labels'].texts[0].text === name",
        arg=f"{table[target]['service']}: {table[target]['operation']}",
    )
    labelled = page.evaluate("document.querySelector('[vr-span-labels]').components['vr-span-labels'].texts.filter((t) => t.text).length")
    assert 2 <= labelled <= 9  # the selected span and up to 8 nearest others whose names find room
    # Characters the shipped font lacks are replaced, or troika would go to its CDN for a fallback.
    shown = page.evaluate("async () => (await import('/static/js/xr/text.js')).displayable('café 東京 → ok')")
    assert shown == "café ?? ? ok"
    assert page.errors == []


def test_a_span_selected_on_the_desktop_has_its_panel_on_entering_vr(vrmon_server, open_app, server_snapshot, page):
    install_emulated_headset(page)
    base_url = vrmon_server([HOTROD], scene="waterfall")
    table = node_table(server_snapshot(base_url))
    page.set_viewport_size(SMALL_VIEWPORT)
    open_app(base_url)
    node_id = next(iter(table))
    page.evaluate("(id) => window.vrmon.select(id)", node_id)
    page.wait_for_function("!document.querySelector('#span-panel').hidden")
    # Where WebXR can run a session, the headset's code loads in the background after the first scene.
    page.wait_for_function("document.querySelector('#vr-span-panel').components['vr-span-panel']")
    assert page.evaluate("document.querySelector('#vr-span-panel').object3D.visible") is False  # not on a flat screen
    enter_vr(page)
    page.evaluate(HEADSET_HELPERS)
    wait_for_panel(page, table[node_id]["operation"])
    # Beside the span, in front of the viewer, at a comfortable reading distance.
    distance = page.evaluate(
        "() => window.headset.panel().el.object3D.position.distanceTo(new AFRAME.THREE.Vector3(...window.headset.head()))"
    )
    assert 0.9 <= distance <= 1.4
    assert page.errors == []


def test_a_child_in_the_panel_jumps_to_that_span(headset):
    page, table = headset
    open_panel_on(page, table, front_top_span(table))
    # The first link in the list (the parent, or the first child of a root span).
    link = page.evaluate(
        "() => { const p = window.headset.panel(); const i = p.items.findIndex((item) => item.press);"
        " return {index: i, text: p.items[i].text}; }"
    )
    assert 0 <= link["index"] < 10, "the first link is on the first screen of the list"
    page.evaluate(
        "async ([hand, i]) => { const button = window.headset.panel().rows[i];"
        " await window.headset.aim('right', hand, window.headset.buttonPoint(button)); }",
        [RIGHT_HAND, link["index"]],
    )
    page.wait_for_function("(i) => window.headset.laser('right').button === window.headset.panel().rows[i]", arg=link["index"])
    page.evaluate("window.headset.press('right', 'trigger')")
    linked_operation = link["text"].split(": ", 1)[1].removesuffix("  (error)")
    wait_for_panel(page, linked_operation)
    assert page.evaluate("window.vrmon.system.selectedId") != front_top_span(table)
    assert page.errors == []


def test_a_span_on_the_wall_opens_its_trace_in_the_waterfall_from_the_panel(vrmon_server, open_app, server_snapshot, page):
    page, table = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(HOTROD, MANY_TRACES), scene="wall")
    node_id = next(iter(table))
    trace_id = page.evaluate(
        "(id) => new Promise((resolve) => { document.querySelector('a-scene').addEventListener('vrmon-details',"
        " (event) => resolve(event.detail.span.trace_id), {once: true}); window.vrmon.select(id); })",
        node_id,
    )
    wait_for_panel(page, table[node_id]["operation"])
    assert page.evaluate("window.headset.panel().items[0].text") == "  › Open trace in waterfall"
    page.evaluate(
        "async (hand) => { const h = window.headset; await h.aim('right', hand, h.buttonPoint(h.panel().rows[0])); }",
        RIGHT_HAND,
    )
    page.wait_for_function("window.headset.laser('right').button === window.headset.panel().rows[0]")
    page.evaluate("window.headset.press('right', 'trigger')")
    page.wait_for_function(
        "(id) => window.vrmon.stats().scene === 'waterfall' && window.vrmon.stats().trace === id", arg=trace_id, timeout=10_000
    )
    assert page.errors == []


def hotrod_children(operation: str) -> int:
    """How many children the span named `operation` has in the HotROD file, read from the file itself."""
    document = json.loads((ROOT / HOTROD).read_text())
    spans = [span for resource in document["resourceSpans"] for scope in resource["scopeSpans"] for span in scope["spans"]]
    (span_id,) = [span["spanId"] for span in spans if span["name"] == operation]
    return sum(span.get("parentSpanId") == span_id for span in spans)


PANEL_LIST_JS = """() => { const p = window.headset.panel();
  return {offset: p.offset, items: p.items.map((i) => i.text), rows: p.rows.map((r) => r.label.text), pager: p.scrollInfo.text}; }"""


def test_thumbstick_scrolls_the_panel_under_the_laser_and_does_not_move_the_viewer(headset):
    page, table = headset
    target = front_top_span(table)
    open_panel_on(page, table, target)
    panel = page.evaluate(PANEL_LIST_JS)
    total = len(panel["items"])
    assert total > 10, "the span has more detail rows than fit"
    # the panel says one true thing: the heading counts the span's children (all of them, as in
    # the file, each a line below it), the pager the list's lines (it said "1–10 of 114" under "Children (12)")
    children = hotrod_children(table[target]["operation"])
    heading = panel["items"].index(f"Children ({children})")
    following = panel["items"][heading + 1:]
    assert next(i for i, text in enumerate(following) if not text.startswith(" ")) == children, following
    assert panel["pager"] == f"lines 1–10 of {total} · thumbstick to scroll"
    page.evaluate(
        "async (hand) => { const p = window.headset.panel(); await window.headset.aim('right', hand,"
        " window.headset.buttonPoint(p.rows[5])); }",
        RIGHT_HAND,
    )
    page.wait_for_function("window.headset.laser('right').isScrolling()")
    rig_before = page.evaluate("window.headset.rig()")
    page.evaluate("window.headset.stick('right', 0, 1, 12)")  # pulled back: scroll down
    scrolled = page.evaluate("({offset: window.headset.panel().offset, first: window.headset.panel().rows[0].label.text})")
    assert scrolled["offset"] > 0
    assert scrolled["first"] != "Parent"
    assert page.evaluate(PANEL_LIST_JS)["pager"] == f"lines {scrolled['offset'] + 1}–{scrolled['offset'] + 10} of {total} · thumbstick to scroll"
    assert page.evaluate("window.headset.rig()") == rig_before  # the stick scrolled; nothing turned or teleported
    assert page.errors == []


def test_the_selected_span_and_its_panel_stay_while_the_trace_grows(headset):
    page, table = headset
    target = front_top_span(table)
    open_panel_on(page, table, target)
    before = page.evaluate("({position: window.headset.panel().el.object3D.position.toArray(), rig: window.headset.rig()})")
    # 200 new spans arrive as a delta frame (encoded in the page with the client's msgpack library).
    page.evaluate(
        """async () => {""" + DELTA_BUILDER_JS + """
          const ids = Array.from({length: 200}, (_, i) => 10000 + i);
          feedDelta(window.vrmon.system, ids, [], {place: (i) => [i * 0.05, 2, -3], size: 0.04});
          await window.headset.frames(4);
        }"""
    )
    after = page.evaluate(
        "() => { const p = window.headset.panel(); return {spans: window.vrmon.stats().spans, selected: window.vrmon.system.selectedId,"
        " visible: p.el.object3D.visible, title: p.title.text, position: p.el.object3D.position.toArray(), rig: window.headset.rig()}; }"
    )
    assert after["spans"] == len(table) + 200
    assert after["selected"] == target
    assert after["visible"] is True
    assert after["title"] == table[target]["operation"]
    assert after["position"] == before["position"]
    assert after["rig"] == before["rig"]  # live data never moves the viewer
    assert page.errors == []


def test_both_grips_scale_and_turn_the_scene_and_one_grip_moves_it(headset):
    page, _ = headset
    # the waterfall starts scaled to a wall in front of the viewer; the hands scale it from there
    start = page.evaluate("window.vrmon.stats().worldScale")
    assert 0 < start < 1
    page.evaluate(
        """async () => {
          const h = window.headset;
          await h.place('left', [-0.15, 1.2, -0.4]);
          await h.place('right', [0.15, 1.2, -0.4]);
          for (const side of ['left', 'right']) window.xrdevice.controllers[side].updateButtonValue('squeeze', 1);
          await h.frames(6);
          await h.place('left', [-0.45, 1.2, -0.4]);   // hands three times as far apart
          await h.place('right', [0.45, 1.2, -0.4]);
          await h.frames(4);
          for (const side of ['left', 'right']) window.xrdevice.controllers[side].updateButtonValue('squeeze', 0);
          await h.frames(6);
        }"""
    )
    assert page.evaluate("window.vrmon.stats().worldScale") == pytest.approx(3 * start, rel=0.02)
    # The point between the hands stayed where it was: a span there would not have moved.
    world = page.evaluate("document.querySelector('#world').object3D.position.toArray()")
    moved = page.evaluate(
        """async () => {
          const h = window.headset, world = document.querySelector('#world').object3D;
          const before = world.position.toArray();
          window.xrdevice.controllers.right.updateButtonValue('squeeze', 1);
          await h.frames(6);
          await h.place('right', [0.45, 1.5, -0.4]);   // 30 cm up
          await h.frames(4);
          window.xrdevice.controllers.right.updateButtonValue('squeeze', 0);
          await h.frames(6);
          return world.position.toArray().map((v, i) => v - before[i]);
        }"""
    )
    assert moved == pytest.approx([0, 0.3, 0], abs=0.01)
    assert page.evaluate("window.vrmon.stats().worldScale") == pytest.approx(3 * start, rel=0.02)  # one hand never scales
    # Turning the line between the hands by 30° about the vertical turns the scene with it.
    turned = page.evaluate(
        """async () => {
          const h = window.headset, world = document.querySelector('#world').object3D;
          const yaw = () => new AFRAME.THREE.Euler().setFromQuaternion(world.quaternion, 'YXZ').y;
          const before = yaw(), r = 0.3, a = Math.PI / 6;
          await h.place('left', [-r, 1.2, -0.4]);
          await h.place('right', [r, 1.2, -0.4]);
          for (const side of ['left', 'right']) window.xrdevice.controllers[side].updateButtonValue('squeeze', 1);
          await h.frames(6);
          // The right hand comes towards the viewer (+z), the left one goes away: the line turns clockwise from above.
          await h.place('left', [-r * Math.cos(a), 1.2, -0.4 - r * Math.sin(a)]);
          await h.place('right', [r * Math.cos(a), 1.2, -0.4 + r * Math.sin(a)]);
          await h.frames(4);
          for (const side of ['left', 'right']) window.xrdevice.controllers[side].updateButtonValue('squeeze', 0);
          await h.frames(6);
          return {turn: yaw() - before, scale: window.vrmon.stats().worldScale};
        }"""
    )
    assert turned["turn"] == pytest.approx(-math.pi / 6, abs=0.01)
    assert turned["scale"] == pytest.approx(3 * start, rel=0.02)  # the hands stayed as far apart
    assert world != [0, 0, 0]  # scaling about the hands' midpoint moved the scene's origin
    # Lane and time labels ride with the scene (their shader sizes the quads by this scale too).
    assert page.evaluate("document.querySelector('[scene-labels]').getObject3D('labels').matrixWorld.getMaxScaleOnAxis()") \
        == pytest.approx(3 * start, rel=0.02)
    assert page.errors == []


def press_menu_button(page, button_js: str) -> None:
    """Look at a wrist-menu button (a JS expression on the menu `m`): the menu opens; aim the right
    laser at it, pull the trigger, and look ahead again (the menu folds)."""
    page.evaluate(
        f"async (hand) => {{ const h = window.headset, m = h.menu(); await h.look(h.buttonPoint({button_js}));"
        f" await h.aim('right', hand, h.buttonPoint({button_js})); }}",
        [0.2, 1.25, -0.15],
    )
    page.wait_for_function(f"() => {{ const m = window.headset.menu(); return window.headset.laser('right').button === {button_js}; }}")
    page.evaluate("async () => { await window.headset.press('right', 'trigger'); await window.headset.lookAhead(); }")


def test_wrist_menu_switches_the_scene_without_moving_the_viewer(headset):
    page, _ = headset
    scenes = page.evaluate("window.vrmon.system.scene.scenes.map((s) => s.name)")
    assert "wall" in scenes
    page.evaluate("async () => { await window.headset.place('left', [-0.15, 1.35, -0.35]); }")
    index = scenes.index("wall")
    rig_before = page.evaluate("window.headset.rig()")
    press_menu_button(page, f"m.sceneButtons[{index}]")
    page.wait_for_function("window.vrmon.stats().scene === 'wall'", timeout=10_000)
    next_frames(page)
    assert page.evaluate("window.headset.rig()") == rig_before  # a new view never moves the camera in VR
    assert page.evaluate("(i) => window.headset.menu().sceneButtons[i].active", index) is True
    # looked at, the menu is open; X on the left controller turns it off, and on again
    shown = "document.querySelector('#wrist-menu').object3D.visible"
    page.evaluate("async () => { const h = window.headset; await h.look(h.menuPoint()); }")
    page.wait_for_function(shown)
    page.evaluate("window.headset.press('left', 'x-button')")
    assert page.evaluate(shown) is False
    page.evaluate("window.headset.press('left', 'x-button')")
    page.wait_for_function(shown)
    assert page.errors == []


def test_wrist_menu_pages_through_the_traces_and_picks_one(vrmon_server, open_app, server_snapshot, page):
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(HOTROD, MANY_TRACES))
    traces = page.snapshot["traces"]  # newest first, as the menu lists them
    page.evaluate("async () => { await window.headset.place('left', [-0.15, 1.35, -0.35]); }")
    rows = page.evaluate("window.headset.menu().traceButtons.length")
    press_menu_button(page, "m.olderButton")
    page.wait_for_function("(t) => window.headset.menu().traceButtons[0].label.text.startsWith(t)", arg=f"{traces[rows]['service']}: ")
    wanted = traces[rows + 1]
    press_menu_button(page, "m.traceButtons[1]")
    page.wait_for_function(
        "([id, spans]) => window.vrmon.stats().trace === id && window.vrmon.stats().spans === spans",
        arg=[wanted["id"], wanted["spans"]],
        timeout=10_000,
    )
    assert page.evaluate("window.headset.menu().traceButtons[1].active") is True

    # The host-load ring is shown and hidden from the menu.
    assert page.evaluate("document.querySelector('#host-ring').object3D.visible") is True
    press_menu_button(page, "m.hostRingButton")
    page.wait_for_function("document.querySelector('#host-ring').object3D.visible === false")
    assert page.evaluate("window.headset.menu().hostRingButton.active") is False
    assert page.errors == []


def test_wrist_menu_filters_share_the_desktop_search(headset):
    page, table = headset
    page.evaluate("async () => { await window.headset.place('left', [-0.15, 1.35, -0.35]); }")
    page.evaluate("window.vrmon.system.setFilter({text: 'redis'})")  # typed on the desktop before entering VR
    press_menu_button(page, "m.errorsButton")
    page.wait_for_function("window.vrmon.system.nodeFilter.criteria.errorsOnly === true")
    assert page.evaluate("window.vrmon.system.nodeFilter.criteria.text") == "redis"  # the menu kept what was typed
    expected = sum(1 for node in table.values() if "redis" in f"{node['service']} {node['operation']}".lower() and node["flags"] & 1)
    assert page.evaluate("window.vrmon.system.nodeFilter.count") == expected > 0
    assert page.evaluate("window.headset.menu().errorsButton.active") is True
    page.evaluate("window.vrmon.system.setFilter({})")  # cleared elsewhere: the menu follows
    page.wait_for_function("window.headset.menu().errorsButton.active === false")
    assert page.errors == []


def test_right_thumbstick_snap_turns_about_the_head(headset):
    page, _ = headset
    head_before = page.evaluate("window.headset.head()")
    yaw_before = page.evaluate("window.headset.rig().yaw")
    page.evaluate("([at, turn]) => window.headset.place('right', at, turn)", [RIGHT_HAND, HAND_OUT["right"]])  # off the bars: a turn, not a time zoom
    page.evaluate("window.headset.stick('right', 1, 0)")
    assert page.evaluate("window.headset.rig().yaw") == pytest.approx(yaw_before - math.radians(30), abs=1e-6)
    page.evaluate("window.headset.stick('right', 1, 0)")  # back to the centre re-arms it
    page.evaluate("window.headset.stick('right', -1, 0)")
    assert page.evaluate("window.headset.rig().yaw") == pytest.approx(yaw_before - math.radians(30), abs=1e-6)
    head_after = page.evaluate("window.headset.head()")
    assert head_after == pytest.approx(head_before, abs=1e-3)  # the viewer turned on the spot
    assert page.errors == []


def test_teleport_lands_the_viewer_on_the_marked_floor_point(headset):
    page, _ = headset
    head = page.evaluate("window.headset.head()")
    target = [head[0] + 1.0, 0, head[2] - 1.0]  # on the floor between the viewer and the picture (its bars would stop the laser)
    marker = page.evaluate(
        """async ([hand, target]) => {
          const h = window.headset, right = window.xrdevice.controllers.right;
          await h.aim('right', hand, target);
          right.updateAxes('thumbstick', 0, -1);   // pushed forward: aim
          await h.frames(4);
          const rig = document.querySelector('#rig').components['vr-locomotion'];
          const shown = {visible: rig.marker.visible, at: rig.marker.position.toArray()};
          right.updateAxes('thumbstick', 0, 0);    // let go: jump
          await h.frames(4);
          return shown;
        }""",
        [RIGHT_HAND, target],
    )
    assert marker["visible"] is True
    assert marker["at"] == pytest.approx([target[0], 0.01, target[2]], abs=0.02)
    head_after = page.evaluate("window.headset.head()")
    assert [head_after[0], head_after[2]] == pytest.approx([target[0], target[2]], abs=0.02)
    assert head_after[1] == pytest.approx(head[1], abs=1e-3)  # feet stay on the floor
    assert page.evaluate("document.querySelector('#rig').components['vr-locomotion'].marker.visible") is False
    assert page.errors == []


def test_left_thumbstick_walks_where_the_head_looks(headset):
    page, _ = headset
    before = page.evaluate("window.headset.rig().position")
    page.evaluate("window.headset.stick('left', 0, -1, 20)")  # forward
    after = page.evaluate("window.headset.rig().position")
    # The emulated head looks down -z: forward is -z, level, and nothing sideways.
    assert after[2] < before[2] - 0.1
    assert after[0] == pytest.approx(before[0], abs=1e-3)
    assert after[1] == before[1]
    assert page.errors == []


def test_the_desktop_pays_nothing_for_the_headset_parts(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall"))
    # No WebXR here: the headset's components (and troika's text stack) are not even loaded.
    headset_parts = """() => ({
      rays: ['left', 'right'].map((side) => document.querySelector(`#${side}-hand`).components.raycaster.data.enabled),
      loaded: ['vr-laser', 'vr-span-panel', 'vr-span-labels', 'vr-wrist-menu', 'vr-locomotion', 'world-grab']
        .filter((name) => document.querySelector(`[${name}]`).components[name]),
      troika: performance.getEntriesByType('resource').some((e) => e.name.includes('troika')),
    })"""
    assert page.evaluate(headset_parts) == {"rays": [False, False], "loaded": [], "troika": False}
    page.evaluate("window.vrmon.select(window.vrmon.nodeIds()[0])")  # a desktop selection loads no headset panel
    page.wait_for_function("document.querySelector('#span-panel .panel-body .subtitle')"
                           " && !document.querySelector('#span-panel .muted')?.textContent.startsWith('Loading')")
    next_frames(page)  # the details reached every listener
    assert page.evaluate(headset_parts)["loaded"] == []
    assert page.errors == []


@pytest.mark.screenshots
def test_headset_screenshot(vrmon_server, open_app, server_snapshot, page, screenshot_dir):
    """headset.png (docs/img under `make screenshots`): the emulated headset's view with the span panel open."""
    page, table = enter_headset(vrmon_server, open_app, server_snapshot, page, {"width": 1280, "height": 720})
    open_panel_on(page, table, front_top_span(table))
    page.evaluate("async () => { await window.headset.place('left', [-0.42, 1.22, -0.7]); }")
    next_frames(page)
    page.screenshot(path=str(screenshot_dir / "headset.png"))
    # In XR every object is drawn once per view (IWER reports two even in mono). Panels and
    # labels are batched: two calls per panel, one for all the labels.
    views = page.evaluate("document.querySelector('a-scene').renderer.xr.getCamera().cameras.length")
    calls = page.evaluate("window.vrmon.stats().drawCalls")
    assert views == 2
    assert 0 < calls / views < 30
    assert page.errors == []


def test_the_wall_stands_in_front_in_a_headset_with_titles_of_readable_angular_size_and_pages_from_the_wrist(
        vrmon_server, open_app, server_snapshot, page):
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(HOTROD, MANY_TRACES), scene="wall")
    pages = page.snapshot["scene"]["pages"]
    assert pages > 1
    # The page is in front of the viewer (every bar within 60° of straight ahead), and every
    # panel title is at least 1.2° tall (2 cm at 1 m): readable without walking up to it.
    widest, smallest = page.evaluate("""() => {
      const THREE = AFRAME.THREE;
      const camera = document.querySelector('a-scene').camera;
      const eye = camera.getWorldPosition(new THREE.Vector3());
      const ahead = Math.atan2(-camera.getWorldDirection(new THREE.Vector3()).x, -camera.getWorldDirection(new THREE.Vector3()).z);
      const { pos, count } = window.vrmon.system.nodes;
      let widest = 0;
      for (let r = 0; r < count; r++) {
        const azimuth = Math.atan2(-(pos[r * 3] - eye.x), -(pos[r * 3 + 2] - eye.z)) - ahead;
        widest = Math.max(widest, Math.abs(Math.atan2(Math.sin(azimuth), Math.cos(azimuth))));
      }
      const fontMetres = 0.22 * 56 / 76;  // scene-labels.js: the wall's title quads, of which the font is 56/76
      const smallest = Math.min(...window.vrmon.system.labels.map((l) =>
        2 * Math.atan(fontMetres / 2 / eye.distanceTo(new THREE.Vector3().fromArray(l.pos)))));
      return [widest * 180 / Math.PI, smallest * 180 / Math.PI];
    }""")
    assert widest <= 60 and smallest >= 1.2, (widest, smallest)
    # the titles name the traces: no span name is laid across them (the waterfall's, vr-span-labels)
    next_frames(page)
    assert page.evaluate("document.querySelector('[vr-span-labels]').components['vr-span-labels'].group.visible") is False
    page.evaluate("async () => { await window.headset.place('left', [-0.15, 1.35, -0.35]); }")
    press_menu_button(page, "m.olderPageButton")
    page.wait_for_function("window.vrmon.system.scene.page === 1", timeout=10_000)
    page.wait_for_function("(n) => window.headset.menu().wallHeading.text === `Wall: page 2 of ${n}`", arg=pages)
    assert page.errors == []
