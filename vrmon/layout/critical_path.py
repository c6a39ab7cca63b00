"""Critical path: the chain of spans that bounds a trace's end-to-end time (as Jaeger UI draws it).

From the root, walk back from its end: the child that finished last (before the cursor) is
critical, then recursively its own children, then the cursor moves to that child's start and
the next-latest sibling that ended before it is critical too. Children are grouped and sorted
once with numpy; the walk only visits critical spans, with a binary search per step.
"""

from __future__ import annotations

import struct

import numpy as np

from vrmon.layout.sorting import lexsort_ints


def children_order(parent: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Spans grouped by parent (roots first), each group by end ascending, ties by index."""
    return lexsort_ints((np.maximum(end, start), parent))


def children_keys(parent: np.ndarray, end: np.ndarray) -> np.ndarray:
    """12-byte big-endian (parent + 1, end) keys: their byte order is `children_order`'s order
    (for ends ≥ starts), so a caller can keep that order sorted as spans arrive."""
    packed = np.empty(len(parent), dtype=[("parent", ">u4"), ("end", ">u8")])
    packed["parent"] = parent + 1
    packed["end"] = end
    return packed.view("S12")


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
    return _walk(start, end, order, np.flatnonzero(parent < 0), lambda span: (int(group_lo[span]), int(group_hi[span])))


def critical_path_of_sorted(start: np.ndarray, end: np.ndarray, order: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """`critical_path` for spans whose `children_order` is kept, with its `children_keys`
    (ends ≥ starts): children are found by binary search, so the cost follows the path, not the trace."""
    if not len(order):
        return np.zeros(0, bool)

    def group(span: int) -> tuple[int, int]:
        # the keys of (span, end 0) and (span + 1, end 0), packed as children_keys packs them
        lo, hi = keys.searchsorted([struct.pack(">IQ", span + 1, 0), struct.pack(">IQ", span + 2, 0)])
        return int(lo), int(hi)

    return _walk(start, end, order, order[: group(-1)[1]], group)


def _walk(start: np.ndarray, end: np.ndarray, order: np.ndarray, roots: np.ndarray, group) -> np.ndarray:
    """From the latest-ending root, the critical spans; `group(span)` is the (lo, hi) range of
    `order` holding the span's children."""
    critical = np.zeros(len(start), bool)
    root = roots[np.argmax(end[roots])]
    stack = [(int(root), int(end[root]))]
    while stack:
        span, bound = stack.pop()
        critical[span] = True
        cursor = min(int(end[span]), bound)
        lo, hi = group(span)
        sorted_end = end[order[lo:hi]]  # the children's ends, ascending
        while hi > lo and cursor > start[span]:
            # the latest-ending child that ended by the cursor (async children are clipped to it)
            at = int(np.searchsorted(sorted_end[: hi - lo], cursor, side="right")) + lo
            if at == lo:
                # every remaining child ends after the cursor: take the last one that started before it
                later = order[lo:hi]
                started = later[start[later] < cursor]
                if not len(started):
                    break
                child = int(started[-1])
                hi = lo + int(np.flatnonzero(order[lo:hi] == child)[0])
            else:
                child = int(order[at - 1])
                hi = at - 1
            stack.append((child, cursor))
            cursor = int(start[child])
    return critical
