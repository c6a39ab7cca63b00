"""Trace compare: match trace B's spans to baseline A's and say where the time went.

A span's identity across traces is its path of service:operation from the root, with its
repeat index among siblings doing the same (the 3rd `HTTP GET` under `GET /dispatch`), so the
same request matches span for span even though every id differs. Paths are numbered one depth
level at a time for both traces together, each level one vectorised sort.

Where the time went: each span's self time (its duration less the part its children cover)
changes by `self_diff`; only-in-A spans lose their self time, only-in-B spans add theirs. What
the self times do not explain is time that calls ran more or less concurrently (`overlap_ms`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from vrmon.model.ids import format_span_id
from vrmon.model.span_store import SpanStore


@dataclass(frozen=True)
class TraceSide:
    """One trace's spans as local columns (index i = `rows[i]` of `store`)."""

    store: SpanStore
    trace: int
    rows: np.ndarray
    parent: np.ndarray  # local index, -1 for roots and orphans
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def of(cls, store: SpanStore, trace: int) -> "TraceSide":
        rows = store.rows_of_trace(trace)
        global_parent = store.parent[rows]
        local = np.searchsorted(rows, global_parent)
        parent = np.where(global_parent >= 0, local, -1)
        start = store.start_us[rows]
        return cls(store, trace, rows, parent, start, start + np.maximum(store.duration_us[rows], 0))

    @property
    def duration(self) -> int:
        return int(self.end.max() - self.start.min()) if len(self.rows) else 0

    def self_time(self) -> np.ndarray:
        """Each span's duration less the union of its children's intervals (clipped to it)."""
        n = len(self.rows)
        own = self.end - self.start
        kids = np.flatnonzero(self.parent >= 0)
        if not len(kids):
            return own
        p = self.parent[kids]
        s = np.clip(self.start[kids], self.start[p], self.end[p])
        e = np.clip(self.end[kids], self.start[p], self.end[p])
        order = np.lexsort((s, p))
        p, s, e = p[order], s[order], e[order]
        group = np.cumsum(np.r_[True, p[1:] != p[:-1]]) - 1
        # running max of the ends within each parent: offset each group above the previous one
        width = int(self.end.max() - self.start.min()) + 1
        base = int(self.start.min())
        reach = np.maximum.accumulate((e - base) + group * width) - group * width + base
        before = np.r_[np.iinfo(np.int64).min, reach[:-1]]
        before[np.r_[True, group[1:] != group[:-1]]] = np.iinfo(np.int64).min
        covered = np.maximum(e - np.maximum(s, before), 0)
        return own - np.bincount(p, weights=covered, minlength=n).astype(np.int64)


