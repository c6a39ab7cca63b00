"""A live trace that grows extends its basis (columns, idle axis, extents, children order, strip) and
its fold (new spans drawn or added to their holders' summaries) instead of redoing them over every
span, and draws exactly what a view laid out afresh from the store draws."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import vrmon.layout.waterfall_overview as overview_module
from bench.synthetic import spans_of_the_open_trace
from tests.conftest import ROOT
from tests.generated_traces import burst_then_wait_store, deep_chain_batch, named_batch, named_store, store_of
from vrmon.layout.trace_basis import TraceBases, trace_basis
from vrmon.layout.waterfall_lod import SUMMARY_BASE, DetailLevel
from vrmon.layout.waterfall_overview import overview_layout
from vrmon.model.span_store import SpanStore
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets

WATERFALL = load_presets([ROOT / "scenes"])["waterfall"]
CUT_FIELDS = ("shown", "owner", "holders", "count", "errors", "start_us", "end_us", "service", "services")


def same_picture(a, b) -> None:
    for name in ("ids", "pos", "size", "color", "flags", "duration", "service", "operation"):
        assert np.array_equal(getattr(a.layout.nodes, name), getattr(b.layout.nodes, name)), name
    assert [label.to_wire() for label in a.layout.labels] == [label.to_wire() for label in b.layout.labels]
    assert a.frame == b.frame and a.strip == b.strip
    for name in CUT_FIELDS:
        assert np.array_equal(getattr(a.cut, name), getattr(b.cut, name)), name


@pytest.mark.parametrize("idle", [True, False])
def test_a_growing_trace_extends_its_fold_and_draws_what_a_fresh_layout_draws(monkeypatch, idle):
    store = named_store(20_000, spans_per_trace=20_000, n_services=40)
    preset = WATERFALL if idle else replace(WATERFALL, params=replace(WATERFALL.params, idle_gap=0.0))
    view = SceneView(store, preset)
    folds = []
    real_cut = overview_module.cut
    monkeypatch.setattr(overview_module, "cut", lambda *a, **k: folds.append(1) or real_cut(*a, **k))
    refolds = 0
    for step in range(5):
        store.add(spans_of_the_open_trace(store, 200, seed=step, extent_growth=0.002))
        before = len(folds)
        view.refresh()
        refolds += len(folds) - before
        basis = view.bases.get(0, preset.params.idle_gap)
        assert basis.extends >= 0 and len(basis.rows) == 20_000 + 200 * (step + 1)
        same_picture(view._overview, overview_layout(store, 0, preset.params))
    assert refolds <= 1  # the fold grew with the trace (at most once it moved to a coarser threshold)
    fresh = trace_basis(store, 0, preset.params.idle_gap)
    assert np.array_equal(basis.children.whole()[0], fresh.children.whole()[0]) and np.array_equal(basis.critical, fresh.critical)
    assert np.array_equal(basis.extent[0], fresh.extent[0]) and np.array_equal(basis.extent[1], fresh.extent[1])


@pytest.mark.parametrize("pinned", [False, True], ids=["live", "loaded from a file"])
def test_a_live_trace_s_basis_is_made_with_room_to_grow_and_a_file_s_without(pinned):
    """A live trace's basis is made with room for as many spans again, so its first deltas copy
    nothing; a file's trace (pinned) seldom grows and gets none. Either way, when it grows its basis
    is extended and draws what a fresh layout draws."""
    store = SpanStore()
    store.add(named_batch(5000, spans_per_trace=5000, n_services=12), pinned=pinned)
    bases = TraceBases(store)
    view = SceneView(store, WATERFALL, bases=bases)
    room = bases.get(0, WATERFALL.params.idle_gap).room
    if pinned:
        assert all(len(room.buffers[name]) == room.used[name] for name in room.buffers)
    else:
        assert all(len(room.buffers[name]) == room.used[name] + 5000 for name in ("ids", "start_us", "true_start", "lo", "rows", "events"))
    for step in range(3):
        store.add(spans_of_the_open_trace(store, 200, seed=step, extent_growth=0.05), pinned=pinned)
        view.refresh()
        assert bases.get(0, WATERFALL.params.idle_gap).extends >= 0
        same_picture(view._overview, overview_layout(store, 0, WATERFALL.params))
    assert pinned or len(bases.get(0, WATERFALL.params.idle_gap).room.buffers["ids"]) == 10_000  # no copy yet


def grown_inside(store, k: int, seed: int, at: float):
    """k more spans of the store's one trace, a subtree under its root starting `at` (a fraction)
    of the way through the trace: inside the time it covers, so a window there sees them arrive."""
    batch = spans_of_the_open_trace(store, k, seed=seed, extent_growth=0.002)
    summary = store.trace_summaries()
    t0, t1 = int(summary["start_us"][0]), int(summary["end_us"][0])
    shift = int((t1 - t0) * (1 - at))
    batch.start_us = [s - shift for s in batch.start_us]
    return batch


# (the store, whether its growth keeps the axis (a burst's idle gap fills up, so its axis rescales),
# the views looked at (None: all), growth steps)
SHAPES = {
    "wide": (lambda: named_store(20_000, spans_per_trace=20_000, n_services=40), True, None, 4),  # fan-out in the thousands
    "deep": (lambda: store_of(deep_chain_batch(depth=520)), True, None, 3),  # one chain 520 calls deep (past a whole-drawn trace)
    "burst": (lambda: burst_then_wait_store(), False, None, 4),  # 23 spans, then 15 s idle; grows past the whole-trace size
    "huge": (lambda: named_store(100_000, spans_per_trace=100_000, n_services=40), True, ("zoomed", "opened", "depth 2"), 2),
}


def views(store) -> dict[str, DetailLevel]:
    """Zoomed and hand-folded views of the store's one trace, as viewers ask for them."""
    whole = overview_layout(store, 0, WATERFALL.params)
    holders = whole.layout.nodes.ids[whole.layout.nodes.ids >= SUMMARY_BASE][:4] - SUMMARY_BASE
    extent = int(store.trace_summaries()["end_us"][0] - store.trace_summaries()["start_us"][0])
    return {
        "zoomed": DetailLevel(window=(0.4 * extent, 0.6 * extent)),
        "zoomed, no idle": DetailLevel(window=(0.45 * extent, 0.5 * extent), idle=False),
        "opened": DetailLevel(expanded=frozenset(int(h) for h in holders)),
        "opened and zoomed": DetailLevel(expanded=frozenset(int(h) for h in holders), window=(0.3 * extent, 0.7 * extent)),
        "depth 2": DetailLevel(depth=2),
        "depth 5, zoomed": DetailLevel(depth=5, window=(0.5 * extent, 0.55 * extent)),
        "everything": DetailLevel(everything=True),
        # a headset viewer near the picture, in front of part of its time (zoomed, or not)
        "near, in front": DetailLevel(nearer=2, around=(0.4 * extent, 0.6 * extent)),
        "near, in front, zoomed": DetailLevel(nearer=1, around=(0.42 * extent, 0.5 * extent), window=(0.4 * extent, 0.6 * extent)),
    }


