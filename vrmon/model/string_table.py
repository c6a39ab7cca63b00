"""Interned strings: each distinct name stored once, referenced by a small integer code."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

OVERFLOW_NAME = "(other)"

# A lone UTF-16 surrogate ("\ud800" in JSON) is a valid Python str that no UTF-8 encoder accepts.
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text`, with any lone surrogate replaced by U+FFFD so it can be UTF-8 encoded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


class StringTable:
    """Append-only table of names. Codes never change, so they can travel on the wire.

    Codes fit in uint16 on the wire; past `capacity` names every new name maps to one
    ``(other)`` entry (the real name stays in the span's details).
    """

    def __init__(self, capacity: int = 65535) -> None:
        self.names: list[str] = []
        self._codes: dict[str, int] = {}
        self.capacity = capacity

    def __len__(self) -> int:
        return len(self.names)

    def intern(self, name: str) -> int:
        code = self._codes.get(name)
        if code is None:
            clean = clean_text(name)  # a lone surrogate could not go on the wire: U+FFFD instead
            if clean is not name:
                code = self._codes[name] = self.intern(clean)
                return code
            if len(self.names) >= self.capacity - 1:
                name = OVERFLOW_NAME
                code = self._codes.get(name)
                if code is not None:
                    return code
            code = len(self.names)
            self.names.append(name)
            self._codes[name] = code
        return code

    def intern_many(self, names: Iterable[str]) -> np.ndarray:
        names = names if isinstance(names, list) else list(names)
        codes = self._codes
        try:  # names seen before, the usual case: looked up without a Python step per name
            return np.fromiter(map(codes.__getitem__, names), dtype=np.int32, count=len(names))
        except KeyError:
            intern = self.intern
            return np.fromiter((codes[n] if n in codes else intern(n) for n in names), dtype=np.int32, count=len(names))

    def first(self, count: int) -> "StringTable":
        """A new table of only the first `count` names (the same codes)."""
        out = StringTable(self.capacity)
        out.names = self.names[:count]
        out._codes = {name: code for name, code in self._codes.items() if code < count}
        return out

    def code_of(self, name: str) -> int | None:
        return self._codes.get(name)
