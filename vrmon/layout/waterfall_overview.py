"""One trace as a waterfall you see at once: x = time, one lane per service stacked top to bottom
(in the order the services first act), and inside a lane a row per call depth and overlap track.

The picture keeps the shape of a screen whatever the trace: lanes share `height` metres beside the
`width` metres of time, every lane keeps at least `lane_height` for its name, and subtrees too small
to see are folded into summary marks (waterfall_lod.py), so a million spans draw as a few thousand
marks. Lane names sit left of the bars, level with their lane; the time ruler runs under the lanes.
Everything is vectorised; the only per-item Python is one label per lane and per tick.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vrmon.layout.fold_threshold import fold_threshold, thresholds
from vrmon.layout.idle_time import TimeWarp, active_segments
from vrmon.layout.nodes import CRITICAL, NO_STRING, Label, Layout, Nodes, bounds_of, duration_code
from vrmon.layout.palette import palette_array
from vrmon.layout.sorting import unique_ints
from vrmon.layout.span_labels import free_stretch, least_pitch, right_end, shortened_in_the_middle, span_labels
from vrmon.layout.time_window import Axis, axis_of, clip_to, compress, drawn_in, expand
from vrmon.layout.trace_basis import TraceBases, TraceBasis, lanes_of, trace_basis
from vrmon.layout.tracks import Packing, pack_tracks, packed
from vrmon.layout.waterfall import WaterfallParams, format_duration, nice_step
from vrmon.layout.waterfall_lod import ERROR, SUMMARY_BASE, Cut, DetailLevel, Focus, Reaching, cut, extended_cut, raised_cut

LANE_GAP = 0.05  # of a lane's least height, between lanes
BAR_FILL = 0.8  # of a row's pitch, the bar's height
SPAN_BAR_FILL = 0.6  # of a row's pitch, the bar's height when each span has a row: room beside it for its label
SPAN_BAR_DEPTH = 0.4  # of its height, most a bar's depth when each span has a row
# of a lane's least height, the least a lane takes when each span has a row: a lane of one or two
# rows leaves its name room to grow to its visual angle in a headset (scene-labels.js growthRoom)
SPAN_LANE = 1.6
SUMMARY_FILL = 0.5  # of a row's pitch, a summary strip's height: across the lower part of its holder's bar
SUMMARY_DEPTH = 0.3  # of a bar's depth, how far a summary strip stands out in front of its holder's bar
LABEL_FONT = 0.96  # of a lane's least height, its name's font size (names a lane apart do not touch)
NAME_GAP = 1.2  # of a lane's least height, between a lane's name and the time the trace starts
LABEL_BOX = 76 / 56  # a label quad's height per font size (the client's atlas pads each line)
CHAR_WIDTH = 0.68  # widest average glyph width per font size (bold sans), to make room for the longest lane name
SUMMARY_ROWS = 8  # summaries that may take rows of their own (under their holders) when rows are few
FOLD_COLUMN_PX = 8  # pixels at the overview per column of a summary row's histogram of the starts it folds
FOLD_COLUMNS = 64  # most columns of one summary row's histogram
FOLD_BAND = 0.35  # of its service's colour, the brightness of a summary row under its histogram (a backdrop, not a slab)
FOLD_LABEL_ROOM = 2.0  # of a lane's least height, the least row pitch at which a summary's row is labelled with its count
FOLD_FONT = 0.85  # of a lane name's font size, a summary row's count
# Most characters of a lane's name: a longer one is shortened in the middle (the legend and the
# tooltips say it whole): 60-character names took half a 1280 px view, the marks 19 % of it, names 10 px tall.
LANE_NAME_CHARS = 24
# of a lane's least height, the ruler's letters (ticks, breaks): ≥ 12 px at 1280×720 where lane names are ≥ 13 px
RULER_FONT = 0.9
# width over height of a lone span's picture (its bar, lane name and ruler): the part of a 16:9 view
# the top and bottom bars leave free (2.2 at 1280×720), a little wider. A picture of a screen's shape
# (16:9, the bar filling 44 % of it) was framed by its width: beside an open trace list, a quarter
# of the width, it kept 26-29 % of the canvas.
LONE_ASPECT = 2.4
WHOLE_TRACE = 500  # spans a trace may have and still be drawn whole when its rows fit


@dataclass
class Overview:
    layout: Layout
    frame: tuple[float, ...]  # min xyz, max xyz of what a camera frames: the marks, lane names and ruler
    rows: np.ndarray  # store rows of the trace, ascending
    cut: Cut  # which of them are bars and which are folded into summaries
    warp: TimeWarp  # the time axis, with its compressed idle stretches
    axis: Axis  # the stretch of it the picture's width shows (all of it unless zoomed)
    strip: dict | None = None  # the whole trace for the overview strip: {services, bins, density}
    basis: int = -1  # the serial of the trace's basis it was laid out from
    fold_us: float = 0.0  # the fold's threshold: subtrees shorter than this are summaries
    packing: Packing | None = None  # the bars' tracks in their lanes, to carry on as the trace grows
    folds: list[dict] | None = None  # per summary on a row of its own, the histogram drawn on it (fold_histograms)
    focus: Focus | None = None  # the time refined in front of a headset viewer, and the fold that holds elsewhere


def overview_layout(store, trace: int | None, p: WaterfallParams, detail: DetailLevel = DetailLevel(),
                    bases: TraceBases | None = None, previous: Overview | None = None) -> Overview:
    """The view of `trace` that `detail` asks for; `bases` keeps what the trace's views share.
    `previous`, the same view before the trace grew, lets a live trace's fold grow with it."""
    overview_p, p = p, seen_nearer(p, detail.nearer)
    idle_gap = p.idle_gap if detail.idle else 0.0
    b = bases.get(trace, idle_gap) if bases is not None else trace_basis(store, trace, idle_gap)
    rows, cols, start, end, warp = b.rows, b.cols, b.start, b.end, b.warp
    n = len(rows)
    # the picture's width shows the whole trace, or the time window the viewer zoomed into
    axis = axis_of(warp, b.whole_us, detail.window)
    min_us = axis.span * p.min_bar / p.width
    # zoomed, only subtrees reaching into the window unfold: the rest stay in their holders' summaries
    # (a trace small enough for a row per span folds nothing: its rows stay where they were)
    within = Reaching(b.extent, axis.lo, axis.hi) if axis.zoomed and n > p.span_rows else None
    if previous is not None and axis.zoomed and len(previous.rows) <= p.span_rows < n:
        previous = None  # its fold did not follow the window: it cannot be extended into one that does
    focus = focus_of(b, axis, detail, within, overview_p)
    within = focus if focus is not None else within
    # finer only in front of a headset viewer: a fold made with another criterion (the overview's
    # fold elsewhere moved as the trace grew) cannot be extended into this one
    previous_fold = previous if previous is not None and same_focus(previous.focus, focus) else None
    fold_us, c, unchecked = folded(b, axis, detail, within, min_us, p, previous_fold)
    before = previous.packing if previous is not None else None
    shown, held, item_start, item_end, packing = bars(b, axis, c, min_us, before)
    if unchecked and not fits(np.array([used for _, used, _ in packing.lanes.values()]), p):
        # the rows outgrew the threshold kept from before: look for it again
        fold_us, c, _ = folded(b, axis, detail, within, min_us, p, previous_fold, keep=False)
        shown, held, item_start, item_end, packing = bars(b, axis, c, min_us, before)
    # a summary is a strip across the front of its holder's bar, as long as what it holds lasts; where
    # rows are few (a fan-out of thousands of short calls under one span), a row of its own under it
    holders = c.holders[held]
    at = np.searchsorted(shown, holders)
    summary_start = c.start_us[held]
    summary_end = np.maximum(c.end_us[held], summary_start + min_us)
    if axis.zoomed:
        summary_start, summary_end = clip_to(axis, summary_start, summary_end, min_us)
    lane_service, lane_rank, item_lane = lanes_of(cols.service[shown], item_start)
    track, rows_in_lane, pitch, band = rows_of(item_lane, packing.track, len(lane_service), p)
    own_rows = False
    if 0 < len(held) <= SUMMARY_ROWS and pitch >= p.max_row:
        lane = np.concatenate([item_lane, item_lane[at]])
        more = rows_of(lane, pack_tracks(lane, np.concatenate([item_start, summary_start]), np.concatenate([item_end, summary_end])),
                       len(lane_service), p)
        own_rows = more[2] >= p.max_row  # the summaries' rows still leave every row its full height
        if own_rows:
            track, rows_in_lane, pitch, band = more
    # a small trace drawn whole: a row per span (as in Jaeger UI) when the rows leave room for their
    # labels; every lane and every span keeps its row whatever part of the trace a zoom shows
    span_rows = not len(held) and 0 < len(shown) and n <= p.span_rows
    if span_rows:
        every_service, every_rank, every_lane = lanes_of(cols.service, start)
        lane_rows = np.bincount(every_lane, minlength=len(every_service))  # by rank, as rows_of counts them
        each = (row_each(every_lane, start, cols.depth)[shown], lane_rows, *row_pitch(lane_rows, p, SPAN_LANE * p.lane_height))
        span_rows = each[2] >= least_pitch(p.lane_height)
        if span_rows:
            track, rows_in_lane, pitch, band = each
            lane_service, lane_rank, item_lane = every_service, every_rank, every_lane[shown]
    # spans that all start and end at one instant (zero-length spans): a trace without a time axis
    instant = span_rows and n > 0 and float(end.max()) <= float(start.min())
    if not n or not len(shown):
        return Overview(Layout(nodes=Nodes.empty()), (0.0,) * 6, rows, c, warp, axis, None, b.serial, fold_us, packing, focus=focus)

    gap = LANE_GAP * p.lane_height
    lane_top = p.floor + band.sum() + gap * (len(band) - 1) - np.concatenate([[0.0], np.cumsum(band + gap)[:-1]])
    lane_pitch = np.minimum(band / np.maximum(rows_in_lane, 1), pitch)
    inset = (band - rows_in_lane * lane_pitch) / 2  # a lane taller than its rows centres them
    row_y = lambda lane, t: lane_top[lane] - inset[lane] - (t + 0.5) * lane_pitch[lane]  # noqa: E731
    item_y = row_y(item_lane, track[:len(shown)])
    item_pitch = lane_pitch[item_lane]
    bar_height = item_pitch * BAR_FILL
    spread = lambda y: y  # noqa: E731
    if span_rows:
        # rows a readable label apart fill the picture, their bars stay bars (not slabs); the top
        # bar reaches the lanes' top and the lowest one their foot, so what is framed is drawn
        bar_height = np.minimum(item_pitch * SPAN_BAR_FILL, p.max_bar)
        if rows_in_lane.sum() == 1:  # a lone span is all there is to see: a bar that fills the free part of the view
            name = store.services.names[int(lane_service[0])]
            bar_height = np.full(len(shown), lone_bar(len(name), p))
        last = len(band) - 1  # the lanes' first row and last row, whether or not a zoom shows bars there
        ends = row_y(np.array([0, last]), np.array([0, rows_in_lane[last] - 1]))
        spread = spread_rows(ends, float(bar_height.max()), p.floor, float(lane_top[0]))
        item_y = spread(item_y)
    if own_rows:
        summary_y = row_y(item_lane[at], track[len(shown):])
        summary_height = item_pitch[at] * BAR_FILL
        summary_z, summary_depth = 0.0, p.bar_depth
    else:
        summary_y = item_y[at] - item_pitch[at] * (BAR_FILL - SUMMARY_FILL) / 2
        summary_height = item_pitch[at] * SUMMARY_FILL
        summary_z, summary_depth = p.bar_depth * (1 + SUMMARY_DEPTH) / 4, p.bar_depth * (1 + SUMMARY_DEPTH) / 2
    critical = b.critical
    scale = p.width / axis.span
    x0 = (np.concatenate([item_start, summary_start]) - axis.lo) * scale - p.width / 2
    length = (np.concatenate([item_end, summary_end]) - np.concatenate([item_start, summary_start])) * scale
    if span_rows:  # a short call is long enough to see (and kept inside the picture's right edge)
        length = np.maximum(length, p.min_span_bar)
        x0 = np.minimum(x0, p.width / 2 - length)
    if instant:  # every span lasts the whole trace: all of the axis, not a sliver at its start
        x0, length = np.full(len(x0), -p.width / 2), np.full(len(x0), p.width)
    y = np.concatenate([item_y, summary_y])
    height = np.concatenate([bar_height, summary_height])
    z = np.concatenate([np.zeros(len(shown)), np.full(len(holders), summary_z)])
    # a row's bar seen from above or below shows its top or bottom face: shallow bars keep a row's faces out of the next row's label
    bar_depth = np.minimum(p.bar_depth, SPAN_BAR_DEPTH * bar_height) if span_rows else np.full(len(shown), p.bar_depth)
    depth = np.concatenate([bar_depth, np.full(len(holders), summary_depth)])
    service = np.concatenate([cols.service[shown], c.service[held]]).astype(np.int64)
    palette = palette_array(p.service_colors)
    nodes = Nodes(
        ids=np.concatenate([cols.ids[shown], SUMMARY_BASE + cols.ids[holders]]).astype(np.uint32),
        pos=np.stack([x0 + length / 2, y, z], axis=1).astype(np.float32),
        size=np.stack([length, height, depth], axis=1).astype(np.float32),
        color=summary_bands(np.take(palette, service % len(palette), axis=0), len(shown) if own_rows else len(service)),
        service=service.astype(np.uint16),
        operation=np.concatenate([cols.operation[shown], np.full(len(holders), NO_STRING)]).astype(np.uint16),
        flags=np.concatenate([cols.flags[shown] | np.where(critical[shown], CRITICAL, 0),
                              np.where(c.errors[held] > 0, ERROR, 0)]).astype(np.uint8),
        yaw=np.zeros(len(x0), np.int16),
        duration=duration_code(np.concatenate([cols.duration_us[shown],
                                               warp.unwarp(c.end_us[held]) - warp.unwarp(c.start_us[held])])),
    )
    names = store.services.names
    # every name the same size (a lane's least height), level with its lane's top rows, and a
    # clear gap before the bars so it never reads as one with them
    font = LABEL_FONT * p.lane_height
    label_x = -p.width / 2 - NAME_GAP * p.lane_height
    # level with the lane's first row when rows are a name's height apart or more, else at its top
    label_y = spread(np.where(lane_pitch >= p.lane_height, lane_top - inset - lane_pitch / 2, lane_top - p.lane_height / 2))
    labels = [Label(shortened_in_the_middle(names[int(s)], LANE_NAME_CHARS), (label_x, float(y), p.bar_depth), "lane",
                    font * LABEL_BOX, service=int(s)) for s, y in zip(lane_service[np.argsort(lane_rank)], label_y)]
    if own_rows:  # a summary's row says how many calls it folds, in the names' column below its lane's name
        named = (track[len(shown):] > 0) & (item_pitch[at] >= FOLD_LABEL_ROOM * p.lane_height)
        labels += [Label(f"{int(k):,} calls" + (f" · {int(m)} services" if m > 1 else ""), (label_x, float(y), p.bar_depth), "fold",
                         FOLD_FONT * font * LABEL_BOX) for k, m, y in zip(c.count[held][named], c.services[held][named], summary_y[named])]
    # operation and duration on (or beside) the bars that hold them, in their rows' free stretches
    # (summaries on rows of their own are in the way too); not on a bar a summary strip crosses
    ends = x0 + length
    row = item_lane * (int(track.max()) + 1) + track[:len(shown)]
    if own_rows:
        row = np.concatenate([row, item_lane[at] * (int(track.max()) + 1) + track[len(shown):]])
    free = free_stretch(row, x0[:len(row)], ends[:len(row)], (-p.width / 2, p.width / 2))
    bar_labels = span_labels(cols.ids[shown], x0[:len(shown)], ends[:len(shown)], item_y, bar_height, item_pitch, cols.operation[shown],
                             store.operations.names, cols.duration_us[shown], row[:len(shown)], (free[0][:len(shown)], free[1][:len(shown)]),
                             p.lane_height, p.bar_depth, None if own_rows else ~np.isin(shown, holders))
    labels += bar_labels
    ruler_y = p.floor - gap - p.lane_height * LABEL_BOX
    ruler_labels = ruler(warp, axis, p, ruler_y, p.lane_height * RULER_FONT * LABEL_BOX)
    if instant:  # no time passes: one tick says when (its start), not a scale of 1 µs the bars do not have
        ruler_labels = ruler_labels[:1]
    labels += ruler_labels
    bounds = bounds_of(nodes)
    name_room = max(len(label.text) for label in labels if label.kind in ("lane", "fold")) * CHAR_WIDTH * font
    # the top lane's name reaches above its bars when they are thinner than its letters
    top = max(bounds[4], float(label_y.max()) + font / 2) if len(label_y) else bounds[4]
    # a tick or a break's length, centred on its time, can reach past the last bar's end
    tick_char = CHAR_WIDTH * p.lane_height * RULER_FONT
    # (and a span's label beside its bar, past the last bar's end)
    right = max([bounds[3]] + [label.pos[0] + len(label.text) * tick_char / 2 for label in ruler_labels]
                + [right_end(label) for label in bar_labels])
    # ticks stand on the ruler's line, a break's length hangs under it (the client anchors them at their foot)
    bottom = min([ruler_y] + [label.pos[1] for label in ruler_labels])
    frame = (label_x - name_room - 0.3 * p.lane_height, bottom, bounds[2], right, top, bounds[5])
    folds = fold_histograms(b, c, held, summary_start, summary_end, axis, p) if own_rows else None
    return Overview(Layout(nodes=nodes, labels=labels, bounds=bounds), frame, rows, c, warp, axis, b.strip, b.serial, fold_us, packing,
                    folds, focus)