@pytest.mark.parametrize("shape", SHAPES)
def test_zoomed_and_hand_folded_views_extend_their_fold_as_the_trace_grows(monkeypatch, shape):
    make, axis_stays, names, steps = SHAPES[shape]
    store = make()
    bases = TraceBases(store)
    scene_views = [SceneView(store, WATERFALL, detail=detail, bases=bases) for name, detail in views(store).items()
                   if names is None or name in names]
    real_cut, real_search = overview_module.cut, overview_module.fold_threshold
    folds, searches = [], []
    for step in range(steps):
        # inside the windows, then past the trace's end (the windows stay on the same moments)
        store.add(grown_inside(store, 300, seed=step, at=0.48) if step % 2 == 0 else
                  spans_of_the_open_trace(store, 300, seed=step, extent_growth=0.002))
        for view in scene_views:
            with monkeypatch.context() as m:
                m.setattr(overview_module, "cut", lambda *a, **k: folds.append(1) or real_cut(*a, **k))
                m.setattr(overview_module, "fold_threshold", lambda *a, **k: searches.append(1) or real_search(*a, **k))
                view.refresh()
            assert len(view._overview.rows) == len(store)
            same_picture(view._overview, overview_layout(store, 0, WATERFALL.params, view.detail))
    if axis_stays:  # the fold grew with the trace in every view, windows kept their threshold without a search over every span
        # (but a view refined in front of a headset viewer looks for the overview's threshold, which holds elsewhere: a search a refresh)
        focused = sum(view.detail.around is not None for view in scene_views)
        assert not folds and len(searches) == steps * focused, f"{len(folds)} full folds, {len(searches)} searches in {steps * len(scene_views)} refreshes"


