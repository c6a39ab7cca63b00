"""Findings: what is wrong in a trace, found by vectorised rules over the span store.

- `n-plus-one`: a parent's children include ≥ 5 calls of the same work (service, operation and
  peer) that run one after another — no two overlap and together they fill most of their window.
  Overlapping repeats are a fan-out, not an N+1.
- `error-root-cause`: from each errored span whose parent did not fail, walk down through errored
  children (the first to fail when several did) to the deepest errored span; if it gave up while
  a child was still running, the child (and, below it, whatever was still running) is the locus.
  Errored siblings that tie are one finding: the first to fail is the locus, the rest fallout.
- `slow-span`: above the 99th duration percentile of its service and operation (≥ 20 samples).
- The store's flags (orphans, clock skew, duplicate ids, bad durations, cycles), one finding per
  trace and flag.

`find_all` computes everything once; `FindingsIndex` keeps the answer up to date as a live store
grows, re-examining only the parents and traces an add touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vrmon.analysis.peers import NO_PEER, PeerCodes
from vrmon.analysis.percentiles import DurationRanks
from vrmon.model.ids import format_span_id
from vrmon.model.span_store import SpanFlag, SpanStore

KIND_ORDER = ("error-root-cause", "n-plus-one", "slow-span", "orphan", "clock-skew", "duplicate-span-id", "bad-duration", "cycle")

FLAG_FINDINGS: dict[SpanFlag, tuple[str, str]] = {
    SpanFlag.ORPHAN: ("orphan", "name a parent span that is not in the trace (drawn at depth 0)"),
    SpanFlag.CLOCK_SKEW: ("clock-skew", "start before or end after their parent (clock skew or async work)"),
    SpanFlag.DUPLICATE: ("duplicate-span-id", "repeat the span id of an earlier span of the trace"),
    SpanFlag.BAD_DURATION: ("bad-duration", "have a negative duration or one over a day (drawn as zero length)"),
    SpanFlag.CYCLE: ("cycle", "close a loop of parent links (the link was cut there)"),
}


@dataclass(frozen=True)
class FindingRules:
    n_plus_one_min_calls: int = 5
    n_plus_one_min_fill: float = 0.5  # "most of the window": summed call time / wall time
    # consecutive calls may overlap by this fraction of their mean duration (timestamp rounding)
    n_plus_one_overlap_tolerance: float = 0.02
    slow_percentile: float = 99.0
    slow_min_samples: int = 20


@dataclass(frozen=True)
class Finding:
    kind: str
    trace: int  # trace code in the store
    uids: tuple[int, ...]  # node ids of the spans it concerns (to light them up)
    start_us: int  # where it begins in time, for ordering
    fields: dict[str, Any] = field(compare=True)  # exactly what `to_json` gives

    def to_json(self) -> dict[str, Any]:
        return dict(self.fields)

    def sort_key(self) -> tuple[int, int, int]:
        return self.trace, KIND_ORDER.index(self.kind), self.start_us


class _Names:
    """Hex ids and names of store rows, for building findings."""

    def __init__(self, store: SpanStore) -> None:
        self.store = store

    def span(self, row: int) -> str:
        return format_span_id(int(self.store.span_id[row]))

    def service(self, row: int) -> str:
        return self.store.services.names[self.store.service[row]]

    def operation(self, row: int) -> str:
        return self.store.operations.names[self.store.operation[row]]

    def call(self, row: int) -> str:
        return f"{self.service(row)} {self.operation(row)}"

    def trace(self, row: int) -> str:
        return self.store.trace_id_hex(int(self.store.trace[row]))


def _ends(store: SpanStore) -> np.ndarray:
    return store.start_us + np.maximum(store.duration_us, 0)


# -- n-plus-one -----------------------------------------------------------------------------------


def n_plus_one(store: SpanStore, children: np.ndarray, peers: PeerCodes, rules: FindingRules) -> list[Finding]:
    """N+1 groups among `children` (rows; every child of a parent to judge must be among them)."""
    children = children[store.parent[children] >= 0]
    parent = store.parent[children].astype(np.int64)
    service = store.service[children].astype(np.int64)
    operation = store.operation[children].astype(np.int64)
    same_work = (parent << 32) | (service << 16) | operation  # codes fit 16 bits (string table capacity)
    _, inverse, counts = np.unique(same_work, return_inverse=True, return_counts=True)
    candidate = counts[inverse] >= rules.n_plus_one_min_calls
    if not candidate.any():
        return []
    rows = children[candidate]
    parent, service, operation = parent[candidate], service[candidate], operation[candidate]
    peer = peers.codes(store, rows)
    start = store.start_us[rows]
    duration = np.maximum(store.duration_us[rows], 0)
    order = np.lexsort((start, peer, operation, service, parent))
    rows, parent, service, operation, peer = rows[order], parent[order], service[order], operation[order], peer[order]
    start, duration = start[order], duration[order]
    end = start + duration

    new_group = np.ones(len(rows), bool)
    new_group[1:] = (parent[1:] != parent[:-1]) | (service[1:] != service[:-1]) | (operation[1:] != operation[:-1]) | (peer[1:] != peer[:-1])
    first = np.flatnonzero(new_group)
    group = np.cumsum(new_group) - 1
    calls = np.diff(np.append(first, len(rows)))
    summed = np.add.reduceat(duration, first)
    wall = np.maximum.reduceat(end, first) - start[first]  # sorted by start: the first starts first
    # in start order, no consecutive pair overlaps ⇔ no pair overlaps
    tolerance = rules.n_plus_one_overlap_tolerance * summed / calls
    same = group[1:] == group[:-1]
    overlapping = same & (end[:-1] - start[1:] > tolerance[group[1:]])
    overlaps = np.bincount(group[1:][overlapping], minlength=len(first))
    serial = (calls >= rules.n_plus_one_min_calls) & (overlaps == 0) & (wall > 0) & (summed > rules.n_plus_one_min_fill * wall)

    names = _Names(store)
    found = []
    for g in np.flatnonzero(serial).tolist():
        members = rows[first[g] : first[g] + calls[g]]
        p = int(parent[first[g]])
        head = int(members[0])
        peer_name = peers.names.names[int(peer[first[g]])]
        to = f" to {peer_name}" if peer_name != NO_PEER else ""
        wall_ms, sum_ms = wall[g] / 1000, summed[g] / 1000
        reason = (f"{calls[g]} {names.call(head)} calls{to} run one after another under {names.call(p)}: "
                  f"{wall_ms:.1f} ms of wall time, {sum_ms:.1f} ms summed ({100 * sum_ms / wall_ms:.1f}% of the window); "
                  "batch them or run them concurrently")
        found.append(Finding("n-plus-one", int(store.trace[p]), tuple(int(u) for u in store.uid[members]), int(start[first[g]]), {
            "kind": "n-plus-one",
            "trace": names.trace(p),
            "parent": names.span(p),
            "service": names.service(head),
            "operation": names.operation(head),
            "spans": [names.span(int(r)) for r in members],
            "calls": int(calls[g]),
            "wall_ms": round(float(wall_ms), 1),
            "sum_ms": round(float(sum_ms), 1),
            "reason": reason,
        }))
    return found


# -- error-root-cause -----------------------------------------------------------------------------


def error_root_causes(store: SpanStore, in_traces: np.ndarray | None = None) -> list[Finding]:
    """One finding per group of errored spans that failed on their own (see the module doc)."""
    flags, parent, start = store.flags, store.parent, store.start_us
    end = _ends(store)
    errored = (flags & SpanFlag.ERROR) != 0
    rows = np.flatnonzero(errored if in_traces is None else errored & np.isin(store.trace, in_traces))
    if not len(rows):
        return []
    p = parent[rows]
    under_error = (p >= 0) & errored[np.maximum(p, 0)]
    # the first to fail among each errored parent's errored children; the walk goes down through it
    inner = rows[under_error]
    first_failed_child = np.full(len(store), -1, np.int64)
    if len(inner):
        order = np.lexsort((inner, start[inner], end[inner], parent[inner]))
        inner = inner[order]
        lead = np.ones(len(inner), bool)
        lead[1:] = parent[inner][1:] != parent[inner][:-1]
        first_failed_child[parent[inner][lead]] = inner[lead]
    # tops: errored spans whose parent did not fail; tops sharing a parent tie
    tops = rows[~under_error]
    tie_parent = np.where(parent[tops] >= 0, parent[tops], -1 - store.trace[tops].astype(np.int64))
    order = np.lexsort((tops, start[tops], end[tops], tie_parent))
    tops, tie_parent = tops[order], tie_parent[order]
    lead = np.ones(len(tops), bool)
    lead[1:] = tie_parent[1:] != tie_parent[:-1]
    group = np.cumsum(lead) - 1
    tied = np.bincount(group)
    locus = tops[lead].copy()
    while True:  # down through the first-failed errored child, all walks at once
        deeper = first_failed_child[locus]
        if not (deeper >= 0).any():
            break
        locus = np.where(deeper >= 0, deeper, locus)
    messenger = locus.copy()
    locus = _still_running_below(store, locus, end)

    names = _Names(store)
    found = []
    leads = np.flatnonzero(lead)
    for g, (top, here, told) in enumerate(zip(tops[lead].tolist(), locus.tolist(), messenger.tolist())):
        chain = _chain_from_root(parent, here)
        others = int(tied[g]) - 1
        if here != told:
            reason = (f"{names.call(told)} failed after {store.duration_us[told] / 1000:.1f} ms while {names.call(here)} "
                      f"was still running (it took {store.duration_us[here] / 1000:.1f} ms): it used up the time budget")
        elif told != top:
            reason = f"{names.call(here)} failed with no failed child; the errored spans above it only pass the failure on"
        else:
            reason = f"{names.call(here)} failed with no failed child: the failure starts here"
        if others:
            reason += f"; it failed first of {others + 1} errored siblings under {names.call(int(parent[top])) if parent[top] >= 0 else 'the trace'}, the later {others} are fallout"
        concerned = chain + tops[leads[g] + 1 : leads[g] + 1 + others].tolist()
        found.append(Finding("error-root-cause", int(store.trace[here]), tuple(int(u) for u in store.uid[concerned]), int(start[here]), {
            "kind": "error-root-cause",
            "trace": names.trace(here),
            "span": names.span(here),
            "service": names.service(here),
            "operation": names.operation(here),
            "chain": [names.span(r) for r in chain],
            "reason": reason,
        }))
    return found


def _still_running_below(store: SpanStore, locus: np.ndarray, end: np.ndarray) -> np.ndarray:
    """For each errored locus with no failed child: if a child was still running when it ended
    (a timeout that gave up), go down to the earliest-started such child, repeatedly, judged
    against the same deadline; the locus itself otherwise."""
    deadline = end[locus]
    parent, start = store.parent, store.start_us
    current = locus.copy()
    active = np.arange(len(locus))
    while len(active):
        at = np.full(len(store), -1, np.int64)  # row → index of the walk standing on it
        at[current[active]] = active
        kids = np.flatnonzero((parent >= 0) & (at[np.maximum(parent, 0)] >= 0))
        walk = at[parent[kids]]
        running = (end[kids] > deadline[walk]) & (start[kids] < deadline[walk])
        kids, walk = kids[running], walk[running]
        if not len(kids):
            break
        order = np.lexsort((kids, start[kids], walk))
        kids, walk = kids[order], walk[order]
        lead = np.ones(len(kids), bool)
        lead[1:] = walk[1:] != walk[:-1]
        current[walk[lead]] = kids[lead]
        active = walk[lead]
    return current


def _chain_from_root(parent: np.ndarray, row: int) -> list[int]:
    chain = [row]
    while parent[chain[-1]] >= 0:
        chain.append(int(parent[chain[-1]]))
    return chain[::-1]


# -- slow-span ------------------------------------------------------------------------------------


def slow_spans(store: SpanStore, ranks: DurationRanks, rules: FindingRules) -> list[Finding]:
    slow = ranks.slow(rules.slow_percentile, rules.slow_min_samples)
    names = _Names(store)
    found = []
    for row, rank, samples in zip(slow.rows.tolist(), slow.ranks.tolist(), slow.samples.tolist()):
        reason = (f"{store.duration_us[row] / 1000:.1f} ms is above the p{rules.slow_percentile:g} of {samples:,} "
                  f"{names.call(row)} calls in the window (rank p{rank:.1f})")
        found.append(Finding("slow-span", int(store.trace[row]), (int(store.uid[row]),), int(store.start_us[row]), {
            "kind": "slow-span",
            "trace": names.trace(row),
            "span": names.span(row),
            "service": names.service(row),
            "operation": names.operation(row),
            "percentile": round(rank, 1),
            "samples": samples,
            "reason": reason,
        }))
    return found


# -- flags ----------------------------------------------------------------------------------------


def flag_findings(store: SpanStore, in_traces: np.ndarray | None = None) -> list[Finding]:
    """The store's per-span flags, one finding per trace and flag."""
    flags = store.flags
    if in_traces is not None:
        flags = np.where(np.isin(store.trace, in_traces), flags, 0)
    found = []
    names = _Names(store)
    for flag, (kind, says) in FLAG_FINDINGS.items():
        rows = np.flatnonzero(flags & flag)
        if not len(rows):
            continue
        rows = rows[np.argsort(store.trace[rows], kind="stable")]
        cuts = np.flatnonzero(np.diff(store.trace[rows])) + 1
        for members in np.split(rows, cuts):
            n = len(members)
            found.append(Finding(kind, int(store.trace[members[0]]), tuple(int(u) for u in store.uid[members]),
                                 int(store.start_us[members].min()), {
                "kind": kind,
                "trace": names.trace(int(members[0])),
                "spans": [names.span(int(r)) for r in members],
                "reason": f"{n} span{'s' if n > 1 else ''} {says}",
            }))
    return found