def summary_bands(color: np.ndarray, first: int) -> np.ndarray:
    """`color` with the marks from `first` on (summaries on rows of their own) dimmed to FOLD_BAND:
    the band a summary row's histogram stands on, its extent and the place to click."""
    color[first:] = (color[first:] * FOLD_BAND).astype(np.uint8)
    return color


def fold_histograms(b: TraceBasis, c: Cut, held: np.ndarray, lo: np.ndarray, hi: np.ndarray, axis: Axis, p: WaterfallParams
                    ) -> list[dict]:
    """Per summary on a row of its own (at most SUMMARY_ROWS): its node id, and how many of the
    calls it folds start in each slice of its extent (`lo` to `hi`, compressed µs as drawn), a column
    per FOLD_COLUMN_PX at the overview, as uint8 of the busiest column (0: none, else ≥ 1): a fan-out
    of 2,000 calls reads as calls spread over time, not as a solid block."""
    hidden = np.flatnonzero(~c.shown)
    owner = c.owner[hidden]
    folds = []
    for k, holder in enumerate(c.holders[held]):
        columns = int(np.clip((hi[k] - lo[k]) / axis.span * p.overview_pixels / FOLD_COLUMN_PX, 1, FOLD_COLUMNS))
        counts = np.histogram(b.start[hidden[owner == holder]], bins=columns, range=(float(lo[k]), float(hi[k])))[0]
        top = max(int(counts.max()), 1)
        folds.append({"id": int(SUMMARY_BASE + b.cols.ids[holder]), "columns": np.ceil(counts / top * 255).astype(np.uint8).tobytes()})
    return folds


