"""Duration percentile rank of every span among the spans of its service and operation.

The rank is the mid-rank percentile: 100 × (spans faster + half the spans as fast) / spans in the
group, so the slowest of 1,204 calls is p99.96 and a lone call is p50. `DurationRanks` keeps one
sorted int64 key per span, (group << 37) | duration, so a rank is two binary searches and a
live add of k spans is one sorted insert (O(k log n + n) memory moves, no re-sort).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vrmon.model.span_store import SpanStore

DURATION_BITS = 37  # µs, ~38 h: above the store's one-day limit for a believable duration
MAX_DURATION = (1 << DURATION_BITS) - 1


def percentile_rank(faster: np.ndarray, as_fast: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Mid-rank percentile from counts of spans faster than and as fast as each span (itself included)."""
    return 100.0 * (faster + 0.5 * as_fast) / np.maximum(samples, 1)


@dataclass(frozen=True)
class SpanRank:
    rank: float  # 0–100, mid-rank
    samples: int  # spans of the same service and operation in the window

    def describe(self, operation: str) -> str:
        """'p97 of 1,204 GetDriver calls' — what the details panel says."""
        if self.samples == 1:
            return f"the only {operation} call in the window"
        return f"p{int(self.rank)} of {self.samples:,} {operation} calls"

    def to_json(self, operation: str) -> dict[str, object]:
        return {"rank": round(self.rank, 1), "samples": self.samples, "text": self.describe(operation)}


def rank_of_span(store: "SpanStore", row: int) -> SpanRank:
    """One span's rank, in one vectorised pass over the store (for a details request)."""
    same = (store.service == store.service[row]) & (store.operation == store.operation[row])
    durations = np.clip(store.duration_us[same], 0, MAX_DURATION)
    mine = min(max(int(store.duration_us[row]), 0), MAX_DURATION)
    faster = np.count_nonzero(durations < mine)
    as_fast = np.count_nonzero(durations == mine)
    return SpanRank(float(percentile_rank(np.array(faster), np.array(as_fast), np.array(len(durations)))), len(durations))


@dataclass(frozen=True)
class SlowSpans:
    rows: np.ndarray  # store rows above their group's threshold percentile
    ranks: np.ndarray  # their percentile rank
    samples: np.ndarray  # spans in their group


class DurationRanks:
    """Sorted (service+operation group, duration) keys of every span in a store, kept in step
    with it by `sync`: appended rows are inserted, an eviction (rows renumbered) rebuilds."""

    def __init__(self) -> None:
        self._pairs = np.empty(0, np.int64)  # sorted service<<32|operation pairs seen; index = group id
        self._group_of_pair = np.empty(0, np.int64)
        self._keys = np.empty(0, np.int64)  # sorted (group << DURATION_BITS) | duration
        self._rows = np.empty(0, np.int64)  # the store row of each key
        self._seen = 0  # store rows already inserted
        self._compactions = -1

    def sync(self, store: "SpanStore") -> np.ndarray:
        """Take in the store's changes; returns the rows inserted (all of them after a rebuild)."""
        if store.compactions != self._compactions or len(store) < self._seen:
            self._keys = np.empty(0, np.int64)
            self._rows = np.empty(0, np.int64)
            self._seen = 0
            self._compactions = store.compactions
        new = np.arange(self._seen, len(store), dtype=np.int64)
        if len(new):
            keys = self._key(store, new)
            order = np.argsort(keys, kind="stable")
            at = np.searchsorted(self._keys, keys[order], side="right")
            self._keys = np.insert(self._keys, at, keys[order])
            self._rows = np.insert(self._rows, at, new[order])
            self._seen = len(store)
        return new

    def _key(self, store: "SpanStore", rows: np.ndarray) -> np.ndarray:
        pair = (store.service[rows].astype(np.int64) << 32) | store.operation[rows].astype(np.int64)
        fresh = np.setdiff1d(pair, self._pairs)
        if len(fresh):
            ids = np.arange(len(self._pairs), len(self._pairs) + len(fresh))
            merged = np.concatenate([self._pairs, fresh])
            order = np.argsort(merged, kind="stable")
            self._pairs = merged[order]
            self._group_of_pair = np.concatenate([self._group_of_pair, ids])[order]
        group = self._group_of_pair[np.searchsorted(self._pairs, pair)]
        return (group << DURATION_BITS) | np.clip(store.duration_us[rows], 0, MAX_DURATION)

    def ranks(self, store: "SpanStore", rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(percentile rank, samples) of each of `rows` (after `sync`)."""
        keys = self._key(store, rows)
        group_lo = np.searchsorted(self._keys, (keys >> DURATION_BITS) << DURATION_BITS)
        group_hi = np.searchsorted(self._keys, ((keys >> DURATION_BITS) + 1) << DURATION_BITS)
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        samples = group_hi - group_lo
        return percentile_rank(lo - group_lo, hi - lo, samples), samples

    def slow(self, percentile: float, min_samples: int) -> SlowSpans:
        """Spans above the `percentile`-th duration percentile (numpy's linear interpolation) of
        their group, in groups of at least `min_samples` spans. Costs O(groups + answer)."""
        groups = np.arange(len(self._pairs), dtype=np.int64)
        lo = np.searchsorted(self._keys, groups << DURATION_BITS)
        hi = np.searchsorted(self._keys, (groups + 1) << DURATION_BITS)
        n = hi - lo
        big = n >= min_samples
        lo, hi, n, groups = lo[big], hi[big], n[big], groups[big]
        if not len(n):
            return SlowSpans(np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64))
        pos = (n - 1) * (percentile / 100.0)
        below = np.floor(pos).astype(np.int64)
        frac = pos - below
        d0 = self._keys[lo + below] & MAX_DURATION
        d1 = self._keys[np.minimum(lo + below + 1, hi - 1)] & MAX_DURATION
        threshold = d0 + frac * (d1 - d0)
        # durations are integers: d > threshold ⇔ d > floor(threshold)
        cut = (groups << DURATION_BITS) | np.floor(threshold).astype(np.int64)
        tail_lo = np.searchsorted(self._keys, cut, side="right")
        count = hi - tail_lo
        which = np.repeat(np.arange(len(count)), count)
        pos_in = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count) + tail_lo[which]
        keys = self._keys[pos_in]
        faster = np.searchsorted(self._keys, keys, side="left")
        as_fast = np.searchsorted(self._keys, keys, side="right") - faster
        ranks = percentile_rank(faster - lo[which], as_fast, n[which])
        return SlowSpans(self._rows[pos_in], ranks, n[which])


def node_ranks(store: "SpanStore", ranks: DurationRanks, node_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(span node ids, whole percentile rank 0–100 as uint8) of the nodes of a view that are spans
    held by the store (summary marks and service nodes are left out), for a colour by percentile."""
    uids = store.uid
    at = np.searchsorted(uids, node_ids)  # uids increase with rows
    found = at < len(uids)
    found[found] = uids[at[found]] == node_ids[found]
    rows = at[found]
    ranks.sync(store)
    rank, _ = ranks.ranks(store, rows)
    return node_ids[found].astype(np.uint32), np.clip(np.floor(rank), 0, 100).astype(np.uint8)
