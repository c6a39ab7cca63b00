"""A JSON document read a value at a time through a window of its bytes, so that a file bigger than
memory can be decoded piece by piece (a Jaeger trace, an OTLP resourceSpans) with msgspec.

msgspec decodes whole documents only. It does say where a complete value ends, though: decoding
`value, more` raises "trailing characters (byte N)", N pointing past the value and its white
space. `Window.value` uses that (msgspec skips the value without building it), so the file is
never split by a Python scanner that would have to follow strings and escapes itself. A window
holds one chunk of the file plus the value that straddles it; a value bigger than a chunk makes
the next read as big again, so a long value is read in a few steps whatever its size.

Anything that is not well-formed JSON raises `Malformed`: the caller leaves such a file to the
general reader (`json.loads`), whose message names the line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import msgspec

CHUNK = 16 * 1024**2

_skip = msgspec.json.Decoder(msgspec.Raw).decode
_text = msgspec.json.Decoder(str).decode
_SPACE = re.compile(rb"[ \t\r\n]*")
_TRAILING = re.compile(r"JSON is malformed: trailing characters \(byte (\d+)\)")


class Malformed(Exception):
    """Not well-formed JSON here (the general reader says where and why)."""


def _trailing_byte(exc: msgspec.DecodeError) -> int | None:
    found = _TRAILING.fullmatch(str(exc))
    return int(found[1]) if found else None


def _calibrated_shift() -> int:
    """What to add to msgspec's N to get the index of the first byte after the value and its white
    space (1-based today; checked once here rather than trusted)."""
    try:
        _skip(b"0 ,")
    except msgspec.DecodeError as exc:
        reported = _trailing_byte(exc)
        if reported is not None:
            return 2 - reported
    raise RuntimeError("this msgspec does not say where trailing characters start; vrmon needs msgspec>=0.18")


_SHIFT = _calibrated_shift()


class Window:
    """The bytes of a document from `read(n)` (a file's read, or one bytes object: `of_bytes`)."""

    def __init__(self, read: Callable[[int], bytes] | None, data: bytes = b"") -> None:
        self._read = read
        self.data = data  # the window: the file's bytes from `base` on
        self.base = 0  # where `data` starts in the document
        self.at = 0  # the next byte to look at, in `data`
        self.start = 0  # where the last `value` starts, in `data`
        self._ended = read is None

    @classmethod
    def of_bytes(cls, data: bytes) -> Window:
        return cls(None, data)

    @property
    def offset(self) -> int:
        """Where the next byte is in the document."""
        return self.base + self.at

    def _more(self) -> bool:
        """Read the next chunk (as big as what is left, for a long value); False at the end."""
        if self._ended:
            return False
        chunk = self._read(max(CHUNK, len(self.data) - self.at))
        if not chunk:
            self._ended = True
            return False
        self.base += self.at
        self.data = self.data[self.at :] + chunk
        self.at = 0
        return True

    def peek(self) -> bytes:
        """The next byte that is not white space (b"" at the end), skipping to it."""
        while True:
            self.at = _SPACE.match(self.data, self.at).end()
            if self.at < len(self.data) or not self._more():
                return self.data[self.at : self.at + 1]

    def expect(self, byte: bytes) -> None:
        if self.peek() != byte:
            raise Malformed(f"expected {byte!r} at byte {self.offset}")
        self.at += 1

    def value(self) -> memoryview:
        """The next JSON value, whole (a view of `data`, valid until the next call), stepping past
        it and the white space after it."""
        self.peek()
        while True:
            start = self.start = self.at
            view = memoryview(self.data)[start:]
            try:
                _skip(view)
            except msgspec.DecodeError as exc:
                reported = _trailing_byte(exc)
                if reported is not None:
                    self.at = start + reported + _SHIFT
                    return _trimmed(self.data, start, self.at)
                if str(exc) != "Input data was truncated" or not self._more():
                    raise Malformed(str(exc)) from None
                continue
            # the value runs to the window's end: whole only if nothing follows (a number could go on)
            if not self._more():
                self.at = len(self.data)
                return _trimmed(self.data, start, self.at)

    def key(self) -> str:
        """The next object key, stepping past its colon."""
        try:
            name = _text(self.value())
        except msgspec.DecodeError as exc:  # a key that is not a string
            raise Malformed(str(exc)) from None
        self.expect(b":")
        return name

    def members(self) -> Iterator[str]:
        """Each key of the object that starts here; the caller reads (or `skip`s) its value before the next."""
        self.expect(b"{")
        if self.peek() == b"}":
            self.at += 1
            return
        while True:
            yield self.key()
            if not self._next_or_end(b"}"):
                return

    def elements(self) -> Iterator[None]:
        """Stops at each element of the array that starts here; the caller reads it before the next."""
        self.expect(b"[")
        if self.peek() == b"]":
            self.at += 1
            return
        while True:
            yield
            if not self._next_or_end(b"]"):
                return

    def skip(self) -> None:
        self.value()

    def at_end(self) -> bool:
        """Only white space is left."""
        return self.peek() == b""

    def _next_or_end(self, close: bytes) -> bool:
        byte = self.peek()
        self.at += 1
        if byte == b",":
            return True
        if byte == close:
            return False
        raise Malformed(f"expected ',' or {close!r} at byte {self.offset - 1}")


def _trimmed(data: bytes, start: int, end: int) -> memoryview:
    """data[start:end] without the white space msgspec stepped over after the value."""
    while end > start and data[end - 1] in b" \t\r\n":
        end -= 1
    return memoryview(data)[start:end]