def lone_bar(name_chars: int, p: WaterfallParams) -> float:
    """Metres tall a trace's one bar is, so that with its lane's name (`name_chars` long) left of
    it, the ruler's last tick past its end, the ruler under it and the framing's margins, the
    picture has the shape LONE_ASPECT: it fills the free part of a screen's view, and beside an open
    trace list (framed by the width left) still covers ≥ 30 % of the canvas."""
    wide = p.width + (NAME_GAP + 2.3) * p.lane_height + name_chars * CHAR_WIDTH * LABEL_FONT * p.lane_height
    return wide / LONE_ASPECT - (LANE_GAP + LABEL_BOX + 1.2) * p.lane_height


def seen_nearer(p: WaterfallParams, steps: int) -> WaterfallParams:
    """The overview's least sizes for a viewer `steps` times twice as close as its distance: marks
    and rows that many times halved look as big as the overview's (level of detail that follows a
    headset viewer's distance, as a time zoom's follows the time shown). Names keep their size."""
    if not steps:
        return p
    k = 2.0 ** steps
    return replace(p, min_bar=p.min_bar / k, min_row=p.min_row / k, lod_pixels=p.lod_pixels / k)


def focus_of(b: TraceBasis, axis: Axis, detail: DetailLevel, within: Reaching | None, overview_p: WaterfallParams) -> Focus | None:
    """For a headset viewer standing near part of the picture (`detail.around`, the time in front
    of them), the fold that refines only there: the overview's (at `overview_p`) holds elsewhere.
    None when the whole picture is to be refined alike: no part asked for, or it holds all the time
    shown, or the viewer chose what to draw (folds by depth or everything are the same anywhere)."""
    if not detail.nearer or detail.around is None or detail.asked:
        return None
    lo, hi = (float(v) for v in compress(b.warp, np.array(detail.around, np.float64)))
    if lo <= axis.lo and hi >= axis.hi:
        return None
    outside_us = size_fold(b, axis, fold_candidates(b, axis, overview_p), within, axis.span * overview_p.min_bar / overview_p.width,
                           overview_p)
    return Focus(b.extent, lo, hi, outside_us, within)


