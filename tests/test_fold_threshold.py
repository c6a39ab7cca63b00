"""The overview's fold threshold, found in one light pass, is the one folding the whole trace at
each threshold in turn would pick (the first at which the lanes' rows fit); and the views of one
trace share its basis until the trace changes."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic import spans_of_the_open_trace
from tests.conftest import ROOT
from tests.generated_traces import named_store
from vrmon.layout.fold_threshold import fold_threshold, lane_rows, thresholds
from vrmon.layout.time_window import axis_of, clip_to, drawn_in
from vrmon.layout.trace_basis import TraceBases, lanes_of, trace_basis
from vrmon.layout.tracks import pack_tracks
from vrmon.layout.waterfall_lod import DetailLevel, cut
from vrmon.layout.waterfall_overview import fits, overview_layout
from vrmon.scene_presets import load_presets

P = load_presets([ROOT / "scenes"])["waterfall"].params


@pytest.fixture(scope="module")
def big():
    return named_store(20_000, spans_per_trace=20_000, n_services=40)


def fitting_by_folding_each(b, axis, within, candidates) -> float:
    """The first candidate at which a full fold's lanes fit (how the overview searched before)."""
    min_us = axis.span * P.min_bar / P.width
    for threshold in candidates:
        c = cut(b.cols.ids, b.cols.parent, b.cols.service, b.cols.flags, b.start, b.end, b.cols.depth, b.levels, b.extent, threshold,
                DetailLevel(), within)
        shown, _ = drawn_in(axis, c, b.start, b.end, min_us)
        s, e = b.start[shown], np.maximum(b.end[shown], b.start[shown] + min_us)
        if axis.zoomed:
            s, e = clip_to(axis, s, e, min_us)
        lane_service, _, lane = lanes_of(b.cols.service[shown], s)
        rows = np.zeros(len(lane_service), np.int64)
        np.maximum.at(rows, lane, pack_tracks(lane, s, e) + 1)
        if fits(rows, P) or threshold > axis.span:
            return threshold
    raise AssertionError("the last candidate lies past the span")


@pytest.mark.parametrize("window", [None, (0.4, 0.42), (0.1, 0.3), (0.5, 0.5005), (0.25, 0.75), (0.9, 1.0)])
def test_one_pass_picks_the_threshold_that_folding_at_each_would(big, window):
    b = trace_basis(big, 0, P.idle_gap)
    axis = axis_of(b.warp, b.whole_us, None if window is None else (b.whole_us * window[0], b.whole_us * window[1]))
    within = (b.extent[1] >= axis.lo) & (b.extent[0] <= axis.hi) if axis.zoomed else None
    step = axis.span * P.lod_pixels / P.overview_pixels
    candidates = thresholds(step, step, axis.span)
    assert len(candidates) > 3 and candidates[-1] > axis.span >= candidates[-2]
    found = fold_threshold(candidates, b.cols.parent, b.cols.service, b.start, b.end, b.extent, within, axis,
                           axis.span * P.min_bar / P.width, lambda rows: fits(rows, P))
    assert found == fitting_by_folding_each(b, axis, within, candidates)
    if window is None:  # 20k spans over 40 lanes do not fit at the first threshold: the search had work to do
        assert found > candidates[0]


def test_lane_rows_are_the_most_bars_at_one_moment():
    lane = np.array([3, 3, 3, 3, 7])
    start = np.array([0.0, 1.0, 2.0, 5.0, 0.0])
    end = np.array([2.0, 3.0, 5.0, 6.0, 9.0])  # in lane 3, [0,2) [1,3) overlap; [2,5) starts where [0,2) ends
    assert lane_rows(lane, start, end).tolist() == [2, 1]


def test_the_views_of_one_trace_share_its_basis_until_it_grows(big):
    bases = TraceBases(big)
    whole = overview_layout(big, 0, P, DetailLevel(), bases)
    basis = bases.get(0, P.idle_gap)
    zoomed = overview_layout(big, 0, P, DetailLevel(window=(1000.0, 50_000.0)), bases)
    assert bases.get(0, P.idle_gap) is basis and zoomed.strip is whole.strip
    assert bases.get(0, 0.0) is not basis  # idle compression off: another time axis
    grown = named_store(5_000, spans_per_trace=5_000, n_services=8)
    grown_bases = TraceBases(grown)
    before = grown_bases.get(0, P.idle_gap)
    grown.add(spans_of_the_open_trace(grown, 100, seed=1, extent_growth=0.1))
    after = grown_bases.get(0, P.idle_gap)
    assert after is not before and len(after.rows) == len(before.rows) + 100
