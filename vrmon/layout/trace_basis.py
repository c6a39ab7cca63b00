"""What a trace's waterfall needs whatever part of it a viewer looks at: its columns, the time axis
with its compressed idle stretches, each subtree's time extent, the critical path and the overview
strip. They depend on the trace's spans only, so they are computed once per state of the trace and
kept: a zoom or a pan (a new view of the same spans) then only folds and places (waterfall_overview.py).

As a live trace grows, its basis is extended rather than built again: the new spans' columns are
appended, their times merged into the sorted event times (the idle axis), their extents carried up
to their ancestors only, and their places in the children order kept for the critical path's walk.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np

from vrmon.layout.critical_path import KeptChildren, critical_path_of_kept
from vrmon.layout.idle_time import TimeWarp, event_times, idle_warp
from vrmon.layout.sorting import lexsort_ints, unique_ints
from vrmon.layout.time_window import STRIP_BINS, strip_density, strip_steps
from vrmon.layout.waterfall import SpanColumns
from vrmon.layout.waterfall_lod import carry_up, depth_levels
from vrmon.model.columns import Room, inserted, sorted_unique

NICE_STEPS = (1, 1.1, 1.25, 1.4, 1.5, 1.6, 1.75, 2, 2.25, 2.5, 2.75, 3, 3.5, 4, 4.5, 5, 5.5, 6, 7, 8, 9, 10)
KEPT_BASES = 4  # traces whose basis is kept (a 1M-span trace's takes ~140 MB, up to twice that once extended)
SERIALS = itertools.count()
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Widened:
    """The spans of a trace whose subtree's extent grew as it gained spans, with what it was (true µs)."""

    spans: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


@dataclass(frozen=True)
class TraceBasis:
    rows: np.ndarray  # store rows of the trace, ascending
    cols: SpanColumns
    t0: int  # µs when the trace starts
    true_start: np.ndarray  # µs from the trace's start
    true_end: np.ndarray
    events: np.ndarray  # every distinct true start and end time, ascending
    warp: TimeWarp  # the time axis, with its compressed idle stretches
    start: np.ndarray  # on the compressed axis
    end: np.ndarray
    whole_us: float  # compressed µs the unzoomed picture's width stands for (the extent rounded up)
    true_extent: tuple[np.ndarray, np.ndarray]  # each subtree's (earliest start, latest end), true µs
    extent: tuple[np.ndarray, np.ndarray]  # the same on the compressed axis
    children: KeptChildren  # spans in children order (critical_path.py)
    critical: np.ndarray  # bool per span: on the critical path
    service_first: np.ndarray  # per service code: its first start (compressed, whole µs), NEVER if it has no span
    strip_steps: np.ndarray  # per service code: `strip_steps` of its spans over the whole axis
    strip: dict  # the whole trace for the overview strip: {services, bins, density}
    serial: int  # this basis, among every basis made
    room: Room = field(repr=False, compare=False)  # the buffers behind its columns
    extends: int = -1  # the serial of the basis this one extended (-1: built whole)
    grew: Widened | None = None  # extended: the spans before whose subtree's extent grew, and their extents before

    @property
    def widened(self) -> np.ndarray | None:
        return self.grew.spans if self.grew is not None else None

    def extent_before(self) -> tuple[np.ndarray, np.ndarray]:
        """The `widened` spans' (earliest start, latest end) before, on the compressed axis."""
        lo, hi = self.grew.lo, self.grew.hi
        return (lo, hi) if not len(self.warp.breaks) else (self.warp(lo), self.warp(hi))

    @cached_property
    def levels(self) -> list[np.ndarray]:
        """Span indices per call depth (`depth_levels`): made when a fold of every span needs them,
        not kept up as a live trace grows (its folds grow from the last one)."""
        return depth_levels(self.cols.depth)


