"""SpanStore: every retained span as numpy columns, plus the details kept aside.

Rows are appended; a span is identified on the wire by its `uid`, which never changes.
An add links only what it can change: the new spans, and the subtrees of the orphans whose
parent just arrived (found through an index of parent ids), so a growing trace costs O(k), not
O(trace). Eviction re-links the traces it cuts into, whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from vrmon.model.details import describe_span
from vrmon.model.flags import SpanFlag
from vrmon.model.ids import format_trace_id
from vrmon.model.span_batch import SpanBatch
from vrmon.model.string_table import StringTable

ABSURD_DURATION_US = 24 * 3600 * 1_000_000  # a span longer than a day is a bug, not a request


_LINK_FLAGS = np.uint8(SpanFlag.ORPHAN | SpanFlag.CLOCK_SKEW | SpanFlag.CYCLE)  # what linking decides

_TRACE_COLUMNS: dict[str, Any] = {
    "start_us": np.int64,
    "end_us": np.int64,
    "spans": np.int64,
    "errors": np.int64,
    "root_service": np.int32,
    "root_operation": np.int32,
}

_COLUMNS: dict[str, Any] = {
    "uid": np.int64,
    "trace": np.int32,
    "span_id": np.uint64,
    "parent_id": np.uint64,
    "parent": np.int32,  # row of the parent span, -1 for roots and orphans
    "service": np.int32,
    "operation": np.int32,
    "start_us": np.int64,
    "duration_us": np.int64,
    "flags": np.uint8,
    "kind": np.int8,
    "depth": np.int32,
}


@dataclass(frozen=True)
class AddResult:
    rows: np.ndarray  # rows appended by this add
    traces: np.ndarray  # trace codes whose spans were added or re-linked
    skipped: int  # spans already in the store (re-fetched), not added again


@dataclass(frozen=True)
class EvictResult:
    spans: int  # spans removed
    traces: np.ndarray  # trace codes left with no span (they stay valid codes, with zero spans)


class SpanStore:
    def __init__(self) -> None:
        self.services = StringTable()
        self.operations = StringTable(capacity=65535)
        self.trace_ids: list[int] = []
        self._trace_codes: dict[int, int] = {}
        self._cols = {name: np.empty(0, dtype) for name, dtype in _COLUMNS.items()}
        self._n = 0
        self._next_uid = 0
        self.details: list[bytes] = []
        self._spans = _KeyIndex()  # (trace, span id) -> row: de-duplication and parent lookup
        self._children = _KeyIndex()  # (trace, parent id) -> rows naming it: orphans to adopt, subtrees
        self._root_rows = np.empty(0, np.int64)  # per trace code: the row trace_summaries' root comes from
        self._relinks = np.empty(0, np.int64)  # per trace code: see `relinks_of`
        self.unknown_ref_types: set[str] = set()
        # per-trace aggregates indexed by trace code, refreshed for the traces each change touches
        self._traces = {name: np.empty(0, dtype) for name, dtype in _TRACE_COLUMNS.items()}
        self.version = 0  # bumped on every change, so scenes know when to look again
        self.compactions = 0  # bumped when an eviction renumbers rows

    def __len__(self) -> int:
        return self._n

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self._n]
        raise AttributeError(name)

    @property
    def trace_count(self) -> int:
        return len(self.trace_ids)

    # -- adding ---------------------------------------------------------------------------

    def add(self, batch: SpanBatch) -> AddResult:
        if not len(batch):
            return AddResult(np.empty(0, np.int64), np.empty(0, np.int32), 0)
        arrays = batch.to_arrays()
        codes = {t: self._trace_code(t) for t in dict.fromkeys(batch.trace_id)}  # in first-seen order
        trace = np.fromiter(map(codes.__getitem__, batch.trace_id), dtype=np.int32, count=len(batch))
        keys = _make_keys(trace, arrays["span_id"])
        already = self._spans.first(keys) >= 0
        keep = ~already
        # within the batch: the first copy of a span id is the span, later copies are flagged
        _, first = np.unique(keys, return_index=True)
        duplicate = np.ones(len(keys), bool)
        duplicate[first] = False
        n_new = int(keep.sum())
        if n_new == 0:
            return AddResult(np.empty(0, np.int64), np.empty(0, np.int32), len(batch))

        duration = arrays["duration_us"]
        flags = (
            np.where(arrays["error"], SpanFlag.ERROR, 0)
            | np.where(duplicate, SpanFlag.DUPLICATE, 0)
            | np.where((duration < 0) | (duration > ABSURD_DURATION_US), SpanFlag.BAD_DURATION, 0)
            | np.where(arrays["follows_from"], SpanFlag.FOLLOWS_FROM, 0)
        ).astype(np.uint8)
        new = {
            "uid": np.arange(self._next_uid, self._next_uid + len(batch), dtype=np.int64),
            "trace": trace,
            "span_id": arrays["span_id"],
            "parent_id": arrays["parent_id"],
            "parent": np.full(len(batch), -1, np.int32),
            "service": self.services.intern_many(batch.service),
            "operation": self.operations.intern_many(batch.operation),
            "start_us": arrays["start_us"],
            "duration_us": duration,
            "flags": flags,
            "kind": arrays["kind"],
            "depth": np.zeros(len(batch), np.int32),
        }
        details = batch.details
        if not keep.all():
            new = {name: col[keep] for name, col in new.items()}
            details = [d for d, k in zip(details, keep) if k]
            new["uid"] = np.arange(self._next_uid, self._next_uid + n_new, dtype=np.int64)
            keys, duplicate = keys[keep], duplicate[keep]
        start = self._n
        self._append(new)
        self.details.extend(details)
        self._next_uid += n_new
        rows = np.arange(start, start + n_new, dtype=np.int64)
        self._spans.insert(keys[~duplicate], rows[~duplicate])
        named = new["parent_id"] != 0
        self._children.insert(_make_keys(new["trace"][named], new["parent_id"][named]), rows[named])
        self.unknown_ref_types |= batch.unknown_ref_types

        touched = np.unique(new["trace"])
        # existing spans whose parent just arrived were orphans: they and their subtrees move
        _, waiting = self._children.all_of(keys[~duplicate]) if start else (None, rows[:0])
        adopted = waiting[waiting < start]
        affected = np.concatenate([self._subtrees(adopted), rows])  # ascending: new rows come last
        old_depth = self._cols["depth"][affected].copy()
        self._link(affected)
        self._summarise_added(touched, rows, affected, old_depth)
        np.add.at(self._relinks, self._cols["trace"][adopted], 1)
        self.version += 1
        return AddResult(rows, touched, len(batch) - n_new)

    def _trace_code(self, trace_id: int) -> int:
        code = self._trace_codes.get(trace_id)
        if code is None:
            code = self._trace_codes[trace_id] = len(self.trace_ids)
            self.trace_ids.append(trace_id)
        return code

    def _append(self, new: dict[str, np.ndarray]) -> None:
        need = self._n + len(new["uid"])
        for name, col in self._cols.items():
            if len(col) < need:
                grown = np.empty(max(need, 2 * len(col), 1024), col.dtype)
                grown[: self._n] = col[: self._n]
                self._cols[name] = col = grown
            col[self._n : need] = new[name]
        self._n = need

    def _subtrees(self, tops: np.ndarray) -> np.ndarray:
        """`tops` and every row under them, following the current parent links (a forest, so
        this ends), one vectorised step per level."""
        cols = self._cols
        found = [tops]
        frontier = tops
        while len(frontier):
            which, named = self._children.all_of(_make_keys(cols["trace"][frontier], cols["span_id"][frontier]))
            frontier = named[cols["parent"][named] == frontier[which]]  # a duplicate id's children link elsewhere
            found.append(frontier)
        return np.unique(np.concatenate(found))

    def _relink(self, traces: np.ndarray) -> None:
        """Re-link every row of these traces from scratch and recompute their aggregates."""
        rows = np.flatnonzero(np.isin(self._cols["trace"][: self._n], traces))
        self._link(rows)
        self._summarise(traces, rows)

    def _link(self, rows: np.ndarray) -> None:
        """Resolve parents, depth, orphan/skew/cycle flags of `rows` (ascending).

        `rows` must hold every row whose link or depth can change; a parent outside them keeps
        its depth, so their depths start from it.
        """
        cols = self._cols
        parent_id = cols["parent_id"][rows]
        parent = self._spans.first(_make_keys(cols["trace"][rows], parent_id))
        parent[parent == rows] = -1  # a span that names itself as parent is a root
        flags = cols["flags"][rows] & ~_LINK_FLAGS
        flags |= np.where((parent_id != 0) & (parent < 0), SpanFlag.ORPHAN, 0).astype(np.uint8)

        # parents as local indices into `rows`; a parent outside them is where the depth starts
        at = np.minimum(np.searchsorted(rows, parent), len(rows) - 1)
        inside = (parent >= 0) & (rows[at] == parent)
        local = np.where(inside, at, -1)
        outside = (parent >= 0) & ~inside
        base = np.where(outside, cols["depth"][np.where(outside, parent, 0)] + 1, 0).astype(np.int32)
        depth, cut = _depths(np.where(outside, -1, local), base)
        if len(cut):
            parent[cut] = -1
            flags[cut] |= np.uint8(SpanFlag.CYCLE)
        has = parent >= 0
        p = parent[has]
        start = cols["start_us"][rows]
        end = start + np.maximum(cols["duration_us"][rows], 0)
        p_start = cols["start_us"][p]
        p_end = p_start + np.maximum(cols["duration_us"][p], 0)
        skew = np.zeros(len(rows), bool)
        skew[has] = (start[has] < p_start) | (end[has] > p_end)
        skew &= (flags & SpanFlag.FOLLOWS_FROM) == 0
        flags |= np.where(skew, SpanFlag.CLOCK_SKEW, 0).astype(np.uint8)

        cols["parent"][rows] = parent
        cols["depth"][rows] = depth
        cols["flags"][rows] = flags

    def _grow_trace_columns(self) -> None:
        count = self.trace_count
        agg = self._traces
        if len(agg["spans"]) < count:
            for name, col in agg.items():
                grown = np.zeros(max(count, 2 * len(col), 256), col.dtype)
                grown[: len(col)] = col
                agg[name] = grown
            grown = np.full(len(agg["spans"]), -1, np.int64)
            grown[: len(self._root_rows)] = self._root_rows
            self._root_rows = grown
            grown = np.zeros(len(agg["spans"]), np.int64)
            grown[: len(self._relinks)] = self._relinks
            self._relinks = grown

    def _summarise(self, traces: np.ndarray, rows: np.ndarray) -> None:
        """Recompute the aggregates of `traces` from `rows`, all rows of those traces."""
        self._grow_trace_columns()
        agg = self._traces
        cols = self._cols
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
        self._set_roots(rows)

    def _set_roots(self, candidates: np.ndarray) -> None:
        """The root of each trace among `candidates`: the earliest-starting span at the smallest
        depth, ties to the earliest row."""
        cols = self._cols
        t = cols["trace"][candidates]
        order = np.lexsort((candidates, cols["start_us"][candidates], cols["depth"][candidates], t))
        first = np.ones(len(order), bool)
        first[1:] = t[order][1:] != t[order][:-1]
        root_rows = candidates[order[first]]
        traces = t[order[first]]
        self._root_rows[traces] = root_rows
        self._traces["root_service"][traces] = cols["service"][root_rows]
        self._traces["root_operation"][traces] = cols["operation"][root_rows]

    def _summarise_added(self, traces: np.ndarray, added: np.ndarray, relinked: np.ndarray, old_depth: np.ndarray) -> None:
        """Update the aggregates of `traces` for the rows just `added`; `relinked` are every row
        whose depth may have changed (ascending, with `old_depth` their depths before)."""
        self._grow_trace_columns()
        agg = self._traces
        cols = self._cols
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
        old_root = self._root_rows[traces]
        kept_root = old_root[~fresh]
        moved = np.isin(kept_root, relinked)
        moved[moved] = cols["depth"][kept_root[moved]] != old_depth[np.searchsorted(relinked, kept_root[moved])]
        rescan = np.flatnonzero(np.isin(cols["trace"][: self._n], traces[~fresh][moved])) if moved.any() else np.empty(0, np.int64)
        self._set_roots(np.unique(np.concatenate([relinked, kept_root[~moved], rescan])))

    # -- evicting -------------------------------------------------------------------------

    def evict(self, older_than_us: int | None = None, max_spans: int | None = None) -> EvictResult:
        """Drop whole traces last active before `older_than_us`, then the least recently active
        ones until at most `max_spans` spans remain (a newest trace larger than that on its own
        loses its earliest-starting spans).

        Surviving spans keep their uid (their node id on the wire); rows, the key index and
        parent links are compacted, and traces that lost only some spans are re-linked. A trace
        left with no span keeps its code, so views holding it stay valid and show nothing.
        """
        count = self.trace_count
        spans = self._traces["spans"][:count]
        last_active = self._traces["end_us"][:count]
        live = spans > 0
        drop = live & (last_active < older_than_us) if older_than_us is not None else np.zeros(count, bool)
        keep = ~drop[self.trace]
        if max_spans is not None and int(keep.sum()) > max_spans:
            keep = self._keep_newest(live & ~drop, max_spans)
        if keep.all():
            return EvictResult(0, np.empty(0, np.int32))

        lost = np.unique(self.trace[~keep])
        self._compact(np.flatnonzero(keep))
        remaining = np.bincount(self.trace, minlength=count)[lost]
        emptied, partial = lost[remaining == 0], lost[remaining > 0]
        for name in ("spans", "errors", "start_us", "end_us"):
            self._traces[name][emptied] = 0
        for code in emptied.tolist():  # a trace id that comes back later gets a fresh code
            self._trace_codes.pop(self.trace_ids[code], None)
        if len(partial):
            self._relink(partial)
        self.version += 1
        self.compactions += 1
        return EvictResult(int((~keep).sum()), emptied.astype(np.int32))

    def _keep_newest(self, candidates: np.ndarray, max_spans: int) -> np.ndarray:
        """Row mask keeping the most recently active candidate traces, at most `max_spans` spans."""
        codes = np.flatnonzero(candidates)
        newest_first = codes[np.argsort(-self._traces["end_us"][codes], kind="stable")]
        over = np.cumsum(self._traces["spans"][newest_first]) > max_spans
        kept_traces = np.zeros(len(candidates), bool)
        kept_traces[newest_first[~over]] = True
        keep = kept_traces[self.trace]
        if over[0]:  # the newest trace alone is over the cap: keep its latest-starting spans
            rows = np.flatnonzero(self.trace == newest_first[0])
            keep[rows[np.argsort(self.start_us[rows], kind="stable")[-max_spans:]]] = True
        return keep

    def _compact(self, kept: np.ndarray) -> None:
        """Keep only rows `kept` (ascending), in order, so uids stay sorted by row."""
        remap = np.full(self._n, -1, np.int64)
        remap[kept] = np.arange(len(kept))
        for col in self._cols.values():
            col[: len(kept)] = col[kept]
        self._n = len(kept)
        parent = self._cols["parent"][: self._n]
        linked = parent >= 0
        parent[linked] = remap[parent[linked]]  # an evicted parent becomes -1; re-linking flags the orphans
        self.details = np.array(self.details, dtype=object)[kept].tolist()
        self._spans.compact(remap)
        self._children.compact(remap)
        known = self._root_rows >= 0
        self._root_rows[known] = remap[self._root_rows[known]]  # a lost root's trace is re-linked or emptied

    # -- reading --------------------------------------------------------------------------

    def rows_of_trace(self, trace: int) -> np.ndarray:
        return np.flatnonzero(self.trace == trace)

    def children_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which, children): every span linked under each of `rows`, with the index in `rows` of
        its parent; O(k log n) through the parent-id index, without scanning the store."""
        which, named = self._children.all_of(_make_keys(self.trace[rows], self.span_id[rows]))
        linked = self.parent[named] == rows[which]  # a duplicate id's children link elsewhere
        return which[linked], named[linked]

    def relinks_of(self, trace: int) -> int:
        """How often spans already in `trace` changed link, depth or flags because a late parent
        arrived: a view that extends its last layout with new rows must then start over."""
        return int(self._relinks[trace]) if trace < len(self._relinks) else 0

    def trace_summaries(self) -> dict[str, np.ndarray]:
        """Per trace code: start, end, span and error counts, root service and operation."""
        return {name: col[: self.trace_count] for name, col in self._traces.items()}

    def row_of_uid(self, uid: int) -> int:
        """Row of a span uid, or -1. uids increase with rows, so this is a binary search."""
        uids = self.uid
        at = int(np.searchsorted(uids, uid))
        return at if at < len(uids) and uids[at] == uid else -1

    def row_of_span(self, trace: int, span_id: int) -> int:
        """Row of the span with this id in trace `trace` (a code), or -1; O(log n) through the id index."""
        if not 0 <= span_id < 2**64:
            return -1
        return int(self._spans.first(_make_keys(np.array([trace]), np.array([span_id], np.uint64)))[0])

    def span_details(self, row: int) -> dict[str, Any]:
        """Everything known about one span, as plain JSON-able values (for `details` frames)."""
        return describe_span(self, row, msgpack.unpackb(self.details[row]))

    def trace_id_hex(self, trace: int) -> str:
        return format_trace_id(self.trace_ids[trace])

    def trace_code(self, trace_id_hex: str) -> int | None:
        try:
            return self._trace_codes.get(int(trace_id_hex, 16))
        except ValueError:
            return None


