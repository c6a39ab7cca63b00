"""Level of detail for one trace's waterfall: which spans are drawn as bars, and which are folded
into summary marks, with what those marks hold.

A span is drawn when its parent is drawn and it passes the view's criterion — at the overview its
subtree lasts at least `min_us` (a bar a few pixels wide); with "collapse to depth N" it is at most
N calls deep; with "expand all", always — or when the viewer expanded its parent's summary. Every
span not drawn belongs to the summary of its nearest drawn ancestor: one mark per drawn span with
hidden descendants, giving their time extent, span count, error count and main service.

Subtree extents nest (a subtree's extent holds each child's), so at the overview the drawn spans are
exactly those whose subtree extent reaches `min_us`. Every step is a numpy pass per call depth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from vrmon.layout.sorting import unique_ints
from vrmon.model.columns import Room, sorted_unique

SERVICE_CODES = 1 << 16  # service codes are uint16
SUMMARY_BASE = 0xE0000000  # node id of the summary held by the span with uid u: SUMMARY_BASE + u
ERROR = 1  # SpanFlag.ERROR


@dataclass(frozen=True)
class DetailLevel:
    """What a viewer asked to see of a trace beyond the overview."""

    expanded: frozenset[int] = field(default_factory=frozenset)  # uids of spans whose summary was opened
    depth: int | None = None  # collapse everything deeper than this call depth (None: by size)
    everything: bool = False  # expand all: every span is a bar
    idle: bool = True  # compress long idle stretches to breaks (where the preset's idle_gap finds some)
    window: tuple[float, float] | None = None  # the time zoomed into: true µs from the trace's start (None: all of it)
    # how many times twice as close as the overview's distance the picture is seen (a headset viewer
    # walking up to it): the fold by size draws marks and rows that many times halved, as big to the eye
    nearer: int = 0
    # the time in front of that viewer (true µs from the trace's start): only subtrees reaching into
    # it fold finer, the rest as at the overview (None: the whole picture is that near)
    around: tuple[float, float] | None = None

    @property
    def asked(self) -> bool:
        """Whether the viewer chose what to draw (anything but the overview's fold by size)."""
        return bool(self.expanded) or self.depth is not None or self.everything


@dataclass(frozen=True)
class Reaching:
    """Per span, whether its subtree reaches into a zoomed window from `lo` to `hi` (`reaching[idx]`),
    worked out for the spans asked about: a live view asks about its new and widened spans, not
    about every span at each delta (`reaching[:]`: all of them)."""

    extent: tuple[np.ndarray, np.ndarray]
    lo: float
    hi: float

    def __getitem__(self, idx) -> np.ndarray:
        return (self.extent[1][idx] >= self.lo) & (self.extent[0][idx] <= self.hi)


@dataclass(frozen=True)
class Focus:
    """Per span, whether it may pass a fold finer than the overview's (`focus[idx]`): its subtree
    reaches into the time from `lo` to `hi` (compressed µs: what a headset viewer stands in front
    of) or lasts `outside_us` (the overview's fold, which holds everywhere), and it is `inside` a
    zoomed window if there is one. Passing still nests: a parent's subtree holds its child's."""

    extent: tuple[np.ndarray, np.ndarray]
    lo: float
    hi: float
    outside_us: float
    inside: Reaching | None = None

    def __getitem__(self, idx) -> np.ndarray:
        lo, hi = self.extent[0][idx], self.extent[1][idx]
        near = ((hi >= self.lo) & (lo <= self.hi)) | (hi - lo >= self.outside_us)
        return near & self.inside[idx] if self.inside is not None else near


@dataclass
class Cut:
    shown: np.ndarray  # bool per span: drawn as its own bar
    owner: np.ndarray  # per span: the drawn span whose summary holds it (itself when drawn)
    holders: np.ndarray  # spans (indices) that hold a summary, ascending
    count: np.ndarray  # per holder: spans in its summary
    errors: np.ndarray  # per holder: error spans in its summary
    start_us: np.ndarray  # per holder: earliest start in its summary
    end_us: np.ndarray  # per holder: latest end in its summary
    service: np.ndarray  # per holder: the service with most spans in its summary
    services: np.ndarray  # per holder: how many services its summary holds
    mix: tuple[np.ndarray, np.ndarray]  # (holder span × SERVICE_CODES + service, spans) of every pair, ascending
    room: Room = field(default_factory=Room, repr=False, compare=False)  # the buffers behind `shown` and `owner`


def depth_levels(depth: np.ndarray) -> list[np.ndarray]:
    """Span indices per call depth, shallowest first."""
    # a stable sort of small unsigned integers is a radix sort in numpy: O(n)
    order = np.argsort(depth.astype(np.uint16) if len(depth) and depth.max() < 2**16 else depth, kind="stable")
    sorted_depth = depth[order]
    bounds = np.flatnonzero(np.diff(sorted_depth)) + 1
    return np.split(order, bounds) if len(order) else []


def carry_up(lo: np.ndarray, hi: np.ndarray, parent: np.ndarray, levels: list[np.ndarray]) -> None:
    """Each span's (`lo`, `hi`) widened in place to hold its subtree's, deepest level first."""
    for idx in reversed(levels):
        p = parent[idx]
        has = p >= 0
        np.minimum.at(lo, p[has], lo[idx[has]])
        np.maximum.at(hi, p[has], hi[idx[has]])


def passing(idx: np.ndarray, depth: np.ndarray, extent: tuple[np.ndarray, np.ndarray], min_us: float,
            detail: DetailLevel, within: np.ndarray | Reaching | Focus | None) -> np.ndarray:
    """Per span of `idx`: whether it passes the view's criterion (drawn when its parent is drawn).
    Passing nests: a span's parent passes whenever the span does (extents hold their children's)."""
    if detail.everything:
        passes = np.ones(len(idx), bool)
    elif detail.depth is not None:
        passes = depth[idx] <= detail.depth
    else:
        passes = (extent[1][idx] - extent[0][idx]) >= min_us
    return passes & within[idx] if within is not None else passes


def opened_of(ids: np.ndarray, detail: DetailLevel) -> np.ndarray:
    """Per span id: whether the viewer opened its summary."""
    if not detail.expanded:
        return np.zeros(len(ids), bool)
    return np.isin(ids, np.fromiter(detail.expanded, np.int64, len(detail.expanded)))


def cut(ids: np.ndarray, parent: np.ndarray, service: np.ndarray, flags: np.ndarray, start: np.ndarray,
        end: np.ndarray, depth: np.ndarray, levels: list[np.ndarray], extent: tuple[np.ndarray, np.ndarray], min_us: float,
        detail: DetailLevel, within: np.ndarray | None = None) -> Cut:
    """The drawn spans and the summaries of the rest (see the module docstring). `levels` are
    `depth_levels(depth)`, `extent` each subtree's (earliest start, latest end) (`carry_up`); `within` (bool per span), when
    zoomed, says whose subtree reaches into the time window: the rest stay folded."""
    n = len(ids)
    passes = passing(np.arange(n), depth, extent, min_us, detail, within)
    opened = opened_of(ids, detail)
    room = Room()  # with room for as many spans again: a live trace's fold is extended in place
    shown = room.made("shown", n, bool, n)
    shown[:] = False
    owner = room.made("owner", n, np.int64, n)
    owner[:] = np.arange(n)
    for idx in levels:
        p = parent[idx]
        has = p >= 0
        pp = np.maximum(p, 0)
        # roots (and orphans) are always drawn; a child when its parent is drawn and it passes
        shown[idx] = ~has | (shown[pp] & (passes[idx] | opened[pp]))
        owner[idx] = np.where(shown[idx] | ~has, idx, owner[pp])
    hidden = np.flatnonzero(~shown)
    holder_of = owner[hidden]
    count = np.bincount(holder_of, minlength=n)
    holders = np.flatnonzero(count)
    slot = np.zeros(n, np.int64)
    slot[holders] = np.arange(len(holders))
    at = slot[holder_of]
    k = len(holders)
    errors = np.bincount(at, weights=(flags[hidden] & ERROR) > 0, minlength=k).astype(np.int64)
    first = np.full(k, np.iinfo(np.int64).max, np.int64)
    last = np.full(k, np.iinfo(np.int64).min, np.int64)
    # the same dtype on both sides: ufunc.at with a cast takes numpy's slow path (~100× slower)
    np.minimum.at(first, at, start[hidden].astype(np.int64))
    np.maximum.at(last, at, end[hidden].astype(np.int64))
    mix = service_mix(holders, at, service[hidden])
    return Cut(shown, owner, holders, count[holders], errors, first, last, *main_service(mix, holders), mix, room)


def extended_cut(c: Cut, ids: np.ndarray, parent: np.ndarray, service: np.ndarray, flags: np.ndarray, start: np.ndarray,
                 end: np.ndarray, depth: np.ndarray, extent: tuple[np.ndarray, np.ndarray], min_us: float, detail: DetailLevel,
                 within: np.ndarray | Reaching | Focus | None, widened: np.ndarray) -> Cut | None:
    """`c`, the same view's fold (the same criterion, threshold and window), with the spans appended
    after it (from len(c.shown) on; `widened`: earlier spans whose subtree's extent grew since): the
    new spans drawn or added to their holders' summaries, what `cut` makes of all of them. None
    when an earlier span now passes (it would take calls from its holder's summary: fold anew)."""
    n0, n = len(c.shown), len(parent)
    # passing nests, so every span that passed was drawn: one drawn no more passes only now
    if (~c.shown[widened] & passing(widened, depth, extent, min_us, detail, within)).any():
        return None
    fresh = np.arange(n0, n)
    p = parent[fresh]
    has, new_parent = p >= 0, p >= n0
    before = np.where(has & ~new_parent, p, 0)  # a parent from before (or any span: masked below)
    # a new span is drawn when its parent is and it passes (or its parent's summary was opened);
    # up through its new ancestors to the first earlier one, a root or one not drawn: pointer jumping
    drawn = ~has | ((passing(fresh, depth, extent, min_us, detail, within) | opened_of(ids[np.maximum(p, 0)], detail))
                    & (new_parent | c.shown[before]))
    up = np.where(new_parent, p - n0, -1)
    while (up >= 0).any():
        jump = np.flatnonzero(up >= 0)
        drawn[jump] &= drawn[up[jump]]
        up[jump] = up[up[jump]]
    # its holder: itself when drawn, else its nearest drawn ancestor (an earlier span's holder)
    holder = np.where(drawn | ~has, fresh, np.where(new_parent, -1, c.owner[before]))
    up = np.where(new_parent, p - n0, -1)
    while (holder < 0).any():
        jump = np.flatnonzero(holder < 0)
        holder[jump] = holder[up[jump]]
        up[jump] = up[up[jump]]
    shown = c.room.appended("shown", c.shown, drawn)
    owner = c.room.appended("owner", c.owner, holder)
    hidden = fresh[~drawn]
    if not len(hidden):
        return replace(c, shown=shown, owner=owner)
    holder_of = owner[hidden]
    touched = sorted_unique(holder_of)
    holders = c.holders if found_in(c.holders, touched).all() else np.union1d(c.holders, touched)
    k = len(holders)
    was = np.searchsorted(holders, c.holders)
    at = np.searchsorted(holders, holder_of)
    count, errors = np.zeros(k, np.int64), np.zeros(k, np.int64)
    first = np.full(k, np.iinfo(np.int64).max, np.int64)
    last = np.full(k, np.iinfo(np.int64).min, np.int64)
    count[was], errors[was], first[was], last[was] = c.count, c.errors, c.start_us, c.end_us
    np.add.at(count, at, 1)
    np.add.at(errors, at, ((flags[hidden] & ERROR) > 0).astype(np.int64))
    np.minimum.at(first, at, start[hidden].astype(np.int64))
    np.maximum.at(last, at, end[hidden].astype(np.int64))
    mix = merged_mix(c.mix, service_mix(holders, at, service[hidden]))
    main, services = np.zeros(k, np.int64), np.zeros(k, np.int64)
    main[was], services[was] = c.service, c.services
    # only the summaries that gained spans can change their main service
    lo, hi = np.searchsorted(mix[0], touched * SERVICE_CODES), np.searchsorted(mix[0], (touched + 1) * SERVICE_CODES)
    mine = np.repeat(lo - np.cumsum(hi - lo) + (hi - lo), hi - lo) + np.arange(int((hi - lo).sum()))  # their pairs
    slots = np.searchsorted(holders, touched)
    main[slots], services[slots] = main_service((mix[0][mine], mix[1][mine]), touched)
    return Cut(shown, owner, holders, count, errors, first, last, main, services, mix, c.room)


def raised_cut(c: Cut, parent: np.ndarray, service: np.ndarray, flags: np.ndarray, start: np.ndarray, end: np.ndarray,
               extent: tuple[np.ndarray, np.ndarray], min_us: float) -> Cut:
    """`c`, a fold by size (nothing opened), at a threshold `min_us` at least the one it was made at
    and the same window: what `cut` makes of its spans. Passing nests, so the bars drawn now are the
    roots and the bars of `c` that still pass; each bar that no longer does goes, with the summary
    it held, into its nearest ancestor still drawn. The cost follows the bars, not the spans (but
    for one pass over the owners)."""
    bars = np.flatnonzero(c.shown)
    drop = bars[(parent[bars] >= 0) & ((extent[1][bars] - extent[0][bars]) < min_us)]
    if not len(drop):
        return c
    # a dropped bar's parent is a bar, dropped too or drawn: jump up through the dropped ones
    up = parent[drop].astype(np.int64)
    while True:
        at = np.minimum(np.searchsorted(drop, up), len(drop) - 1)
        inside = drop[at] == up
        if not inside.any():
            break
        up = np.where(inside, up[at], up)
    n = len(c.shown)
    room = Room()
    shown = room.copied("shown", c.shown, n)
    shown[drop] = False
    owner = room.copied("owner", c.owner, n)
    moved = np.zeros(n, bool)
    moved[drop] = True
    moved = np.flatnonzero(moved[owner])  # spans held by a dropped bar, and the dropped bars themselves
    owner[moved] = up[np.searchsorted(drop, owner[moved])]
    # each dropped bar brings itself and its summary (if it held one) to its new holder
    was = found_in(c.holders, drop)
    slot = np.searchsorted(c.holders, drop)[was]
    kept = ~found_in(drop, c.holders)
    holders = np.union1d(c.holders[kept], up)
    k = len(holders)
    old_at, at = np.searchsorted(holders, c.holders[kept]), np.searchsorted(holders, up)
    count, errors = np.zeros(k, np.int64), np.zeros(k, np.int64)
    first = np.full(k, np.iinfo(np.int64).max, np.int64)
    last = np.full(k, np.iinfo(np.int64).min, np.int64)
    count[old_at], errors[old_at] = c.count[kept], c.errors[kept]
    first[old_at], last[old_at] = c.start_us[kept], c.end_us[kept]
    for target, own, theirs, add in ((count, np.ones(len(drop), np.int64), c.count, np.add),
                                     (errors, ((flags[drop] & ERROR) > 0).astype(np.int64), c.errors, np.add),
                                     (first, start[drop].astype(np.int64), c.start_us, np.minimum),
                                     (last, end[drop].astype(np.int64), c.end_us, np.maximum)):
        add.at(target, at, own)
        add.at(target, at[was], theirs[slot])
    pairs, pair_count = c.mix
    owned_by = np.minimum(np.searchsorted(drop, pairs // SERVICE_CODES), len(drop) - 1)
    rekey = drop[owned_by] == pairs // SERVICE_CODES
    pairs = np.where(rekey, up[owned_by] * SERVICE_CODES + pairs % SERVICE_CODES, pairs)
    mix = summed_pairs(np.concatenate([pairs, up * SERVICE_CODES + service[drop]]),
                       np.concatenate([pair_count, np.ones(len(drop), np.int64)]))
    return Cut(shown, owner, holders, count, errors, first, last, *main_service(mix, holders), mix, room)


def summed_pairs(pairs: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct pairs ascending, the counts of each summed)."""
    distinct, of = np.unique(pairs, return_inverse=True)
    return distinct, np.bincount(of, weights=counts, minlength=len(distinct)).astype(np.int64)


def merged_mix(mix: tuple[np.ndarray, np.ndarray], more: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Two `service_mix`es as one: the counts of pairs in both added, the others in their places."""
    pairs, counts = mix
    at = np.searchsorted(pairs, more[0])
    known = found_in(pairs, more[0])
    counts = counts.copy()
    counts[at[known]] += more[1][known]
    return np.insert(pairs, at[~known], more[0][~known]), np.insert(counts, at[~known], more[1][~known])


def found_in(ascending: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per value: whether it is in `ascending` (a binary search each: `values` are few)."""
    at = np.minimum(np.searchsorted(ascending, values), max(len(ascending) - 1, 0))
    return ascending[at] == values if len(ascending) else np.zeros(len(values), bool)


def service_mix(holders: np.ndarray, at: np.ndarray, service: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(holder span × SERVICE_CODES + service, spans) of every pair among spans held at `at`
    (indices into `holders`), ascending."""
    if not len(at):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    width = int(service.max()) + 1
    pairs, pair_of = unique_ints(at.astype(np.int64) * width + service)  # a small range: no sort
    return holders[pairs // width] * SERVICE_CODES + pairs % width, np.bincount(pair_of, minlength=len(pairs))


def main_service(mix: tuple[np.ndarray, np.ndarray], holders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per holder: the service with most spans in its summary (lowest code on ties), and how many services it has."""
    pairs, counts = mix
    if not len(pairs):
        return np.zeros(len(holders), np.int64), np.zeros(len(holders), np.int64)
    group = np.searchsorted(holders, pairs // SERVICE_CODES)
    service = pairs % SERVICE_CODES
    # within each group, the pair with the highest count comes last (ties: lowest service code last)
    order = np.lexsort((-service, counts, group))
    last = np.flatnonzero(np.append(group[order][1:] != group[order][:-1], True))
    main = np.zeros(len(holders), np.int64)
    main[group[order][last]] = service[order][last]
    return main, np.bincount(group, minlength=len(holders))
