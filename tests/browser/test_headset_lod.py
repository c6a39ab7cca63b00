"""Level of detail follows the headset viewer's distance (issue 8, part 8), in an emulated Quest 3
on a 20k-span trace over 40 services: walking up to the waterfall unfolds finer marks that still
look big enough to see in the time in front of the viewer (the rest stays folded as at the
overview), stepping sideways moves that time along, walking back folds them again, draw calls
stay few, the picture never moves by itself, and
another trace picked up close starts at the overview's fold, framed as at the start, and leaving
the headset brings the overview's fold back. Far and near,
the spans looked at are named where there is room: at least ~1.2° tall, never on another name or
across another bar.

Figures from the three.js scene graph, in degrees from the XR camera (headset_figures.py).
"""

from __future__ import annotations

import pytest

from tests.browser.headset_figures import headset_figures, summary, visible_share
from tests.browser.helpers import next_frames
from tests.browser.test_headset import SMALL_VIEWPORT, enter_headset
from tests.generated_traces import named_store

pytestmark = pytest.mark.browser

MARK_DEGREES = 0.1  # a mark at least this wide and tall is seen: about 2.5 of a Quest 3's pixels
NEAR = 0.4  # metres from the picture's front: over four times nearer than the 2.2 m it starts at, two steps
WORLD_JS = "() => document.querySelector('#world').object3D.matrixWorld.toArray()"
NEARER_JS = "(steps) => window.vrmon.system.scene.detail.nearer === steps && window.vrmon.stats().spans > 0"
# The span names placed again since `since` (ms, the page's clock) and typeset.
NAMES_SINCE_JS = """(since) => { const c = document.querySelector('[vr-span-labels]').components['vr-span-labels'];
  return c.nextRefresh - 300 > since && c.texts.filter((t) => t.text).every((t) => t.textRenderInfo?.parameters.text === t.text); }"""


def settled(page, steps: int) -> dict:
    """The figures once the server's fold for `steps` is shown and the names are placed for it."""
    page.wait_for_function(NEARER_JS, arg=steps, timeout=20_000)
    page.wait_for_function(NAMES_SINCE_JS, arg=page.evaluate("performance.now()"))
    next_frames(page)
    return headset_figures(page)


def overlapping(names: list[dict]) -> list[tuple[str, str]]:
    boxes = [n["box"] for n in names]
    return [(names[i]["text"], names[j]["text"]) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
            if boxes[i]["x0"] < boxes[j]["x1"] and boxes[j]["x0"] < boxes[i]["x1"] and boxes[i]["y0"] < boxes[j]["y1"] and boxes[j]["y0"] < boxes[i]["y1"]]

def walk_to(page, z: float, share: float | None = None) -> None:
    """Stand `z` metres in front of the picture's front (the headset looks straight at it), where
    the session started or facing the point `share` across its time axis."""
    page.evaluate("""([z, share]) => { const axis = window.vrmon.system.scene.axis;
      const spans = document.querySelector('[span-instances]').object3D;
      const x = share === null ? 0
        : new AFRAME.THREE.Vector3(axis.x[0] + share * (axis.x[1] - axis.x[0]), 0, 0).applyMatrix4(spans.matrixWorld).x;
      document.querySelector('#rig').object3D.position.set(x, 0, z); }""", [z, share])


# The time the server refined in front of the viewer (scene.detail.around, true µs) as the
# picture's x, and every mark's extent across the picture (node table rows: left and right x).
IN_FRONT_JS = """async () => {
  const { compress, xOfTime } = await import('/static/js/data/time-axis.js');
  const { scene, nodes } = window.vrmon.system, axis = scene.axis, around = scene.detail.around;
  const marks = Array.from({ length: nodes.count }, (_, r) =>
    [nodes.pos[r * 3] - nodes.size[r * 3] / 2, nodes.pos[r * 3] + nodes.size[r * 3] / 2]);
  return { around, x: around && around.map((us) => xOfTime(axis, compress(axis, us))), picture: axis.x, marks };
}"""


def reaching(marks: list[list[float]], x: list[float]) -> int:
    """How many of these marks reach into the stretch of the picture from x[0] to x[1]."""
    return sum(right >= x[0] and left <= x[1] for left, right in marks)