def same_focus(a: Focus | None, b: Focus | None) -> bool:
    """Whether two views fold by the same criterion in front of the viewer (their windows aside)."""
    return (a is None) == (b is None) and (a is None or (a.lo, a.hi, a.outside_us) == (b.lo, b.hi, b.outside_us))


def fold_candidates(b: TraceBasis, axis: Axis, p: WaterfallParams, focus: Focus | None = None) -> list[float]:
    """The fold thresholds tried for `axis` at `p`'s sizes (a small trace first tries drawing
    everything); with a `focus`, none coarser than the overview's fold that holds outside it."""
    step = axis.span * p.lod_pixels / p.overview_pixels
    candidates = thresholds(0.0 if len(b.rows) <= WHOLE_TRACE else step, step, axis.span)
    if focus is None:
        return candidates
    return [t for t in candidates if t < focus.outside_us] + [focus.outside_us]


def size_fold(b: TraceBasis, axis: Axis, candidates: list[float], within: Reaching | Focus | None, min_us: float,
              p: WaterfallParams) -> float:
    """The first of `candidates` at which the fold by size's rows fit (fold_threshold)."""
    return fold_threshold(candidates, b.cols.parent, b.cols.service, b.start, b.end, b.extent,
                          within[:] if within is not None else None, axis, min_us, lambda rows: fits(rows, p))


