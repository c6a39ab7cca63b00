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

The rules compute arrays; a `Finding` holds only node ids (span uids) and numbers, and becomes
the documented JSON (names, hex ids, a sentence) only when `to_json` is asked for it.
`find_all` computes everything once; `FindingsIndex` keeps the answer up to date as a live store
grows, re-examining only the parents and traces an add touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vrmon.analysis.percentiles import DurationRanks, SlowSpans
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
_FLAG_SAYS = {kind: says for kind, says in FLAG_FINDINGS.values()}
_FLAGGED = np.uint8(sum(FLAG_FINDINGS))
_ERROR = np.uint8(SpanFlag.ERROR)  # a numpy scalar: `flags & SpanFlag.ERROR` would go through a Python int


@dataclass(frozen=True)
class FindingRules:
    n_plus_one_min_calls: int = 5
    n_plus_one_min_fill: float = 0.5  # "most of the window": summed call time / wall time
    # consecutive calls may overlap by this fraction of their mean duration (timestamp rounding)
    n_plus_one_overlap_tolerance: float = 0.02
    slow_percentile: float = 99.0
    slow_min_samples: int = 20


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: its kind, trace, the node ids (span uids) it concerns and its numbers.

    `uids` by kind — n-plus-one: the calls; error-root-cause: the chain from the root to the
    locus, then the fallout; slow-span: the span; flags: the flagged spans. `facts` by kind —
    n-plus-one: (parent uid, peer, calls, wall µs, summed µs); error-root-cause: (chain length,
    uid of the errored span that reported it, uid of the top of its errored chain, tied siblings);
    slow-span: (rank, samples, percentile threshold); flags: ().
    """

    kind: str
    trace: int  # trace code in the store
    start_us: int  # where it begins in time, for ordering
    uids: tuple[int, ...]
    facts: tuple[Any, ...] = ()

    def sort_key(self) -> tuple[int, int, int]:
        return self.trace, KIND_ORDER.index(self.kind), self.start_us

    def to_json(self, store: SpanStore) -> dict[str, Any]:
        """Exactly what `vrmon inspect --findings --json` prints for it (the store must hold its spans)."""
        rows = [store.row_of_uid(u) for u in self.uids]
        n = _Names(store)
        head: dict[str, Any] = {"kind": self.kind, "trace": store.trace_id_hex(self.trace)}
        if self.kind == "n-plus-one":
            parent_uid, peer, calls, wall_us, sum_us = self.facts
            parent = store.row_of_uid(parent_uid)
            to = f" to {peer}" if peer else ""
            return head | {
                "parent": n.span(parent), "service": n.service(rows[0]), "operation": n.operation(rows[0]),
                "spans": [n.span(r) for r in rows], "calls": calls,
                "wall_ms": round(wall_us / 1000, 1), "sum_ms": round(sum_us / 1000, 1),
                "reason": (f"{calls} {n.call(rows[0])} calls{to} run one after another under {n.call(parent)}: "
                           f"{wall_us / 1000:.1f} ms of wall time, {sum_us / 1000:.1f} ms summed "
                           f"({100 * sum_us / wall_us:.1f}% of the window); batch them or run them concurrently"),
            }
        if self.kind == "error-root-cause":
            chain_length, messenger_uid, top_uid, tied = self.facts
            chain, locus = rows[:chain_length], rows[chain_length - 1]
            messenger, top = store.row_of_uid(messenger_uid), store.row_of_uid(top_uid)
            if messenger != locus:
                reason = (f"{n.call(messenger)} failed after {store.duration_us[messenger] / 1000:.1f} ms while {n.call(locus)} "
                          f"was still running (it took {store.duration_us[locus] / 1000:.1f} ms): it used up the time budget")
            elif messenger != top:
                reason = f"{n.call(locus)} failed with no failed child; the errored spans above it only pass the failure on"
            else:
                reason = f"{n.call(locus)} failed with no failed child: the failure starts here"
            if tied > 1:
                parent = int(store.parent[top])
                reason += (f"; it failed first of {tied} errored siblings under {n.call(parent) if parent >= 0 else 'the trace'}, "
                           f"the later {tied - 1} are fallout")
            return head | {"span": n.span(locus), "service": n.service(locus), "operation": n.operation(locus),
                           "chain": [n.span(r) for r in chain], "reason": reason}
        if self.kind == "slow-span":
            rank, samples, threshold = self.facts
            row = rows[0]
            return head | {
                "span": n.span(row), "service": n.service(row), "operation": n.operation(row),
                "percentile": round(rank, 1), "samples": samples,
                "reason": (f"{store.duration_us[row] / 1000:.1f} ms is above the p{threshold:g} of {samples:,} "
                           f"{n.call(row)} calls in the window (rank p{rank:.1f})"),
            }
        count = len(rows)
        return head | {"spans": [n.span(r) for r in rows], "reason": f"{count} span{'s' if count > 1 else ''} {_FLAG_SAYS[self.kind]}"}


class _Names:
    """Hex ids and names of store rows, for the JSON of findings."""

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


def _in_traces(store: SpanStore, traces: np.ndarray | None) -> np.ndarray | None:
    """Row mask of the spans of `traces` (None: every span), by table lookup."""
    if traces is None:
        return None
    table = np.zeros(store.trace_count, bool)
    table[traces] = True
    return table[store.trace]


# -- n-plus-one -----------------------------------------------------------------------------------


def n_plus_one(store: SpanStore, children: np.ndarray, rules: FindingRules) -> list[Finding]:
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
    peer = store.callee[rows]  # read from the tags at load
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
    serial = np.flatnonzero((calls >= rules.n_plus_one_min_calls) & (overlaps == 0) & (wall > 0)
                            & (summed > rules.n_plus_one_min_fill * wall))
    uids = store.uid[rows].tolist()
    lo, hi = first[serial].tolist(), (first[serial] + calls[serial]).tolist()
    trace = store.trace[parent[first[serial]]].tolist()
    parent_uid = store.uid[parent[first[serial]]].tolist()
    peer_names = [store.callees.names[p] for p in peer[first[serial]].tolist()]
    return [
        Finding("n-plus-one", t, s, tuple(uids[a:b]), (p, name, b - a, w, m))
        for t, s, a, b, p, name, w, m in zip(trace, start[first[serial]].tolist(), lo, hi, parent_uid, peer_names,
                                             wall[serial].tolist(), summed[serial].tolist())
    ]


# -- error-root-cause -----------------------------------------------------------------------------


def error_root_causes(store: SpanStore) -> list[Finding]:
    """One finding per group of errored spans that failed on their own (see the module doc)."""
    return [f for _, f in error_groups(store)]


def error_groups(store: SpanStore, keys: np.ndarray | None = None, traces: np.ndarray | None = None) -> list[tuple[int, Finding]]:
    """(tie key, finding) of every error group, or only of the groups with these tie keys or in
    these traces. A group's tie key is the uid of the parent its tied errored spans share, or
    -1 - trace code for errored roots."""
    parent, start = store.parent, store.start_us
    end = store.start_us + np.maximum(store.duration_us, 0)
    errored = (store.flags & _ERROR) != 0
    rows = np.flatnonzero(errored)
    if not len(rows):
        return []
    p = parent[rows]
    under_error = (p >= 0) & errored[np.maximum(p, 0)]
    tops = rows[~under_error]  # errored spans whose parent did not fail; tops sharing a parent tie
    top_parent = parent[tops]
    tie_key = np.where(top_parent >= 0, store.uid[np.maximum(top_parent, 0)], -1 - store.trace[tops].astype(np.int64))
    if keys is not None or traces is not None:
        wanted = np.zeros(len(tops), bool)
        if keys is not None:
            wanted |= np.isin(tie_key, keys)
        if traces is not None:
            wanted |= _in_traces(store, traces)[tops]
        tops, tie_key = tops[wanted], tie_key[wanted]
        if not len(tops):
            return []
    # the first to fail among each errored parent's errored children; the walk goes down through it
    inner = rows[under_error]
    inner = inner[np.lexsort((inner, start[inner], end[inner], parent[inner]))]
    lead = np.r_[True, parent[inner][1:] != parent[inner][:-1]] if len(inner) else np.zeros(0, bool)
    failed_parents, first_failed = parent[inner][lead], inner[lead]  # sorted by parent
    order = np.lexsort((tops, start[tops], end[tops], tie_key))
    tops, tie_key = tops[order], tie_key[order]
    lead = np.flatnonzero(np.r_[True, tie_key[1:] != tie_key[:-1]])
    tied = np.diff(np.append(lead, len(tops)))
    messenger = tops[lead]
    while len(failed_parents):  # down through the first-failed errored child, all walks at once
        at = np.minimum(np.searchsorted(failed_parents, messenger), len(failed_parents) - 1)
        deeper = failed_parents[at] == messenger
        if not deeper.any():
            break
        messenger = np.where(deeper, first_failed[at], messenger)
    locus = _still_running_below(store, messenger, end)

    # chains from the root, all at once: one row of ancestors per level, read bottom-up
    levels = [locus]
    while (levels[-1] >= 0).any():
        up = levels[-1]
        levels.append(np.where(up >= 0, parent[np.maximum(up, 0)], -1))
    ancestry = store.uid[np.maximum(np.stack(levels[:-1]), 0)].T.tolist()
    depth = (np.stack(levels[:-1]) >= 0).sum(axis=0).tolist()
    top_uids = store.uid[tops].tolist()
    found = []
    for g, (a, n_tied, chain_length, key) in enumerate(zip(lead.tolist(), tied.tolist(), depth, tie_key[lead].tolist())):
        chain = ancestry[g][:chain_length][::-1]
        fallout = top_uids[a + 1 : a + n_tied]
        found.append((key, Finding("error-root-cause", int(store.trace[locus[g]]), int(start[locus[g]]), tuple(chain + fallout),
                                   (chain_length, int(store.uid[messenger[g]]), top_uids[a], n_tied))))
    return found


def _still_running_below(store: SpanStore, locus: np.ndarray, end: np.ndarray) -> np.ndarray:
    """For each errored locus with no failed child: if a child was still running when it ended
    (a timeout that gave up), go down to the earliest-started such child, repeatedly, judged
    against the same deadline; the locus itself otherwise."""
    deadline = end[locus]
    start = store.start_us
    current = locus.copy()
    active = np.arange(len(locus))
    while len(active):
        which, kids = store.children_of(current[active])
        walk = active[which]
        running = (end[kids] > deadline[walk]) & (start[kids] < deadline[walk])
        kids, walk = kids[running], walk[running]
        if not len(kids):
            break
        order = np.lexsort((kids, start[kids], walk))
        kids, walk = kids[order], walk[order]
        lead = np.r_[True, walk[1:] != walk[:-1]]
        current[walk[lead]] = kids[lead]
        active = walk[lead]
    return current


# -- slow-span ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowColumns:
    """The slow spans as columns: findings are made from them only when someone reads them."""

    trace: np.ndarray
    start_us: np.ndarray
    uid: np.ndarray
    rank: np.ndarray
    samples: np.ndarray
    threshold: float

    @classmethod
    def of(cls, store: SpanStore, slow: SlowSpans, rules: FindingRules) -> "SlowColumns":
        rows = slow.rows
        return cls(store.trace[rows], store.start_us[rows], store.uid[rows], slow.ranks, slow.samples, rules.slow_percentile)

    def same_as(self, other: "SlowColumns") -> bool:
        return all(np.array_equal(a, b) for a, b in ((self.uid, other.uid), (self.rank, other.rank), (self.samples, other.samples)))

    def findings(self) -> list[Finding]:
        return [
            Finding("slow-span", t, s, (u,), (rank, samples, self.threshold))
            for t, s, u, rank, samples in zip(self.trace.tolist(), self.start_us.tolist(), self.uid.tolist(),
                                              self.rank.tolist(), self.samples.tolist())
        ]


def slow_spans(store: SpanStore, ranks: DurationRanks, rules: FindingRules) -> SlowColumns:
    """Spans above the rules' percentile of their service and operation (`ranks` synced)."""
    return SlowColumns.of(store, ranks.slow(rules.slow_percentile, rules.slow_min_samples), rules)


