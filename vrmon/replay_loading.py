"""Replay files read after the server listens, so a big file does not keep the page from opening.

A missing or unreadable path still fails at once, before anything listens (`check_replay_paths`).
The reading itself runs in a worker thread; meanwhile each file's status says "loading" (the
page shows it in its status banner), then "ok", or "down" with the file's one-line error, while
the files that did load are served.
"""

from __future__ import annotations

import asyncio
import logging
import stat
from pathlib import Path

from vrmon.errors import VrmonError
from vrmon.sources.files import load_trace_file

log = logging.getLogger("vrmon")


def check_replay_paths(paths: list[Path]) -> None:
    """Raise the file's own one-line error now for a path that is not a regular file."""
    for path in paths:
        try:
            regular = stat.S_ISREG(path.stat().st_mode)
        except OSError:
            regular = False
        if not regular:
            load_trace_file(path)  # stops at its checks of the path, with their message


async def load_replay_files(paths: list[Path], hub) -> None:
    """Read each file in a worker thread and add its spans to the hub's store."""
    for path in paths:
        source = f"file:{path.name}"
        hub.set_status(source, "loading", f"reading {path.name} ({path.stat().st_size / 1e6:.1f} MB)…")
    for path in paths:
        source = f"file:{path.name}"
        try:
            batch = await asyncio.to_thread(load_trace_file, path)
        except VrmonError as exc:
            log.error("error: %s (serving the other files)", exc)
            hub.set_status(source, "down", str(exc))
            continue
        hub.store.add(batch)
        hub.set_status(source, "ok", f"loaded {path.name}")  # where it lives on disk is nobody's business
        hub.tick()  # viewers get the spans now, not at the next tick
