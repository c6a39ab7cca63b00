"""Growing a one-trace waterfall by the trace's new spans, without laying the whole trace out again.

A live trace mostly grows at its end. When the new spans leave everything shared as it was (the
same start and scale, no deeper row, no lane reordered or outgrowing its room, every new bar after
the last bar of its lane and depth, no span already there re-linked), only the new bars are
placed, in O(k), and the critical path is walked again; the result is exactly what a full layout
gives. Otherwise `grow` answers None and the caller lays the trace out in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vrmon.layout.critical_path import children_keys, children_order, critical_path_of_sorted
from vrmon.layout.nodes import CRITICAL, Layout, Nodes, bounds_of
from vrmon.layout.sorting import unique_ints
from vrmon.layout.waterfall import (SpanColumns, WaterfallGeometry, WaterfallParams, bar_x, geometry_nodes,
                                    layout_of_geometry, next_power_of_two, row_y, trace_labels, waterfall_geometry)

GROW_LIMIT = 4  # more than 1/GROW_LIMIT of the trace new at once: a full layout is as cheap


@dataclass
class Lane:
    first_start: int  # µs: lanes are ordered by it
    z: float
    tracks: int  # overlap tracks its bars use (it makes room for the next power of two)
    top: float  # y of its highest bar, where its label sits


@dataclass
class Group:
    """The bars of one lane at one depth, as the track assignment left them (sorted by start)."""

    last_start: int
    running_end: int  # latest end so far (at least start + 1)
    last_track: int


@dataclass
class GrowingWaterfall:
    """One trace's waterfall layout plus what placing more of its spans needs."""

    trace: int
    params: WaterfallParams
    layout: Layout  # its nodes are views of `node_columns`
    node_columns: dict[str, "Tail"]
    rows: "Tail"  # store rows of the trace, ascending
    store_rows: int  # len(store) at the last layout
    compactions: int  # the store's compaction count then: rows are still numbered the same
    relinks: int  # the trace's relink count then: no span already laid out changed
    t0: int
    width_us: int
    max_depth: int
    lanes: dict[int, Lane]  # by service code
    lanes_width: float  # running sum of lane widths in lane order, as the full layout adds them
    groups: dict[tuple[int, int], Group]  # by (service, depth)
    parent: "Tail"  # local parent index per row (-1 for roots), for the critical path
    start: "Tail"
    end: "Tail"
    children: np.ndarray  # `children_order` of the rows, kept sorted as rows arrive
    children_keys: np.ndarray  # (parent, end) of `children`, as sortable bytes

    @classmethod
    def lay_out(cls, store, trace: int, p: WaterfallParams) -> "GrowingWaterfall":
        """The full layout of `trace`, remembered so that it can grow."""
        rows = store.rows_of_trace(trace)
        cols = SpanColumns.from_store(store, rows)
        g = waterfall_geometry(cols, p)
        start = cols.start_us
        end = start + np.maximum(cols.duration_us, 0)
        children = children_order(cols.parent, start, end)
        keys = children_keys(cols.parent[children], end[children])
        critical = critical_path_of_sorted(start, end, children, keys)
        layout = layout_of_geometry(cols, g, p, store.services.names, critical if len(rows) else None)
        lanes: dict[int, Lane] = {}
        groups: dict[tuple[int, int], Group] = {}
        lanes_width = 0.0
        if len(rows):
            lanes = _lanes_of(cols, g)
            for lane in sorted(lanes.values(), key=lambda lane: lane.z, reverse=True):  # lane order: z falls
                lanes_width += lane_width(lane.tracks, p)
            groups = _groups_of(cols, g.track, start, end)
        return cls(trace=trace, params=p, layout=layout, rows=Tail(rows), store_rows=len(store),
                   node_columns={name: Tail(getattr(layout.nodes, name)) for name in Nodes.__dataclass_fields__},
                   compactions=store.compactions, relinks=store.relinks_of(trace),
                   t0=int(g.t0[0]) if len(rows) else 0, width_us=int(g.width_us[0]) if len(rows) else 0,
                   max_depth=int(g.max_depth[0]) if len(rows) else 0, lanes=lanes, lanes_width=lanes_width,
                   groups=groups, parent=Tail(cols.parent), start=Tail(start), end=Tail(end), children=children,
                   children_keys=keys)

    def grow(self, store) -> np.ndarray | None:
        """Add the trace's spans that arrived since the last layout. Returns the indices of the
        existing nodes that changed (their critical-path flag), or None when the layout cannot
        grow in place; `self.layout` then still holds the old layout."""
        p = self.params
        if store.compactions != self.compactions or store.relinks_of(self.trace) != self.relinks or not len(self.rows):
            return None
        new_rows = np.flatnonzero(store.trace[self.store_rows :] == self.trace) + self.store_rows
        if len(new_rows) * GROW_LIMIT > len(self.rows):
            return None
        if not len(new_rows):  # only other traces changed
            self.store_rows = len(store)
            return np.empty(0, np.int64)
        summary = store.trace_summaries()
        t0 = int(summary["start_us"][self.trace])
        if t0 != self.t0 or int(next_power_of_two(np.array([summary["end_us"][self.trace] - t0]))[0]) != self.width_us:
            return None
        cols = SpanColumns.from_store(store, new_rows)
        if int(cols.depth.max()) > self.max_depth:
            return None  # a deeper row: every bar moves up
        placed = self._place(cols)
        if placed is None:
            return None
        lanes, lanes_width, groups, track = placed

        start = cols.start_us
        duration = np.maximum(cols.duration_us, 0)
        x0, length = bar_x(start, duration, self.t0, self.width_us, p)
        y = row_y(cols.depth, self.max_depth, p)
        codes = np.fromiter(lanes, np.int64, len(lanes))
        lane_z = np.zeros(int(codes.max()) + 1)
        lane_z[codes] = [lanes[c].z for c in codes.tolist()]
        z = lane_z[cols.service] - track * p.track_gap
        g = WaterfallGeometry(x0, length, y, z, track, np.zeros(len(new_rows), np.int64), np.array([self.trace]),
                              np.array([self.t0]), np.array([self.width_us]), np.empty((0, 3)), np.array([self.max_depth]))
        added = geometry_nodes(cols, g, p, x_offset=-p.width / 2, z_offset=0.0)
        top = np.full(len(lane_z), -np.inf)
        np.maximum.at(top, cols.service, y)
        for service in np.unique(cols.service).tolist():
            lanes[service].top = max(lanes[service].top, float(top[service]))

        # nothing below can fail: the state grows in place from here
        n_old = len(self.rows)
        rows = self.rows.extend(new_rows)
        parent_row = store.parent[new_rows]
        parent = self.parent.extend(np.where(parent_row >= 0, np.searchsorted(rows, parent_row), -1))
        starts = self.start.extend(start)
        ends = self.end.extend(start + duration)
        # merge the new spans into the children order: after equal keys, as a stable sort puts them
        new_index = np.arange(n_old, len(rows))
        new_keys = children_keys(parent[new_index], ends[new_index])
        by_key = np.argsort(new_keys, kind="stable")
        at = np.searchsorted(self.children_keys, new_keys[by_key], side="right")
        children = np.insert(self.children, at, new_index[by_key])
        keys = np.insert(self.children_keys, at, new_keys[by_key])
        critical = critical_path_of_sorted(starts, ends, children, keys)
        added.flags |= np.where(critical[n_old:], CRITICAL, 0).astype(np.uint8)
        nodes = Nodes(**{name: column.extend(getattr(added, name)) for name, column in self.node_columns.items()})
        old_flags = nodes.flags[:n_old]
        new_flags = (old_flags & np.uint8(~CRITICAL & 0xFF)) | np.where(critical[:n_old], CRITICAL, 0).astype(np.uint8)
        changed = np.flatnonzero(new_flags != old_flags)
        old_flags[changed] = new_flags[changed]

        services = np.array(sorted(lanes), np.int64)
        labels = trace_labels(services, [lanes[s].z for s in services.tolist()], [lanes[s].top for s in services.tolist()],
                              self.width_us, p, store.services.names)
        bounds = self.layout.bounds
        if len(added):
            more = bounds_of(added)
            bounds = (*np.minimum(bounds[:3], more[:3]).tolist(), *np.maximum(bounds[3:], more[3:]).tolist())
        self.layout = Layout(nodes=nodes, labels=labels, bounds=tuple(bounds))
        self.children, self.children_keys = children, keys
        self.lanes, self.lanes_width, self.groups = lanes, lanes_width, groups
        self.store_rows = len(store)
        return changed

    def _place(self, cols: SpanColumns) -> tuple[dict[int, Lane], float, dict[tuple[int, int], Group], np.ndarray] | None:
        """Lanes, groups and a track per new span, continuing the full layout's assignment; None
        when a new span would change the place of one already laid out."""
        track, groups = self._tracks(cols)
        if track is None:
            return None
        p = self.params
        lanes = {service: Lane(lane.first_start, lane.z, lane.tracks, lane.top) for service, lane in self.lanes.items()}
        new_lanes: dict[int, Lane] = {}
        for service in np.unique(cols.service).tolist():
            mine = cols.service == service
            first_start, tracks = int(cols.start_us[mine].min()), int(track[mine].max()) + 1
            lane = lanes.get(service)
            if lane is None:
                new_lanes[service] = Lane(first_start, 0.0, tracks, -np.inf)
                continue
            if first_start < lane.first_start:
                return None  # the lane order could change
            if next_power_of_two(np.array([tracks]))[0] > next_power_of_two(np.array([lane.tracks]))[0]:
                return None  # it outgrew its room: every later lane moves along z
            lane.tracks = max(lane.tracks, tracks)
        last_first = max(lane.first_start for lane in self.lanes.values())
        lanes_width = self.lanes_width
        for service, lane in sorted(new_lanes.items(), key=lambda item: (item[1].first_start, item[0])):
            if lane.first_start <= last_first:
                return None  # a new lane that does not come last reorders the lanes
            width = lane_width(lane.tracks, p)
            lanes_width += width
            lane.z = -(lanes_width - width)
            lanes[service] = lane
        return lanes, lanes_width, groups, track

    def _tracks(self, cols: SpanColumns) -> tuple[np.ndarray | None, dict[tuple[int, int], Group]]:
        """A track per new span, continuing each (lane, depth) group where the full layout's
        assignment left it (bars sorted by start; a bar overlapping the group's latest end so far
        takes the next track, any other starts again at 0); None if a new bar would sort before
        one already placed."""
        groups = dict(self.groups)
        n = len(cols.ids)
        start = cols.start_us
        end = np.maximum(start + np.maximum(cols.duration_us, 0), start + 1)
        key = (cols.service.astype(np.int64) << 32) | cols.depth
        order = np.lexsort((start, key))  # stable: ties in row order, as in the full layout
        key_s, start_s, end_s = key[order], start[order], end[order]
        first = np.ones(n, bool)
        first[1:] = key_s[1:] != key_s[:-1]
        firsts = np.flatnonzero(first)
        states = [groups.get((k >> 32, k & 0xFFFFFFFF)) for k in key_s[firsts].tolist()]
        known = np.array([g is not None for g in states])
        state_start = np.array([g.last_start if g else 0 for g in states], np.int64)
        state_end = np.array([g.running_end if g else 0 for g in states], np.int64)
        state_track = np.array([g.last_track if g else -1 for g in states], np.int64)
        if (known & (start_s[firsts] < state_start)).any():
            return None, groups
        # latest end so far per group, one running max for all groups: each group offset above the last
        base = int(start_s.min())
        span = max(int(end_s.max()), int(state_end.max())) - base + 1
        if len(firsts) * span >= 2**62:
            return None, groups
        rank = np.cumsum(first) - 1
        offset = rank * span
        seed = end_s.copy()
        seed[firsts] = np.where(known, np.maximum(end_s[firsts], state_end), end_s[firsts])
        running = np.maximum.accumulate(seed - base + offset)
        before = np.empty(n, np.int64)  # latest end of the bars (and group state) before each bar
        before[1:] = running[:-1] - offset[1:] + base
        before[firsts] = np.where(known, state_end, np.iinfo(np.int64).min)
        overlaps = start_s < before
        index = np.arange(n)
        group_first = firsts[rank]
        restart = np.maximum.accumulate(np.where(overlaps, -1, index))
        track_s = np.where(restart >= group_first, index - restart, state_track[rank] + 1 + index - group_first)
        track = np.empty(n, np.int64)
        track[order] = track_s
        lasts = np.append(firsts[1:], n) - 1
        for k, last_start, running_end, last_track in zip(key_s[lasts].tolist(), start_s[lasts].tolist(),
                                                          (running[lasts] - offset[lasts] + base).tolist(), track_s[lasts].tolist()):
            groups[(k >> 32, k & 0xFFFFFFFF)] = Group(last_start, running_end, last_track)
        return track, groups


