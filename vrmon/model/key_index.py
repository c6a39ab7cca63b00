"""(trace, span id) keys and a sorted index from them to store rows, for O(k log n) lookups."""

from __future__ import annotations

import numpy as np


LOW_BITS = 48  # of a span id, in a key's imaginary part; the rest, under the trace code, in its real part


def make_keys(trace: np.ndarray, span_id: np.ndarray) -> np.ndarray:
    """(trace code, span id) keys, one complex128 each: the key's 96 bits split into the trace code
    and the span id's top 16 bits (real part) and the id's low 48 bits (imaginary part), whole
    numbers under 2**53, so exact. Complex numbers sort by real then imaginary part, that is by
    (trace code, span id): sorting and searching them is 1.5-2x as fast as 12-byte strings."""
    span_id = np.asarray(span_id, np.uint64)
    keys = np.empty(len(span_id), np.complex128)
    keys.real = (np.asarray(trace).astype(np.uint64) << np.uint64(64 - LOW_BITS)) | (span_id >> np.uint64(LOW_BITS))
    keys.imag = span_id & np.uint64((1 << LOW_BITS) - 1)
    return keys


class KeyIndex:
    """`make_keys` keys -> rows (a key may repeat), for O(k log n) lookups as rows arrive.

    Two sorted levels: new keys go into a small one, merged into the large one once it holds
    1/MERGE_FRACTION of it, so adding k keys moves O(k + n / MERGE_FRACTION) memory (amortised)
    rather than the whole index every time.
    """

    MERGE_FRACTION = 32
    MERGE_FLOOR = 16384  # below this many recent keys, never merge

    def __init__(self) -> None:
        self._main = _SortedKeys()
        self._recent = _SortedKeys()

    def insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self._recent.insert(keys[order], rows[order])
        if len(self._recent.keys) > max(self.MERGE_FLOOR, len(self._main.keys) // self.MERGE_FRACTION):
            self._main.insert(self._recent.keys, self._recent.rows)
            self._recent = _SortedKeys()

    def first(self, keys: np.ndarray) -> np.ndarray:
        """A row holding each key, -1 where absent."""
        found = self._main.first(keys)
        return np.where(found >= 0, found, self._recent.first(keys))

    def all_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which, rows): every row holding each key, with the index of that key in `keys`."""
        which, rows = zip(self._main.all_of(keys), self._recent.all_of(keys))
        return np.concatenate(which), np.concatenate(rows)

    def compact(self, remap: np.ndarray) -> None:
        """Rows renumbered by `remap` (old row -> new row, -1 = gone)."""
        self._main.compact(remap)
        self._recent.compact(remap)


    def rows_below(self, n: int) -> "KeyIndex":
        """A new index holding only the rows below `n` (the index of a store's first n rows)."""
        out = KeyIndex()
        for mine, theirs in ((self._main, out._main), (self._recent, out._recent)):
            kept = mine.rows < n
            theirs.keys, theirs.rows = mine.keys[kept], mine.rows[kept]
        return out


class _SortedKeys:
    """One sorted level of a KeyIndex."""

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.complex128)
        self.rows = np.empty(0, dtype=np.int64)

    def insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Insert `keys` (sorted) with their rows."""
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, at, keys)
        self.rows = np.insert(self.rows, at, rows)

    def first(self, keys: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.full(len(keys), -1, np.int64)
        at = np.searchsorted(self.keys, keys)
        at_c = np.minimum(at, len(self.keys) - 1)
        found = self.keys[at_c] == keys
        return np.where(found, self.rows[at_c], -1)

    def all_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.keys):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        lo = np.searchsorted(self.keys, keys, side="left")
        present = np.flatnonzero(self.keys[np.minimum(lo, len(self.keys) - 1)] == keys)  # mostly few: search their ends only
        lo = lo[present]
        count = np.searchsorted(self.keys, keys[present], side="right") - lo
        which = np.repeat(present, count)
        step = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count)
        return which, self.rows[np.repeat(lo, count) + step]

    def compact(self, remap: np.ndarray) -> None:
        kept = remap[self.rows] >= 0
        self.keys = self.keys[kept]
        self.rows = remap[self.rows[kept]]