def path_ids(a: TraceSide, b: TraceSide) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(path of each A span, path of each B span, repeat index, siblings doing the same), the
    last two for A then B concatenated. Equal path ids = the same place in the call tree."""
    services = _unified([a.store.services.names, b.store.services.names])
    operations = _unified([a.store.operations.names, b.store.operations.names])
    side = np.r_[np.zeros(len(a.rows), np.int64), np.ones(len(b.rows), np.int64)]
    offset = np.r_[np.zeros(len(a.rows), np.int64), np.full(len(b.rows), len(a.rows))]
    parent = np.r_[a.parent, b.parent]
    parent = np.where(parent >= 0, parent + offset, -1)
    service = np.r_[services[0][a.store.service[a.rows]], services[1][b.store.service[b.rows]]]
    operation = np.r_[operations[0][a.store.operation[a.rows]], operations[1][b.store.operation[b.rows]]]
    start = np.r_[a.start, b.start]
    depth = np.r_[a.store.depth[a.rows], b.store.depth[b.rows]].astype(np.int64)

    # repeat index among siblings doing the same work, by start time; roots group per side
    sibling_of = np.where(parent >= 0, parent, -1 - side)
    order = np.lexsort((np.arange(len(start)), start, operation, service, sibling_of))
    key = np.stack([sibling_of, service, operation])[:, order]
    new = np.r_[True, (key[:, 1:] != key[:, :-1]).any(axis=0)]
    first = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    repeat = np.empty(len(start), np.int64)
    repeat[order] = np.arange(len(order)) - first[group]
    siblings = np.empty(len(start), np.int64)
    siblings[order] = np.diff(np.r_[first, len(order)])[group]

    path = np.full(len(start), -1, np.int64)
    next_id = 0
    for level in range(int(depth.max()) + 1 if len(depth) else 0):
        at = np.flatnonzero(depth == level)
        parent_path = np.where(parent[at] >= 0, path[np.maximum(parent[at], 0)], -1) + 1
        inverse = group_ids([parent_path, service[at], operation[at], repeat[at]])
        path[at] = next_id + inverse
        next_id += int(inverse.max()) + 1 if len(at) else 0
    return path[: len(a.rows)], path[len(a.rows):], repeat, siblings


def group_ids(columns: list[np.ndarray]) -> np.ndarray:
    """A dense id (0, 1, …) per distinct row of these non-negative int64 columns, in sorted row
    order. Packed into one int64 key when their bit widths fit (a 1-D unique is an order of
    magnitude faster than sorting rows), by a lexsort otherwise."""
    widths = [int(c.max()).bit_length() if len(c) else 0 for c in columns]
    if sum(widths) <= 63:
        key = np.zeros(len(columns[0]), np.int64)
        for column, width in zip(columns, widths):
            key = (key << width) | column
        return np.unique(key, return_inverse=True)[1].ravel()
    order = np.lexsort(columns[::-1])
    rows = np.stack(columns)[:, order]
    new = np.r_[True, (rows[:, 1:] != rows[:, :-1]).any(axis=0)] if len(order) else np.zeros(0, bool)
    ids = np.empty(len(order), np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids


def _unified(tables: list[list[str]]) -> list[np.ndarray]:
    """Each string table's codes translated into one shared numbering."""
    shared: dict[str, int] = {}
    return [np.array([shared.setdefault(name, len(shared)) for name in names] or [0], np.int64) for names in tables]


@dataclass(frozen=True)
class Comparison:
    a: TraceSide
    b: TraceSide
    match_a: np.ndarray  # local A index of each matched pair
    match_b: np.ndarray  # local B index of each matched pair
    only_a: np.ndarray  # local A indices with no counterpart in B, by start time
    only_b: np.ndarray
    contribution: np.ndarray  # per matched pair, then only-A, then only-B: self-time change (µs)
    repeat: np.ndarray  # A then B: index among siblings doing the same work, by start time
    siblings: np.ndarray  # A then B: how many siblings do that work

    @cached_property
    def _as_lists(self) -> tuple[tuple[list[int], ...], ...]:
        """Per side (A, B): service and operation codes, repeat index, siblings and parent of each
        span, as lists (path_texts reads them one at a time)."""
        sides = []
        for at, side in ((0, self.a), (len(self.a.rows), self.b)):
            end = at + len(side.rows)
            sides.append((side.store.service[side.rows].tolist(), side.store.operation[side.rows].tolist(),
                          self.repeat[at:end].tolist(), self.siblings[at:end].tolist(), side.parent.tolist()))
        return tuple(sides)

    def path_texts(self, side: TraceSide, spans: list[int]) -> list[str]:
        """The labels from the root down to each of `spans` of `side`, joined by ' > ': each label
        'service:operation', with '#k' when its parent makes several such calls (each ancestor's
        text made once, from plain lists: a summary may name every span of a large trace)."""
        service, operation, repeat, siblings, parent = self._as_lists[0 if side is self.a else 1]
        services, operations = side.store.services.names, side.store.operations.names

        def label(i: int) -> str:
            name = f"{services[service[i]]}:{operations[operation[i]]}"
            return f"{name}#{repeat[i] + 1}" if siblings[i] > 1 else name

        known: dict[int, str] = {}
        for i in spans:
            climb = [i]
            while climb[-1] not in known and parent[climb[-1]] >= 0:
                climb.append(parent[climb[-1]])
            text = known.get(climb[-1])
            if text is None:
                text = known[climb[-1]] = label(climb[-1])
            for j in reversed(climb[:-1]):
                text = known[j] = f"{text} > {label(j)}"
        return [known[i] for i in spans]

    @property
    def total_diff(self) -> int:
        return self.b.duration - self.a.duration

    def top(self, count: int) -> np.ndarray:
        """Indices into `contribution` of the `count` largest changes, largest first."""
        order = np.argsort(-np.abs(self.contribution), kind="stable")
        return order[np.abs(self.contribution[order]) > 0][:count]