def _lanes_of(cols: SpanColumns, g: WaterfallGeometry) -> dict[int, Lane]:
    """Each lane's first start, z, tracks and top, by service code (one trace)."""
    services = g.lanes[:, 1].astype(np.int64)
    size = int(services.max()) + 1
    first_start = np.full(size, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first_start, cols.service, cols.start_us)
    tracks = np.zeros(size, np.int64)
    np.maximum.at(tracks, cols.service, g.track + 1)
    top = np.full(size, -np.inf)
    np.maximum.at(top, cols.service, g.y)
    return {service: Lane(int(first_start[service]), z, int(tracks[service]), float(top[service]))
            for service, z in zip(services.tolist(), g.lanes[:, 2].tolist())}


def _groups_of(cols: SpanColumns, track: np.ndarray, start: np.ndarray, end: np.ndarray) -> dict[tuple[int, int], Group]:
    """Where the track assignment left each (lane, depth) group: its last bar in (start, row)
    order, that bar's track and the group's latest end (at least start + 1)."""
    depths = int(cols.depth.max()) + 1
    keys, group = unique_ints(cols.service.astype(np.int64) * depths + cols.depth)  # dense keys: a table lookup
    last_start = np.full(len(keys), np.iinfo(np.int64).min, np.int64)
    np.maximum.at(last_start, group, start)
    last_row = np.full(len(keys), -1, np.int64)
    at_last = np.flatnonzero(start == last_start[group])
    np.maximum.at(last_row, group[at_last], at_last)
    running_end = np.full(len(keys), np.iinfo(np.int64).min, np.int64)
    np.maximum.at(running_end, group, np.maximum(end, start + 1))
    return {(k // depths, k % depths): Group(s, e, t)
            for k, s, e, t in zip(keys.tolist(), last_start.tolist(), running_end.tolist(), track[last_row].tolist())}


class Tail:
    """A column that grows at its end, in place (its capacity doubles), so adding k rows copies
    O(k), not the column. `view` is its rows so far; growing never moves rows already there."""

    def __init__(self, values: np.ndarray) -> None:
        self._data = values
        self._n = len(values)

    def __len__(self) -> int:
        return self._n

    @property
    def view(self) -> np.ndarray:
        return self._data[: self._n]

    def extend(self, more: np.ndarray) -> np.ndarray:
        """Append `more`; returns the new view."""
        need = self._n + len(more)
        if need > len(self._data):
            grown = np.empty((max(need, 2 * len(self._data)), *self._data.shape[1:]), self._data.dtype)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = more
        self._n = need
        return self.view


def lane_width(tracks: int, p: WaterfallParams) -> float:
    """Metres a lane takes along z, as the full layout spaces lanes."""
    return float(next_power_of_two(np.array([tracks]))[0] * p.track_gap + p.lane_gap)
