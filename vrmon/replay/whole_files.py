"""Trace files replayed whole (`--replay FILE` without `--play`), read after the server listens.

A missing or unreadable path still fails at once, before anything listens (`check_replay_paths`).
Each file's status says "loading", then "ok", or "down" with the file's one-line error, while the
files that did load are served (viewers wait as `ReadInBackground` says).
"""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vrmon.errors import VrmonError
from vrmon.hub import Hub
from vrmon.replay.background import ReadInBackground
from vrmon.replay.terminal_progress import TerminalProgress
from vrmon.tracing import span

if TYPE_CHECKING:
    from vrmon.model.span_batch import SpanBatch

log = logging.getLogger("vrmon")
TERMINAL_PROGRESS_BYTES = 32 * 1024**2  # smaller files read in about a second: no progress line for them


def check_replay_paths(paths: list[Path]) -> None:
    """Raise the file's own one-line error now for a path that is not a regular file."""
    for path in paths:
        try:
            regular = stat.S_ISREG(path.stat().st_mode)
        except OSError:
            regular = False
        if not regular:
            from vrmon.sources.files import load_trace_file

            load_trace_file(path)  # stops at its checks of the path, with their message


class WholeFilesLoading(ReadInBackground):
    """Reads the replay files into a hub's store once the server runs; viewers wait for it."""

    def __init__(self, paths: list[Path], hub: Hub) -> None:
        super().__init__(hub)
        self.paths = paths
        self.sizes = {path: path.stat().st_size for path in paths}
        for path in paths:
            hub.set_status(f"file:{path.name}", "loading", f"reading {path.name} ({self.sizes[path] / 1e6:.1f} MB)…")

    async def run(self) -> None:
        """Read each file in a worker thread and add its spans to the hub's store."""
        try:
            for path in self.paths:
                with span("replay file", {"vrmon.file.name": path.name}):  # the load and the store add, as one trace
                    await self._load(path)
            self.hub.tick()
            self.hub.warm()  # the first viewer's snapshot is laid out before it asks
        finally:
            self.done.set()

    async def _load(self, path: Path) -> None:
        source = f"file:{path.name}"
        loop = asyncio.get_running_loop()
        line = TerminalProgress() if self.sizes[path] >= TERMINAL_PROGRESS_BYTES else None

        def progress(fraction: float, spans: int) -> None:  # in the reading thread
            message = f"reading {path.name}: {fraction:.0%} ({spans:,} spans)…"
            if line is not None:
                line.show(fraction, message)
            loop.call_soon_threadsafe(self.tell, source, "loading", message)

        try:
            batch = await asyncio.to_thread(_load_trace_file, path, progress)
        except VrmonError as exc:
            if line is not None:
                line.end()
            log.error("error: %s (serving the other files)", exc)
            self.tell(source, "down", str(exc))
            return
        if line is not None:
            line.end(f"read {path.name}: {len(batch):,} spans")
        self.hub.store.add(batch, pinned=True)  # what the user loaded stays, whatever --retain says
        self.tell(source, "ok", f"loaded {path.name}")  # where it lives on disk is nobody's business


def _load_trace_file(path: Path, progress: Callable[[float, int], None]) -> SpanBatch:
    """load_trace_file, imported in the reading thread: the readers of every format (numpy, msgspec,
    protobuf) are not needed before the server listens (tests/test_start_imports.py)."""
    from vrmon.sources.files import load_trace_file

    return load_trace_file(path, progress)
