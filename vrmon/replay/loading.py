"""A recording read after the server listens, then played on the hub for the server's lifetime.

Reading a large recording takes seconds (decoding, then one store of all its spans, from which
every seek starts); meanwhile the `replay` status says so, viewers that connect get it at once
and their first snapshot when playback starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

from vrmon.errors import VrmonError
from vrmon.hub import Hub
from vrmon.model.span_store import SpanStore
from vrmon.recording.contents import RecordedContents, read_contents
from vrmon.recording.reader import read_recording
from vrmon.replay.background import ReadInBackground
from vrmon.replay.clock import ReplayClock
from vrmon.replay.from_file import load_in_time
from vrmon.replay.player import ReplayPlayer
from vrmon.replay.start import start_position
from vrmon.settings import ServeConfig

log = logging.getLogger("vrmon")
STATUS = "replay"


Loaded = tuple[RecordedContents, SpanStore, float]  # contents, a store of all its spans, time scale


def load_recording(path: Path) -> tuple[RecordedContents, SpanStore]:
    """The recording's contents and a store of all its spans (what seeks take prefixes of)."""
    contents = read_contents(read_recording(path))
    whole = SpanStore()
    whole.add(contents.batch(0, len(contents.spans)))
    return contents, whole


class RecordingReplay(ReadInBackground):
    """Plays a recording, or trace files in time (`paths` and `--play`)."""

    def __init__(self, paths: list[Path], hub: Hub, config: ServeConfig, now: Callable[[], float] = time.monotonic) -> None:
        super().__init__(hub)
        self.paths = paths
        self.in_time = config.play  # trace files played in time, not a recording
        self.name = ", ".join(path.name for path in paths)
        self.config = config
        self.now = now
        self.shared = config.replay_clock == "shared"
        self.player: ReplayPlayer | None = None  # the shared clock's
        self.loaded: Loaded | None = None
        size = sum(path.stat().st_size for path in paths)
        hub.set_status(STATUS, "loading", f"reading {self.name} ({size / 1e6:.1f} MB)…")

    def _load(self) -> Loaded:
        if self.in_time:
            return load_in_time(self.paths)
        return (*load_recording(self.paths[0]), 1.0)

    async def run(self) -> None:
        try:
            self.loaded = await asyncio.to_thread(self._load)
            self._announce(*self.loaded)
            if self.shared:
                self.player = self._player(self.hub)
        except VrmonError as exc:
            log.error("error: %s", exc)
            self.hub.set_status(STATUS, "down", str(exc))
            return
        finally:
            self.done.set()
        if self.player is not None:
            await self._drive(self.player)

    async def _drive(self, player: ReplayPlayer) -> None:
        while True:
            await asyncio.sleep(self.config.tick)
            try:
                player.step()
            except Exception:
                log.exception("replay step failed; trying again at the next tick")

    @contextlib.asynccontextmanager
    async def viewer_session(self) -> AsyncIterator[Hub]:
        """With `--replay-clock per-viewer`: a hub and a replay clock of the viewer's own for its
        connection, sharing the recording read once (the shared hub when reading it failed)."""
        if self.shared or self.loaded is None:
            yield self.hub
            return
        hub = Hub(self.loaded[1].prefix(0), self.hub.presets, self.hub.default_scene, self.hub.queue_size)
        hub.sources.update(self.hub.sources)  # the replay's own status
        driving = asyncio.create_task(self._drive(self._player(hub)))
        try:
            yield hub
        finally:
            driving.cancel()

    def _player(self, hub: Hub) -> ReplayPlayer:
        """A player on `hub` with a clock of its own, at --start, playing at --speed."""
        contents, whole, scale = self.loaded
        config = self.config
        clock = ReplayClock(contents.duration_us, self.now(), speed=config.speed, loop=config.loop)
        clock.seek(start_position(config.start, contents.file.start_us, contents.duration_us), self.now())
        player = ReplayPlayer(contents, whole, hub, clock, self.now, name=self.name, shared=self.shared, time_scale=scale)
        player.step()
        return player

    def _announce(self, contents: RecordedContents, whole: SpanStore, scale: float) -> None:
        for warning in contents.file.warnings:
            log.warning("warning: %s", warning)
        if self.in_time:
            self.hub.set_status(STATUS, "ok", f"playing {self.name} in time: {len(contents.spans)} spans at their start "
                                f"times, {contents.duration_us / scale / 1e3:.1f} ms of trace time shown over "
                                f"{contents.duration_us / 1e6:.0f} s")
            return
        began = datetime.fromtimestamp(contents.file.start_us / 1e6).astimezone()
        torn = f"; {contents.file.warnings[0]}" if contents.file.warnings else ""
        self.hub.set_status(STATUS, "degraded" if torn else "ok",
                            f"replaying {self.name}, recorded {began:%Y-%m-%d %H:%M:%S %Z} for "
                            f"{contents.duration_us / 1e6:.0f} s ({len(contents.spans)} spans){torn}")
