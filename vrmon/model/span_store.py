"""SpanStore: every retained span as numpy columns, plus the details kept aside.

Rows are appended; a span is identified on the wire by its `uid`, which never changes.
An add links only what it can change: the new spans, and the subtrees of the orphans whose
parent just arrived (found through an index of parent ids), so a growing trace costs O(k), not
O(trace). Eviction re-links the traces it cuts into, whole.

The parts: key_index.py finds rows by (trace, span id), span_links.py links rows into trees,
trace_aggregates.py keeps the per-trace counts and roots; this module adds, evicts and reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from vrmon.model.columns import grown, sorted_unique
from vrmon.model.flags import SpanFlag
from vrmon.model.ids import format_trace_id
from vrmon.model.key_index import KeyIndex, make_keys
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_links import link, subtrees
from vrmon.model.string_table import StringTable
from vrmon.model.trace_aggregates import TraceAggregates
from vrmon.tracing import span

__all__ = ["ABSURD_DURATION_US", "AddResult", "EvictResult", "SpanFlag", "SpanStore"]

ABSURD_DURATION_US = 24 * 3600 * 1_000_000  # a span longer than a day is a bug, not a request

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
    "peer": np.int32,  # service code of the remote service the span names (Zipkin's remoteEndpoint), -1 if none
    "callee": np.int32,  # code in `callees` of what the span calls, read from its tags at load; 0: nothing named
}


@dataclass(frozen=True)
class AddResult:
    rows: np.ndarray  # rows appended by this add
    traces: np.ndarray  # trace codes whose spans were added or re-linked
    skipped: int  # spans already in the store (re-fetched), not added again
    added: np.ndarray | None = None  # per span of the batch: True where it was added (None: every span)


@dataclass(frozen=True)
class EvictResult:
    spans: int  # spans removed
    traces: np.ndarray  # trace codes left with no span (they stay valid codes, with zero spans)


class SpanStore:
    def __init__(self) -> None:
        self.services = StringTable()
        self.operations = StringTable(capacity=65535)
        self.callees = StringTable()
        self.callees.intern("")  # code 0: the span's tags name no peer
        self.trace_ids: list[int] = []
        self._trace_codes: dict[int, int] = {}
        self._cols = {name: np.empty(0, dtype) for name, dtype in _COLUMNS.items()}
        self._n = 0
        self._next_uid = 0
        self.details: list[bytes] = []
        self._spans = KeyIndex()  # (trace, span id) -> row: de-duplication and parent lookup
        self._children = KeyIndex()  # (trace, parent id) -> rows naming it: orphans to adopt, subtrees
        self.unknown_ref_types: set[str] = set()
        self._traces = TraceAggregates()  # refreshed for the traces each change touches
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

    def add(self, batch: SpanBatch, *, pinned: bool = False, arrived_us: int | None = None) -> AddResult:
        """Add a batch's new spans. Their traces count as active now (or at `arrived_us`), whatever
        the spans' own times; `pinned` (a file the user loaded) keeps their traces from eviction."""
        with span("store add", {"vrmon.spans": len(batch)}) as current:
            added = self._add(batch, pinned, time.time_ns() // 1000 if arrived_us is None else arrived_us)
            current.set_attribute("vrmon.spans.added", len(added.rows))
            return added

    def _add(self, batch: SpanBatch, pinned: bool, arrived_us: int) -> AddResult:
        if not len(batch):
            return AddResult(np.empty(0, np.int64), np.empty(0, np.int32), 0)
        arrays = batch.to_arrays()
        codes = {t: self._trace_code(t) for t in dict.fromkeys(batch.trace_id)}  # in first-seen order
        trace = np.fromiter(map(codes.__getitem__, batch.trace_id), dtype=np.int32, count=len(batch))
        keys = make_keys(trace, arrays["span_id"])
        already = self._spans.first(keys) >= 0
        keep = ~already
        # within the batch: the first copy of a span id is the span, later copies are flagged
        _, first = np.unique(keys, return_index=True)
        duplicate = np.ones(len(keys), bool)
        duplicate[first] = False
        n_new = int(keep.sum())
        if n_new == 0:
            return AddResult(np.empty(0, np.int64), np.empty(0, np.int32), len(batch), keep)

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
            "peer": _sparse_codes(batch.peer_service, self.services, len(batch), -1),
            "callee": _sparse_codes(batch.callee, self.callees, len(batch), 0),
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
        # existing spans whose parent just arrived were orphans: they and their subtrees move (asked
        # before the new spans' own parent ids go in, so only earlier rows answer)
        _, adopted = self._children.all_of(keys[~duplicate]) if start else (None, rows[:0])
        named = new["parent_id"] != 0
        self._children.insert(make_keys(new["trace"][named], new["parent_id"][named]), rows[named])
        self.unknown_ref_types |= batch.unknown_ref_types

        touched = sorted_unique(new["trace"])
        affected = np.concatenate([subtrees(self._cols, self._children, adopted), rows])  # ascending: new rows last
        old_depth = self._cols["depth"][affected].copy()
        link(self._cols, affected, self._spans)
        self._traces.make_room(self.trace_count)
        self._traces.summarise_added(self._cols, self._n, touched, rows, affected, old_depth)
        self._traces.mark_arrived(touched, arrived_us, pinned)
        np.add.at(self._traces.relinks, self._cols["trace"][adopted], 1)
        self.version += 1
        return AddResult(rows, touched, len(batch) - n_new, keep)

    def _trace_code(self, trace_id: int) -> int:
        code = self._trace_codes.get(trace_id)
        if code is None:
            code = self._trace_codes[trace_id] = len(self.trace_ids)
            self.trace_ids.append(trace_id)
        return code

    def _append(self, new: dict[str, np.ndarray]) -> None:
        need = self._n + len(new["uid"])
        for name, col in self._cols.items():
            self._cols[name] = col = grown(col, need, used=self._n, least=1024)
            col[self._n : need] = new[name]
        self._n = need

    def _relink(self, traces: np.ndarray) -> None:
        """Re-link every row of these traces from scratch and recompute their aggregates."""
        rows = np.flatnonzero(np.isin(self._cols["trace"][: self._n], traces))
        link(self._cols, rows, self._spans)
        self._traces.summarise(self._cols, traces, rows)

    # -- evicting -------------------------------------------------------------------------

    def evict(self, older_than_us: int | None = None, max_spans: int | None = None) -> EvictResult:
        """Drop whole traces that received no span since `older_than_us` (arrival time, not the
        spans' own times), then the least recently arrived ones until at most `max_spans` evictable
        spans remain (a newest trace larger than that on its own loses its earliest-starting spans).
        Pinned traces (loaded from files) never leave and do not count against `max_spans`.

        Surviving spans keep their uid (their node id on the wire); rows, the key index and
        parent links are compacted, and traces that lost only some spans are re-linked. A trace
        left with no span keeps its code, so views holding it stay valid and show nothing.
        """
        count = self.trace_count
        evictable = self.evictable()
        drop = evictable & (self._traces.columns["arrived_us"][:count] < older_than_us) if older_than_us is not None else np.zeros(count, bool)
        keep = ~drop[self.trace]
        if max_spans is not None and int(np.count_nonzero(keep & evictable[self.trace])) > max_spans:
            keep = self._keep_newest(evictable & ~drop, max_spans) | ~evictable[self.trace]
        if keep.all():
            return EvictResult(0, np.empty(0, np.int32))

        lost = np.unique(self.trace[~keep])
        self._compact(np.flatnonzero(keep))
        remaining = np.bincount(self.trace, minlength=count)[lost]
        emptied, partial = lost[remaining == 0], lost[remaining > 0]
        self._traces.empty(emptied)
        for code in emptied.tolist():  # a trace id that comes back later gets a fresh code
            self._trace_codes.pop(self.trace_ids[code], None)
        if len(partial):
            self._relink(partial)
        self.version += 1
        self.compactions += 1
        return EvictResult(int((~keep).sum()), emptied.astype(np.int32))

    def evictable(self) -> np.ndarray:
        """Per trace code: holds spans that may leave (received live, not loaded from a file)."""
        agg = self._traces.view(self.trace_count)
        return (agg["spans"] > 0) & ~agg["pinned"]

    def evictable_spans(self) -> int:
        """Spans that count against --max-spans: those of traces not loaded from a file."""
        agg = self._traces.view(self.trace_count)
        return int(agg["spans"][self.evictable()].sum())

    def _keep_newest(self, candidates: np.ndarray, max_spans: int) -> np.ndarray:
        """Row mask keeping the most recently arrived candidate traces (ties: the latest ending
        first), at most `max_spans` spans."""
        codes = np.flatnonzero(candidates)
        agg = self._traces.columns
        newest_first = codes[np.lexsort((-agg["end_us"][codes], -agg["arrived_us"][codes]))]
        over = np.cumsum(agg["spans"][newest_first]) > max_spans
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
        self._traces.renumber_rows(remap)

    # -- replaying -------------------------------------------------------------------------

    def prefix(self, n: int) -> "SpanStore":
        """A new store holding this store's first `n` rows, as if only they had ever been added.

        For a store that never evicted: its rows are in arrival order and its trace, service and
        operation codes in order of first appearance, so the first n rows' codes are exactly those
        below the largest they use. A replay seeks this way, without adding every span again:
        traces cut by the prefix are re-linked whole, the others are as they were.
        """
        if self.compactions:
            raise ValueError("prefix() needs a store that never evicted")
        n = max(0, min(n, self._n))
        cols = self._cols

        def codes_used(name: str) -> int:
            return int(cols[name][:n].max()) + 1 if n else 0

        out = SpanStore()
        out.services = self.services.first(max(codes_used("service"), codes_used("peer")))
        out.operations = self.operations.first(codes_used("operation"))
        out.callees = self.callees.first(max(codes_used("callee"), 1))
        out.trace_ids = self.trace_ids[: codes_used("trace")]
        out._trace_codes = {trace_id: code for code, trace_id in enumerate(out.trace_ids)}
        out._cols = {name: col[:n].copy() for name, col in cols.items()}
        out._n = n
        out._next_uid = int(cols["uid"][n - 1]) + 1 if n else 0
        out.details = self.details[:n]
        out._spans = self._spans.rows_below(n)
        out._children = self._children.rows_below(n)
        out.unknown_ref_types = set(self.unknown_ref_types)
        out._traces = self._traces.first(out.trace_count)
        cut = np.unique(cols["trace"][n : self._n])
        cut = cut[cut < out.trace_count]
        if len(cut):
            out._relink(cut)
        out.version = 1
        return out

    # -- reading --------------------------------------------------------------------------

    def rows_of_trace(self, trace: int) -> np.ndarray:
        return np.flatnonzero(self.trace == trace)

    def children_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which, children): every span linked under each of `rows`, with the index in `rows` of
        its parent; O(k log n) through the parent-id index, without scanning the store."""
        which, named = self._children.all_of(make_keys(self.trace[rows], self.span_id[rows]))
        linked = self.parent[named] == rows[which]  # a duplicate id's children link elsewhere
        return which[linked], named[linked]

    def relinks_of(self, trace: int) -> int:
        """How often spans already in `trace` changed link, depth or flags because a late parent
        arrived: a view that extends its last layout with new rows must then start over."""
        return int(self._traces.relinks[trace]) if trace < len(self._traces.relinks) else 0

    def trace_summaries(self) -> dict[str, np.ndarray]:
        """Per trace code: start, end, span and error counts, root service and operation."""
        return self._traces.view(self.trace_count)

    def row_of_uid(self, uid: int) -> int:
        """Row of a span uid, or -1. uids increase with rows, so this is a binary search."""
        uids = self.uid
        at = int(np.searchsorted(uids, uid))
        return at if at < len(uids) and uids[at] == uid else -1

    def row_of_span(self, trace: int, span_id: int) -> int:
        """Row of the span with this id in trace `trace` (a code), or -1; O(log n) through the id index."""
        if not 0 <= span_id < 2**64:
            return -1
        return int(self._spans.first(make_keys(np.array([trace]), np.array([span_id], np.uint64)))[0])

    def trace_id_hex(self, trace: int) -> str:
        return format_trace_id(self.trace_ids[trace])

    def trace_code(self, trace_id_hex: str) -> int | None:
        try:
            return self._trace_codes.get(int(trace_id_hex, 16))
        except ValueError:
            return None


def _sparse_codes(names: dict[int, str], table: StringTable, n: int, absent: int) -> np.ndarray:
    """A column of `n` codes in `table` from a batch's sparse names by position; `absent` elsewhere."""
    codes = np.full(n, absent, np.int32)
    if names:
        codes[np.fromiter(names, np.int64, len(names))] = table.intern_many(names.values())
    return codes