def nice_ceiling(us: int) -> int:
    """The smallest NICE_STEPS × 10^k ≥ `us`: the trace fills ≥ 85 % of the width, and a growing
    trace rescales only when it passes the next step (every 7-17 % of growth). Steps of 1, 1.25,
    1.5, 2, 2.5, 3, 4, 5, 6, 8 left up to a quarter of the width bare: a 610 µs trace on an 800 µs
    axis, framed by its height beside the open trace list, kept 28.9 % of a 1280×720 canvas. No
    1.2: HotROD's 1.12 s trace keeps its 1.25 s axis, where its last bar's duration has room
    beside it (on 1.2 s that label went, and OCR read too few of its span labels)."""
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
    # the columns a live trace grows get room for as many spans again now, while they are made:
    # its first deltas then write behind them instead of copying the whole basis at once (a trace
    # loaded from a file seldom grows: it gets none)
    room = Room()
    spare = 0 if trace is None or store.trace_summaries()["pinned"][trace] else len(rows)
    kept = lambda name, column: room.copied(name, column, spare) if spare else column  # noqa: E731
    cols = SpanColumns.from_store(store, rows, room=room if spare else None)
    start = cols.start_us
    t0 = int(start.min()) if len(rows) else 0
    # from the trace's start: float µs stay exact
    true_start = np.subtract(start, t0, out=room.made("true_start", len(rows), start.dtype, spare))
    true_end = np.add(true_start, np.maximum(cols.duration_us, 0), out=room.made("true_end", len(rows), start.dtype, spare))
    events = kept("events", event_times(true_start, true_end))
    levels = depth_levels(cols.depth)
    lo, hi = room.copied("lo", true_start, spare), room.copied("hi", true_end, spare)  # carried up in place
    carry_up(lo, hi, cols.parent, levels)
    basis = placed(kept("rows", rows), cols, t0, true_start, true_end, events, idle_warp(events, true_start, true_end, idle_gap), (lo, hi),
                   KeptChildren.of(cols.parent, true_start, true_end), room, spare=spare)
    basis.__dict__["levels"] = levels  # made for the extents already: the first fold takes them
    return basis


def placed(rows: np.ndarray, cols: SpanColumns, t0: int, true_start: np.ndarray, true_end: np.ndarray, events: np.ndarray,
           warp: TimeWarp, true_extent: tuple[np.ndarray, np.ndarray],
           children: KeptChildren, room: Room, before: TraceBasis | None = None,
           grew: Widened | None = None, spare: int = 0) -> TraceBasis:
    """The basis from its true-time columns: on the compressed axis (only the new spans when
    `before`, which it extends, had the same axis), with the critical path and the strip; columns
    placed whole get room for `spare` more spans."""
    # the spans before, when `before` had the same axis: only the new spans are placed and counted
    n = len(before.rows) if before is not None and warp.same_as(before.warp) else 0
    if n:
        start = room.appended("start", before.start, warp(true_start[n:]))
        end = room.appended("end", before.end, warp(true_end[n:]))
    else:
        start, end = warp(true_start), warp(true_end)
        if spare:
            start, end = room.copied("start", start, spare), room.copied("end", end, spare)
    # the warp keeps order, so a subtree's compressed extent is its true extent compressed
    extent = true_extent if not len(warp.breaks) else (warp(true_extent[0]), warp(true_extent[1]))
    whole_us = float(nice_ceiling(int(np.ceil(warp.extent)) if len(rows) else 1))
    codes = max(len(before.service_first), int(cols.service[n:].max()) + 1) if n else int(cols.service.max()) + 1 if len(rows) else 0
    first = service_starts(cols.service[n:], start[n:], codes, before.service_first if n else np.empty(0, np.int64))
    # spans that all start and end at one instant are drawn across the whole picture: so are they on the strip
    instant = len(events) == 1
    if n and whole_us == before.whole_us and len(before.events) > 1 and not instant:  # the strip's scale stays too
        steps = grown_rows(before.strip_steps, codes) + strip_steps(cols.service[n:], start[n:], end[n:], codes, whole_us)
    else:
        steps = strip_steps(cols.service, start, np.full(len(end), whole_us) if instant else end, codes, whole_us)
    return TraceBasis(rows, cols, t0, true_start, true_end, events, warp, start, end, whole_us, true_extent, extent,
                      children, critical_path_of_kept(true_start, true_end, children), first, steps, strip_of(first, steps, instant),
                      next(SERIALS), room, before.serial if before is not None else -1, grew)


def service_starts(service: np.ndarray, start: np.ndarray, codes: int, first: np.ndarray) -> np.ndarray:
    """`first` (per service code, its first start) for `codes` services, with these spans too."""
    first = np.concatenate([first, np.full(codes - len(first), NEVER, np.int64)])
    np.minimum.at(first, service.astype(np.int64), start.astype(np.int64))  # one dtype: ufunc.at's fast path
    return first


def grown_rows(steps: np.ndarray, codes: int) -> np.ndarray:
    return np.concatenate([steps, np.zeros((codes - len(steps), steps.shape[1]), steps.dtype)])


def strip_of(first: np.ndarray, steps: np.ndarray, instant: bool = False) -> dict:
    """The overview strip: a row per service, in the order the services first act; `instant`
    when every span starts and ends at one time (the strip says so, not "all 1 µs")."""
    services = np.flatnonzero(first < NEVER)
    services = services[lexsort_ints((services, first[services]))]
    density = strip_density(steps[services]) if len(services) else np.zeros((0, STRIP_BINS), np.uint8)
    strip = {"services": services.tolist(), "bins": density.shape[1], "density": density.tobytes()}
    return {**strip, "instant": True} if instant else strip


