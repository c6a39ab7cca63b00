"""A desktop view at rest draws nothing: frames only when data, input or an animation asks.

The page is the real client against a real server on loopback, in headless Chromium. Frames are
counted by three.js itself (`renderer.info.render.frame`), long tasks by a PerformanceObserver.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import DELTA_BUILDER_JS

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
REST_MS = 3000  # how long the page is watched at rest: an observation period, not a timing target

IDLE = "() => !document.querySelector('a-scene').systems['render-on-demand'].running"
FRAMES = "() => document.querySelector('a-scene').renderer.info.render.frame"


def open_idle(vrmon_server, open_app, page) -> None:
    # Host metrics on (1 Hz): on a screen they update the DOM gauge, not the 3D view.
    open_app(vrmon_server([HOTROD], scene="waterfall"))
    page.wait_for_function(IDLE, timeout=20_000)


def test_a_view_at_rest_draws_no_frames_and_runs_no_long_tasks(vrmon_server, open_app, page):
    open_idle(vrmon_server, open_app, page)
    watched = page.evaluate(
        """async (ms) => {
          const tasks = [];
          new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration)))
            .observe({type: "longtask"});
          const renderer = document.querySelector("a-scene").renderer;
          const before = renderer.info.render.frame;
          const start = performance.now();
          await new Promise((resolve) => setTimeout(resolve, ms));
          return {frames: renderer.info.render.frame - before, tasks, watchedMs: performance.now() - start};
        }""",
        REST_MS,
    )
    assert watched["watchedMs"] >= REST_MS
    assert watched["frames"] == 0
    assert watched["tasks"] == []
    assert page.errors == []


def test_a_delta_is_drawn_faded_in_and_the_view_comes_to_rest_again(vrmon_server, open_app, page):
    open_idle(vrmon_server, open_app, page)
    before = page.evaluate(FRAMES)
    page.evaluate("async () => {" + DELTA_BUILDER_JS + " feedDelta(window.vrmon.system, [900001, 900002]); }")
    page.wait_for_function("(n) => window.vrmon.stats().instances === n", arg=42)
    page.wait_for_function(IDLE, timeout=20_000)
    assert page.evaluate(FRAMES) > before
    # frames went on until the fade-in ended: the new span is drawn in its own colour, not the background's
    drawn = page.evaluate("""() => {
      const instances = document.querySelector('[span-instances]').components['span-instances'];
      const row = window.vrmon.system.nodes.rowOf.get(900001);
      return {fading: instances.fades.animating, color: Array.from(instances.spans.instanceColor.array.slice(row * 3, row * 3 + 3)),
              expected: instances.rowColor(row).toArray()};
    }""")
    assert drawn["fading"] is False
    assert drawn["color"] == pytest.approx(drawn["expected"], abs=1e-3)
    assert page.errors == []


def test_pointer_and_camera_moves_are_drawn(vrmon_server, open_app, page):
    open_idle(vrmon_server, open_app, page)
    before = page.evaluate(FRAMES)
    page.mouse.move(640, 360)
    page.wait_for_function("(n) => (" + FRAMES + ")() > n", arg=before)
    page.wait_for_function(IDLE, timeout=20_000)
    # a script moving the camera asks for a frame; the frame it moved in asks for one more
    before = page.evaluate(FRAMES)
    page.evaluate("document.querySelector('#camera').object3D.position.x += 1; window.vrmon.requestFrame()")
    page.wait_for_function(IDLE, timeout=20_000)
    assert page.evaluate(FRAMES) - before >= 2
    assert page.errors == []



def test_the_findings_sent_again_after_a_snapshot_draw_no_frame(vrmon_server, open_app, page):
    # Before the page's scripts: keep the bytes of the findings frames the server sends.
    page.add_init_script("""
      window.__findingsFrames = [];
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          this.addEventListener("message", (event) => {
            if (new TextDecoder().decode(new Uint8Array(event.data, 0, 24)).includes("findings")) window.__findingsFrames.push(event.data.slice(0));
          });
        }
      };
    """)
    open_idle(vrmon_server, open_app, page)
    page.wait_for_function("() => window.__findingsFrames.length > 0 && document.querySelector('a-scene').systems['vrmon-findings'].received")
    page.wait_for_function(IDLE, timeout=20_000)
    again = page.evaluate("""async () => {
      const scene = document.querySelector("a-scene");
      let events = 0;
      scene.addEventListener("vrmon-findings", () => events++);
      const before = scene.renderer.info.render.frame;
      window.vrmon.system.receive(window.__findingsFrames.at(-1).slice(0));  // what the server sends after each snapshot
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      return {events, frames: scene.renderer.info.render.frame - before};
    }""")
    assert again == {"events": 0, "frames": 0}
    assert page.errors == []


# The host gauge (an overlay names keep clear of, whose text resizes with every load update)
# moved to `place` (CSS); resolves to whether a frame was asked for by then: read in a
# ResizeObserver made after service-labels' own, so told of the resize right after it.
MOVE_GAUGE_JS = """(place) => new Promise((resolve) => {
  const gauge = document.querySelector("#host-gauge");
  gauge.hidden = false;
  Object.assign(gauge.style, {position: "fixed", boxSizing: "border-box", margin: "0", ...place});
  const watch = new ResizeObserver(() => {
    watch.disconnect();
    resolve(document.querySelector("a-scene").systems["render-on-demand"].running);
  });
  watch.observe(gauge);
})"""
NAME_JS = "() => document.querySelector('[service-labels]').components['service-labels'].shownLabels()[0]"
NAME_CLEAR_OF_GAUGE_JS = f"""() => {{
  const name = ({NAME_JS})(), gauge = document.querySelector("#host-gauge").getBoundingClientRect();
  return name && !(name.x0 < gauge.right && gauge.left < name.x1 && name.y0 < gauge.bottom && gauge.top < name.y1);
}}"""


def test_an_overlay_grown_over_a_name_at_rest_has_it_placed_again_and_one_elsewhere_draws_nothing(vrmon_server, open_app, page):
    # One service: no links, so no particles keep frames coming; the view comes to rest.
    open_app(vrmon_server(["fixtures/otlp-telemetrygen-missing-parents.json"], scene="services"))
    page.wait_for_function(f"() => Boolean(({NAME_JS})())")
    page.wait_for_function(IDLE, timeout=20_000)
    name = page.evaluate(NAME_JS)
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    # In the corner across the view from the name, clear of it: no frame (the gauge's own text
    # resizes at rest with every host-load update; a view at rest must draw nothing for that).
    corner = {"left": f"{20 if name['x0'] > width / 2 else width - 220}px", "width": "200px",
              "top": f"{80 if name['y0'] > height / 2 else height - 120}px", "height": "40px"}
    before = page.evaluate(FRAMES)
    assert page.evaluate(MOVE_GAUGE_JS, corner) is False
    page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))")
    assert page.evaluate(FRAMES) == before
    # Over the name (canvas and page share their origin): a frame is asked for at once, and in it
    # the name goes to a free spot beside its node, clear of the gauge; then the view rests again.
    over = {"left": f"{name['x0'] - 4}px", "top": f"{name['y0'] - 4}px",
            "width": f"{name['x1'] - name['x0'] + 8}px", "height": f"{name['y1'] - name['y0'] + 8}px"}
    assert page.evaluate(MOVE_GAUGE_JS, over) is True
    page.wait_for_function(NAME_CLEAR_OF_GAUGE_JS, timeout=10_000)
    page.wait_for_function(IDLE, timeout=20_000)
    assert page.evaluate(FRAMES) > before
    assert page.evaluate(NAME_JS)["text"] == name["text"]
    assert page.errors == []