# -- all together ---------------------------------------------------------------------------------


def find_all(store: SpanStore, rules: FindingRules = FindingRules()) -> list[Finding]:
    """Every finding in the store, ordered by trace, kind and time."""
    index = FindingsIndex(rules)
    index.sync(store)
    return index.findings


class FindingsIndex:
    """The findings of a store, kept up to date by `sync` as spans arrive (or are evicted)."""

    def __init__(self, rules: FindingRules = FindingRules()) -> None:
        self.rules = rules
        self.peers = PeerCodes()
        self.ranks = DurationRanks()
        self.findings: list[Finding] = []
        self._n_plus_one: dict[int, list[Finding]] = {}  # by parent uid
        self._errors: dict[int, list[Finding]] = {}  # by trace code
        self._flags: dict[int, list[Finding]] = {}  # by trace code
        self._slow: list[Finding] = []
        self._seen = 0
        self._compactions = -1
        self._relinks: dict[int, int] = {}

    def sync(self, store: SpanStore) -> bool:
        """Take in what changed since the last call; True if the findings changed."""
        before = self.findings
        if store.compactions != self._compactions or len(store) < self._seen:
            self._rebuild(store)
        elif len(store) > self._seen:
            self._add(store, np.arange(self._seen, len(store), dtype=np.int64))
        else:
            return False
        self._seen = len(store)
        self.findings = sorted(
            [f for fs in self._errors.values() for f in fs]
            + [f for fs in self._n_plus_one.values() for f in fs]
            + self._slow
            + [f for fs in self._flags.values() for f in fs],
            key=Finding.sort_key,
        )
        return self.findings != before

    def _rebuild(self, store: SpanStore) -> None:
        self._compactions = store.compactions
        self.peers.forget_all_but(store.uid)
        self._n_plus_one = _by_key(n_plus_one(store, np.arange(len(store)), self.peers, self.rules), store, "parent")
        self._errors = _by_key(error_root_causes(store), store, "trace")
        self._flags = _by_key(flag_findings(store), store, "trace")
        self.ranks.sync(store)
        self._slow = slow_spans(store, self.ranks, self.rules)
        self._relinks = {t: store.relinks_of(t) for t in range(store.trace_count)}

    def _add(self, store: SpanStore, new: np.ndarray) -> None:
        traces = np.unique(store.trace[new])
        relinked = [t for t in traces.tolist() if store.relinks_of(t) != self._relinks.get(t, 0)]
        for t in relinked:
            self._relinks[t] = store.relinks_of(t)
        parent = store.parent
        judged = np.zeros(len(store), bool)  # parents whose children changed
        judged[parent[new][parent[new] >= 0]] = True
        if relinked:  # late parents adopted older spans: judge every parent of those traces
            judged[np.isin(store.trace, relinked)] = True
            self._n_plus_one = {k: v for k, v in self._n_plus_one.items() if v[0].trace not in relinked}
        for uid in store.uid[judged].tolist():
            self._n_plus_one.pop(uid, None)
        children = np.flatnonzero((parent >= 0) & judged[np.maximum(parent, 0)])
        self._n_plus_one.update(_by_key(n_plus_one(store, children, self.peers, self.rules), store, "parent"))
        for t in traces.tolist():
            self._errors.pop(t, None)
            self._flags.pop(t, None)
        self._errors.update(_by_key(error_root_causes(store, traces), store, "trace"))
        self._flags.update(_by_key(flag_findings(store, traces), store, "trace"))
        self.ranks.sync(store)
        self._slow = slow_spans(store, self.ranks, self.rules)


def _by_key(findings: list[Finding], store: SpanStore, key: str) -> dict[int, list[Finding]]:
    grouped: dict[int, list[Finding]] = {}
    for f in findings:
        k = f.trace if key == "trace" else int(store.uid[store.parent[store.row_of_uid(f.uids[0])]])
        grouped.setdefault(k, []).append(f)
    return grouped
