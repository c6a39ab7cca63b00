"""Small traces in the emulated headset (issue 8, part 8): the waterfall starts at a comfortable
size in front of the viewer, its names keep their visual angle and lie on no other bar, and the
wrist menu and the span panel leave the picture (and the selected span) in view; another trace
or scene picked in the headset comes to the viewer where they stand, at the same size.

Figures from the three.js scene graph, in degrees from the XR camera (tests/browser/headset_figures.py),
on a 2-span and a 5-span generated trace and HotROD's 40-span trace.
"""

from __future__ import annotations

import pytest

from tests.browser.headset_figures import headset_figures, summary, visible_share
from tests.browser.helpers import names_placed, next_frames
from tests.browser.test_headset import HOTROD, MANY_TRACES, SMALL_VIEWPORT, enter_headset, front_top_span, wait_for_panel
from tests.generated_traces import named_store

pytestmark = pytest.mark.browser

CASES = {
    "2 spans": lambda: {"replay": (), "store": named_store(2, spans_per_trace=2, n_services=40), "host_metrics": False},
    "5 spans": lambda: {"replay": (), "store": named_store(5, spans_per_trace=5, n_services=40), "host_metrics": False},
    "HotROD 40 spans": lambda: {"replay": (HOTROD,), "host_metrics": False},
}
# The left hand, its menu open: held out at chest height (where the review's screenshot had it),
# and at rest in front of the waist.
LEFT_HAND_POSES = {"held out": [-0.42, 1.22, -0.7], "at rest": [-0.2, 1.0, -0.35]}
MENU_SHOWN_JS = "document.querySelector('#wrist-menu').object3D.visible"


def assert_ahead(content: dict, widest: float, tallest: float, lowest: float = -30) -> None:
    """The content's box straight ahead at a size taken in at a glance: 40° wide to `widest`, at
    most `tallest` tall, from no lower than `lowest` to no higher than 30° above the eyes' level."""
    assert 40 <= content["width"] <= widest and content["height"] <= tallest, content
    assert abs(content["left"] + content["right"]) / 2 <= 10 and content["top"] <= 30 and content["bottom"] >= lowest, content


@pytest.mark.parametrize("case", list(CASES))
def test_a_small_trace_stands_at_a_comfortable_size_with_names_readable_and_overlays_aside(case, vrmon_server, open_app,
                                                                                           server_snapshot, page):
    page, table = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, **CASES[case]())
    menu_cover = {}
    for pose, at in LEFT_HAND_POSES.items():
        # looking at the picture, the menu is folded; a glance at it opens it
        page.evaluate("async (at) => { await window.headset.place('left', at); }", at)
        names_placed(page)
        next_frames(page)
        ahead = headset_figures(page)
        assert ahead["menu"] is None, ahead["menu"]
        page.evaluate("async () => { const h = window.headset; await h.look(h.menuPoint()); }")
        page.wait_for_function(MENU_SHOWN_JS)
        next_frames(page)
        menu_cover[pose] = headset_figures(page)["menu_cover"]
        page.evaluate("window.headset.lookAhead()")
        page.wait_for_function(f"!({MENU_SHOWN_JS})")
    target = front_top_span(table)
    page.evaluate("(id) => window.vrmon.select(id)", target)
    wait_for_panel(page, table[target]["operation"])
    page.wait_for_function(f"(n) => document.querySelector('[vr-span-labels]').components['vr-span-labels'].texts[0].text === n",
                           arg=f"{table[target]['service']}: {table[target]['operation']}")
    names_placed(page)
    next_frames(page)
    selected = headset_figures(page)
    print(f"\n{case}, looking ahead: {summary(ahead)}\n{case}, span selected: {summary(selected)}\n"
          f"{case}, the menu covers " + ", ".join(f"{share:.0%} {pose}" for pose, share in menu_cover.items()))

    # arm's length to room size, in front: a sensible angular size, not towering above or below the eyes
    assert_ahead(ahead["content"], widest=90, tallest=55)
    assert 0.8 <= ahead["distance"] <= 4, ahead["distance"]
    # names keep their visual angle, lie on no other bar and are hidden by none
    for figures in (ahead, selected):
        assert min(lane["degrees"] for lane in figures["lanes"]) >= 1.2, figures["lanes"]
        assert figures["names"], "the headset names the spans"
        assert min(name["letterDegrees"] for name in figures["names"]) >= 1.2, figures["names"]
        assert [n for n in figures["names"] if n["across"] or n["hidden"]] == [], figures["names"]
    assert selected["names"][0]["text"] == f"{table[target]['service']}: {table[target]['operation']}"
    # the menu, open where it is looked at, and the span panel leave the picture in view, and the panel its span
    assert max(menu_cover.values()) <= 0.15, menu_cover
    assert selected["panel"] is not None and selected["panel_cover"] <= 0.15, selected["panel_cover"]
    assert selected["panel_on_span"] == 0, selected["panel_on_span"]
    assert page.errors == []