# -- flags ----------------------------------------------------------------------------------------


def flag_findings(store: SpanStore, rows: np.ndarray | None = None) -> list[Finding]:
    """The store's per-span flags among `rows` (default: all), one finding per trace and flag."""
    flags = store.flags if rows is None else store.flags[rows]
    hit = np.flatnonzero(flags & _FLAGGED)
    rows = hit if rows is None else rows[hit]
    found = []
    for flag, (kind, _) in FLAG_FINDINGS.items():
        members = rows[(store.flags[rows] & np.uint8(flag)) != 0]  # a numpy scalar, not the enum's slow `&`
        if not len(members):
            continue
        members = members[np.argsort(store.trace[members], kind="stable")]
        for group in np.split(members, np.flatnonzero(np.diff(store.trace[members])) + 1):
            found.append(Finding(kind, int(store.trace[group[0]]), int(store.start_us[group].min()), tuple(store.uid[group].tolist())))
    return found


# -- all together ---------------------------------------------------------------------------------


def find_all(store: SpanStore, rules: FindingRules = FindingRules()) -> list[Finding]:
    """Every finding in the store, ordered by trace, kind and time."""
    index = FindingsIndex(rules)
    index.sync(store)
    return index.findings


class FindingsIndex:
    """The findings of a store, kept up to date by `sync` as spans arrive (or are evicted).

    An add re-judges only what it can change: the N+1 groups of parents that got children, the
    error groups the new spans join or sit under, the flags of the new spans; a trace where a
    late parent adopted older spans is re-judged whole, an eviction rebuilds everything.
    """

    def __init__(self, rules: FindingRules = FindingRules()) -> None:
        self.rules = rules
        self.ranks = DurationRanks()
        self._n_plus_one: dict[int, list[Finding]] = {}  # by parent uid
        self._errors: dict[int, Finding] = {}  # by tie key (see error_groups)
        self._descents: dict[int, int] = {}  # uid of a span a timeout's locus was found through → tie key
        self._flags: dict[tuple[int, str], Finding] = {}  # by (trace, kind)
        nothing = np.empty(0, np.int64)
        self._slow = SlowColumns(nothing, nothing, nothing, np.empty(0), nothing, rules.slow_percentile)
        self._sorted: list[Finding] | None = []
        self._seen = 0
        self._compactions = -1
        self._relinks: dict[int, int] = {}

    @property
    def findings(self) -> list[Finding]:
        """Every finding, ordered by trace, kind and time (sorted when first asked after a change)."""
        if self._sorted is None:
            every = [f for fs in self._n_plus_one.values() for f in fs]
            self._sorted = sorted([*self._errors.values(), *every, *self._slow.findings(), *self._flags.values()], key=Finding.sort_key)
        return self._sorted

    def sync(self, store: SpanStore) -> bool:
        """Take in what changed since the last call; True if the findings changed."""
        if store.compactions != self._compactions or len(store) < self._seen:
            changed = self._rebuild(store)
        elif len(store) > self._seen:
            changed = self._add(store, np.arange(self._seen, len(store), dtype=np.int64))
        else:
            return False
        self._seen = len(store)
        if changed:
            self._sorted = None
        return changed

    def _rebuild(self, store: SpanStore) -> bool:
        before = self.findings
        self._compactions = store.compactions
        self._n_plus_one = _grouped(n_plus_one(store, np.arange(len(store)), self.rules))
        self._errors, self._descents = {}, {}
        self._set_errors(error_groups(store))
        self._flags = {(f.trace, f.kind): f for f in flag_findings(store)}
        self.ranks.sync(store)
        self._slow = slow_spans(store, self.ranks, self.rules)
        self._relinks = {t: store.relinks_of(t) for t in range(store.trace_count)}
        self._sorted = None
        return self.findings != before

    def _add(self, store: SpanStore, new: np.ndarray) -> bool:
        traces = np.unique(store.trace[new]).tolist()
        relinked = np.array([t for t in traces if store.relinks_of(t) != self._relinks.get(t, 0)], np.int64)
        for t in relinked.tolist():
            self._relinks[t] = store.relinks_of(t)
        in_relinked = _in_traces(store, relinked) if len(relinked) else None
        return self._add_n_plus_one(store, new, relinked, in_relinked) | self._add_errors(store, new, relinked) \
            | self._add_flags(store, new, relinked, in_relinked) | self._add_slow(store)

    def _add_n_plus_one(self, store: SpanStore, new: np.ndarray, relinked: np.ndarray, in_relinked: np.ndarray | None) -> bool:
        parent = store.parent[new]
        judged = np.unique(parent[parent >= 0])  # parents whose children changed
        if in_relinked is not None:  # late parents adopted older spans: judge every parent of those traces
            judged = np.union1d(judged, np.flatnonzero(in_relinked))
        gone = {uid: self._n_plus_one.pop(uid) for uid in store.uid[judged].tolist() if uid in self._n_plus_one}
        if len(relinked):
            gone |= {k: self._n_plus_one.pop(k) for k, v in list(self._n_plus_one.items()) if v[0].trace in set(relinked.tolist())}
        _, children = store.children_of(judged)
        children.sort()  # row order, as a full rebuild sees them (ties in start time keep it)
        fresh = _grouped(n_plus_one(store, children, self.rules))
        self._n_plus_one.update(fresh)
        return fresh != gone

    def _add_errors(self, store: SpanStore, new: np.ndarray, relinked: np.ndarray) -> bool:
        """Re-judge the error groups a new span can change: the group of each new errored span
        or new child of an errored span (found through its errored ancestors), the group whose
        timeout walk went through a new span's parent, and every group of a re-linked trace."""
        parent = store.parent
        errored = (store.flags & _ERROR) != 0
        p = parent[new]
        touch = np.concatenate([new[errored[new]], p[(p >= 0) & errored[np.maximum(p, 0)]]])
        while True:  # up to the top of each errored chain
            up = parent[touch]
            climb = (up >= 0) & errored[np.maximum(up, 0)]
            if not climb.any():
                break
            touch = np.where(climb, up, touch)
        top_parent = parent[touch]
        keys = np.where(top_parent >= 0, store.uid[np.maximum(top_parent, 0)], -1 - store.trace[touch].astype(np.int64))
        parent_uids = store.uid[p[p >= 0]].tolist()
        keys = np.unique(np.concatenate([keys, [self._descents[u] for u in parent_uids if u in self._descents]])).astype(np.int64)
        stale = [k for k in keys.tolist() if k in self._errors]
        if len(relinked):
            stale += [k for k, f in self._errors.items() if f.trace in set(relinked.tolist())]
        if not len(keys) and not len(relinked):
            return False
        before = {k: self._errors.pop(k) for k in set(stale)}
        self._descents = {u: k for u, k in self._descents.items() if k not in before}
        fresh = error_groups(store, keys, relinked if len(relinked) else None)
        self._set_errors(fresh)
        return before != dict(fresh)

    def _set_errors(self, groups: list[tuple[int, Finding]]) -> None:
        for key, finding in groups:
            self._errors[key] = finding
            chain_length, messenger = finding.facts[0], finding.facts[1]
            chain = finding.uids[:chain_length]
            if chain[-1] != messenger:  # a timeout: remember the spans its walk went through
                for uid in chain[chain.index(messenger):]:
                    self._descents[uid] = key

    def _add_flags(self, store: SpanStore, new: np.ndarray, relinked: np.ndarray, in_relinked: np.ndarray | None) -> bool:
        """New spans' flags join their trace's findings; a re-linked trace's are recomputed."""
        changed = False
        if in_relinked is not None:
            gone = {k: self._flags.pop(k) for k in [k for k in self._flags if k[0] in set(relinked.tolist())]}
            fresh = {(f.trace, f.kind): f for f in flag_findings(store, np.flatnonzero(in_relinked))}
            self._flags.update(fresh)
            changed = gone != fresh
            new = new[~in_relinked[new]]
        for f in flag_findings(store, new):
            old = self._flags.get((f.trace, f.kind))
            self._flags[(f.trace, f.kind)] = f if old is None else Finding(f.kind, f.trace, min(old.start_us, f.start_us), old.uids + f.uids)
            changed = True
        return changed

    def _add_slow(self, store: SpanStore) -> bool:
        self.ranks.sync(store)
        slow = slow_spans(store, self.ranks, self.rules)
        changed = not slow.same_as(self._slow)
        self._slow = slow
        return changed


def _grouped(findings: list[Finding]) -> dict[int, list[Finding]]:
    """N+1 findings by the uid of their parent."""
    grouped: dict[int, list[Finding]] = {}
    for f in findings:
        grouped.setdefault(f.facts[0], []).append(f)
    return grouped
