"""SpanStore: every retained span as numpy columns, plus the details kept aside.

Rows are appended; a span is identified on the wire by its `uid`, which never changes.
Parent links, depth and flags are recomputed, vectorised, for the traces an add touches.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from vrmon.model.ids import format_trace_id
from vrmon.model.span_batch import SpanBatch
from vrmon.model.string_table import StringTable

ABSURD_DURATION_US = 24 * 3600 * 1_000_000  # a span longer than a day is a bug, not a request


class SpanFlag(enum.IntFlag):
    ERROR = 1
    ORPHAN = 2  # names a parent that is not in the trace; drawn at depth 0
    CLOCK_SKEW = 4  # starts before or ends after its CHILD_OF parent
    DUPLICATE = 8  # same span id as an earlier span of the trace
    BAD_DURATION = 16  # negative or longer than a day; drawn as zero length
    CYCLE = 32  # its parent chain loops; the link was cut here
    FOLLOWS_FROM = 64  # its parent link is FOLLOWS_FROM, not CHILD_OF


FLAG_REASONS = {
    SpanFlag.ORPHAN: "its parent span is not in the trace (shown at depth 0)",
    SpanFlag.CLOCK_SKEW: "it starts before or ends after its parent (clock skew or async work)",
    SpanFlag.DUPLICATE: "another span of this trace has the same span id",
    SpanFlag.BAD_DURATION: "its duration is negative or longer than a day (drawn as zero length)",
    SpanFlag.CYCLE: "its parent chain loops back on itself (the link was cut here)",
}

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
        # sorted (trace, span id) keys for de-duplication and parent lookup
        self._keys = np.empty(0, dtype="S12")
        self._key_rows = np.empty(0, dtype=np.int64)
        self.unknown_ref_types: set[str] = set()
        # per-trace aggregates indexed by trace code, refreshed for the traces each change touches
        self._traces = {name: np.empty(0, dtype) for name, dtype in _TRACE_COLUMNS.items()}
        self.version = 0  # bumped on every change, so scenes know when to look again

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
        trace = np.fromiter((self._trace_code(t) for t in batch.trace_id), dtype=np.int32, count=len(batch))
        keys = _make_keys(trace, arrays["span_id"])
        already = self._lookup(keys) >= 0
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
        self._index_keys(keys[~duplicate], rows[~duplicate])
        self.unknown_ref_types |= batch.unknown_ref_types

        touched = np.unique(new["trace"])
        self._relink(touched)
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

    def _index_keys(self, keys: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        at = np.searchsorted(self._keys, keys)
        self._keys = np.insert(self._keys, at, keys)
        self._key_rows = np.insert(self._key_rows, at, rows)

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        """Rows holding these (trace, span id) keys, -1 where absent."""
        if not len(self._keys):
            return np.full(len(keys), -1, np.int64)
        at = np.searchsorted(self._keys, keys)
        at_c = np.minimum(at, len(self._keys) - 1)
        found = self._keys[at_c] == keys
        return np.where(found, self._key_rows[at_c], -1)

    def _relink(self, traces: np.ndarray) -> None:
        """Resolve parents, depth, orphan/skew/cycle flags for every row of these traces."""
        cols = self._cols
        n = self._n
        rows = np.flatnonzero(np.isin(cols["trace"][:n], traces))
        parent_id = cols["parent_id"][rows]
        parent = self._lookup(_make_keys(cols["trace"][rows], parent_id))
        parent[parent == rows] = -1  # a span that names itself as parent is a root
        flags = cols["flags"][rows] & ~np.uint8(SpanFlag.ORPHAN | SpanFlag.CLOCK_SKEW | SpanFlag.CYCLE)
        flags |= np.where((parent_id != 0) & (parent < 0), SpanFlag.ORPHAN, 0).astype(np.uint8)

        # parents as local indices into `rows` (same trace, so always inside `rows`)
        local = np.where(parent >= 0, np.searchsorted(rows, parent), -1)
        depth, cut = _depths(local)
        if len(cut):
            local[cut] = -1
            parent[cut] = -1
            flags[cut] |= np.uint8(SpanFlag.CYCLE)
        has = local >= 0
        p = local[has]
        start = cols["start_us"][rows]
        end = start + np.maximum(cols["duration_us"][rows], 0)
        skew = np.zeros(len(rows), bool)
        skew[has] = (start[has] < start[p]) | (end[has] > end[p])
        skew &= (flags & SpanFlag.FOLLOWS_FROM) == 0
        flags |= np.where(skew, SpanFlag.CLOCK_SKEW, 0).astype(np.uint8)

        cols["parent"][rows] = parent
        cols["depth"][rows] = depth
        cols["flags"][rows] = flags
        self._summarise(traces, rows)

    def _summarise(self, traces: np.ndarray, rows: np.ndarray) -> None:
        """Recompute the aggregates of `traces` from `rows`, all rows of those traces."""
        count = self.trace_count
        agg = self._traces
        if len(agg["spans"]) < count:
            for name, col in agg.items():
                grown = np.zeros(max(count, 2 * len(col), 256), col.dtype)
                grown[: len(col)] = col
                agg[name] = grown
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
        # the root: the earliest-starting span at the smallest depth, ties to the earliest row
        order = np.lexsort((start, cols["depth"][rows], t))
        first = np.ones(len(order), bool)
        first[1:] = t[order][1:] != t[order][:-1]
        root_rows = rows[order[first]]
        agg["root_service"][t[order[first]]] = cols["service"][root_rows]
        agg["root_operation"][t[order[first]]] = cols["operation"][root_rows]

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
        indexed = remap[self._key_rows] >= 0
        self._keys = self._keys[indexed]
        self._key_rows = remap[self._key_rows[indexed]]

    # -- reading --------------------------------------------------------------------------

    def rows_of_trace(self, trace: int) -> np.ndarray:
        return np.flatnonzero(self.trace == trace)

    def trace_summaries(self) -> dict[str, np.ndarray]:
        """Per trace code: start, end, span and error counts, root service and operation."""
        return {name: col[: self.trace_count] for name, col in self._traces.items()}

    def row_of_uid(self, uid: int) -> int:
        """Row of a span uid, or -1. uids increase with rows, so this is a binary search."""
        uids = self.uid
        at = int(np.searchsorted(uids, uid))
        return at if at < len(uids) and uids[at] == uid else -1

    def span_details(self, row: int) -> dict[str, Any]:
        """Everything known about one span, as plain JSON-able values (for `details` frames)."""
        from vrmon.model.details import describe_span

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


def _depths(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth of every node of a parent-pointer forest, by pointer jumping (O(n log depth)).

    Returns (depth, cut): `cut` are nodes whose parent link must be removed to break cycles;
    depths are computed as if those links were already cut.
    """
    parent = parent.copy()
    cut_all: list[np.ndarray] = []
    while True:
        depth = (parent >= 0).astype(np.int32)
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