def test_another_trace_or_scene_comes_to_the_viewer_where_they_stand(vrmon_server, open_app, server_snapshot, page):
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(HOTROD, MANY_TRACES),
                            host_metrics=False)
    # the viewer walks away and turns (as the thumbsticks would), then picks another trace
    page.evaluate("() => { const rig = document.querySelector('#rig').object3D; rig.position.set(1.5, 0, -0.8); rig.rotation.set(0, 0.6, 0); }")
    rig = page.evaluate("window.headset.rig()")
    other = next(t for t in page.snapshot["traces"] if t["id"] != page.evaluate("window.vrmon.stats().trace"))
    page.evaluate("(id) => window.vrmon.system.switchScene({trace: id})", other["id"])
    page.wait_for_function("(id) => window.vrmon.stats().trace === id", arg=other["id"], timeout=10_000)
    next_frames(page)
    content = headset_figures(page)["content"]
    print(f"\nanother trace ({other['spans']} spans) after walking and turning: {content}")
    assert 40 <= content["width"] <= 90 and content["height"] <= 55, content
    assert abs(content["left"] + content["right"]) / 2 <= 10 and content["top"] <= 30 and content["bottom"] >= -30, content
    assert page.evaluate("window.headset.rig()") == rig  # the scene came; the viewer did not move
    # another scene is seen at its own size, around the viewer where they stand
    page.evaluate("window.vrmon.system.switchScene({scene: 'wall'})")
    page.wait_for_function("window.vrmon.stats().scene === 'wall'", timeout=10_000)
    next_frames(page)
    assert page.evaluate("window.vrmon.stats().worldScale") == pytest.approx(1)
    assert page.evaluate("window.headset.rig()") == rig
    assert page.errors == []


WALL_OF_ONE = {
    "Tempo's 15-span trace": "fixtures/tempo-otlp-mythical-failed-requests-15spans-base64.json",
    "HotROD's 40-span trace": HOTROD,
}


@pytest.mark.parametrize("case", list(WALL_OF_ONE))
def test_a_wall_of_one_trace_stands_in_front_as_wide_as_the_waterfall_with_its_title_readable(case, vrmon_server, open_app,
                                                                                             server_snapshot, page):
    """Before, the one panel stood where a full page's middle column does, across the room: 26° × 12°
    at 6 m (2026-12-01)."""
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(WALL_OF_ONE[case],),
                            scene="wall", host_metrics=False)
    page.wait_for_function("() => document.querySelector('[scene-labels]').getObject3D('labels')")
    next_frames(page)
    figures = headset_figures(page)
    print(f"\n{case} on the wall: {summary(figures)}")
    assert_ahead(figures["content"], widest=65, tallest=55)
    assert 1.5 <= figures["distance"] <= 4, figures["distance"]  # a few steps away: neither at arm's length nor across the room
    assert len(figures["titles"]) == 1 and figures["titles"][0]["degrees"] >= 1.2, figures["titles"]
    assert page.errors == []


