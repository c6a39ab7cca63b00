"""Trace wall: the most recent traces, each a compact waterfall panel, on a curved wall around you.

The wall shows one page of traces at a time, newest first: page 0 holds the `traces` newest,
page 1 the next ones, and so on. A page's panels stand in columns of `rows` panels: the newest
column straight ahead, then alternating right and left around the circle. Within a column the
panels are stacked top to bottom by their real heights (a shallow trace takes less room than a
deep one), each with its title above it, and the column is centred on eye height (never below
the floor). A page that would be far wider than tall (one trace, or a few shallow ones) has its
rows and bars stretched upright until it has the shape of a screen (`page_shape`), so a single
trace fills the view as a big panel instead of a thin strip under its title. Each panel is
turned towards the centre (by `facing`), so bars carry a yaw. All traces of a page are laid out
in one vectorised waterfall pass; each panel's time axis runs from its trace's start to its end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vrmon.layout.nodes import Label, Layout, Nodes, bounds_of
from vrmon.layout.palette import DEFAULT_SERVICE_COLORS
from vrmon.layout.preset_param import param
from vrmon.layout.waterfall import SpanColumns, WaterfallParams, bar_x, geometry_nodes, waterfall_geometry
from vrmon.model.flags import SpanFlag

# Panel titles are drawn by the client (static/js/scene/scene-labels.js) `title_height` metres
# tall; at that height one character of its font is about this many title heights wide.
TITLE_CHAR_WIDTH = 0.5
FLOOR_CLEARANCE = 0.1  # metres between the floor and the lowest panel
# Metres between a panel's top bar and its title: seen on a flat screen the curved wall's panel
# edges rise towards the sides of the view, and must not reach the title's baseline.
TITLE_GAP = 0.12
# Error markers as static/js/scene/span-instances.js draws them above a bar: 3 radii of
# min(MARKER_RADIUS, MARKER_SHARE × the bar's height) over its top. A panel with error spans keeps
# its title above them (a stretched page's markers are as tall as a title).
MARKER_RADIUS = 0.13
MARKER_SHARE = 0.6
# Metres a panel reaches into the wall at most: a big trace's lanes and overlap tracks are packed
# closer instead (20k spans over 40 services ran 30 m into the distance, framed as a thin strip
# at 24 % of the view with 39 % of its bars under 2 px; 400 spans, 6 m).
MAX_PANEL_DEPTH = 1.0


@dataclass(frozen=True)
class WallParams:
    traces: int = param(12, "panels per page (at most what fits once around the room)")
    rows: int = param(4, "panels stacked in a column, packed by their real heights")
    radius: float = param(6.0, "metres from the centre of the room to the wall")
    panel_width: float = param(2.8, "metres: a panel's width")
    panel_gap: float = param(0.3, "metres between columns")
    panel_height: float = param(1.0, "metres: most a panel's bars take from its deepest row to its root")
    row_gap: float = param(0.2, "metres between a panel and the title of the one below")
    eye_height: float = param(1.6, "metres: a column's centre, unless that would put it below the floor")
    title_height: float = param(0.22, "metres of title text above each panel (the client draws titles this tall)")
    # How far each panel turns towards the room's centre: 1 faces it squarely (best when you
    # stand there and turn your head), 0 faces straight ahead (best on a flat screen, where a
    # turned panel's bars slant across its neighbours' titles); in between, some of each.
    facing: float = param(0.5,
                          "how far panels turn towards the room's centre: 1 squarely (in a headset), 0 straight ahead (flat screens)")
    page_shape: float = param(0.5, "a page less tall than this share of its width stretches its rows and bars upright to it (a few traces fill a screen); one column taller than that widens its panels to it")
    bar_height: float = param(0.08, "metres: a bar's height (more on a stretched page)")
    bar_depth: float = param(0.04, "metres: a bar's thickness, front to back")
    lane_gap: float = param(0.02, "metres between service lanes (panels stay shallow: lanes stack into the wall)")
    track_gap: float = param(0.042, "metres between bars of one lane and depth that overlap in time")
    min_bar: float = param(0.035, "metres: the shortest bar drawn (2 px or more from the desktop's default view)")
    max_panel_spans: int = param(20_000, "spans a panel draws at most: a bigger trace shows its calls down to the deepest level "
                                         "that keeps within it, and its title says how many levels (the waterfall shows them all)")
    service_colors: tuple[str, ...] = param(DEFAULT_SERVICE_COLORS,
                                            "colours services take in order of first appearance (the same in every scene)")


def recent_traces(trace_start: np.ndarray, count: int) -> np.ndarray:
    """Trace codes of the `count` newest traces, newest first (ties: later code first)."""
    order = np.lexsort((-np.arange(len(trace_start)), -trace_start))
    return order[:count]


def column_step(p: WallParams) -> float:
    """Radians between columns: a turned panel's edge comes nearer its neighbour's, so columns
    are spaced by the chord a panel and its gap need."""
    return 2 * float(np.arcsin(min(1.0, (p.panel_width + p.panel_gap) / (2 * p.radius))))


def wall_capacity(p: WallParams) -> int:
    """Panels on a page: `traces`, but never more than fit once around the room."""
    fit = max(1, int(p.rows)) * max(1, int(2 * np.pi // column_step(p)))
    return max(1, min(int(p.traces), fit))


def wall_pages(store, p: WallParams) -> int:
    """Pages the traces held fill (at least one, which may be empty)."""
    live = int(np.count_nonzero(store.trace_summaries()["spans"] > 0))
    return max(1, -(-live // wall_capacity(p)))


def page_traces(store, p: WallParams, page: int) -> np.ndarray:
    """Trace codes on `page` (clamped to the last page), newest first."""
    summaries = store.trace_summaries()
    live = np.flatnonzero(summaries["spans"] > 0)
    per_page = wall_capacity(p)
    page = min(max(page, 0), wall_pages(store, p) - 1)
    newest = live[recent_traces(summaries["start_us"][live], (page + 1) * per_page)]
    return newest[page * per_page:]


@dataclass(frozen=True)
class PanelPlaces:
    """Where each panel of a page goes, per dense trace index (the order of `chosen`)."""

    theta: np.ndarray  # azimuth of the panel's centre, radians clockwise from straight ahead (−z)
    base_y: np.ndarray  # height of the centre of the panel's deepest row
    top_y: np.ndarray  # height of the top of the panel's bars (its title sits above)
    title_gap: np.ndarray  # metres from there up to the title's foot
    row_h: np.ndarray  # metres between the panel's call depths
    bar_height: float  # metres: the page's bars' height (p.bar_height, stretched with the rows)
    panel_width: float  # metres: the page's panels' width (p.panel_width, widened for a tall column)


def column_azimuths(n_columns: int, p: WallParams) -> np.ndarray:
    """Radians from straight ahead of each column: the newest ahead, then right, left, right, …"""
    column = np.arange(n_columns)
    return np.where(column % 2 == 1, (column + 1) // 2, -(column // 2)) * column_step(p)


def title_gaps(error_depth: np.ndarray, row_h: np.ndarray, bar_height: float) -> np.ndarray:
    """Metres between each panel's top bar and its title: TITLE_GAP, or what error markers reach
    above the top bar (and a little more) where a panel's highest error span (at call depth
    `error_depth`, inf for none) is near enough the top for them to rise past it."""
    reach = 3 * min(MARKER_RADIUS, MARKER_SHARE * bar_height) + 0.02
    return np.maximum(TITLE_GAP, reach - error_depth * row_h)


def page_stretch(bars: np.ndarray, column: np.ndarray, gaps: np.ndarray, p: WallParams) -> float:
    """How much a page's bars (`bars` metres tall per panel, stacked in `column`s, `gaps` metres
    under their titles) are stretched upright so the page is at least `page_shape` as tall as it
    is wide: 1 for a full page, more for a few shallow traces (one span alone: a bar as tall as the
    page's shape allows)."""
    n_columns = int(column.max()) + 1
    theta = np.clip(column_azimuths(n_columns, p), -np.pi / 2, np.pi / 2)
    width = p.radius * float(np.ptp(np.sin(theta))) + p.panel_width
    fixed = np.bincount(column, weights=p.title_height + gaps + p.row_gap, minlength=n_columns) - p.row_gap
    stretchy = np.bincount(column, weights=bars, minlength=n_columns)
    # the tallest column sets the page's height; stretch it (titles and gaps stay) to the shape
    tallest = int(np.argmax(fixed + stretchy))
    wanted = p.page_shape * width - fixed[tallest]
    return float(max(1.0, wanted / max(float(stretchy[tallest]), 1e-6)))


def place_panels(max_depth: np.ndarray, error_depth: np.ndarray, p: WallParams) -> PanelPlaces:
    """Columns of `rows` panels (`error_depth`: each one's highest call depth with an error span,
    inf for none), stacked by their real heights (stretched on a page that would be a thin strip:
    see `page_stretch`; widened when a single column would be a tall tower: see `page_width`)."""
    n = len(max_depth)
    rows = max(1, int(p.rows))
    column = np.arange(n) // rows
    row_h = np.minimum(0.12, p.panel_height / np.maximum(max_depth, 1).astype(np.float64))
    bars = max_depth * row_h + p.bar_height  # the bars' real height, root to deepest row
    stretch, gap = 1.0, np.full(n, TITLE_GAP)
    for _ in range(2 if n else 0):
        # a title lifted over error markers takes its room from the bars (the page keeps its
        # shape, so it still fits the view); how high depends on the stretched bars: twice is enough
        stretch = page_stretch(bars, column, gap, p)
        gap = title_gaps(error_depth, row_h * stretch, p.bar_height * stretch)
    row_h, bars, bar_height = row_h * stretch, bars * stretch, p.bar_height * stretch
    title = p.title_height + gap
    slot = bars + title + p.row_gap  # a panel, its title and the gap below it
    n_columns = int(column[-1]) + 1 if n else 0
    first = np.arange(n_columns) * rows
    # height used above each panel within its column, by a cumulative sum restarted per column
    cum = np.cumsum(slot) - slot
    above = cum - cum[first][column]
    column_height = np.add.reduceat(slot, first) - p.row_gap if n else np.empty(0)
    top = np.maximum(p.eye_height + column_height / 2, FLOOR_CLEARANCE + column_height)
    top_y = top[column] - above - title  # the top of the panel's bars, under its title
    return PanelPlaces(theta=column_azimuths(n_columns, p)[column], base_y=top_y - bars + bar_height / 2, top_y=top_y,
                       title_gap=gap, row_h=row_h, bar_height=bar_height,
                       panel_width=page_width(column_height, p) if stretch == 1.0 else p.panel_width)


def page_width(column_height: np.ndarray, p: WallParams) -> float:
    """The panels' width: `panel_width`, or for an unstretched page of one column taller than
    `page_shape` of that (a few traces stacked, their titles taking most of the height), as wide
    as makes it that shape: a tower framed on a screen would leave most of the view's width empty."""
    if len(column_height) != 1:
        return p.panel_width  # columns side by side: wide already, and wider panels would shrink the titles
    return max(p.panel_width, float(column_height[0]) / p.page_shape)


def wall_layout(store, p: WallParams, page: int = 0) -> Layout:
    chosen = page_traces(store, p, page)
    if not len(chosen):
        return Layout(nodes=Nodes.empty())
    rows, levels = _top_levels(store, np.flatnonzero(np.isin(store.trace, chosen)), p.max_panel_spans)
    cols = SpanColumns.from_store(store, rows)
    wp = WaterfallParams(width=p.panel_width, row_height=1.0, bar_height=p.bar_height, bar_depth=p.bar_depth,
                         lane_gap=p.lane_gap, track_gap=p.track_gap, min_bar=p.min_bar, floor=0.0,
                         service_colors=p.service_colors)
    g = waterfall_geometry(cols, wp)
    # dense trace index → rank by recency among the chosen
    rank = np.empty(len(chosen), np.int64)
    rank[np.searchsorted(g.traces, chosen)] = np.arange(len(chosen))
    errors = (cols.flags & SpanFlag.ERROR) > 0
    error_depth = np.full(len(g.traces), np.inf)
    np.minimum.at(error_depth, g.trace_index[errors], cols.depth[errors])
    by_rank = np.argsort(rank)
    places = place_panels(g.max_depth[by_rank], error_depth[by_rank], p)
    slot = rank[g.trace_index]
    p = replace(p, panel_width=places.panel_width)
    wp = replace(wp, bar_height=places.bar_height, width=places.panel_width)
    # each panel's rows squeezed into panel_height whatever the trace's depth, root on top
    g = replace(g, y=(g.max_depth[g.trace_index] - cols.depth) * places.row_h[slot], z=_shallow(g), **_whole_width(cols, g, wp))
    theta = places.theta[slot]
    # panel-local x runs along the panel; yaw = -theta would turn it to face the centre
    half = p.panel_width / 2
    nodes = geometry_nodes(cols, replace(g, x0=g.x0 - half), wp, x_offset=p.radius * np.sin(theta),
                           z_offset=-p.radius * np.cos(theta), y_offset=places.base_y[slot], yaw=-theta * p.facing)
    labels = _panel_titles(store, chosen, places, p, levels)
    bounds = bounds_of(nodes)
    return Layout(nodes=nodes, labels=labels, bounds=bounds, frame=_page_frame(bounds, places, p))


def _top_levels(store, rows: np.ndarray, most: int) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
    """`rows` (spans of the page's traces) less the calls of a trace of more than `most` spans below
    the deepest level that keeps it within `most` (its root level at least): a 1M-span trace drew
    a million bars on its panel, more than a browser draws in a frame. Also, per trace cut so,
    (levels kept, levels it has)."""
    trace, depth = store.trace[rows], store.depth[rows].astype(np.int64)
    codes, t = np.unique(trace, return_inverse=True)
    if not len(rows) or np.bincount(t).max() <= most:
        return rows, {}
    counts = np.zeros((len(codes), int(depth.max()) + 1), np.int64)
    np.add.at(counts, (t, depth), 1)
    cum = counts.cumsum(axis=1)
    deepest = np.maximum((cum <= most).sum(axis=1) - 1, 0)  # per trace: the deepest level kept
    levels = (counts > 0).sum(axis=1)
    cut = np.flatnonzero(deepest + 1 < levels)
    return rows[depth <= deepest[t]], {int(codes[k]): (int(deepest[k]) + 1, int(levels[k])) for k in cut}


def _shallow(g) -> np.ndarray:
    """Each bar's z in its panel (0 at the front, negative into the wall), each panel's squeezed to
    reach MAX_PANEL_DEPTH at most."""
    depth = np.zeros(len(g.traces))
    np.maximum.at(depth, g.trace_index, -g.z)
    return g.z * np.minimum(1.0, MAX_PANEL_DEPTH / np.maximum(depth, 1e-9))[g.trace_index]


def _whole_width(cols: SpanColumns, g, wp: WaterfallParams) -> dict[str, np.ndarray]:
    """x0 and length of bars with each panel's time axis its trace's own extent, end to end. The
    waterfall rounds the axis up to a power of two so a growing trace keeps still; on the wall
    every panel moves anyway when a trace arrives, and the rounding would leave up to half a
    panel empty beside its title (and the camera framing that empty half). A trace whose spans
    all start and end at one instant has no axis: its bars run across the panel, as the
    waterfall draws them (not slivers at its left end)."""
    duration = np.maximum(cols.duration_us, 0)
    extent = np.zeros(len(g.traces), np.int64)
    np.maximum.at(extent, g.trace_index, cols.start_us + duration - g.t0[g.trace_index])
    x0, length = bar_x(cols.start_us, duration, g.t0[g.trace_index], np.maximum(extent, 1)[g.trace_index], wp)
    instant = extent[g.trace_index] == 0
    return {"x0": np.where(instant, 0.0, x0), "length": np.where(instant, wp.width, length)}


def _page_frame(bounds: tuple[float, ...], places: PanelPlaces, p: WallParams) -> tuple[float, ...]:
    """What the camera frames: the bars, and every panel's whole width (its title is cut to it)
    and title."""
    theta = places.theta
    yaw = theta * p.facing  # the panel's own x axis runs along (cos yaw, 0, sin yaw)
    ends = [(p.radius * np.sin(theta) + side * p.panel_width / 2 * np.cos(yaw),
             -p.radius * np.cos(theta) + side * p.panel_width / 2 * np.sin(yaw)) for side in (-1, 1)]
    x = np.concatenate([end[0] for end in ends])
    z = np.concatenate([end[1] for end in ends])
    # a title's letters reach title_height above its anchor, its gap over the panel's top bar
    top = float((places.top_y + places.title_gap + p.title_height).max())
    return (min(bounds[0], float(x.min())), bounds[1], min(bounds[2], float(z.min())),
            max(bounds[3], float(x.max())), max(bounds[4], top), max(bounds[5], float(z.max())))


def _panel_titles(store, chosen: np.ndarray, places: PanelPlaces, p: WallParams,
                  levels: dict[int, tuple[int, int]]) -> list[Label]:
    """A title above every panel, cut to the panel's width so neighbours' titles never meet; a
    panel cut to its top levels (`levels`: trace → levels kept, levels it has) says so at its end."""
    summaries = store.trace_summaries()
    most = max(4, int(p.panel_width / (p.title_height * TITLE_CHAR_WIDTH)))
    r = p.radius - 0.05
    labels = []
    for slot, trace in enumerate(chosen):
        service = store.services.names[summaries['root_service'][trace]]
        name, kept = f"{service}: {store.operations.names[summaries['root_operation'][trace]]}", ""
        if int(trace) in levels:  # its service, and how deep it is drawn (the operation would be cut anyway)
            name, kept = service, f" · {levels[int(trace)][0]} of {levels[int(trace)][1]} levels"
        room = max(4, most - len(kept))
        if len(name) > room:
            name = name[: room - 1].rstrip() + "…"
        name += kept
        theta = float(places.theta[slot])
        y = float(places.top_y[slot] + places.title_gap[slot])
        labels.append(Label(name, (r * np.sin(theta), y, -r * np.cos(theta)), "title"))
    return labels