def compare_traces(a_store: SpanStore, a_trace: int, b_store: SpanStore, b_trace: int) -> Comparison:
    a, b = TraceSide.of(a_store, a_trace), TraceSide.of(b_store, b_trace)
    path_a, path_b, repeat, siblings = path_ids(a, b)
    _, match_a, match_b = np.intersect1d(path_a, path_b, assume_unique=True, return_indices=True)
    only_a, only_b = _unmatched(len(a.rows), match_a), _unmatched(len(b.rows), match_b)
    only_a, only_b = only_a[np.argsort(a.start[only_a], kind="stable")], only_b[np.argsort(b.start[only_b], kind="stable")]
    self_a, self_b = a.self_time(), b.self_time()
    contribution = np.r_[self_b[match_b] - self_a[match_a], -self_a[only_a], self_b[only_b]]
    return Comparison(a, b, match_a, match_b, only_a, only_b, contribution, repeat, siblings)


def _unmatched(n: int, matched: np.ndarray) -> np.ndarray:
    """The indices below `n` not in `matched`, ascending."""
    left = np.ones(n, bool)
    left[matched] = False
    return np.flatnonzero(left)


# -- the summary ----------------------------------------------------------------------------------


def _side_json(side: TraceSide) -> dict[str, Any]:
    store = side.store
    summary = store.trace_summaries()
    return {
        "trace": store.trace_id_hex(side.trace),
        "root": f"{store.services.names[summary['root_service'][side.trace]]} {store.operations.names[summary['root_operation'][side.trace]]}",
        "spans": len(side.rows),
        "duration_ms": round(side.duration / 1000, 3),
    }


def _spans_json(c: Comparison, side: TraceSide, spans: np.ndarray) -> list[dict[str, Any]]:
    spans = spans.tolist()
    ids = side.store.span_id[side.rows[spans]].tolist()
    durations = (side.end - side.start)[spans].tolist()
    return [{"path": path, "span": format_span_id(span_id), "duration_ms": round(d / 1000, 3)}
            for path, span_id, d in zip(c.path_texts(side, spans), ids, durations)]


def summary(c: Comparison, top: int = 5, listed: int | None = None) -> dict[str, Any]:
    """What `vrmon inspect --compare --json` prints; with `listed`, the spans only in A and only
    in B are listed up to that many each (the first to start) and counted whole in
    `only_in_a_total` and `only_in_b_total`, which keeps a viewer's frame small."""
    n_match = len(c.match_a)
    dur_a, dur_b = c.a.end - c.a.start, c.b.end - c.b.start
    contributors = []
    for k in c.top(top).tolist():
        if k < n_match:
            i, j = int(c.match_a[k]), int(c.match_b[k])
            entry = {"change": "matched", "path": c.path_texts(c.b, [j])[0],
                     "span_a": format_span_id(int(c.a.store.span_id[c.a.rows[i]])),
                     "span_b": format_span_id(int(c.b.store.span_id[c.b.rows[j]])),
                     "duration_a_ms": round(int(dur_a[i]) / 1000, 3), "duration_b_ms": round(int(dur_b[j]) / 1000, 3)}
        elif k < n_match + len(c.only_a):
            entry = {"change": "only in A", **_spans_json(c, c.a, c.only_a[k - n_match : k - n_match + 1])[0]}
        else:
            at = k - n_match - len(c.only_a)
            entry = {"change": "only in B", **_spans_json(c, c.b, c.only_b[at : at + 1])[0]}
        entry["self_diff_ms"] = round(int(c.contribution[k]) / 1000, 3)
        contributors.append(entry)
    explained = int(c.contribution.sum())
    totals = {} if listed is None else {"only_in_a_total": len(c.only_a), "only_in_b_total": len(c.only_b)}
    return {
        "a": _side_json(c.a),
        "b": _side_json(c.b),
        "total_diff_ms": round(c.total_diff / 1000, 3),
        "self_time_diff_ms": round(explained / 1000, 3),
        "overlap_ms": round((c.total_diff - explained) / 1000, 3),
        "matched": n_match,
        "top": contributors,
        "only_in_a": _spans_json(c, c.a, c.only_a[:listed]),
        "only_in_b": _spans_json(c, c.b, c.only_b[:listed]),
        **totals,
    }


