"""Level of detail that follows a headset viewer's distance, without sockets: seen twice as close,
the overview's fold draws marks and rows half as big (as big to the eye), so a big trace refines as
the viewer walks up to it and aggregates again as they walk away; standing in front of part of its
time, only that part refines, the rest is drawn as at the overview; a small trace drawn whole stays
as it is; the `nearer` request moves a viewer to that view, keeping its folds and time window, and
another trace starts at the overview's distance."""

from __future__ import annotations

import asyncio

import msgpack
import numpy as np
import pytest

from tests.conftest import ROOT
from tests.generated_traces import named_batch, named_store
from vrmon.errors import ProtocolError
from vrmon.hub import Hub
from vrmon.layout.time_window import expand
from vrmon.layout.trace_basis import trace_basis
from vrmon.layout.waterfall_lod import SUMMARY_BASE, DetailLevel
from vrmon.layout.waterfall_overview import LABEL_BOX, LABEL_FONT, overview_layout
from vrmon.model.span_store import SpanStore
from vrmon.protocol import MAX_NEARER, Detail, Nearer, SwitchScene, Zoom, decode_server_frame, nearer_frame, parse_client_message
from vrmon.scene_presets import load_presets

PRESETS = load_presets([ROOT / "scenes"])
P = PRESETS["waterfall"].params


def shown(nodes) -> tuple[int, int]:
    """(bars, summary marks)."""
    summaries = int((nodes.ids >= SUMMARY_BASE).sum())
    return len(nodes.ids) - summaries, summaries


def test_seen_nearer_a_big_trace_draws_finer_marks_that_look_as_big():
    store = named_store(20_000, spans_per_trace=20_000, n_services=40)
    views = [overview_layout(store, 0, P, DetailLevel(nearer=steps)) for steps in range(4)]
    bars = [shown(view.layout.nodes)[0] for view in views]
    print(f"\nbars and summaries at 1, 2, 4, 8 times closer: {[shown(v.layout.nodes) for v in views]}, "
          f"fold {[round(v.fold_us) for v in views]} µs")
    assert bars == sorted(bars) and bars[-1] >= 4 * bars[0]  # more is drawn the nearer the viewer
    for steps, view in enumerate(views):
        nodes = view.layout.nodes
        k = 2 ** steps
        # each mark, seen k times closer, is at least as big as the overview's least mark looks
        assert nodes.size[:, 0].min() * k >= P.min_bar - 1e-6
        assert view.fold_us <= views[0].fold_us / k  # subtrees k times shorter unfold
        # names keep their size: they keep their angle by growing in the headset, not by the fold
        assert {label.size for label in view.layout.labels if label.kind == "lane"} == {LABEL_FONT * P.lane_height * LABEL_BOX}
    # every span stays accounted for: drawn or held by a summary
    for view in views:
        assert len(view.rows) == 20_000 and int(view.cut.shown.sum() + view.cut.count.sum()) == 20_000


def test_standing_in_front_of_part_of_a_big_trace_refines_only_that_part():
    store = named_store(20_000, spans_per_trace=20_000, n_services=40)
    overview = overview_layout(store, 0, P)
    uniform = overview_layout(store, 0, P, DetailLevel(nearer=2))
    extent = trace_basis(store, 0, P.idle_gap).extent  # each subtree's (start, end), compressed µs
    whole = overview.axis.whole
    for share in (0.25, 0.5, 0.8):  # the quarter of the time (two steps nearer) in front of the viewer
        lo, hi = max(whole * share - whole / 8, 0.0), min(whole * share + whole / 8, whole)
        around = tuple(float(v) for v in expand(overview.warp, np.array([lo, hi])))
        focused = overview_layout(store, 0, P, DetailLevel(nearer=2, around=around))
        reaching = (extent[1] >= lo) & (extent[0] <= hi)
        marks = [len(view.layout.nodes.ids) for view in (overview, focused, uniform)]
        print(f"\nin front of {share:.0%} of the time: marks at the overview, focused, whole picture as near: {marks}; "
              f"bars reaching in {overview.cut.shown[reaching].sum()} -> {focused.cut.shown[reaching].sum()}")
        # what lies wholly elsewhere is drawn as at the overview; in front, subtrees at least a quarter as long unfold
        assert np.array_equal(focused.cut.shown[~reaching], overview.cut.shown[~reaching])
        assert focused.fold_us <= overview.fold_us / 4
        assert focused.cut.shown[reaching].sum() >= 2 * overview.cut.shown[reaching].sum()
        assert marks[0] < marks[1] < marks[2]
        assert focused.layout.nodes.size[:, 0].min() * 4 >= P.min_bar - 1e-6  # as big to the eye from that near
        assert int(focused.cut.shown.sum() + focused.cut.count.sum()) == 20_000
    # the whole time in front (a picture scaled down to the desk, seen close): the whole picture refines
    all_of_it = overview_layout(store, 0, P, DetailLevel(nearer=2, around=(0.0, float(expand(overview.warp, np.array([whole]))[0]))))
    assert np.array_equal(all_of_it.layout.nodes.ids, uniform.layout.nodes.ids)


