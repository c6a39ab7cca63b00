"""Sorting and grouping integer columns faster than the general numpy routines.

Layout keys (trace codes, service codes, depths, microsecond starts) are integers with known,
modest ranges, so a sort by several keys can be one stable argsort of a combined key, and
`unique` can be a table lookup. Both fall back to numpy's general routines when the ranges are
too wide.
"""

from __future__ import annotations

import numpy as np

TABLE_FACTOR = 4  # unique_ints uses a lookup table of up to this many entries per value


def lexsort_ints(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """`np.lexsort(keys)` for integer keys (the last is the major one), as one stable argsort of
    a combined int64 key when the keys' ranges fit in it: several times faster at 100k rows."""
    n = len(keys[0])
    if not n:
        return np.empty(0, np.int64)
    combined = np.zeros(n, np.int64)
    room = 1
    for key in reversed(keys):
        low = int(key.min())
        width = int(key.max()) - low + 1
        room *= width
        if room >= 2**62:
            return np.lexsort(keys)
        combined = combined * width + (key - low)
    return np.argsort(combined, kind="stable")


def unique_ints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(values, return_inverse=True)` for integers, by table lookup when their range is
    at most a few times their count (no sort)."""
    n = len(values)
    if not n:
        return values[:0].copy(), np.empty(0, np.int64)
    low = int(values.min())
    width = int(values.max()) - low + 1
    if width > TABLE_FACTOR * n + 1024:
        return np.unique(values, return_inverse=True)
    shifted = values - low
    present = np.zeros(width, bool)
    present[shifted] = True
    rank = np.cumsum(present) - 1
    return (np.flatnonzero(present) + low).astype(values.dtype), rank[shifted]
