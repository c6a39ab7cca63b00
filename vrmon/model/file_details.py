"""Span details left in the trace file: where each span's JSON (and its process, resource and scope)
is in the file, read back only when a viewer opens the span.

A 1M-span file of tag-heavy spans is over a gigabyte of JSON; holding each span's text in memory
would cost that much again. Instead each span keeps one small entry (kept in the store's details
list like any other) naming the file and the byte ranges:

    0xC1, 0x03, kind (1 Jaeger, 2 OTLP, 4 OTLP protobuf), file number (4 bytes), then (offset 8
    bytes, length 4 bytes) for the span and each part of its context (length 0: none)

The file's size and modification time at load are kept too: a file changed or gone since then
gives details that say so rather than someone else's bytes (raw_details.py reads the entries;
recordings copy the text in, since they outlive the file).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from msgspec import Raw

JAEGER_V1, OTLP, OTLP_PROTO = 1, 2, 4  # the kinds of entry (as in raw_details.py)
SLICED = b"\xc1\x03"
_PART = struct.Struct("<QI")
_PARTS = {JAEGER_V1: 2, OTLP: 3, OTLP_PROTO: 3}  # the span, then its process / its resource and scope
# an OTLP_PROTO entry as a numpy record, so that all of a file's entries are made at once
_PROTO_ENTRY = np.dtype([("head", "V7"), ("span_offset", "<u8"), ("span_length", "<u4"), ("resource_offset", "<u8"),
                         ("resource_length", "<u4"), ("scope_offset", "<u8"), ("scope_length", "<u4")])


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    size: int
    mtime_ns: int


_FILES: list[LoadedFile] = []  # by file number, for this process's lifetime (a few per run)


class FileSlices:
    """Makes the details entries of the spans read from one file (as it was at `path`: `size` bytes,
    modified at `mtime_ns`), read through windows of its bytes (`look_in`).

    The readers ask for the place of each list of spans and of each context part (a process, a
    resource, a scope) in the order of the file's objects; a search starts where the last list of
    spans ended, which is before the next object, whatever the order of its keys.
    """

    def __init__(self, path: Path, size: int, mtime_ns: int) -> None:
        number = len(_FILES)
        _FILES.append(LoadedFile(path.resolve(), size, mtime_ns))
        self._prefix = {kind: SLICED + bytes((kind,)) + number.to_bytes(4, "little") for kind in _PARTS}
        self.look_in(b"", 0, 0)

    def look_in(self, data: bytes, base: int, start: int) -> None:
        """The parts asked for next are in `data` (the file's bytes from offset `base` on), after `start`."""
        self._base = base
        self._find = data.find
        self._starts = data.startswith
        self._start = self._end = start  # _end: where the last list of spans located ended, in `data`

    def where(self, raw: Raw | None) -> tuple[int, int]:
        """(offset, length) of `raw` (a part of `data`): the first place after the last list of
        spans holding exactly its bytes, else after `start` (found by content, so any such place
        reads back the same)."""
        if raw is None:
            return 0, 0
        view = memoryview(raw)
        at = self._first(view, self._end)
        if at < 0:
            at = self._first(view, self._start)
        if at < 0:
            raise ValueError("a part of the document is not in the file")  # never for a msgspec Raw of `data`
        return self._base + at, len(view)

    def _first(self, view: memoryview, start: int) -> int:
        at = self._find(view[:32], start)
        while at >= 0 and not self._starts(view, at):
            at = self._find(view[:32], at + 1)
        return at

    def spans(self, raws: list[Raw]) -> list[tuple[int, int]]:
        """Where each of a list's spans is: the first found by content, each next one at the
        first "{" after the one before (only a comma and white space lie between)."""
        if not raws:
            return []
        at, length = self.where(raws[0])
        at -= self._base
        places = [(self._base + at, length)]
        find = self._find
        for raw in raws[1:]:
            at = find(b"{", at + length)
            length = len(raw)
            places.append((self._base + at, length))
        self._end = at + length
        return places

    def jaeger(self, span: tuple[int, int], process: tuple[int, int]) -> bytes:
        return self._prefix[JAEGER_V1] + _PART.pack(*span) + _PART.pack(*process)

    def otlp_context(self, resource: tuple[int, int], scope: tuple[int, int]) -> bytes:
        return _PART.pack(*resource) + _PART.pack(*scope)

    def otlp(self, span: tuple[int, int], context: bytes) -> bytes:
        return self._prefix[OTLP] + _PART.pack(*span) + context

    def otlp_proto(self, data: bytes, span: tuple[np.ndarray, np.ndarray], resource: tuple[np.ndarray, np.ndarray],
                   scope: tuple[np.ndarray, np.ndarray]) -> list[bytes]:
        """The entries of a protobuf file's spans, from (start, end) offsets of each span and of its
        resource and scope (formats/otlp_proto_columns.py); `data` is the file's bytes, as given."""
        entries = np.empty(len(span[0]), _PROTO_ENTRY)
        entries["head"] = np.frombuffer(self._prefix[OTLP_PROTO], "V7")[0]
        for name, (start, end) in zip(("span", "resource", "scope"), (span, resource, scope)):
            entries[f"{name}_offset"] = start
            entries[f"{name}_length"] = end - start
        return entries.view(f"V{_PROTO_ENTRY.itemsize}").tolist()  # bytes objects, NUL bytes and all


def read_parts(entry: bytes) -> tuple[int, list[bytes] | None]:
    """The entry's kind, and the bytes of its span and context parts (b"" for none), or None
    when the file is not as it was loaded."""
    kind = entry[2]
    parts = [_PART.unpack_from(entry, 7 + i * _PART.size) for i in range(_PARTS[kind])]
    loaded = _FILES[int.from_bytes(entry[3:7], "little")]
    try:
        info = loaded.path.stat()
        if (info.st_size, info.st_mtime_ns) != (loaded.size, loaded.mtime_ns):
            return kind, None
        with loaded.path.open("rb") as f:
            return kind, [os.pread(f.fileno(), length, offset) if length else b"" for offset, length in parts]
    except OSError:
        return kind, None
