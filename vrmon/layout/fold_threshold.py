"""How far the waterfall's overview folds: the least fold threshold at which its rows fit, found in
one light pass instead of folding the whole trace at each threshold in turn.

Subtree extents nest (a subtree's extent holds each child's), so at a threshold the spans drawn as
bars are the roots and those whose subtree lasts at least that long (and, zoomed, reaches into the
window): a subset of the few spans drawn at the first threshold tried. Only those are looked at
again per threshold; the rows a lane needs are the most of its bars that overlap at one moment
(what the greedy track packing of waterfall_overview.py uses).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vrmon.layout.sorting import unique_ints
from vrmon.layout.time_window import Axis, clip_to


def thresholds(first: float, step: float, span: float) -> list[float]:
    """The thresholds tried, in order: `first`, then doubling (from `step` when `first` is 0) up to
    the first one past `span`, at which everything below the roots folds."""
    out = [first]
    while out[-1] <= span:
        out.append(out[-1] * 2 or step)
    return out


def lane_rows(lane: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Per lane present (ascending lane code): the most of its bars that overlap at one moment."""
    lanes, lane_of = unique_ints(lane.astype(np.int64))
    k = len(lane)
    at = np.concatenate([lane_of, lane_of])
    step = np.concatenate([np.ones(k, np.int64), np.full(k, -1, np.int64)])
    # by lane, then time; at one moment an end before a start: a bar may begin where another ends
    order = np.lexsort((step, np.concatenate([start, end]), at))
    running = np.cumsum(step[order])  # each lane sums back to 0, so one running sum serves all
    rows = np.zeros(len(lanes), np.int64)
    np.maximum.at(rows, at[order], running)
    return rows


def fold_threshold(candidates: list[float], parent: np.ndarray, service: np.ndarray, start: np.ndarray,
                   end: np.ndarray, extent: tuple[np.ndarray, np.ndarray], within: np.ndarray | None,
                   axis: Axis, min_us: float, fits: Callable[[np.ndarray], bool]) -> float:
    """The first of `candidates` (ascending) at which the overview's rows fit, else the last: what
    `cut` then `drawn_in` would draw at each, at the overview's fold by size. `within` (zoomed)
    says whose subtree reaches into the window."""
    lo, hi = extent
    length = hi - lo
    root = parent < 0
    passes = length >= candidates[0]
    if within is not None:
        passes &= within
    pool = np.flatnonzero(root | passes)  # drawn at the first threshold (zoomed: before the window's test)
    keeps = np.where(root[pool], np.inf, length[pool])  # a pool span is drawn at thresholds up to this
    lane = service[pool]
    s, e = start[pool], np.maximum(end[pool], start[pool] + min_us)
    if axis.zoomed:
        bar_in = (e >= axis.lo) & (s <= axis.hi)
        s, e = clip_to(axis, s, e, min_us)
        summary_in = summaries_in_window(parent, lo, hi, length, pool, axis)
    for threshold in candidates[:-1]:
        drawn = keeps >= threshold
        if axis.zoomed:
            drawn &= bar_in | summary_in(threshold)
        if fits(lane_rows(lane[drawn], s[drawn], e[drawn])):
            return threshold
    return candidates[-1]


def summaries_in_window(parent: np.ndarray, lo: np.ndarray, hi: np.ndarray, length: np.ndarray, pool: np.ndarray,
                        axis: Axis) -> Callable[[float], np.ndarray]:
    """For a threshold: per pool span, whether its summary reaches into the window (it is then drawn,
    as a stub at the window's edge if its own bar lies outside). A summary holds the calls folded
    under a span, each with its whole subtree; calls outside the pool are folded at every threshold."""
    slot = np.full(len(parent), -1, np.int64)
    slot[pool] = np.arange(len(pool))
    child = np.flatnonzero(parent >= 0)
    holder = slot[parent[child]]
    child, holder = child[holder >= 0], holder[holder >= 0]
    pooled = slot[child] >= 0
    fixed_lo = np.full(len(pool), np.inf)
    fixed_hi = np.full(len(pool), -np.inf)
    np.minimum.at(fixed_lo, holder[~pooled], lo[child[~pooled]])
    np.maximum.at(fixed_hi, holder[~pooled], hi[child[~pooled]])
    child, holder = child[pooled], holder[pooled]

    def reaching(threshold: float) -> np.ndarray:
        folded = length[child] < threshold
        box_lo, box_hi = fixed_lo.copy(), fixed_hi.copy()
        np.minimum.at(box_lo, holder[folded], lo[child[folded]])
        np.maximum.at(box_hi, holder[folded], hi[child[folded]])
        # whole µs, as `cut` keeps a summary's extent
        return (np.floor(box_hi) >= axis.lo) & (np.floor(box_lo) <= axis.hi)

    return reaching
