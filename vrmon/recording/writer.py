"""The Recorder: appends frames to a .vrrec file, each written and flushed to disk before the data
it holds reaches a viewer.

Each frame goes out in one `os.write` then `fdatasync`, so a recorder killed with SIGKILL (or a
power cut) leaves every complete frame readable and at most one torn frame at the end. The file
is bounded by `max_size` bytes and `max_age` seconds; when a bound is hit, or the disk is full,
recording stops with a status that says why and the server goes on serving.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vrmon.errors import ConfigError
from vrmon.model.dependencies import DependencyLink
from vrmon.model.span_batch import SpanBatch
from vrmon.recording.format import FORMAT_VERSION, MAGIC, encode_frame, encode_links, encode_spans
from vrmon.sources.host import HostSample

END_ROOM = 256  # bytes --record-max-size keeps free for the end frame that says why recording stopped
INDEX_EVERY_S = 10.0  # an index frame at most this often (recording time), so tools can skip ahead
Report = Callable[[str, str], None]  # (state, message), e.g. the hub's "recording" status


def vrmon_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vrmon")
    except PackageNotFoundError:
        return "unknown"


class Recorder:
    def __init__(self, path: Path, sources: list[str], *, max_size: int = 0, max_age: float = 0.0,
                 report: Report = lambda state, message: None, clock: Callable[[], float] = time.monotonic,
                 write: Callable[[int, bytes], int] = os.write) -> None:
        """Create `path` (never overwriting one) and write the header. `max_size` bytes and
        `max_age` seconds bound the recording (0: unbounded); `write` is os.write but for tests."""
        self.path = path
        self.max_size = max_size
        self.max_age = max_age
        self._report = report
        self._clock = clock
        self._write_bytes = write
        self._started = clock()
        self.spans = 0  # spans recorded so far
        self.frames = 0
        self.size = 0
        self.stopped: str | None = None  # why recording stopped, once it has
        self.failed = False  # it stopped because writing failed (a full disk), not at a bound
        self._last_index_offset = 0
        self._next_index_us = int(INDEX_EVERY_S * 1e6)
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:
            raise ConfigError(f"{path} already exists; vrmon never overwrites a recording, so give a new file name") from None
        except OSError as exc:
            raise ConfigError(f"cannot create the recording {path}: {exc.strerror}") from None
        header = {"format": FORMAT_VERSION, "vrmon": vrmon_version(), "sources": list(sources),
                  "start_us": int(time.time() * 1e6), "host": socket.gethostname()}
        self._append(MAGIC + encode_frame("header", 0, header))
        if self.stopped:
            raise ConfigError(f"cannot write the recording {path}: {self.stopped}")
        self._report("ok", self._progress())

    # -- what is recorded ----------------------------------------------------------------------

    def record_spans(self, source: str, batch: SpanBatch, keep: np.ndarray | None = None) -> None:
        """The spans of `batch` where `keep` is True (all without it)."""
        count = len(batch) if keep is None else int(np.count_nonzero(keep))
        if count and self._frame("spans", encode_spans(source, batch, keep)):
            self.spans += count
            self._report("ok", self._progress())

    def record_status(self, source: str, state: str, message: str) -> None:
        self._frame("status", {"source": source, "state": state, "message": message})

    def record_metrics(self, sample: HostSample) -> None:
        self._frame("metrics", {"cpu": sample.cpu.astype("<f4").tobytes(), "load": list(sample.load),
                                "mem_used": sample.mem_used, "mem_total": sample.mem_total, "ts": sample.ts})

    def record_dependencies(self, source: str, links: list[DependencyLink]) -> None:
        self._frame("dependencies", encode_links(source, links))

    def check_age(self) -> None:
        """Stop at --record-max-age even when nothing arrives."""
        if not self.stopped and self.max_age and self._now_us() > self.max_age * 1e6:
            self._finish(self._now_us(), f"stopped at --record-max-age {self.max_age:g} s")

    def close(self, reason: str = "recording ended") -> None:
        if not self.stopped:
            self._frame("end", {"reason": reason})
            self._stop(reason, "ok")
        os.close(self._fd)

    # -- writing ------------------------------------------------------------------------------

    def _now_us(self) -> int:
        return int((self._clock() - self._started) * 1e6)

    def _frame(self, kind: str, payload: dict[str, Any]) -> bool:
        """Append one frame (and an index frame first when one is due); False once stopped."""
        if self.stopped:
            return False
        t_us = self._now_us()
        if self.max_age and t_us > self.max_age * 1e6:
            self._finish(t_us, f"stopped at --record-max-age {self.max_age:g} s")
            return False
        data = encode_frame(kind, t_us, payload)
        if t_us >= self._next_index_us:
            data = self._index_frame(t_us) + data
        if self.max_size and self.size + len(data) + END_ROOM > self.max_size:
            self._finish(t_us, f"stopped at --record-max-size {self.max_size / 1e6:g} MB")
            return False
        self._append(data)
        return not self.stopped

    def _index_frame(self, t_us: int) -> bytes:
        """Where the previous index frame is and how much came before: a time → offset map tools
        can walk backwards from the end without decoding the span frames."""
        offset = self.size
        frame = encode_frame("index", t_us, {"prev": self._last_index_offset, "spans": self.spans, "frames": self.frames})
        self._last_index_offset = offset
        self._next_index_us = t_us + int(INDEX_EVERY_S * 1e6)
        return frame

    def _finish(self, t_us: int, reason: str) -> None:
        """A bound was reached: an end frame (it fits in END_ROOM), then stop."""
        self._append(encode_frame("end", t_us, {"reason": reason}))
        self._stop(reason, "degraded")

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[self._write_bytes(self._fd, view):]
            os.fdatasync(self._fd) if hasattr(os, "fdatasync") else os.fsync(self._fd)
        except OSError as exc:
            why = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else f"writing failed ({exc.strerror})"
            self.failed = True
            self._stop(f"stopped: {why}; the recording keeps what came before", "down")
            return
        self.size += len(data)
        self.frames += 1

    def _stop(self, reason: str, state: str) -> None:
        self.stopped = reason
        self._report(state, f"{self._progress()}; {reason}")

    def _progress(self) -> str:
        return f"recording to {self.path.name}: {self.spans} spans, {self.size / 1e6:.1f} MB"
