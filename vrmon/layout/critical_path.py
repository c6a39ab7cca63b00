"""Critical path: the chain of spans that bounds a trace's end-to-end time (as Jaeger UI draws it).

From the root, walk back from its end: the child that finished last (before the cursor) is
critical, then recursively its own children, then the cursor moves to that child's start and
the next-latest sibling that ended before it is critical too. Children are grouped and sorted
once with numpy; the walk only visits critical spans, with a binary search per step.
"""

from __future__ import annotations

import numpy as np

from vrmon.layout.sorting import lexsort_ints


def critical_path(parent: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Mask of critical spans. `parent` holds local indices (-1 for roots); one trace."""
    n = len(parent)
    critical = np.zeros(n, bool)
    if not n:
        return critical
    end = np.maximum(end, start)
    order = lexsort_ints((end, parent))  # children grouped by parent, by end ascending
    sorted_end = end[order]
    # children of span i are order[group_lo[i]:group_hi[i]]; roots (parent -1) sort first
    children = np.bincount(parent[parent >= 0], minlength=n)
    group_hi = np.cumsum(children) + (n - int(children.sum()))
    group_lo = group_hi - children
    roots = np.flatnonzero(parent < 0)
    root = roots[np.argmax(end[roots])]
    stack = [(int(root), int(end[root]))]
    while stack:
        span, bound = stack.pop()
        critical[span] = True
        cursor = min(int(end[span]), bound)
        lo, hi = int(group_lo[span]), int(group_hi[span])
        while hi > lo and cursor > start[span]:
            # the latest-ending child that ended by the cursor (async children are clipped to it)
            at = int(np.searchsorted(sorted_end[lo:hi], cursor, side="right")) + lo
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
