"""Search, shortcuts, fades, selection and the status banner of the desktop client, in headless
Chromium against real vrmon servers (file replay, or a live Jaeger stub).

Which spans should match is worked out from the server's side: the snapshot decoded by
vrmon.protocol, or the server's own span store.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.browser.helpers import DELTA_BUILDER_JS, click_node, next_frames, settled
from tests.browser.test_desktop_client import HOTROD, MANY_TRACES, node_table
from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub, v3_error_body
from tests.recorded_backend import Fault
from vrmon.layout.nodes import duration_code

pytestmark = pytest.mark.browser

HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"

# Per node id as drawn: "bright" (its own colour, or lighter), "dim" (well towards the background).
DRAWN = """
() => {
  const THREE = AFRAME.THREE;
  const instances = document.querySelector("[span-instances]").components["span-instances"];
  const { nodes } = window.vrmon.system;
  const drawn = new THREE.Color(), own = new THREE.Color();
  const out = {};
  for (let row = 0; row < nodes.count; row++) {
    instances.spans.getColorAt(row, drawn);
    const c = nodes.color;
    own.setRGB(c[row * 3] / 255, c[row * 3 + 1] / 255, c[row * 3 + 2] / 255, THREE.SRGBColorSpace);
    const ratio = (drawn.r + drawn.g + drawn.b) / (own.r + own.g + own.b);
    out[nodes.ids[row]] = ratio >= 0.999 ? "bright" : ratio < 0.5 ? "dim" : `between (${ratio.toFixed(3)})`;
  }
  return out;
}
"""


def drawn(page) -> dict[int, str]:
    return {int(k): v for k, v in page.evaluate(DRAWN).items()}


def search(page, text: str) -> None:
    """Type into the search box the way a user does: '/' then the text."""
    page.mouse.move(640, 20)  # off the scene: no hover highlight
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "text"
    page.keyboard.type(text)


def matches_text(page) -> str:
    return page.locator("#span-search .matches").inner_text()


def test_search_highlights_exactly_the_spans_whose_service_or_operation_match(vrmon_server, open_app, server_snapshot, page):
    # no host ring: its meshes appear with the first metrics frame and would change the draw calls
    base_url = vrmon_server([HOTROD], scene="waterfall", host_metrics=False)
    table = node_table(server_snapshot(base_url))
    open_app(base_url, "?stats=1")
    # the critical path and floor grid join the frame after the first (scene/first-frame.js), the
    # finding marks once the findings are in (asked for after it)
    page.wait_for_function("window.vrmon.system.findingsBytes")
    next_frames(page)
    calls_before = page.evaluate("window.vrmon.stats().drawCalls")
    assert set(drawn(page).values()) == {"bright"}

    search(page, "redis")
    for text in ("redis", "SQL", "GET /"):
        page.locator("#span-search [name=text]").fill(text)
        expected = {i for i, (service, operation, _) in table.items() if text.lower() in f"{service}\n{operation}".lower()}
        assert 0 < len(expected) < 40, text
        page.wait_for_function("(n) => window.vrmon.system.nodeFilter.count === n", arg=len(expected))
        assert drawn(page) == {i: "bright" if i in expected else "dim" for i in table}, text
        assert matches_text(page) == f"{len(expected)} {'match' if len(expected) == 1 else 'matches'}"
        # the critical path's stripes stay on matching spans only
        critical = sum(1 for i in expected if table[i][2] & 128)
        page.wait_for_function("(n) => window.vrmon.stats().critical === n", arg=critical)

    next_frames(page)
    assert page.evaluate("window.vrmon.stats().drawCalls") == calls_before  # colours, not extra meshes
    page.locator("#span-search [name=text]").fill("no such span")
    page.wait_for_function("window.vrmon.system.nodeFilter.count === 0")
    assert matches_text(page) == "no matches"
    assert set(drawn(page).values()) == {"dim"}
    assert page.errors == []


def test_service_errors_and_min_duration_filters_match_the_server_spans(vrmon_server, open_app, server_snapshot, page):
    base_url = vrmon_server([HOTROD], scene="waterfall")
    table = node_table(server_snapshot(base_url))
    store = vrmon_server.last.app.state.store
    duration = {i: int(store.duration_us[store.row_of_uid(i)]) for i in table}
    open_app(base_url)
    page.mouse.move(640, 20)
    bar = page.locator("#span-search")

    def shown(expected: set[int]) -> None:
        page.wait_for_function("(n) => window.vrmon.system.nodeFilter.count === n", arg=len(expected))
        assert drawn(page) == {i: "bright" if i in expected else "dim" for i in table}

    bar.locator("[name=service]").select_option("redis-manual")
    shown({i for i, (service, _, _) in table.items() if service == "redis-manual"})
    bar.locator("[name=errorsOnly]").check()
    redis_errors = {i for i, (service, _, flags) in table.items() if service == "redis-manual" and flags & 1}
    assert len(redis_errors) == 3
    shown(redis_errors)
    bar.locator("[name=service]").select_option("")
    bar.locator("[name=errorsOnly]").uncheck()

    # A minimum duration keeps every span at least that long, and those at most 9 % shorter.
    median = int(np.median(list(duration.values())))
    for typed, us in ((f"{median / 1000}ms", median), (f"{median / 1e6}s", median), (f"{median}us", median)):
        bar.locator("[name=minDuration]").fill(typed)
        expected = {i for i, d in duration.items() if duration_code(d) >= duration_code(us)}
        assert {i for i, d in duration.items() if d >= us} <= expected
        assert all(duration[i] >= us / 2 ** (1 / 8) for i in expected)
        shown(expected)
    bar.locator("[name=minDuration]").fill("soon")
    assert bar.locator("[name=minDuration]").get_attribute("aria-invalid") == "true"
    page.wait_for_function("!window.vrmon.system.nodeFilter.active")
    assert page.errors == []


def test_enter_steps_through_matches_f_frames_the_selection_and_esc_clears(vrmon_server, open_app, server_snapshot, page):
    base_url = vrmon_server([HOTROD], scene="waterfall")
    snapshot = server_snapshot(base_url)
    table = node_table(snapshot)
    nodes = snapshot["nodes"]
    # reading order, from the server's geometry: left edge, then top first
    order = sorted(
        (float(p[0] - s[0] / 2), -float(p[1]), int(i)) for i, p, s in zip(nodes.ids, nodes.pos, nodes.size)
        if "redis" in table[int(i)][0]
    )
    expected = [i for _, _, i in order]
    open_app(base_url)
    panel_title = page.locator("#span-panel .panel-title")
    search(page, "redis")
    page.wait_for_function("(n) => window.vrmon.system.nodeFilter.count === n", arg=len(expected))

    page.keyboard.press("Enter")
    page.wait_for_function("(id) => window.vrmon.system.selectedId === id", arg=expected[0])
    assert panel_title.inner_text() == table[expected[0]][1]
    assert matches_text(page) == f"1 of {len(expected)} matches"
    page.keyboard.press("ArrowDown")
    page.wait_for_function("(id) => window.vrmon.system.selectedId === id", arg=expected[1])
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("(id) => window.vrmon.system.selectedId === id", arg=expected[0])
    page.keyboard.press("ArrowUp")  # wraps round to the last match
    page.wait_for_function("(id) => window.vrmon.system.selectedId === id", arg=expected[-1])
    assert matches_text(page) == f"{len(expected)} of {len(expected)} matches"
    target = expected[-1]

    # F (with the focus back on the scene) frames the selected span in the middle of the free view.
    def camera_to(node_id: int) -> float:
        return page.evaluate("""(id) => {
          const { nodes } = window.vrmon.system, row = nodes.rowOf.get(id);
          const eye = new AFRAME.THREE.Vector3();
          document.querySelector('a-scene').camera.getWorldPosition(eye);
          return eye.distanceTo(new AFRAME.THREE.Vector3().fromArray(nodes.pos, row * 3));
        }""", node_id)

    page.mouse.click(640, 705)  # empty floor in front of the scene: the search box lets go of the keys
    assert page.evaluate("window.vrmon.system.selectedId") == target
    next_frames(page)  # selection-clearance frames the view beside the panel at the animation frame after a selection
    far = camera_to(target)
    # A-Frame's own F shortcut (enter VR, fullscreen on a desktop) is off: its exit-vr framed the
    # whole view again a moment after F had framed the span.
    assert page.evaluate("document.querySelector('a-scene').getAttribute('keyboard-shortcuts').enterVR") is False
    page.keyboard.press("f")
    next_frames(page)
    near = camera_to(target)
    assert near < far / 2
    point = page.evaluate("(id) => window.vrmon.screenPositionOf(id)", target)
    panel = page.locator("#span-panel").bounding_box()
    trace_list = page.locator("#trace-list").bounding_box()
    # framing keeps clear of the trace list, open or folded to its corner button (view-insets.js)
    free_left = trace_list["x"] + trace_list["width"] if trace_list["height"] else 0
    assert abs(point["x"] - (free_left + panel["x"]) / 2) < 40  # centred between the side panels
    assert abs(point["y"] - 360) < 120
    # The framed span is the one under the mouse there: clicking it keeps it selected.
    click_node(page, target)
    assert page.evaluate("window.vrmon.system.selectedId") == target

    page.keyboard.press("Escape")  # first the selection...
    page.wait_for_function("window.vrmon.system.selectedId === null")
    assert page.locator("#span-panel").is_hidden()
    assert page.evaluate("window.vrmon.system.nodeFilter.active") is True
    page.keyboard.press("Escape")  # ...then the search
    page.wait_for_function("!window.vrmon.system.nodeFilter.active")
    assert page.locator("#span-search [name=text]").input_value() == ""
    assert set(drawn(page).values()) == {"bright"}
    assert page.errors == []


def test_f_on_the_wall_faces_the_selected_span_from_inside_the_room(vrmon_server, open_app, page):
    open_app(vrmon_server([MANY_TRACES], scene="wall"))
    ids = page.evaluate("window.vrmon.nodeIds()")
    # a span well off to one side of the room, not straight ahead
    target = max(ids, key=lambda i: abs(page.evaluate("(id) => { const n = window.vrmon.system.nodes; return n.pos[n.rowOf.get(id) * 3]; }", i)))
    page.evaluate("(id) => window.vrmon.select(id)", target)
    page.mouse.move(640, 20)
    page.keyboard.press("f")
    next_frames(page)
    where = page.evaluate("""(id) => {
      const { nodes } = window.vrmon.system, row = nodes.rowOf.get(id);
      const eye = new AFRAME.THREE.Vector3();
      document.querySelector('a-scene').camera.getWorldPosition(eye);
      return {distance: eye.distanceTo(new AFRAME.THREE.Vector3().fromArray(nodes.pos, row * 3)),
              screen: window.vrmon.screenPositionOf(id), eye: eye.toArray()};
    }""", target)
    assert where["distance"] == pytest.approx(2.5, abs=0.01)
    assert abs(where["screen"]["x"] - 640) < 5 and abs(where["screen"]["y"] - 360) < 5  # straight ahead
    assert np.hypot(where["eye"][0], where["eye"][2]) < 6  # inside the ring of panels
    assert page.errors == []


def test_a_filter_set_by_another_control_shows_in_the_search_bar(vrmon_server, open_app, page):
    """The VR wrist menu calls system.setFilter: the bar and the count follow."""
    open_app(vrmon_server([HOTROD], scene="waterfall"))
    page.evaluate("window.vrmon.system.setFilter({service: 'mysql', minDurationUs: 2000, errorsOnly: false})")
    bar = page.locator("#span-search")
    assert bar.locator("[name=service]").input_value() == "mysql"
    assert bar.locator("[name=minDuration]").input_value() == "2.00 ms"
    count = page.evaluate("window.vrmon.system.nodeFilter.count")
    assert 0 < count < 40 and matches_text(page).startswith(str(count))
    page.evaluate("window.vrmon.system.setFilter({})")
    assert bar.locator("[name=service]").input_value() == ""
    assert matches_text(page) == ""
    for nonsense in ("null", "42", "{text: 42, minDurationUs: 'soon', errorsOnly: 'yes', service: ['a']}"):
        page.evaluate(f"window.vrmon.system.setFilter({nonsense})")
        assert page.evaluate("window.vrmon.system.nodeFilter.active") is False, nonsense
        assert page.evaluate("window.vrmon.system.nodeFilter.count") == 40
    assert page.errors == []


# Feeds the data system a delta adding grey 0.2 m boxes and removing some nodes, as if from
# the socket; returns what is drawn right after it (before the next frame).
SEND_DELTA = """
async ({added, removed}) => {""" + DELTA_BUILDER_JS + """
  feedDelta(window.vrmon.system, added, removed, {duration: 80});
}
"""

# Sends that delta, then samples every frame until the fade ends: the colour of the first added node and
# the number of ghosts, starting before the first frame after the delta.
WATCH_FADES = """
async ({added, removed, fadeMs, final}) => {
  const instances = document.querySelector("[span-instances]").components["span-instances"];
  // A fade long enough that even a slow machine draws frames in the middle of it.
  instances.fades.durationMs = fadeMs;
  await (""" + SEND_DELTA + """)({added, removed});
  const id = added[0];
  const color = new AFRAME.THREE.Color();
  const samples = [];
  const start = performance.now();
  // Sample every frame until the fade has run to its end (ghosts gone, the colour reached).
  for (;;) {
    const row = window.vrmon.system.nodes.rowOf.get(id);
    instances.spans.getColorAt(row, color);
    const sample = {t: performance.now() - start, level: color.r, ghosts: instances.fades.ghosts.count,
                    ghostsShown: instances.fades.ghosts.visible};
    samples.push(sample);
    if (sample.ghosts === 0 && Math.abs(sample.level - final) < 1e-6) break;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  return samples;
}
"""


def test_added_spans_fade_in_and_removed_spans_fade_out_to_the_right_final_state(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall"), "?stats=1")
    page.mouse.move(640, 20)
    # counted once the findings are in and a frame with their marks is shown (both come after `ready`)
    page.wait_for_function("window.vrmon.system.findingsBytes")
    next_frames(page)
    calls_before = page.evaluate("window.vrmon.stats().drawCalls")
    added = list(range(1000, 1012))
    background = page.evaluate("document.querySelector('[span-instances]').components['span-instances'].background.r")
    final = page.evaluate("new AFRAME.THREE.Color().setRGB(200 / 255, 0, 0, AFRAME.THREE.SRGBColorSpace).r")
    samples = page.evaluate(WATCH_FADES, {"added": added, "removed": [0, 1, 2], "fadeMs": 1500, "final": final})

    first, last = samples[0], samples[-1]
    assert first["ghosts"] == 3 and first["ghostsShown"]  # the removed spans are still seen, fading
    assert first["level"] < final * 0.5  # the new span starts near the background
    assert any(background < s["level"] < final - 1e-6 for s in samples)  # and passes through in between
    levels = [s["level"] for s in samples]
    assert levels == sorted(levels)  # brightening all the way
    assert last["level"] == pytest.approx(final, abs=1e-6)
    assert last["ghosts"] == 0 and not last["ghostsShown"]
    assert set(drawn(page).values()) == {"bright"}  # every span ends at its own colour
    assert page.evaluate("window.vrmon.stats().spans") == 40 - 3 + len(added)
    next_frames(page)
    assert page.evaluate("window.vrmon.stats().drawCalls") == calls_before
    assert page.errors == []


def test_the_match_mask_follows_rows_that_deltas_move(vrmon_server, open_app, server_snapshot, page):
    base_url = vrmon_server([HOTROD], scene="waterfall")
    snapshot = server_snapshot(base_url)
    table = node_table(snapshot)
    open_app(base_url)
    search(page, "redis")
    page.wait_for_function("window.vrmon.system.nodeFilter.active")
    # Removing rows 0-2 and 12 moves the last rows into their places; the new nodes (service and
    # operation 0 of the tables) match or not by those names.
    removed, added = [0, 1, 2, 12], list(range(2000, 2020))
    page.evaluate(SEND_DELTA, {"added": added, "removed": removed})
    settled(page)
    new_matches = "redis" in f"{snapshot['services'][0]}\n{snapshot['operations'][0]}".lower()
    expected = {i for i, (service, operation, _) in table.items() if i not in removed and "redis" in f"{service}\n{operation}".lower()}
    expected |= set(added) if new_matches else set()
    remaining = (set(table) - set(removed)) | set(added)
    assert page.evaluate("window.vrmon.system.nodeFilter.count") == len(expected)
    assert drawn(page) == {i: "bright" if i in expected else "dim" for i in remaining}
    assert page.errors == []


CAMERA_POSE = """() => {
  const camera = document.querySelector('#camera').object3D, rig = document.querySelector('#rig').object3D;
  const look = document.querySelector('#camera').components['look-controls'];
  return [...camera.position.toArray(), ...rig.position.toArray(), look.yawObject.rotation.y, look.pitchObject.rotation.x];
}"""

OUTLINE_ON_NODE = """(id) => {
  const instances = document.querySelector('[span-instances]').components['span-instances'];
  const { nodes } = window.vrmon.system, row = nodes.rowOf.get(id);
  const at = new AFRAME.THREE.Vector3().fromArray(nodes.pos, row * 3);
  return instances.outline.visible && instances.outline.position.distanceTo(at) < 1e-6;
}"""


def test_selection_stays_and_the_camera_holds_while_a_live_trace_grows(live_jaeger, open_app, page):
    stub = JaegerStub()
    spans = stub.load(HOTROD_V3)
    stub.release(spans[:25])
    live = live_jaeger(stub)
    open_app(live.server.url)
    page.wait_for_function("window.vrmon.stats().spans === 25")
    target = page.evaluate("window.vrmon.nodeIds()")[0]
    # the view is framed an animation frame after its snapshot (and again for the page's shape)
    page.wait_for_function("(id) => window.vrmon.screenPositionOf(id) !== null", arg=target)
    click_node(page, target)
    page.wait_for_function("(id) => window.vrmon.system.selectedId === id", arg=target)
    # the panel's opening frames the view beside it a frame later (selection-clearance.js): the
    # pose to hold is the one after that (taken before it, in a fresh-clone CI at load 8, the
    # camera had "moved" by that framing)
    next_frames(page)
    title = page.locator("#span-panel .panel-title").inner_text()
    position = page.evaluate("(id) => { const n = window.vrmon.system.nodes; return Array.from(n.pos.slice(n.rowOf.get(id) * 3, n.rowOf.get(id) * 3 + 3)); }", target)
    pose = page.evaluate(CAMERA_POSE)
    seq = page.evaluate("window.vrmon.stats().seq")

    stub.release(spans[25:])
    page.wait_for_function("window.vrmon.stats().spans === 40")
    next_frames(page)
    assert page.evaluate("window.vrmon.stats().seq") > seq  # it grew by deltas, not a new snapshot
    assert page.evaluate("window.vrmon.system.selectedId") == target
    assert page.locator("#span-panel").is_visible()
    assert page.locator("#span-panel .panel-title").inner_text() == title
    assert page.evaluate(OUTLINE_ON_NODE, target)  # the outline follows the span to where it is now
    moved = page.evaluate("(id) => { const n = window.vrmon.system.nodes; return Array.from(n.pos.slice(n.rowOf.get(id) * 3, n.rowOf.get(id) * 3 + 3)); }", target)
    assert moved != position  # a longer trace rescales the time axis: the span did move
    assert page.evaluate(CAMERA_POSE) == pose  # and the camera did not
    assert page.errors == []


def test_status_banner_shows_a_source_failure_and_clears_when_it_recovers(live_jaeger, open_app, page):
    stub = JaegerStub()
    stub.release(stub.load(HOTROD_V3))
    live = live_jaeger(stub)
    open_app(live.server.url)
    page.wait_for_function("window.vrmon.stats().spans === 40")
    banner = page.locator("#status-banner")
    assert banner.is_hidden()

    stub.fault = Fault("status", 500, v3_error_body(500, "storage unavailable"))
    banner.wait_for(state="visible", timeout=15_000)
    page.wait_for_function("document.querySelector('#status-banner').textContent.includes('HTTP 500: storage unavailable')")
    text = banner.inner_text()
    assert "jaeger: degraded" in text
    assert page.evaluate("window.vrmon.stats().spans") == 40  # the last good scene stays

    stub.fault = None
    banner.wait_for(state="hidden", timeout=15_000)
    assert page.evaluate("window.vrmon.stats().connected") is True
    assert page.errors == []


@pytest.mark.screenshots
def test_desktop_search_screenshot(vrmon_server, open_app, server_snapshot, page, screenshot_dir):
    """desktop-search.png (docs/img under `make screenshots`): the HotROD trace searched for "redis", a match selected."""
    base_url = vrmon_server([HOTROD], scene="waterfall")
    open_app(base_url)
    search(page, "redis")
    page.keyboard.press("Enter")
    page.wait_for_function("!document.querySelector('#span-panel .muted')?.textContent.startsWith('Loading')")
    page.mouse.click(640, 705)  # back to the scene's keys...
    page.keyboard.press("r")  # ...and frame the trace between the open panels
    page.mouse.move(640, 20)
    settled(page)
    page.locator("#tooltip").wait_for(state="hidden")
    page.screenshot(path=str(screenshot_dir / "desktop-search.png"))
    assert page.evaluate("window.vrmon.system.selectedId") is not None
    assert page.errors == []