TUTORIAL = "fixtures/jaeger-v1-opentracing-tutorial-3services-logs.json"
AT_THE_DEFAULT_POSE = {
    "HotROD's waterfall": lambda: {"replay": (HOTROD,)},
    "a 20k-span waterfall over 40 services": lambda: {"replay": (), "store": named_store(20_000, spans_per_trace=20_000, n_services=40)},
    "3 services": lambda: {"replay": (TUTORIAL,), "scene": "services"},
}
# The left controller where IWER puts it when a session starts: the wrist at eye height, 40 cm ahead.
DEFAULT_LEFT_POSE_JS = """() => { const c = new IWER.XRDevice(IWER.metaQuest3).controllers.left;
  return [[c.position.x, c.position.y, c.position.z], [c.quaternion.x, c.quaternion.y, c.quaternion.z, c.quaternion.w]]; }"""


@pytest.mark.parametrize("case", list(AT_THE_DEFAULT_POSE))
def test_at_the_default_pose_the_wrist_menu_hides_no_name_and_opens_when_looked_at(case, vrmon_server, open_app, server_snapshot, page):
    """Before, the menu stood open on the raised wrist across the picture's lower left: on HotROD's
    waterfall it hid 4 lane names (10 % of the picture's box), on a 20k-span trace 13 (13 %), and
    in the 3-service graph the name 'publisher' (2026-12-01)."""
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, host_metrics=False,
                            **AT_THE_DEFAULT_POSE[case]())
    page.evaluate("async ([at, turn]) => { await window.headset.place('left', at, turn); }", page.evaluate(DEFAULT_LEFT_POSE_JS))
    page.wait_for_function("() => document.querySelector('[scene-labels]').getObject3D('labels') || window.vrmon.system.scene.layout !== 'waterfall'")
    next_frames(page)
    ahead = headset_figures(page)
    print(f"\n{case}, the left hand at IWER's default pose: {summary(ahead)}")
    names = ahead["lanes"] + ahead["service_names"]
    assert names, "the scene names its lanes or services"
    assert ahead["hidden_by_menu"] == [] and ahead["menu_cover"] <= 0.15, (ahead["hidden_by_menu"], ahead["menu_cover"])
    assert min(name["degrees"] for name in names) >= 1.2, names
    # a glance at the wrist opens the menu; looking back at the scene folds it again
    page.evaluate("async () => { const h = window.headset; await h.look(h.menuPoint()); }")
    page.wait_for_function(MENU_SHOWN_JS)
    page.evaluate("window.headset.lookAhead()")
    page.wait_for_function(f"!({MENU_SHOWN_JS})")
    assert page.errors == []


def test_a_20k_span_trace_over_40_services_stands_within_a_glance_with_every_lane_named_and_its_marks_seen(
        vrmon_server, open_app, server_snapshot, page):
    """Before, its 26 lanes' names had room for their angle only in a picture 89° x 65° wide: a
    head turned 45° to each side to take it in (2026-12-01)."""
    store = named_store(20_000, spans_per_trace=20_000, n_services=40)
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(), store=store, host_metrics=False)
    # the headset's layout (vrmon/layout/page_shape.py's HEADSET) is framed when it comes
    page.wait_for_function("() => window.vrmon.system.scene.frame && document.querySelector('[scene-labels]').getObject3D('labels')")
    names_placed(page)
    next_frames(page)
    figures = headset_figures(page)
    print(f"\n20k spans over 40 services: {summary(figures)}, {visible_share(figures, 0.1):.0%} of the marks in view ≥ 0.1°")
    assert_ahead(figures["content"], widest=70, tallest=60, lowest=-35)
    assert len(figures["lanes"]) >= 20 and min(lane["degrees"] for lane in figures["lanes"]) >= 1.2, figures["lanes"]
    assert visible_share(figures, 0.1) >= 0.8  # about 2.5 of a Quest 3's pixels
    assert page.errors == []