def test_a_small_trace_drawn_whole_is_the_same_at_any_distance():
    store = named_store(40, spans_per_trace=40, n_services=6)
    near, far = (overview_layout(store, 0, P, DetailLevel(nearer=steps)).layout.nodes for steps in (3, 0))
    assert np.array_equal(near.ids, far.ids) and np.allclose(near.pos, far.pos)


def test_nearer_requests_are_validated():
    assert parse_client_message(nearer_frame(2)) == Nearer(2)
    assert parse_client_message(nearer_frame(2, (1000, 250_000.5))) == Nearer(2, (1000, 250_000.5))
    assert parse_client_message(nearer_frame(0, (1000, 250_000))) == Nearer(0)  # at the overview's distance nothing is nearer
    for steps in (-1, MAX_NEARER + 1, 1.5, True, None, "2"):
        with pytest.raises(ProtocolError, match="nearer: 'steps'"):
            parse_client_message(msgpack.packb({"type": "nearer", "steps": steps}))
    for around in ([5, 5], [10, 1], [-1, 5], [1], "all", [0, float("nan")]):
        with pytest.raises(ProtocolError, match="nearer: 'around' must be nil or"):
            parse_client_message(msgpack.packb({"type": "nearer", "steps": 1, "around": around}))


def test_a_viewer_coming_nearer_keeps_its_folds_and_window_and_another_trace_starts_at_the_overview():
    async def scenario() -> None:
        store = SpanStore()
        store.add(named_batch(4000, spans_per_trace=2000, n_services=12))
        hub = Hub(store, PRESETS, "waterfall")
        viewer = hub.connect()
        first = (await last_scene(viewer))["detail"]
        hub.handle(viewer, Nearer(2))
        scene = await last_scene(viewer)
        assert scene["detail"]["nearer"] == 2 and scene["detail"]["summaries"] > 0
        assert scene["detail"]["folded"] < first["folded"]  # finer: fewer spans folded
        hub.handle(viewer, Nearer(2, (2000, 90_000)))
        scene = await last_scene(viewer)
        assert scene["detail"]["around"] == [2000, 90_000] and scene["detail"]["summaries"] > 0
        hub.handle(viewer, Zoom((1000, 500_000)))
        hub.handle(viewer, Detail(depth=None, everything=False, idle=False))
        scene = await last_scene(viewer)
        assert scene["detail"]["nearer"] == 2 and scene["detail"]["window"] == [1000, 500_000] and not scene["detail"]["idle"]
        assert scene["detail"]["around"] == [2000, 90_000]
        hub.handle(viewer, Nearer(0))
        scene = await last_scene(viewer)
        assert scene["detail"]["nearer"] == 0 and scene["detail"]["window"] == [1000, 500_000] and scene["detail"]["around"] is None
        hub.handle(viewer, Nearer(1))
        await last_scene(viewer)
        other = next(store.trace_id_hex(t) for t in (0, 1) if store.trace_id_hex(t) != scene["trace"])
        hub.handle(viewer, SwitchScene(scene=None, trace=other))
        switched = await last_scene(viewer)
        assert switched["trace"] != scene["trace"] and switched["detail"]["nearer"] == 0
        hub.handle(viewer, SwitchScene(scene="services", trace=None))
        await last_scene(viewer)
        with pytest.raises(ProtocolError, match="nearer works on the waterfall"):
            hub.handle(viewer, Nearer(1))

    asyncio.run(scenario())


async def last_scene(viewer) -> dict:
    frames = [decode_server_frame(f) for f in [await viewer.next_frame() for _ in range(viewer.queue.qsize())] if f is not None]
    return [f for f in frames if f["type"] == "snapshot"][-1]["scene"]