# -- for a viewer: the comparison drawn over trace B ---------------------------------------------------

MAX_GHOSTS = 2000  # spans only in A drawn as ghosts; the summary still counts them all
MAX_LISTED_ONLY = 200  # spans only in A or only in B listed in a viewer's comparison frame


@dataclass(frozen=True)
class SceneComparison:
    """What a viewer draws over trace B: per matched B span its node id and duration change, the
    node ids of B's spans A lacks, and A's spans B lacks as ghosts placed against B's spans: each
    by the node id of its nearest matched ancestor's B counterpart, with where it ran within that
    ancestor (start and end as fractions of the ancestor's A duration) and how many calls deeper."""

    nodes: np.ndarray  # uint32: matched B spans
    diff_us: np.ndarray  # B duration − A duration
    ratio: np.ndarray  # that change over A's duration
    only_b: np.ndarray  # uint32
    ghost_anchor: np.ndarray  # uint32 node id in B
    ghost_from: np.ndarray  # float32 fractions of the anchor's A time
    ghost_to: np.ndarray
    ghost_depth: np.ndarray  # uint8: call depth below the anchor


def scene_comparison(c: Comparison) -> SceneComparison:
    a, b = c.a, c.b
    dur_a, dur_b = a.end - a.start, b.end - b.start
    diff = dur_b[c.match_b] - dur_a[c.match_a]
    b_of_a = np.full(len(a.rows), -1, np.int64)
    b_of_a[c.match_a] = c.match_b
    ghosts = c.only_a[:MAX_GHOSTS]
    up, depth = _nearest_matched_ancestor(a.parent, b_of_a >= 0)
    ghosts = ghosts[up[ghosts] >= 0]  # no matched ancestor: nothing in B to place it against
    anchor = up[ghosts]
    span = np.maximum(dur_a[anchor], 1)
    return SceneComparison(
        nodes=b.store.uid[b.rows[c.match_b]].astype(np.uint32),
        diff_us=diff,
        ratio=diff / np.maximum(dur_a[c.match_a], 1),
        only_b=b.store.uid[b.rows[c.only_b]].astype(np.uint32),
        ghost_anchor=b.store.uid[b.rows[b_of_a[anchor]]].astype(np.uint32),
        ghost_from=((a.start[ghosts] - a.start[anchor]) / span).astype(np.float32),
        ghost_to=((a.end[ghosts] - a.start[anchor]) / span).astype(np.float32),
        ghost_depth=np.minimum(depth[ghosts], 255).astype(np.uint8),
    )


def _nearest_matched_ancestor(parent: np.ndarray, matched: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ancestor, calls up to it) of each span: its nearest ancestor that is matched (-1 if none).
    Pointer jumping: each round a span whose pointer still rests on an unmatched span takes that
    span's pointer, so a pointer never passes a matched span and chains of any depth settle in
    O(log depth) vectorised rounds."""
    up = parent.astype(np.int64)
    depth = np.ones(len(up), np.int64)
    moving = np.flatnonzero(up >= 0)
    moving = moving[~matched[up[moving]]]
    while len(moving):
        via = up[moving]
        up[moving], depth[moving] = up[via], depth[moving] + depth[via]
        moving = moving[up[moving] >= 0]
        moving = moving[~matched[up[moving]]]
    return up, depth