def spread_rows(y: np.ndarray, bar: float, floor: float, top: float):
    """The map of heights that moves the highest of bars `bar` tall centred at `y` to reach `top`
    and the lowest to stand on `floor`, the rows between in proportion (one row: onto the floor)."""
    low, high = float(y.min()), float(y.max())
    stretch = (top - floor - bar) / (high - low) if high > low else 1.0
    return lambda heights: floor + bar / 2 + (heights - low) * stretch


def row_each(lane: np.ndarray, start: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """A row per bar in its lane, in the order the bars start (a caller before the calls it starts with)."""
    order = np.lexsort((depth, start, lane))
    in_order = lane[order]
    track = np.empty(len(lane), np.int64)
    track[order] = np.arange(len(lane)) - np.searchsorted(in_order, in_order)
    return track


def rows_of(lane: np.ndarray, track: np.ndarray, lanes: int, p: WaterfallParams) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(track per bar, rows per lane, pitch, lane heights) of bars on these tracks of `lanes` lanes."""
    rows_in_lane = np.zeros(lanes, np.int64)
    np.maximum.at(rows_in_lane, lane, track + 1)
    return (track, rows_in_lane, *row_pitch(rows_in_lane, p))


def folded(b: TraceBasis, axis: Axis, detail: DetailLevel, within: Reaching | Focus | None, min_us: float, p: WaterfallParams,
           previous: Overview | None, keep: bool = True) -> tuple[float, Cut, bool]:
    """The fold's threshold and the fold. A small trace is drawn whole (short bars get `min_bar`)
    unless its rows would not fit; at the overview, rows too thin to see fold more: the threshold
    doubles until they fit. `previous`, the same view before the trace grew, is extended when it
    can be (its threshold kept when `keep`). The flag: the threshold was kept from `previous`, the
    caller still to check its rows fit."""
    cols, start, end = b.cols, b.start, b.end
    candidates = fold_candidates(b, axis, p, within if isinstance(within, Focus) else None)
    grown = previous is not None and b.widened is not None and previous.basis == b.extends and b.warp.same_as(previous.warp)
    # the fold of a window depends on where its edges are; unzoomed, the whole axis rescaling
    # (the trace grew past the next nice length) only moves the threshold
    same_window = grown and (previous.axis.lo, previous.axis.hi, previous.axis.zoomed) == (axis.lo, axis.hi, axis.zoomed)
    rescaled = grown and not axis.zoomed and not previous.axis.zoomed

    def extend(c: Cut, fold_us: float) -> Cut | None:
        return extended_cut(c, cols.ids, cols.parent, cols.service, cols.flags, start, end, cols.depth, b.extent,
                            fold_us, detail, within, b.widened)

    c = None
    if detail.asked:
        fold_us = candidates[0]
        # a fold by call depth, or everything, is the same at any scale
        if same_window or (rescaled and (detail.depth is not None or detail.everything)):
            c = extend(previous.cut, fold_us)
    else:
        if keep and same_window and previous.fold_us in candidates and (
                not axis.zoomed or window_rows_grow(b, axis, [t for t in candidates if t < previous.fold_us])):
            # a trace that only grew draws a superset of its bars at every threshold, so its rows
            # only grow: thresholds they did not fit at still do not, and the fold stays while they fit
            c = extend(previous.cut, previous.fold_us)
            if c is not None:
                return previous.fold_us, c, previous.fold_us != candidates[-1]
        fold_us = size_fold(b, axis, candidates, within, min_us, p)
        if (same_window or rescaled) and fold_us >= previous.fold_us:
            # a coarser fold of the same spans folds some bars more: from the bars, not every span
            c = extend(raised_cut(previous.cut, cols.parent, cols.service, cols.flags, start, end, b.extent, fold_us), fold_us)
    if c is None:
        c = cut(cols.ids, cols.parent, cols.service, cols.flags, start, end, cols.depth, b.levels, b.extent, fold_us, detail,
                within[:] if within is not None else None)
    return fold_us, c, False


def window_rows_grow(b: TraceBasis, axis: Axis, below: list[float]) -> bool:
    """Zoomed, whether a trace's growth leaves each threshold of `below` drawing what it drew and
    more (as unzoomed it always does). A span whose own bar lies outside the window is drawn for
    its summary reaching in; that summary lets go of a call it folded only when the call, an
    earlier span whose subtree widened, now passes the threshold: looked for among those few."""
    if not below or b.grew is None:
        return True
    spans = b.widened
    lo, hi = b.extent[0][spans], b.extent[1][spans]
    lo_before, hi_before = b.extent_before()
    # what fold_threshold looks at: spans long enough for the first threshold, reaching into the window
    looked_at = lambda lo, hi: (hi - lo >= below[0]) & (hi >= axis.lo) & (lo <= axis.hi)  # noqa: E731
    was_folded_below = ~looked_at(lo_before, hi_before) | (hi_before - lo_before < below[-1])
    return not ((b.cols.parent[spans] >= 0) & looked_at(lo, hi) & was_folded_below).any()


def bars(b: TraceBasis, axis: Axis, c: Cut, min_us: float, before: Packing | None
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Packing]:
    """What the fold draws (`drawn_in`), the bars' extents across the picture, and their tracks:
    packed per service (its lane), so a lane's rank moving leaves them as they were."""
    shown, held = drawn_in(axis, c, b.start, b.end, min_us)
    item_start, item_end = b.start[shown], np.maximum(b.end[shown], b.start[shown] + min_us)
    if axis.zoomed:
        item_start, item_end = clip_to(axis, item_start, item_end, min_us)
    return shown, held, item_start, item_end, packed(b.cols.service[shown], item_start, item_end, before)


def row_pitch(lane_rows: np.ndarray, p: WaterfallParams, least_lane: float | None = None) -> tuple[float, np.ndarray]:
    """The metres between rows and each lane's height: lanes of `rows × pitch`, at least
    `least_lane` (`lane_height` unless told), filling `height` (the pitch between `min_row` and
    `max_row`), and at least `min_fill` of it: a few rows beside the long time axis would be a thin
    strip, framed small."""
    rows = np.maximum(lane_rows, 1).astype(np.float64)
    least = p.lane_height if least_lane is None else least_lane
    if not len(rows):  # nothing drawn: no lanes to fill the height with
        return p.max_row, rows
    gaps = LANE_GAP * p.lane_height * (len(rows) - 1)
    room = p.height - gaps
    lanes = lambda pitch: np.maximum(rows * pitch, least).sum()  # noqa: E731
    fill = p.min_fill * p.height - gaps
    if not len(rows):  # nothing drawn yet
        return p.max_row, rows
    if lanes(p.max_row) > room:  # bisect the pitch that fills the room
        lo, hi = p.min_row, p.max_row
    elif lanes(p.max_row) < fill:  # bisect the pitch that fills min_fill of it
        lo, hi, room = p.max_row, max(p.max_row, fill / rows.sum()), fill
    else:
        return p.max_row, np.maximum(rows * p.max_row, least)
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if lanes(mid) <= room else (lo, mid)
    return lo, np.maximum(rows * lo, least)


def fits(lane_rows: np.ndarray, p: WaterfallParams) -> bool:
    """Whether the lanes fit `height` with rows `min_row` apart (or, when there are so many lanes
    that their names alone overflow it, whether every lane's rows fit its name's height)."""
    rows = np.maximum(lane_rows, 1)
    gaps = LANE_GAP * p.lane_height * (len(rows) - 1)
    return np.maximum(rows * p.min_row, p.lane_height).sum() + gaps <= max(p.height, len(rows) * p.lane_height + gaps)


def ruler(warp: TimeWarp, axis: Axis, p: WaterfallParams, y: float, size: float) -> list[Label]:
    """Tick labels at a 1-2-5 step (3 to 8 across the width, which shows `axis`) in true time from
    the trace's start, on each stretch between breaks; under each break, its true length. Labels
    never come closer than their text's width."""
    step = nice_step(axis.span / 8)
    x = lambda us: -p.width / 2 + (float(warp(np.array([us]))[0]) - axis.lo) / axis.span * p.width  # noqa: E731
    first_shown, last_shown = (float(v) for v in expand(warp, np.array([axis.lo, axis.hi])))
    char = CHAR_WIDTH * size / LABEL_BOX
    labels: list[Label] = []
    for first, last in active_segments(warp):
        woke = len(warp.breaks) > 0 and first > 0 and first >= first_shown
        first, last = max(first, first_shown), min(last, last_shown)
        if first > last:
            continue
        ticks = np.arange(np.ceil(first / step) * step, last + 1, step)
        if woke and (not len(ticks) or ticks[0] - first > step / 4):
            ticks = np.concatenate([[first], ticks])  # where the trace wakes up after a break
        for k, t in enumerate(ticks):
            label = Label(tick_text(float(t), step), (x(t), y, p.bar_depth), "tick", size)
            room = (len(label.text) + len(labels[-1].text)) / 2 * char + size if labels else 0.0
            if labels and label.pos[0] - labels[-1].pos[0] < max(p.width / 12, room):  # too close to read apart
                if not (woke and k == 0):
                    continue
                labels.pop()  # the time the trace wakes up matters more than the tick before the break
            labels.append(label)
    shown = warp.breaks[(warp.breaks[:, 1] >= first_shown) & (warp.breaks[:, 0] <= last_shown)]
    middle = -p.width / 2 + (warp(shown.mean(axis=1)) - axis.lo) / axis.span * p.width
    return labels + break_labels(shown, middle, char, y - size, p.bar_depth, size)


def break_labels(breaks: np.ndarray, x: np.ndarray, char: float, y: float, z: float, size: float) -> list[Label]:
    """Under the ruler, each break's true length centred on it ("// 15 s idle //"); breaks whose
    labels would overlap (breaks a point of activity apart: a span starting between two idle
    stretches) share one label centred on them, saying how long they are together."""
    groups: list[list[int]] = []  # runs of neighbouring breaks, by index (left to right)

    def text(group: list[int]) -> str:
        lengths = [format_duration(int(breaks[k, 1] - breaks[k, 0])) for k in group]
        if len(group) == 1:
            return f"// {lengths[0]} idle //"
        if len(group) == 2:
            return f"// {lengths[0]} + {lengths[1]} idle //"
        total = format_duration(int((breaks[group, 1] - breaks[group, 0]).sum()))
        return f"// {len(group)} breaks: {total} idle //"

    def middle(group: list[int]) -> float:
        return float(x[group[0]] + x[group[-1]]) / 2

    def meets(left: list[int], right: list[int]) -> bool:
        reach = (len(text(left)) + len(text(right))) / 2 * char + size / 2
        return middle(right) - middle(left) < reach

    for k in np.argsort(x, kind="stable").tolist():
        group = [k]
        while groups and meets(groups[-1], group):  # a label grown wider may reach the one before
            group = groups.pop() + group
        groups.append(group)
    return [Label(text(group), (middle(group), y, z), "break", size) for group in groups]


def tick_text(us: float, step: float) -> str:
    """A tick's time, with as many decimals as its step needs (15.001 s after a break, not 15 s)."""
    unit, name = (1e6, "s") if us >= 1e6 else (1e3, "ms") if us >= 1e3 else (1.0, "µs")
    decimals = max(0, int(np.ceil(np.log10(unit / step)))) if step < unit else 0
    return f"{us / unit:.{decimals}f} {name}"


def summary_details(store, overview: Overview, node_id: int, top: int = 8) -> dict | None:
    """What the summary mark `node_id` holds: span and error counts, time extent, and its services
    and operations with most spans; None if the view has no such summary."""
    rows, c = overview.rows, overview.cut
    uids = store.uid[rows]
    at = int(np.searchsorted(uids, node_id - SUMMARY_BASE))
    if at >= len(rows) or uids[at] != node_id - SUMMARY_BASE:
        return None
    members = rows[np.flatnonzero((c.owner == at) & ~c.shown)]
    if not len(members):
        return None
    services = np.bincount(store.service[members])
    pairs, pair_of = unique_ints(store.service[members].astype(np.int64) << 32 | store.operation[members])
    pair_spans = np.bincount(pair_of)
    start = store.start_us[members]
    end = start + np.maximum(store.duration_us[members], 0)
    names, operations = store.services.names, store.operations.names
    return {
        "kind": "summary",
        "id": node_id,
        "holder": int(node_id - SUMMARY_BASE),  # node id of the span whose calls it folds
        "spans": len(members),
        "errors": int(((store.flags[members] & ERROR) > 0).sum()),
        "start_us": int(start.min()),
        "duration_us": int(end.max() - start.min()),
        "depth": int(store.depth[members].min()),
        "services": [{"service": names[int(s)], "spans": int(services[s])} for s in np.argsort(-services, kind="stable")[:top] if services[s]],
        "operations": [{"service": names[int(pairs[i] >> 32)], "operation": operations[int(pairs[i] & 0xFFFFFFFF)], "spans": int(pair_spans[i])}
                       for i in np.argsort(-pair_spans, kind="stable")[:top]],
    }


@dataclass(frozen=True)
class SpanFilter:
    """A viewer's search, as its search bar sets it (see the client's vrmon-data setFilter)."""

    text: str = ""  # lowercase; part of a service or operation name, or 4+ hex characters of the trace id
    service: str = ""  # an exact service name
    operation: str = ""  # an exact operation name
    min_duration_us: float = 0.0
    errors_only: bool = False


def folded_matches(store, overview: Overview, f: SpanFilter) -> tuple[np.ndarray, np.ndarray]:
    """(summary node ids, how many folded spans each holds that match `f`), for the summaries
    holding at least one, as the viewer matches the spans it draws (duration to the wire's 9 % step)."""
    rows, c = overview.rows, overview.cut
    hidden = np.flatnonzero(~c.shown)
    members = rows[hidden]
    mask = np.ones(len(members), bool)
    if f.errors_only:
        mask &= (store.flags[members] & ERROR) > 0
    if f.min_duration_us > 0:
        mask &= duration_code(store.duration_us[members]) >= duration_code(f.min_duration_us)
    if f.service:
        names = store.services.names
        mask &= store.service[members] == (names.index(f.service) if f.service in names else -1)
    if f.operation:
        names = store.operations.names
        mask &= store.operation[members] == (names.index(f.operation) if f.operation in names else -1)
    trace_hex = store.trace_id_hex(int(store.trace[rows[0]])).lower() if len(rows) else ""
    if f.text and not (len(f.text) >= 4 and trace_hex.startswith(f.text)):
        named = lambda table: np.array([f.text in str(name).lower() for name in table] or [False])  # noqa: E731
        mask &= named(store.services.names)[store.service[members]] | named(store.operations.names)[store.operation[members]]
    counts = np.bincount(np.searchsorted(c.holders, c.owner[hidden][mask]), minlength=len(c.holders))
    held = np.flatnonzero(counts)
    return (SUMMARY_BASE + store.uid[rows[c.holders[held]]]).astype(np.uint32), counts[held].astype(np.uint32)
