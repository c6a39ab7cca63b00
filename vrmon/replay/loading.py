"""A recording read after the server listens, then played on the hub for the server's lifetime.

Reading a large recording takes seconds (decoding, then one store of all its spans, from which
every seek starts); meanwhile the `replay` status says so, viewers that connect get it at once
and their first snapshot when playback starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from starlette.websockets import WebSocket

from vrmon.errors import VrmonError
from vrmon.hub import Hub
from vrmon.model.span_store import SpanStore
from vrmon.protocol import status_frame
from vrmon.recording.contents import RecordedContents, read_contents
from vrmon.recording.reader import read_recording
from vrmon.replay.clock import ReplayClock
from vrmon.replay.player import ReplayPlayer
from vrmon.replay.start import start_position
from vrmon.settings import ServeConfig

log = logging.getLogger("vrmon")
STATUS = "replay"


def load_recording(path: Path) -> tuple[RecordedContents, SpanStore]:
    """The recording's contents and a store of all its spans (what seeks take prefixes of)."""
    contents = read_contents(read_recording(path))
    whole = SpanStore()
    whole.add(contents.batch(0, len(contents.spans)))
    return contents, whole


class RecordingReplay:
    def __init__(self, path: Path, hub: Hub, config: ServeConfig, now: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.hub = hub
        self.config = config
        self.now = now
        self.player: ReplayPlayer | None = None
        self.done = asyncio.Event()
        hub.set_status(STATUS, "loading", f"reading {path.name} ({path.stat().st_size / 1e6:.1f} MB)…")

    async def run(self) -> None:
        try:
            contents, whole = await asyncio.to_thread(load_recording, self.path)
            self.player = self._start(contents, whole)
        except VrmonError as exc:
            log.error("error: %s", exc)
            self.hub.set_status(STATUS, "down", str(exc))
            return
        finally:
            self.done.set()
        while True:
            await asyncio.sleep(self.config.tick)
            try:
                self.player.step()
            except Exception:
                log.exception("replay step failed; trying again at the next tick")

    def _start(self, contents: RecordedContents, whole: SpanStore) -> ReplayPlayer:
        config = self.config
        for warning in contents.file.warnings:
            log.warning("warning: %s", warning)
        clock = ReplayClock(contents.duration_us, self.now(), speed=config.speed, loop=config.loop)
        clock.seek(start_position(config.start, contents.file.start_us, contents.duration_us), self.now())
        player = ReplayPlayer(contents, whole, self.hub, clock, self.now, name=self.path.name)
        player.step()
        began = datetime.fromtimestamp(contents.file.start_us / 1e6).astimezone()
        torn = f"; {contents.file.warnings[0]}" if contents.file.warnings else ""
        self.hub.set_status(STATUS, "degraded" if torn else "ok",
                            f"replaying {self.path.name}, recorded {began:%Y-%m-%d %H:%M:%S %Z} for "
                            f"{contents.duration_us / 1e6:.0f} s ({len(contents.spans)} spans){torn}")
        return player

    async def wait(self, ws: WebSocket) -> None:
        """Before a viewer joins, until playback starts: the statuses now, then wait."""
        if self.done.is_set():
            return
        for name, status in self.hub.sources.items():
            await ws.send_bytes(status_frame(source=name, **status.to_json()))
        await self.done.wait()
