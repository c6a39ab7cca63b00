"""Content-Encoding (gzip, deflate) undone step by step, never past a byte cap.

httpx inflates each chunk it reads in one call, however much it expands: a 3 KB answer of
gzip inside gzip becomes 2 GiB before anyone can count it. Here every step inflates at most
what is still allowed, so a compression bomb is refused after `limit` bytes of output.
"""

from __future__ import annotations

import zlib

from vrmon.errors import SourceError

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
STEP = 64 * 1024  # bytes inflated per call: memory stays near `limit` plus this much


class TooLarge(Exception):
    """The decoded body went past the limit; `size` is how far it got."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class BoundedDecoder:
    """Feed raw body chunks, get decoded bytes; raises TooLarge once the output passes `limit`."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip() and c.strip() != "identity"]
        unknown = [c for c in codings if c not in _WBITS]
        if unknown:
            raise SourceError(f"the answer is encoded as {', '.join(unknown)}, which vrmon cannot decode; "
                              "vrmon asks for gzip or deflate")
        # Content-Encoding lists the codings in the order they were applied: undo the last first.
        self._stages = [zlib.decompressobj(_WBITS[c]) for c in reversed(codings)]
        self.limit = limit
        self.size = 0

    def feed(self, data: bytes) -> bytes:
        for stage in self._stages:
            data = self._inflate(stage, data)
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(self.size)
        return data

    @property
    def complete(self) -> bool:
        """Every compressed stream fed so far has reached its end (a truncated body has not)."""
        return all(stage.eof for stage in self._stages)

    def _inflate(self, stage, data: bytes) -> bytes:
        """All `stage` makes of `data`, in steps, stopping as soon as the total would pass the limit."""
        out: list[bytes] = []
        produced = 0
        while True:
            try:
                piece = stage.decompress(data, STEP)
            except zlib.error as exc:
                raise SourceError(f"the answer's compressed body is corrupt ({exc})") from None
            produced += len(piece)
            if self.size + produced > self.limit:
                raise TooLarge(self.size + produced)
            out.append(piece)
            data = stage.unconsumed_tail
            if not data and len(piece) < STEP:  # input used up and nothing more held back
                return b"".join(out)
