"""What a trace's waterfall needs whatever part of it a viewer looks at: its columns, the time axis
with its compressed idle stretches, each subtree's time extent, the critical path and the overview
strip. They depend on the trace's spans only, so they are computed once per state of the trace and
kept: a zoom or a pan (a new view of the same spans) then only folds and places (waterfall_overview.py).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from vrmon.layout.critical_path import critical_path
from vrmon.layout.idle_time import TimeWarp, idle_warp
from vrmon.layout.sorting import lexsort_ints, unique_ints
from vrmon.layout.time_window import strip
from vrmon.layout.waterfall import SpanColumns
from vrmon.layout.waterfall_lod import depth_levels, subtree_extent

NICE_STEPS = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
KEPT_BASES = 4  # traces whose basis is kept (a 1M-span trace's takes ~70 MB)


@dataclass(frozen=True)
class TraceBasis:
    rows: np.ndarray  # store rows of the trace, ascending
    cols: SpanColumns
    true_start: np.ndarray  # µs from the trace's start
    true_end: np.ndarray
    warp: TimeWarp  # the time axis, with its compressed idle stretches
    start: np.ndarray  # on the compressed axis
    end: np.ndarray
    whole_us: float  # compressed µs the unzoomed picture's width stands for (the extent rounded up)
    levels: list[np.ndarray]  # span indices per call depth (depth_levels)
    extent: tuple[np.ndarray, np.ndarray]  # each subtree's (earliest start, latest end), compressed
    critical: np.ndarray  # bool per span: on the critical path
    strip: dict  # the whole trace for the overview strip: {services, bins, density}


def nice_ceiling(us: int) -> int:
    """The smallest 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k ≥ `us`: the trace fills ≥ 75 % of
    the width, and a growing trace rescales only when it passes the next step."""
    us = max(int(us), 1)
    magnitude = 10 ** int(np.floor(np.log10(us)))
    for step in NICE_STEPS:
        if step * magnitude >= us:
            return int(np.ceil(step * magnitude))
    return 10 * magnitude


def lanes_of(service: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One lane per service, in the order the services first act: (service per unique lane,
    each unique lane's rank from the top, each item's lane rank)."""
    lane_service, lane_of = unique_ints(service.astype(np.int64))
    first = np.full(len(lane_service), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first, lane_of, start.astype(np.int64))  # one dtype: ufunc.at's fast path
    rank = np.empty(len(lane_service), np.int64)
    rank[lexsort_ints((lane_service, first))] = np.arange(len(lane_service))
    return lane_service, rank, rank[lane_of]


def trace_basis(store, trace: int | None, idle_gap: float) -> TraceBasis:
    """The basis of `trace` (None: an empty one), with idle stretches longer than `idle_gap` of its
    extent compressed (0: none)."""
    rows = store.rows_of_trace(trace) if trace is not None else np.empty(0, np.int64)
    cols = SpanColumns.from_store(store, rows)
    start = cols.start_us
    end = start + np.maximum(cols.duration_us, 0)
    t0 = int(start.min()) if len(rows) else 0
    true_start, true_end = start - t0, end - t0  # from the trace's start: float µs stay exact
    warp = idle_warp(true_start, true_end, idle_gap)
    start, end = warp(true_start), warp(true_end)
    whole_us = float(nice_ceiling(int(np.ceil(warp.extent)) if len(rows) else 1))
    levels = depth_levels(cols.depth)
    services, rank, span_lane = lanes_of(cols.service, start)
    density = strip(span_lane, start, end, len(services), whole_us)
    return TraceBasis(rows, cols, true_start, true_end, warp, start, end, whole_us, levels,
                      subtree_extent(cols.parent, start, end, levels), critical_path(cols.parent, true_start, true_end),
                      {"services": services[np.argsort(rank)].tolist(), "bins": density.shape[1], "density": density.tobytes()})


def trace_state(store, trace: int) -> tuple[int, int, int]:
    """What changes when a trace's spans change: its span count, relinks, the store's compactions."""
    return (int(store.trace_summaries()["spans"][trace]), store.relinks_of(trace), store.compactions)


class TraceBases:
    """The bases of the last few traces of one store that viewers looked at, each kept while its
    trace stays as it was: every view of one trace (its zoom windows and folds) shares one."""

    def __init__(self, store, keep: int = KEPT_BASES) -> None:
        self.store = store
        self.keep = keep
        self._kept: OrderedDict[tuple[int | None, float], tuple[tuple, TraceBasis]] = OrderedDict()

    def get(self, trace: int | None, idle_gap: float) -> TraceBasis:
        key = (trace, idle_gap)
        state = trace_state(self.store, trace) if trace is not None else ()
        kept = self._kept.get(key)
        if kept is None or kept[0] != state:  # a trace that changed replaces its old basis
            kept = self._kept[key] = (state, trace_basis(self.store, trace, idle_gap))
            while len(self._kept) > self.keep:
                self._kept.popitem(last=False)
        self._kept.move_to_end(key)
        return kept[1]
