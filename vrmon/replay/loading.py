"""A recording served at once and read while it plays, for the server's lifetime.

Starting reads only the recording's frame table (a few bytes per frame), so viewers get the
timeline at once; the recording is then read a part at a time in a worker thread
(`GrowingRecording`), the `replay` status saying how far, and the scene follows as far as it is
read. Trace files played in time (`--play`) are read whole first: they are small.
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
from vrmon.replay.background import ReadInBackground
from vrmon.replay.clock import ReplayClock
from vrmon.replay.growing import GrowingRecording
from vrmon.replay.player import ReplayPlayer
from vrmon.replay.start import start_position
from vrmon.settings import ServeConfig

log = logging.getLogger("vrmon")
STATUS = "replay"


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
        self.players: set[ReplayPlayer] = set()  # the shared clock's, or one per viewer
        self.recording: GrowingRecording | None = None
        self.time_scale = 1.0  # recording µs per real µs
        size = sum(path.stat().st_size for path in paths)
        hub.set_status(STATUS, "loading", f"reading {self.name} ({size / 1e6:.1f} MB)…")

    def _open(self) -> tuple[GrowingRecording, float]:
        if self.in_time:
            from vrmon.replay.from_file import load_in_time  # the trace files' readers: not needed to listen

            return load_in_time(self.paths)
        return GrowingRecording.open(self.paths[0]), 1.0

    async def run(self) -> None:
        try:
            self.recording, self.time_scale = await asyncio.to_thread(self._open)
            if self.shared:
                self.players.add(self._player(self.hub))
        except VrmonError as exc:
            log.error("error: %s", exc)
            self.hub.set_status(STATUS, "down", str(exc))
            return
        finally:
            self.done.set()
        driving = [asyncio.create_task(drive(player, self.config.tick)) for player in self.players]
        try:
            await self._read(self.recording)
            await asyncio.gather(*driving)
        finally:
            for task in driving:
                task.cancel()

    async def _read(self, recording: GrowingRecording) -> None:
        """Read the rest of the recording a part at a time, the players following."""
        while not recording.complete:
            self._progress(recording)
            try:
                await asyncio.to_thread(recording.read_part)
            except VrmonError as exc:
                recording.stop_at(f"{exc}; the replay ends at {_clock(recording.loaded_us)}, where reading stopped")
            for player in list(self.players):
                player.read_more()
        self._announce(recording)

    @contextlib.asynccontextmanager
    async def viewer_session(self) -> AsyncIterator[Hub]:
        """With `--replay-clock per-viewer`: a hub and a replay clock of the viewer's own for its
        connection, sharing the recording read once (the shared hub when reading it failed)."""
        if self.shared or self.recording is None:
            yield self.hub
            return
        hub = Hub(self.recording.prefix(0), self.hub.presets, self.hub.default_scene, self.hub.queue_size)
        hub.sources.update(self.hub.sources)  # the replay's own status
        player = self._player(hub)
        self.players.add(player)
        driving = asyncio.create_task(drive(player, self.config.tick))
        try:
            yield hub
        finally:
            driving.cancel()
            self.players.discard(player)

    def _player(self, hub: Hub) -> ReplayPlayer:
        """A player on `hub` with a clock of its own, at --start, playing at --speed."""
        recording, config = self.recording, self.config
        assert recording is not None
        clock = ReplayClock(recording.duration_us, self.now(), speed=config.speed, loop=config.loop)
        clock.seek(start_position(config.start, recording.start_us, recording.duration_us), self.now())
        player = ReplayPlayer(recording, hub, clock, self.now, name=self.name, shared=self.shared, time_scale=self.time_scale)
        player.step()
        return player

    def _set_status(self, state: str, message: str) -> None:
        """On the shared hub and on each per-viewer hub (which copied the statuses when it was made)."""
        for hub in {self.hub, *(player.hub for player in self.players)}:
            hub.set_status(STATUS, state, message)

    def _progress(self, recording: GrowingRecording) -> None:
        self._set_status("loading", f"replaying {self.name} as it is read: {_clock(recording.loaded_us)} of "
                         f"{_clock(recording.duration_us)} read ({recording.spans:,} spans)…")

    def _announce(self, recording: GrowingRecording) -> None:
        for warning in recording.warnings:
            log.warning("warning: %s", warning)
        if self.in_time:
            from vrmon.replay.from_file import in_time_summary

            self._set_status("ok", in_time_summary(self.name, recording, self.time_scale))
            return
        began = datetime.fromtimestamp(recording.start_us / 1e6).astimezone()
        problem = f"; {recording.warnings[0]}" if recording.warnings else ""
        self._set_status("degraded" if problem else "ok",
                         f"replaying {self.name}, recorded {began:%Y-%m-%d %H:%M:%S %Z} for "
                         f"{recording.duration_us / 1e6:.0f} s ({recording.spans} spans){problem}")


def _clock(us: int) -> str:
    """12:30 or 1:02:03, as the timeline shows an offset."""
    minutes, seconds = divmod(max(us, 0) // 1_000_000, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


async def drive(player: ReplayPlayer, tick: float) -> None:
    """Step a player every tick, for as long as it plays."""
    while True:
        await asyncio.sleep(tick)
        try:
            player.step()
        except Exception:
            log.exception("replay step failed; trying again at the next tick")