def extended(b: TraceBasis, store, trace: int, idle_gap: float) -> TraceBasis | None:
    """`b` with the spans `trace` gained since (appended rows, no relinks); None when it cannot be
    extended (a span starts before the trace did)."""
    last = int(b.rows[-1]) if len(b.rows) else -1
    new_rows = np.flatnonzero(store.trace[last + 1:] == trace) + last + 1
    if not len(b.rows) or not len(new_rows):
        return None
    room = b.room
    rows = room.appended("rows", b.rows, new_rows)
    parent_row = store.parent[new_rows]
    at = np.minimum(np.searchsorted(rows, parent_row), len(rows) - 1)
    new = SpanColumns.from_store(store, new_rows, parent=np.where((parent_row >= 0) & (rows[at] == parent_row), at, -1))
    if int(new.start_us.min()) < b.t0:
        return None
    cols = SpanColumns(**{f.name: room.appended(f.name, getattr(b.cols, f.name), getattr(new, f.name)) for f in fields(SpanColumns)})
    n0 = len(b.rows)
    new_start = new.start_us - b.t0
    new_end = new_start + np.maximum(new.duration_us, 0)
    true_start, true_end = room.appended("true_start", b.true_start, new_start), room.appended("true_end", b.true_end, new_end)
    lo, hi = room.appended("lo", b.true_extent[0], new_start), room.appended("hi", b.true_extent[1], new_end)
    grew = widen(lo, hi, cols.parent, cols.depth, n0)
    events = merged(b.events, event_times(new_start, new_end), room)
    return placed(rows, cols, b.t0, true_start, true_end, events, idle_warp(events, true_start, true_end, idle_gap), (lo, hi),
                  b.children.with_spans(cols.parent[n0:], new_end, n0), room, b, grew, len(rows))


def merged(events: np.ndarray, more: np.ndarray, room: Room) -> np.ndarray:
    """Two ascending arrays of distinct times as one (no sort of the whole; times past the last are
    appended in `room`, the others inserted in a copy)."""
    at = np.searchsorted(events, more)
    known = (at < len(events)) & (events[np.minimum(at, len(events) - 1)] == more)
    if (at[~known] == len(events)).all():  # a live trace mostly grows past its end
        return room.appended("events", events, more[~known])
    return inserted(events, at[~known], more[~known])


def widen(lo: np.ndarray, hi: np.ndarray, parent: np.ndarray, depth: np.ndarray, n0: int) -> Widened:
    """Subtree extents (in place) once the spans from `n0` on hold their own: carried up through
    their ancestors, deepest first (an extent only widens as spans arrive). Returns the earlier
    spans whose extent grew, with their extents before."""
    carried = [np.arange(n0, len(parent))]
    while len(carried[-1]):  # the ancestors of the new spans, a generation at a time
        up = parent[carried[-1]]
        carried.append(sorted_unique(up[(up >= 0) & (up < n0)]))
    ancestors = sorted_unique(np.concatenate(carried[1:]))
    before = lo[ancestors], hi[ancestors]
    spans = np.concatenate([carried[0], ancestors])
    spans = spans[np.argsort(-depth[spans], kind="stable")]
    for idx in np.split(spans, np.flatnonzero(np.diff(depth[spans])) + 1):
        p = parent[idx]
        has = p >= 0
        np.minimum.at(lo, p[has], lo[idx[has]])
        np.maximum.at(hi, p[has], hi[idx[has]])
    grew = (lo[ancestors] < before[0]) | (hi[ancestors] > before[1])
    return Widened(ancestors[grew], before[0][grew], before[1][grew])


def trace_state(store, trace: int) -> tuple[int, int, int]:
    """What changes when a trace's spans change: its span count, relinks, the store's compactions."""
    return (int(store.trace_summaries()["spans"][trace]), store.relinks_of(trace), store.compactions)


class TraceBases:
    """The bases of the last few traces of one store that viewers looked at, each kept while its
    trace stays as it was (every view of one trace, its zoom windows and folds, shares one), and
    extended when the trace only gained spans."""

    def __init__(self, store, keep: int = KEPT_BASES) -> None:
        self.store = store
        self.keep = keep
        self._kept: OrderedDict[tuple[int | None, float], tuple[tuple, TraceBasis]] = OrderedDict()

    def get(self, trace: int | None, idle_gap: float) -> TraceBasis:
        key = (trace, idle_gap)
        state = trace_state(self.store, trace) if trace is not None else ()
        kept = self._kept.get(key)
        if kept is None or kept[0] != state:  # a trace that changed replaces its old basis
            grew = kept is not None and trace is not None and kept[0][1:] == state[1:] and state[0] > kept[0][0]
            basis = extended(kept[1], self.store, trace, idle_gap) if grew else None
            kept = self._kept[key] = (state, basis or trace_basis(self.store, trace, idle_gap))
            while len(self._kept) > self.keep:
                self._kept.popitem(last=False)
        self._kept.move_to_end(key)
        return kept[1]
