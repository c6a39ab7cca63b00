"""Critical path: the chain of spans that bounds a trace's end-to-end time (as Jaeger UI draws it).

From the root, walk back from its end: the child that finished last (before the cursor) is
critical, then recursively its own children, then the cursor moves to that child's start and
the next-latest sibling that ended before it is critical too. Children are grouped and sorted
once with numpy; the walk only visits critical spans, with a binary search per step.
"""

from __future__ import annotations

import bisect
import struct

import numpy as np

from vrmon.layout.sorting import lexsort_ints

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


def same_width(keys: np.ndarray, more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of `children_keys` in one form: 12-byte keys when either is."""
    if keys.dtype == more.dtype:
        return keys, more
    wide = lambda k: k if k.dtype != np.int64 else _wide_keys((k >> END_BITS) - 1, k & ((1 << END_BITS) - 1))  # noqa: E731
    return wide(keys), wide(more)


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
    return _walk(start, end, order, np.flatnonzero(parent < 0), lambda span: (int(group_lo[span]), int(group_hi[span])))


def critical_path_of_sorted(start: np.ndarray, end: np.ndarray, order: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """`critical_path` for spans whose `children_order` is kept, with its `children_keys`
    (ends ≥ starts): children are found by binary search, so the cost follows the path, not the trace."""
    if not len(order):
        return np.zeros(0, bool)

    def group(span: int) -> tuple[int, int]:
        lo, hi = keys.searchsorted(_group_keys(keys, span))
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
        if hi == lo:  # a leaf: most of the spans the walk visits
            continue
        children = order[lo:hi]
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
