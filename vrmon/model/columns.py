"""Numpy columns that grow by doubling: n appends copy O(n) elements in all, not O(n²)."""

from __future__ import annotations

from typing import Any

import numpy as np


def grown(column: np.ndarray, need: int, *, used: int | None = None, fill: Any = None, least: int = 0) -> np.ndarray:
    """`column` itself if it has `need` rows, else a new one with room for at least twice as many.

    The first `used` rows are copied (all of them by default); new rows hold `fill`, or whatever
    the memory held when `fill` is None (for rows the caller is about to write). Extra dimensions
    (a column of 3-vectors) are kept.
    """
    if len(column) >= need:
        return column
    shape = (max(need, 2 * len(column), least), *column.shape[1:])
    bigger = np.empty(shape, column.dtype) if fill is None else np.full(shape, fill, column.dtype)
    kept = len(column) if used is None else used
    bigger[:kept] = column[:kept]
    return bigger
