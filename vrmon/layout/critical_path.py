"""Critical path: the chain of spans that bounds a trace's end-to-end time (as Jaeger UI draws it).

From the root, walk back from its end: the child that finished last (before the cursor) is
critical, then recursively its own children, then the cursor moves to that child's start and
the next-latest sibling that ended before it is critical too. Children are grouped and sorted
once with numpy; the walk only visits critical spans, with a binary search per step.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from vrmon.layout.sorting import lexsort_ints
from vrmon.model.columns import inserted

END_BITS = 40  # of a children key, for the end (µs from the trace's start): up to 12.7 days
SMALL_GROUP = 4096  # children the walk reads into Python lists; a bigger group is searched where it lies


def children_order(parent: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Spans grouped by parent (roots first), each group by end ascending, ties by index."""
    return lexsort_ints((np.maximum(end, start), parent))


def children_keys(parent: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Keys whose order is `children_order`'s order (for ends ≥ starts), so a caller can keep that
    order sorted as spans arrive: one int64 (parent + 1, then END_BITS of end) where they fit — a
    trace under 8M spans and 12 days long — else 12-byte big-endian (parent + 1, end)."""
    if not len(parent) or (int(parent.max()) + 1 < 1 << (63 - END_BITS) and 0 <= int(end.min()) and int(end.max()) < 1 << END_BITS):
        return ((parent.astype(np.int64) + 1) << END_BITS) | end.astype(np.int64)
    return _wide_keys(parent, end)


def _wide_keys(parent: np.ndarray, end: np.ndarray) -> np.ndarray:
    packed = np.empty(len(parent), dtype=[("parent", ">u4"), ("end", ">u8")])
    packed["parent"] = parent + 1
    packed["end"] = end
    return packed.view("S12")


def same_width(*keys: np.ndarray) -> tuple[np.ndarray, ...]:
    """Arrays of `children_keys` in one form: 12-byte keys when any is."""
    if all(k.dtype == np.int64 for k in keys):
        return keys
    wide = lambda k: k if k.dtype != np.int64 else _wide_keys((k >> END_BITS) - 1, k & ((1 << END_BITS) - 1))  # noqa: E731
    return tuple(wide(k) for k in keys)


def _group_keys(keys: np.ndarray, span: int) -> list:
    """The keys of (span, end 0) and (span + 1, end 0), in `keys`' form."""
    if keys.dtype == np.int64:
        return [(span + 1) << END_BITS, (span + 2) << END_BITS]
    return [struct.pack(">IQ", span + 1, 0), struct.pack(">IQ", span + 2, 0)]


def critical_path(parent: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Mask of critical spans. `parent` holds local indices (-1 for roots); one trace."""
    n = len(parent)
    if not n:
        return np.zeros(0, bool)
    end = np.maximum(end, start)
    order = children_order(parent, start, end)
    # children of span i are order[group_lo[i]:group_hi[i]]; roots (parent -1) sort first
    children = np.bincount(parent[parent >= 0], minlength=n)
    group_hi = np.cumsum(children) + (n - int(children.sum()))
    group_lo = group_hi - children
    return _walk(start, end, np.flatnonzero(parent < 0), lambda span: order[group_lo[span]:group_hi[span]])


@dataclass(frozen=True)
class KeptChildren:
    """A trace's `children_order` with its `children_keys`, kept as spans arrive: in two sorted
    levels (as KeyIndex keeps keys), so that k new spans move O(k + n / MERGE_FRACTION) entries
    (amortised), not the whole order every time. Spans of the second level came after every span
    of the first, so merging keeps the order's index tie-break. Per span, whether it has children
    in each level: the walk looks a leaf up in neither."""

    order: np.ndarray
    keys: np.ndarray
    parents: np.ndarray  # bool per span: has children in `order`
    recent_order: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    recent_keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    recent_parents: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    MERGE_FRACTION: ClassVar[int] = 8
    MERGE_FLOOR: ClassVar[int] = 4096  # below this many recent spans, never merge

    @classmethod
    def of(cls, parent: np.ndarray, start: np.ndarray, end: np.ndarray) -> "KeptChildren":
        order = children_order(parent, start, end)
        return cls(order, children_keys(parent[order], np.maximum(end, start)[order]), _parents(parent, len(parent)))

    def with_spans(self, parent: np.ndarray, end: np.ndarray, first: int) -> "KeptChildren":
        """These with the spans numbered from `first` on (ends ≥ starts), which come after every span here."""
        n = first + len(parent)
        keys, recent, more = same_width(self.keys, self.recent_keys, children_keys(parent, end))
        by_key = np.argsort(more, kind="stable")
        at = np.searchsorted(recent, more[by_key], side="right")  # ties after the earlier spans
        recent_order, recent = inserted(self.recent_order, at, by_key + first), inserted(recent, at, more[by_key])
        recent_parents = _parents(parent, n, self.recent_parents)
        if len(recent) <= max(self.MERGE_FLOOR, len(keys) // self.MERGE_FRACTION):
            return KeptChildren(self.order, keys, self.parents, recent_order, recent, recent_parents)
        at = np.searchsorted(keys, recent, side="right")
        parents = np.zeros(n, bool)
        parents[: len(self.parents)] = self.parents
        return KeptChildren(inserted(self.order, at, recent_order), inserted(keys, at, recent), parents | recent_parents)

    def whole(self) -> tuple[np.ndarray, np.ndarray]:
        """(children order, children keys) as one level."""
        at = np.searchsorted(self.keys, self.recent_keys, side="right")
        return inserted(self.order, at, self.recent_order), inserted(self.keys, at, self.recent_keys)

    def of_span(self, span: int) -> np.ndarray:
        """The children of `span` (-1: the roots), in children order."""
        main = span < 0 or (span < len(self.parents) and self.parents[span])
        recent = span < 0 or (span < len(self.recent_parents) and self.recent_parents[span])
        if main:
            lo, hi = self.keys.searchsorted(_group_keys(self.keys, span))
            if not recent:
                return self.order[lo:hi]
        if not recent:
            return self.order[:0]
        r_lo, r_hi = self.recent_keys.searchsorted(_group_keys(self.recent_keys, span))
        if not main or hi == lo:
            return self.recent_order[r_lo:r_hi]
        keys = np.concatenate([self.keys[lo:hi], self.recent_keys[r_lo:r_hi]])
        return np.concatenate([self.order[lo:hi], self.recent_order[r_lo:r_hi]])[np.argsort(keys, kind="stable")]


def _parents(parent: np.ndarray, n: int, before: np.ndarray | None = None) -> np.ndarray:
    """Bool per span of `n`: a parent among `parent` (or marked in `before`)."""
    out = np.zeros(n, bool)
    if before is not None:
        out[: len(before)] = before
    out[parent[parent >= 0]] = True
    return out


def critical_path_of_kept(start: np.ndarray, end: np.ndarray, children: KeptChildren) -> np.ndarray:
    """`critical_path` for spans whose children order is kept (ends ≥ starts): children are found
    by binary search, so the cost follows the path, not the trace."""
    if not len(start):
        return np.zeros(0, bool)
    return _walk(start, end, children.of_span(-1), children.of_span)


def _walk(start: np.ndarray, end: np.ndarray, roots: np.ndarray, children_of: Callable[[int], np.ndarray]) -> np.ndarray:
    """From the latest-ending root, the critical spans; `children_of(span)` are its children in
    children order."""
    critical = np.zeros(len(start), bool)
    root = roots[np.argmax(end[roots])]
    stack = [(int(root), int(end[root]))]
    while stack:
        span, bound = stack.pop()
        critical[span] = True
        cursor = min(int(end[span]), bound)
        children = children_of(span)
        if not len(children):  # a leaf: most of the spans the walk visits
            continue
        ends, starts = end[children], start[children]  # the children's ends ascending, and their starts
        if len(children) <= SMALL_GROUP:  # as Python lists a step of the walk makes no numpy call
            children, ends, starts = children.tolist(), ends.tolist(), starts.tolist()
        begun = start[span].item()
        n = len(children)  # the children still to look at: the first n
        while n and cursor > begun:
            # the latest-ending child that ended by the cursor (async children are clipped to it)
            at = bisect.bisect_right(ends, cursor, 0, n)
            if not at:
                # every remaining child ends after the cursor: take the last one that started before it
                at = next((j + 1 for j in range(n - 1, -1, -1) if starts[j] < cursor), 0)
                if not at:
                    break
            n = at - 1
            stack.append((int(children[n]), cursor))
            cursor = int(starts[n])
    return critical