def test_walking_up_to_a_big_trace_refines_its_marks_and_walking_back_aggregates_them(vrmon_server, open_app, server_snapshot, page):
    store = named_store(40_000, spans_per_trace=20_000, n_services=40)  # two traces of 20k spans
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(), store=store, host_metrics=False)
    start = settled(page, 0)
    start_count = page.evaluate("window.vrmon.stats().spans")
    world = page.evaluate(WORLD_JS)
    rig = page.evaluate("window.headset.rig()")
    assert rig["position"][2] == pytest.approx(2.2)  # the picture's front is 2.2 m ahead

    overview_marks = page.evaluate(IN_FRONT_JS)["marks"]
    walk_to(page, NEAR, 0.5)  # in front of the trace's busy middle
    near = settled(page, 2)
    near_count = page.evaluate("window.vrmon.stats().spans")
    front = page.evaluate(IN_FRONT_JS)
    calls = page.evaluate("window.vrmon.stats().drawCalls") / 2  # XR draws every object once per view
    # a step to the left, as near (a sixth of the picture): the time in front moves along
    walk_to(page, NEAR, 1 / 3)
    page.wait_for_function("(lo) => (window.vrmon.system.scene.detail.around ?? [Infinity])[0] < lo", arg=front["around"][0], timeout=20_000)
    aside = settled(page, 2)
    aside_count = page.evaluate("window.vrmon.stats().spans")
    aside_front = page.evaluate(IN_FRONT_JS)
    walk_to(page, 2.2)
    back = settled(page, 0)
    back_count = page.evaluate("window.vrmon.stats().spans")
    for where, figures, count in (("at the start", start, start_count), (f"{NEAR} m away", near, near_count),
                                  (f"{NEAR} m away, a step left", aside, aside_count), ("back at 2.2 m", back, back_count)):
        print(f"\n{where}: {count} marks, {len(figures['mark_sizes'])} in view, {visible_share(figures, MARK_DEGREES):.0%} of those "
              f"≥ {MARK_DEGREES}°; {summary(figures)}; names {[n['text'] for n in figures['names']]}")
    in_front = {}
    for where, here in ((f"{NEAR} m away", front), ("a step left", aside_front)):
        inside = reaching(here["marks"], here["x"])
        in_front[where] = {"inside": inside, "outside": len(here["marks"]) - inside, "overview inside": reaching(overview_marks, here["x"])}
        in_front[where]["overview outside"] = len(overview_marks) - in_front[where]["overview inside"]
        print(f"{where}: the time in front {here['around']} µs, x {here['x']} of {here['picture']}: {in_front[where]}")
    print(f"{calls:.0f} draw calls a view")

    # near, more of the trace is drawn in front of the viewer, and what is in view is still big enough to see
    assert near_count >= 2 * start_count, (start_count, near_count)
    for here, counts in zip((front, aside_front), in_front.values()):
        width = here["picture"][1] - here["picture"][0]
        assert 0.2 <= (here["x"][1] - here["x"][0]) / width <= 0.3, here["x"]  # two steps nearer: a quarter of the time
        # the time in front unfolds; outside it, marks stay about as few as at the overview's fold
        assert counts["inside"] >= 2 * counts["overview inside"], counts
        assert counts["outside"] <= 1.1 * counts["overview outside"], counts
    assert aside_front["x"][1] < front["x"][1]
    assert calls < 30
    for figures in (start, near, aside, back):
        assert visible_share(figures, MARK_DEGREES) >= 0.8
        assert min(lane["degrees"] for lane in figures["lanes"]) >= 1.2, figures["lanes"]
        # the spans looked at are named where there is room, readable, clear of each other and of other bars
        names = figures["names"]
        assert len(names) >= 4, names
        assert min(name["letterDegrees"] for name in names) >= 1.2, names
        assert overlapping(names) == [] and [n for n in names if n["across"] or n["hidden"]] == [], names
    # back where it started, the overview's fold again; the picture stayed where it was throughout
    assert back_count == start_count
    assert page.evaluate(WORLD_JS) == world

    # another trace picked up close: framed as at the start, at the overview's fold
    walk_to(page, NEAR)
    page.wait_for_function(NEARER_JS, arg=2, timeout=20_000)
    shown = page.evaluate("window.vrmon.stats().trace")
    other = next(t["id"] for t in page.snapshot["traces"] if t["id"] != shown)
    page.evaluate("(id) => window.vrmon.system.switchScene({trace: id})", other)
    page.wait_for_function("(id) => window.vrmon.stats().trace === id", arg=other, timeout=20_000)
    switched = settled(page, 0)
    print(f"another trace, picked up close: {summary(switched)}")
    content = switched["content"]
    assert 40 <= content["width"] <= 95 and abs(content["left"] + content["right"]) / 2 <= 10, content
    assert 1.8 <= switched["distance"] <= 2.6, switched["distance"]
    assert visible_share(switched, MARK_DEGREES) >= 0.8

    # up close again (the picture came to where the viewer stood: 2.2 m ahead), then out of the
    # headset: a screen gets the overview's fold back
    walk_to(page, page.evaluate("window.headset.rig()")["position"][2] - (2.2 - NEAR))
    page.wait_for_function(NEARER_JS, arg=2, timeout=20_000)
    page.evaluate("document.querySelector('a-scene').exitVR()")
    page.wait_for_function(NEARER_JS, arg=0, timeout=20_000)
    assert page.errors == []
