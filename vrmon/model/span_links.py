"""Linking spans into trees: each span's parent row, depth, and the orphan, clock-skew and cycle
flags, computed vectorised over the rows an add or an eviction can change."""

from __future__ import annotations

import numpy as np

from vrmon.model.flags import SpanFlag
from vrmon.model.key_index import KeyIndex, make_keys

LINK_FLAGS = np.uint8(SpanFlag.ORPHAN | SpanFlag.CLOCK_SKEW | SpanFlag.CYCLE)  # what linking decides


def link(cols: dict[str, np.ndarray], rows: np.ndarray, spans: KeyIndex) -> None:
    """Resolve parents, depth, orphan/skew/cycle flags of `rows` (ascending) in the store's columns,
    finding parents through `spans` ((trace, span id) -> row).

    `rows` must hold every row whose link or depth can change; a parent outside them keeps
    its depth, so their depths start from it.
    """
    parent_id = cols["parent_id"][rows]
    parent = spans.first(make_keys(cols["trace"][rows], parent_id))
    parent[parent == rows] = -1  # a span that names itself as parent is a root
    flags = cols["flags"][rows] & ~LINK_FLAGS
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


def subtrees(cols: dict[str, np.ndarray], children: KeyIndex, tops: np.ndarray) -> np.ndarray:
    """`tops` and every row under them, following the current parent links (a forest, so this
    ends), one vectorised step per level; `children` maps (trace, parent id) to the rows naming it."""
    found = [tops]
    frontier = tops
    while len(frontier):
        which, named = children.all_of(make_keys(cols["trace"][frontier], cols["span_id"][frontier]))
        frontier = named[cols["parent"][named] == frontier[which]]  # a duplicate id's children link elsewhere
        found.append(frontier)
    return np.unique(np.concatenate(found))


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