def _make_keys(trace: np.ndarray, span_id: np.ndarray) -> np.ndarray:
    """12-byte big-endian (trace code, span id) keys: byte order = numeric order."""
    packed = np.empty(len(trace), dtype=[("t", ">u4"), ("s", ">u8")])
    packed["t"] = trace
    packed["s"] = span_id
    return packed.view("S12")


class _KeyIndex:
    """12-byte keys -> rows (a key may repeat), for O(k log n) lookups as rows arrive.

    Two sorted levels: new keys go into a small one, merged into the large one once it holds
    1/MERGE_FRACTION of it, so adding k keys moves O(k + n / MERGE_FRACTION) memory (amortised)
    rather than the whole index every time.
    """

    MERGE_FRACTION = 32
    MERGE_FLOOR = 4096  # below this many recent keys, never merge

    def __init__(self) -> None:
        self._main = _SortedKeys()
        self._recent = _SortedKeys()

    def insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self._recent.insert(keys[order], rows[order])
        if len(self._recent.keys) > max(self.MERGE_FLOOR, len(self._main.keys) // self.MERGE_FRACTION):
            self._main.insert(self._recent.keys, self._recent.rows)
            self._recent = _SortedKeys()

    def first(self, keys: np.ndarray) -> np.ndarray:
        """A row holding each key, -1 where absent."""
        found = self._main.first(keys)
        return np.where(found >= 0, found, self._recent.first(keys))

    def all_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which, rows): every row holding each key, with the index of that key in `keys`."""
        which, rows = zip(self._main.all_of(keys), self._recent.all_of(keys))
        return np.concatenate(which), np.concatenate(rows)

    def compact(self, remap: np.ndarray) -> None:
        """Rows renumbered by `remap` (old row -> new row, -1 = gone)."""
        self._main.compact(remap)
        self._recent.compact(remap)


class _SortedKeys:
    """One sorted level of a _KeyIndex."""

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype="S12")
        self.rows = np.empty(0, dtype=np.int64)

    def insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Insert `keys` (sorted) with their rows."""
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, at, keys)
        self.rows = np.insert(self.rows, at, rows)

    def first(self, keys: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.full(len(keys), -1, np.int64)
        at = np.searchsorted(self.keys, keys)
        at_c = np.minimum(at, len(self.keys) - 1)
        found = self.keys[at_c] == keys
        return np.where(found, self.rows[at_c], -1)

    def all_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.searchsorted(self.keys, keys, side="left")
        count = np.searchsorted(self.keys, keys, side="right") - lo
        which = np.repeat(np.arange(len(keys)), count)
        step = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count)
        return which, self.rows[np.repeat(lo, count) + step]

    def compact(self, remap: np.ndarray) -> None:
        kept = remap[self.rows] >= 0
        self.keys = self.keys[kept]
        self.rows = remap[self.rows[kept]]


def _depths(parent: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth of every node of a parent-pointer forest, by pointer jumping (O(n log depth)); a
    root's depth is its `base`.

    Returns (depth, cut): `cut` are nodes whose parent link must be removed to break cycles;
    depths are computed as if those links were already cut (a cut node is a root at depth 0).
    """
    parent = parent.copy()
    base = base.copy()
    cut_all: list[np.ndarray] = []
    while True:
        depth = np.where(parent >= 0, 1, base).astype(np.int32)
        anc = parent.copy()
        for _ in range(64):
            live = np.flatnonzero(anc >= 0)
            if not len(live):
                return depth, (np.concatenate(cut_all) if cut_all else np.empty(0, np.int64))
            a = anc[live]
            depth[live] += depth[a]
            anc[live] = anc[a]
        # still unresolved after 2^64 hops: every such pointer now sits on a cycle
        on_cycle = np.unique(anc[anc >= 0])
        cut_all.append(on_cycle)
        parent[on_cycle] = -1
        base[on_cycle] = 0
