"""Per-trace aggregates indexed by trace code (extent, span and error counts, root span), kept up
to date for the traces each change touches rather than recomputed over the store; and, per trace,
when vrmon last received a span of it and whether it was loaded from a file, which is what
retention goes by (a span's own times say when it ran, not when vrmon got it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from vrmon.model.columns import grown, sorted_unique
from vrmon.model.flags import SpanFlag

_COLUMNS: dict[str, Any] = {
    "start_us": np.int64,
    "end_us": np.int64,
    "spans": np.int64,
    "errors": np.int64,
    "root_service": np.int32,
    "root_operation": np.int32,
    "arrived_us": np.int64,  # wall-clock time the trace last received a new span (µs since the epoch)
    "pinned": np.bool_,  # loaded from a file on purpose: never evicted, not counted against --max-spans
}
_LEAST = 256  # trace codes room is made for at first


class TraceAggregates:
    def __init__(self) -> None:
        self.columns = {name: np.empty(0, dtype) for name, dtype in _COLUMNS.items()}
        self.root_rows = np.empty(0, np.int64)  # per trace code: the row the root columns come from
        self.relinks = np.empty(0, np.int64)  # per trace code: see SpanStore.relinks_of

    def view(self, count: int) -> dict[str, np.ndarray]:
        return {name: col[:count] for name, col in self.columns.items()}

    def make_room(self, count: int) -> None:
        """Room for `count` trace codes; a new code starts with zero spans and no root."""
        for name, col in self.columns.items():
            self.columns[name] = grown(col, count, fill=0, least=_LEAST)
        self.root_rows = grown(self.root_rows, count, fill=-1, least=_LEAST)
        self.relinks = grown(self.relinks, count, fill=0, least=_LEAST)

    def summarise(self, cols: dict[str, np.ndarray], traces: np.ndarray, rows: np.ndarray) -> None:
        """Recompute the aggregates of `traces` from `rows`, all rows of those traces."""
        agg = self.columns
        t = cols["trace"][rows]
        start = cols["start_us"][rows]
        end = start + np.maximum(cols["duration_us"][rows], 0)
        agg["start_us"][traces] = np.iinfo(np.int64).max
        agg["end_us"][traces] = np.iinfo(np.int64).min
        np.minimum.at(agg["start_us"], t, start)
        np.maximum.at(agg["end_us"], t, end)
        agg["spans"][traces] = 0
        agg["spans"] += np.bincount(t, minlength=len(agg["spans"]))
        agg["errors"][traces] = 0
        agg["errors"] += np.bincount(t, weights=(cols["flags"][rows] & SpanFlag.ERROR) > 0, minlength=len(agg["spans"])).astype(np.int64)
        self._set_roots(cols, rows)

    def summarise_added(self, cols: dict[str, np.ndarray], n: int, traces: np.ndarray, added: np.ndarray,
                        relinked: np.ndarray, old_depth: np.ndarray) -> None:
        """Update the aggregates of `traces` (ascending) for the rows just `added` (of `n` in the store);
        `relinked` are every row whose depth may have changed (ascending, with `old_depth` their
        depths before)."""
        agg = self.columns
        t = cols["trace"][added]
        start = cols["start_us"][added]
        fresh = agg["spans"][traces] == 0  # a new trace, or one that was evicted whole and came back
        agg["start_us"][traces[fresh]] = np.iinfo(np.int64).max
        agg["end_us"][traces[fresh]] = np.iinfo(np.int64).min
        np.minimum.at(agg["start_us"], t, start)
        np.maximum.at(agg["end_us"], t, start + np.maximum(cols["duration_us"][added], 0))
        np.add.at(agg["spans"], t, 1)
        np.add.at(agg["errors"], t, ((cols["flags"][added] & SpanFlag.ERROR) > 0).astype(np.int64))
        # rows outside `relinked` kept their depth: the old root stays the best of them, unless
        # it moved down itself (it was an orphan whose parent arrived), then the whole trace looks again
        old_root = self.root_rows[traces]
        kept_root = old_root[~fresh]
        moved = np.isin(kept_root, relinked)
        moved[moved] = cols["depth"][kept_root[moved]] != old_depth[np.searchsorted(relinked, kept_root[moved])]
        rescan = np.flatnonzero(np.isin(cols["trace"][:n], traces[~fresh][moved])) if moved.any() else np.empty(0, np.int64)
        # a relinked row can only become its trace's root at the kept root's depth or above
        depth_limit = np.full(len(traces), np.iinfo(np.int64).max)
        depth_limit[~fresh] = cols["depth"][kept_root]
        relinked = relinked[cols["depth"][relinked] <= depth_limit[np.searchsorted(traces, cols["trace"][relinked])]]
        self._set_roots(cols, sorted_unique(np.concatenate([relinked, kept_root[~moved], rescan])))

    def mark_arrived(self, traces: np.ndarray, at_us: int, pinned: bool) -> None:
        """`traces` just received spans at `at_us`; spans loaded from a file pin their trace."""
        self.columns["arrived_us"][traces] = at_us
        self.columns["pinned"][traces] |= pinned

    def _set_roots(self, cols: dict[str, np.ndarray], candidates: np.ndarray) -> None:
        """The root of each trace among `candidates`: the earliest-starting span at the smallest
        depth, ties to the earliest row."""
        t = cols["trace"][candidates]
        order = np.lexsort((candidates, cols["start_us"][candidates], cols["depth"][candidates], t))
        first = np.ones(len(order), bool)
        first[1:] = t[order][1:] != t[order][:-1]
        root_rows = candidates[order[first]]
        traces = t[order[first]]
        self.root_rows[traces] = root_rows
        self.columns["root_service"][traces] = cols["service"][root_rows]
        self.columns["root_operation"][traces] = cols["operation"][root_rows]

    def first(self, count: int) -> "TraceAggregates":
        """A copy of the aggregates of trace codes below `count`."""
        out = TraceAggregates()
        out.columns = {name: col[:count].copy() for name, col in self.columns.items()}
        out.root_rows = self.root_rows[:count].copy()
        out.relinks = self.relinks[:count].copy()
        return out

    def empty(self, traces: np.ndarray) -> None:
        """`traces` lost their last span: they keep their codes, with nothing in them."""
        for name in ("spans", "errors", "start_us", "end_us", "arrived_us", "pinned"):
            self.columns[name][traces] = 0

    def renumber_rows(self, remap: np.ndarray) -> None:
        """Store rows renumbered by `remap` (old row -> new row, -1 = gone); a lost root's trace is
        re-linked or emptied by the store."""
        known = self.root_rows >= 0
        self.root_rows[known] = remap[self.root_rows[known]]
