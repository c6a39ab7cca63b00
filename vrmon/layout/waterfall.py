"""Waterfall layout: x = time, y = call depth (root on top), z = service lane.

Works on any number of traces at once (the wall reuses it), every step vectorised:
lanes per (trace, service) ordered by first start; spans that overlap in time within the
same trace, lane and depth get separate tracks, so no two bars ever intersect.

Positions are meant to survive a growing trace: `width` stands for the trace's extent rounded up
to a power of two, and a lane is as wide as its tracks rounded up to a power of two, so a live
trace moves its bars only when it doubles (amortised O(log growth) rescales), not on every span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vrmon.layout.critical_path import critical_path
from vrmon.layout.nodes import CRITICAL, Label, Layout, Nodes, bounds_of, duration_code, yaw_code
from vrmon.layout.palette import DEFAULT_SERVICE_COLORS, palette_array
from vrmon.layout.preset_param import param
from vrmon.layout.sorting import TABLE_FACTOR, lexsort_ints, unique_ints
from vrmon.model.columns import Room


@dataclass(frozen=True)
class WaterfallParams:
    width: float = param(24.0, "metres the time axis takes: the trace's duration rounded up to a round step")
    row_height: float = param(0.6, "metres between call depths")
    bar_height: float = param(0.3, "metres: a bar's height")
    bar_depth: float = param(0.3, "metres: a bar's thickness, front to back")
    lane_gap: float = param(0.9, "metres between service lanes")
    track_gap: float = param(0.35, "metres between bars of one lane and depth that overlap in time")
    min_bar: float = param(0.03, "metres: the shortest bar drawn, so zero-length spans stay visible")
    floor: float = param(0.5, "metres: height of the deepest row")
    service_colors: tuple[str, ...] = param(DEFAULT_SERVICE_COLORS,
                                            "colours services take in order of first appearance (the same in every scene)")
    # The one-trace overview (waterfall_overview.py): lanes stacked top to bottom fill `height`
    # beside `width`, so the picture has the shape of a screen whatever the number of lanes.
    height: float = param(18.0,
                          "metres the lanes fill at most, beside `width` (the picture keeps the shape of a screen)")
    lane_height: float = param(0.5, "metres: least height of a lane, room for its name")
    min_row: float = param(0.12, "metres: least space between rows at the overview (subtrees fold until rows fit)")
    max_row: float = param(2.0, "metres: most space between rows, unless the lanes would then fill less than `min_fill`")
    min_fill: float = param(0.85, "share of `height` the lanes fill at least: a few rows make bars that frame well beside the time axis, not a thin strip")
    span_rows: int = param(40, "spans a trace drawn whole may have and still get a row each (as in Jaeger UI), when their rows leave room for their labels")
    max_bar: float = param(1.6, "metres: most height of a bar in a trace whose spans have a row each (its rows may be further apart)")
    min_span_bar: float = param(0.2, "metres: least length of a bar in a trace whose spans have a row each, so a short call is seen, not a sliver")
    lod_pixels: float = param(4.0, "pixels: subtrees narrower than this at the overview fold into one summary mark")
    overview_pixels: float = param(1000.0, "pixels `width` takes on a screen at the overview")
    idle_gap: float = param(0.2,
                            "share of the trace: a stretch in which no span starts or ends shrinks to a break if it lasts longer than this "
                            "share and longer than all the rest of the trace's activity, such stretches make up at least 60 % of the trace, "
                            "and without them a span between them (crossing none) would be narrower than 2 % of the trace (0: never)")


@dataclass(frozen=True)
class SpanColumns:
    """The span columns a layout reads (rows of the store, already selected)."""

    ids: np.ndarray
    parent: np.ndarray  # index into these columns, -1 for roots, orphans and spans outside them
    trace: np.ndarray
    depth: np.ndarray
    service: np.ndarray
    operation: np.ndarray
    start_us: np.ndarray
    duration_us: np.ndarray
    flags: np.ndarray

    @classmethod
    def from_store(cls, store, rows: np.ndarray, parent: np.ndarray | None = None, room: Room | None = None) -> "SpanColumns":
        """Columns of `rows` (sorted ascending), with parent links re-indexed into them (or `parent`,
        when the caller indexed them into more rows than these). In `room`'s buffers when given,
        with room for as many rows again (for a live trace's basis to grow into)."""
        def take(name: str, column: np.ndarray) -> np.ndarray:
            return column[rows] if room is None else room.taken(name, column, rows, len(rows))

        if parent is None:
            parent = _index_in(rows, store.parent[rows])
            parent = parent if room is None else room.copied("parent", parent, len(rows))
        return cls(ids=take("ids", store.uid), parent=parent, trace=take("trace", store.trace), depth=take("depth", store.depth),
                   service=take("service", store.service), operation=take("operation", store.operation),
                   start_us=take("start_us", store.start_us), duration_us=take("duration_us", store.duration_us),
                   flags=take("flags", store.flags))


def _index_in(rows: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index in `rows` (ascending store rows) of each of `wanted`, -1 where it is not among them.

    A trace's rows are mostly one run of the store, so a table over their range finds them in
    one gather; a binary search per span (searchsorted) costs a cache miss each at 1M spans."""
    if not len(rows):
        return np.full(len(wanted), -1, np.int64)
    low, span = int(rows[0]), int(rows[-1]) - int(rows[0]) + 1
    if span > TABLE_FACTOR * len(rows) + 1024:  # rows scattered over a big store: search instead
        at = np.minimum(np.searchsorted(rows, wanted), len(rows) - 1)
        return np.where((wanted >= 0) & (rows[at] == wanted), at, -1)
    table = np.full(span, -1, np.int64)
    table[rows - low] = np.arange(len(rows))
    offset = wanted - low
    inside = (offset >= 0) & (offset < span)
    return np.where(inside, table[np.where(inside, offset, 0)], -1)


@dataclass
class WaterfallGeometry:
    """Per-span geometry before it becomes nodes, kept for callers that place traces (the wall)."""

    x0: np.ndarray  # bar left edge, metres from the trace's start
    length: np.ndarray
    y: np.ndarray
    z: np.ndarray
    track: np.ndarray  # overlap track within the span's lane and depth
    trace_index: np.ndarray  # dense 0..T-1 per span
    traces: np.ndarray  # trace code per dense index
    t0: np.ndarray  # µs, per dense trace
    width_us: np.ndarray  # µs that `width` stands for, per dense trace (its extent rounded up to a power of two)
    lanes: np.ndarray  # (pair trace index, service code, lane z) per (trace, service)
    max_depth: np.ndarray  # per dense trace


def waterfall_geometry(cols: SpanColumns, p: WaterfallParams) -> WaterfallGeometry:
    n = len(cols.ids)
    traces, tix = unique_ints(cols.trace)
    n_traces = len(traces)
    start = cols.start_us
    duration = np.maximum(cols.duration_us, 0)
    end = start + duration

    t0 = np.full(n_traces, np.iinfo(np.int64).max, np.int64)
    t1 = np.full(n_traces, np.iinfo(np.int64).min, np.int64)
    np.minimum.at(t0, tix, start)
    np.maximum.at(t1, tix, end)
    # the width stands for the extent rounded up to a power of two: a growing trace keeps its
    # scale until its extent doubles
    width_us = next_power_of_two(t1 - t0)
    x0, length = bar_x(start, duration, t0[tix], width_us[tix], p)

    max_depth = np.zeros(n_traces, np.int32)
    np.maximum.at(max_depth, tix, cols.depth)
    y = row_y(cols.depth, max_depth[tix], p)

    # lanes: one per (trace, service), ordered by the service's first start in the trace
    n_services = int(cols.service.max()) + 1 if n else 1
    pair_key = tix.astype(np.int64) * n_services + cols.service
    pairs, pair_of = unique_ints(pair_key)
    pair_start = np.full(len(pairs), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(pair_start, pair_of, start)
    pair_trace = pairs // n_services
    pair_service = pairs % n_services
    pair_order = lexsort_ints((pair_service, pair_start, pair_trace))

    # tracks: within (trace, service, depth), bars overlapping in time get their own track
    group = pair_of.astype(np.int64) * (int(cols.depth.max()) + 1 if n else 1) + cols.depth
    track = overlap_tracks(group, start, end)

    pair_tracks = np.zeros(len(pairs), np.int64)
    np.maximum.at(pair_tracks, pair_of, track + 1)
    # a lane makes room for a power of two of tracks: one more overlapping bar does not push
    # every later lane along z
    pair_tracks = next_power_of_two(pair_tracks)
    width_sorted = pair_tracks[pair_order] * p.track_gap + p.lane_gap
    trace_sorted = pair_trace[pair_order]
    cum = np.cumsum(width_sorted) - width_sorted
    first_of_trace = np.ones(len(pairs), bool)
    first_of_trace[1:] = trace_sorted[1:] != trace_sorted[:-1]
    cum -= np.maximum.accumulate(np.where(first_of_trace, cum, 0))
    lane_z = np.empty(len(pairs))
    lane_z[pair_order] = -cum
    z = lane_z[pair_of] - track * p.track_gap

    lanes = np.stack([pair_trace, pair_service, lane_z], axis=1) if len(pairs) else np.empty((0, 3))
    return WaterfallGeometry(x0, length, y, z, track, tix, traces, t0, width_us, lanes, max_depth)


def overlap_tracks(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A track per bar: within each group, bars sorted by start; a bar overlapping the group's
    latest end so far takes the next track, any other starts again at track 0."""
    n = len(group)
    order = lexsort_ints((start, group))
    g_sorted, s_sorted, e_sorted = group[order], start[order], np.maximum(end[order], start[order] + 1)
    new_group = np.ones(n, bool)
    new_group[1:] = g_sorted[1:] != g_sorted[:-1]
    # running max of end within the group: offset by group so one accumulate serves all groups
    first_start = s_sorted.min() if n else 0  # no spans yet (a live source just started): empty layout
    span_all = int(e_sorted.max() - first_start) + 1 if n else 1
    offset = np.cumsum(new_group) * span_all
    running_end = np.maximum.accumulate(e_sorted - first_start + offset)
    overlaps = np.zeros(n, bool)
    overlaps[1:] = (s_sorted[1:] - first_start + offset[1:]) < running_end[:-1]
    overlaps &= ~new_group
    cluster_start = np.maximum.accumulate(np.where(~overlaps, np.arange(n), 0))
    track = np.empty(n, np.int64)
    track[order] = np.arange(n) - cluster_start
    return track


def bar_x(start: np.ndarray, duration: np.ndarray, t0: np.ndarray | int, width_us: np.ndarray | int,
          p: WaterfallParams) -> tuple[np.ndarray, np.ndarray]:
    """(left edge, length) in metres of bars starting at `start` lasting `duration` (≥ 0) µs."""
    scale = p.width / width_us
    return (start - t0) * scale, np.maximum(duration * scale, p.min_bar)


def row_y(depth: np.ndarray, max_depth: np.ndarray | int, p: WaterfallParams) -> np.ndarray:
    """Height of a call depth's row: the root on top, the deepest row at `floor`."""
    return p.floor + (max_depth - depth) * p.row_height


def next_power_of_two(values: np.ndarray) -> np.ndarray:
    """The smallest power of two ≥ each value (at least 1), as int64."""
    values = np.maximum(np.asarray(values, np.int64), 1)
    power = np.left_shift(np.int64(1), np.ceil(np.log2(values)).astype(np.int64))
    power = np.where(power < values, power * 2, power)  # float rounding of log2 near 2**53
    return np.where(power // 2 >= values, power // 2, power)


def waterfall_layout(cols: SpanColumns, p: WaterfallParams, service_names: list[str] | None = None) -> Layout:
    """Lay out the spans (normally one trace) centred on x = 0, with lane and time labels."""
    return layout_of_geometry(cols, waterfall_geometry(cols, p), p, service_names)


def layout_of_geometry(cols: SpanColumns, g: WaterfallGeometry, p: WaterfallParams,
                       service_names: list[str] | None = None, critical: np.ndarray | None = None) -> Layout:
    """Nodes and labels from geometry; `critical` is the critical-path mask if already known."""
    nodes = geometry_nodes(cols, g, p, x_offset=-p.width / 2, z_offset=0.0)
    if len(g.traces) == 1:
        if critical is None:
            start = cols.start_us
            critical = critical_path(cols.parent, start, start + np.maximum(cols.duration_us, 0))
        nodes.flags |= np.where(critical, CRITICAL, 0).astype(np.uint8)
    labels: list[Label] = []
    if len(cols.ids) and len(g.traces) == 1 and service_names is not None:
        # each lane's name sits level with the lane's highest bar, so it reads as that lane's label
        _, lane_of = unique_ints(cols.service)
        lane_top = np.full(len(g.lanes), -np.inf)
        np.maximum.at(lane_top, lane_of, g.y)
        labels = trace_labels(g.lanes[:, 1].astype(np.int64), g.lanes[:, 2], lane_top, int(g.width_us[0]), p, service_names)
    return Layout(nodes=nodes, labels=labels, bounds=bounds_of(nodes))


def trace_labels(services: np.ndarray, lane_z: np.ndarray, lane_top: np.ndarray, width_us: int, p: WaterfallParams,
                 service_names: list[str]) -> list[Label]:
    """A name per lane (ascending service code), level with its highest bar, then the time ruler."""
    labels = [Label(service_names[int(service)], (-p.width / 2 - 0.3, float(top), z), "lane")
              for service, z, top in zip(services, lane_z, lane_top)]
    return labels + time_ruler(width_us, p, y=p.floor - p.row_height * 0.8, z=0.4)


def geometry_nodes(cols: SpanColumns, g: WaterfallGeometry, p: WaterfallParams, x_offset=0.0, z_offset=0.0,
                   y_offset=0.0, yaw=None) -> Nodes:
    """Nodes from geometry. Offsets are scalars or per-span arrays; with `yaw` (radians per span)
    the panel-local (x, z) is turned about +y before the offsets apply (the wall faces you)."""
    n = len(cols.ids)
    pos = np.empty((n, 3), np.float32)
    local_x = g.x0 + g.length / 2
    if yaw is None:
        pos[:, 0] = x_offset + local_x
        pos[:, 2] = z_offset + g.z
    else:
        cos, sin = np.cos(yaw), np.sin(yaw)
        pos[:, 0] = x_offset + local_x * cos + g.z * sin
        pos[:, 2] = z_offset - local_x * sin + g.z * cos
    pos[:, 1] = y_offset + g.y
    size = np.empty((n, 3), np.float32)
    size[:, 0] = g.length
    size[:, 1] = p.bar_height
    size[:, 2] = p.bar_depth
    palette = palette_array(p.service_colors)
    return Nodes(
        ids=cols.ids.astype(np.uint32),
        pos=pos,
        size=size,
        color=np.take(palette, cols.service % len(palette), axis=0),
        service=cols.service.astype(np.uint16),
        operation=cols.operation.astype(np.uint16),
        flags=cols.flags.astype(np.uint8),
        yaw=yaw_code(yaw) if yaw is not None else np.zeros(n, np.int16),
        duration=duration_code(cols.duration_us),
    )


def time_ruler(width_us: int, p: WaterfallParams, y: float, z: float) -> list[Label]:
    """Tick labels at a 1-2-5 step giving 4 to 10 ticks across the width, which stands for `width_us`
    (so the ruler stays put while a trace grows within it)."""
    step = nice_step(width_us / 6)
    ticks = np.arange(0, width_us + 1, step)
    return [Label(format_duration(int(t)), (-p.width / 2 + t / width_us * p.width, y, z), "tick") for t in ticks]


def nice_step(raw: float) -> int:
    magnitude = 10 ** int(np.floor(np.log10(max(raw, 1))))
    for m in (1, 2, 5, 10):
        if m * magnitude >= raw:
            return int(m * magnitude)
    return int(10 * magnitude)


def format_duration(us: int) -> str:
    if us >= 1_000_000:
        return f"{us / 1e6:.3g} s"
    if us >= 1000:
        return f"{us / 1e3:.3g} ms"
    return f"{us} µs"
