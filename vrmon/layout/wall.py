"""Trace wall: the most recent traces, each a compact waterfall panel, on a curved wall around you.

Panels are ordered newest first: the newest at eye level straight ahead, then alternating right
and left around the circle, in `rows` levels. Each panel is turned to face the centre, so bars
carry a yaw. All traces are laid out in one vectorised waterfall pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vrmon.layout.nodes import Label, Layout, Nodes, bounds_of
from vrmon.layout.palette import DEFAULT_SERVICE_COLORS
from vrmon.layout.waterfall import SpanColumns, WaterfallParams, geometry_nodes, waterfall_geometry


@dataclass(frozen=True)
class WallParams:
    traces: float = 48  # how many recent traces the wall shows (at most what fits around the room)
    rows: float = 3  # panels stacked vertically
    radius: float = 6.0  # metres from the centre of the room to the wall
    panel_width: float = 3.0
    panel_gap: float = 0.4
    panel_height: float = 1.0  # a panel's deepest row to its root
    row_gap: float = 0.35
    eye_height: float = 1.5  # centre of the middle row
    bar_height: float = 0.08
    bar_depth: float = 0.04
    lane_gap: float = 0.1
    track_gap: float = 0.05
    min_bar: float = 0.01
    service_colors: tuple[str, ...] = DEFAULT_SERVICE_COLORS


def recent_traces(trace_start: np.ndarray, count: int) -> np.ndarray:
    """Trace codes of the `count` newest traces, newest first (ties: later code first)."""
    order = np.lexsort((-np.arange(len(trace_start)), -trace_start))
    return order[:count]


def wall_capacity(p: WallParams) -> int:
    """Panels shown: `traces`, but never more than fit once around the room."""
    fit = int(p.rows) * max(1, int(2 * np.pi * p.radius // (p.panel_width + p.panel_gap)))
    return min(int(p.traces), fit)


def wall_layout(store, p: WallParams) -> Layout:
    summaries = store.trace_summaries()
    live = np.flatnonzero(summaries["spans"] > 0)
    chosen = live[recent_traces(summaries["start_us"][live], wall_capacity(p))]
    if not len(chosen):
        return Layout(nodes=Nodes.empty())
    rows = np.flatnonzero(np.isin(store.trace, chosen))
    cols = SpanColumns.from_store(store, rows)
    wp = WaterfallParams(width=p.panel_width, row_height=1.0, bar_height=p.bar_height, bar_depth=p.bar_depth,
                         lane_gap=p.lane_gap, track_gap=p.track_gap, min_bar=p.min_bar, floor=0.0,
                         service_colors=p.service_colors)
    g = waterfall_geometry(cols, wp)
    # squeeze each panel's rows into panel_height, whatever the trace's depth
    row_h = np.minimum(0.12, p.panel_height / np.maximum(g.max_depth, 1).astype(np.float64))
    g = replace(g, y=(g.max_depth[g.trace_index] - cols.depth) * row_h[g.trace_index])

    # slot of each dense trace: rank by recency among the chosen
    rank = np.empty(len(chosen), np.int64)
    rank[np.searchsorted(g.traces, chosen)] = np.arange(len(chosen))
    slot = rank[g.trace_index]
    level = slot % int(p.rows)
    column = slot // int(p.rows)
    signed = np.where(column % 2 == 1, (column + 1) // 2, -(column // 2))  # 0, +1, -1, +2, ...
    step = (p.panel_width + p.panel_gap) / p.radius
    theta = signed * step
    level_y = np.array([0.0, 1.0, -1.0])[level % 3] * (p.panel_height + p.row_gap) + (level // 3) * (p.panel_height + p.row_gap)
    base_y = p.eye_height - p.panel_height / 2 + level_y
    # panel-local x runs along the wall; yaw = -theta turns the panel to face the centre
    half = p.panel_width / 2
    nodes = geometry_nodes(cols, replace(g, x0=g.x0 - half), wp, x_offset=p.radius * np.sin(theta),
                           z_offset=-p.radius * np.cos(theta), y_offset=np.maximum(base_y, 0.05), yaw=-theta)
    labels = _panel_titles(store, chosen, p, step)
    return Layout(nodes=nodes, labels=labels, bounds=bounds_of(nodes))


def _panel_titles(store, chosen: np.ndarray, p: WallParams, step: float) -> list[Label]:
    summaries = store.trace_summaries()
    labels = []
    for slot, trace in enumerate(chosen[: 3 * int(p.rows)]):  # titles for the panels nearest the front only
        column, level = divmod(slot, int(p.rows))
        theta = ((column + 1) // 2 if column % 2 else -(column // 2)) * step
        y = p.eye_height + p.panel_height / 2 + 0.12 + [0.0, 1.0, -1.0][level % 3] * (p.panel_height + p.row_gap)
        r = p.radius - 0.1
        name = f"{store.services.names[summaries['root_service'][trace]]}: {store.operations.names[summaries['root_operation'][trace]]}"
        labels.append(Label(name, (r * np.sin(theta), y, -r * np.cos(theta)), "title"))
    return labels