def fan_out_inside(store, k: int, seed: int, at: float, length: float):
    """k calls straight under the root, each `length` (a fraction of the trace's extent) long from
    `at` of the way through it, in one service: they overlap, so their lane needs k rows."""
    batch = spans_of_the_open_trace(store, k, seed=seed, extent_growth=0.0001)
    summary = store.trace_summaries()
    t0, t1 = int(summary["start_us"][0]), int(summary["end_us"][0])
    batch.parent_id = [int(store.span_id[store.depth == 0][0])] * k
    batch.start_us = [t0 + int((t1 - t0) * at) + i for i in range(k)]
    batch.duration_us = [int((t1 - t0) * length)] * k
    batch.service = [batch.service[0]] * k
    return batch


# how the trace grows, and the views whose fold threshold that moves
THRESHOLD_MOVES = {
    "the axis rescales": (lambda store, step: spans_of_the_open_trace(store, 300, seed=step, extent_growth=0.05), {"overview"}),
    "rows outgrow the fold": (lambda store, step: fan_out_inside(store, 40, step, at=0.45, length=0.02 * (step + 1)),
                              {"overview", "zoomed"}),
}


@pytest.mark.parametrize("growth", THRESHOLD_MOVES)
def test_a_fold_threshold_that_moves_folds_more_from_the_bars_drawn(monkeypatch, growth):
    """When the trace outgrows its axis (the next nice length) or its rows outgrow the threshold kept,
    the threshold rises: the overview and zoomed views fold their bars that no longer pass into their
    holders' summaries (raised_cut) instead of folding every span anew, and draw what a fresh layout draws."""
    grow, moving = THRESHOLD_MOVES[growth]
    store = named_store(20_000, spans_per_trace=20_000, n_services=40)
    bases = TraceBases(store)
    details = {"overview": DetailLevel(), **{name: detail for name, detail in views(store).items() if name in ("zoomed", "depth 2")}}
    scene_views = {name: SceneView(store, WATERFALL, detail=detail, bases=bases) for name, detail in details.items()}
    real_cut = overview_module.cut
    folds, moved = [], set()
    for step in range(4):
        store.add(grow(store, step))
        for name, view in scene_views.items():
            before = view._overview.fold_us
            with monkeypatch.context() as m:
                m.setattr(overview_module, "cut", lambda *a, **k: folds.append(1) or real_cut(*a, **k))
                view.refresh()
            if view._overview.fold_us != before and not view.detail.asked:  # a fold by depth has no threshold
                moved.add(name)
            same_picture(view._overview, overview_layout(store, 0, WATERFALL.params, view.detail))
    assert moved == moving and not folds, (moved, len(folds))


def test_a_trace_that_grows_past_12_days_keeps_its_children_order_and_critical_path():
    store = named_store(2000, spans_per_trace=2000)
    bases = TraceBases(store)
    bases.get(0, 0.0)
    extent = int(store.trace_summaries()["end_us"][0] - store.trace_summaries()["start_us"][0])
    store.add(spans_of_the_open_trace(store, 50, seed=1, extent_growth=2**41 / extent))  # past what one int64 key holds
    grown, fresh = bases.get(0, 0.0), trace_basis(store, 0, 0.0)
    (grown_order, grown_keys), (fresh_order, fresh_keys) = grown.children.whole(), fresh.children.whole()
    assert grown.extends >= 0 and grown_keys.dtype == fresh_keys.dtype == np.dtype("S12")
    assert np.array_equal(grown_order, fresh_order) and np.array_equal(grown_keys, fresh_keys)
    assert np.array_equal(grown.critical, fresh.critical)
