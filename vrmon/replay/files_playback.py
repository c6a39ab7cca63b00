"""Trace files (`--replay FILE`) served whole or played in time, switched while serving: `--play`
starts them in time, and any viewer switches every viewer (the desktop's top bar button or P, the
wrist menu's button). Shown whole, the hub holds the files' store as `WholeFilesLoading` read it;
played in time, a replay player drives the hub from `load_in_time` (read the first time) and the
whole store waits to come back. With `--replay-clock per-viewer` files play in time only
(`RecordingReplay`): the toggle switches every viewer, which per-viewer clocks are not for."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from vrmon.errors import ProtocolError, VrmonError
from vrmon.hub import Hub
from vrmon.model.span_store import SpanStore
from vrmon.protocol import ReplayRequest, files_whole_frame
from vrmon.replay.background import ReadInBackground
from vrmon.replay.clock import ReplayClock
from vrmon.replay.growing import GrowingRecording
from vrmon.replay.loading import STATUS, drive
from vrmon.replay.player import ReplayPlayer
from vrmon.replay.start import start_position
from vrmon.replay.whole_files import WholeFilesLoading
from vrmon.settings import ServeConfig

log = logging.getLogger("vrmon")


class FilesPlayback(ReadInBackground):
    """The hub's replay controls while it serves trace files; `loading` reads them whole first
    (None: create_app read them already)."""

    def __init__(self, paths: list[Path], hub: Hub, config: ServeConfig, loading: WholeFilesLoading | None,
                 now: Callable[[], float] = time.monotonic) -> None:
        super().__init__(hub)
        self.paths = paths
        self.name = ", ".join(path.name for path in paths)
        self.config = config
        self.loading = loading
        self.now = now
        self.whole: SpanStore | None = None  # the files' store while they play in time
        self.in_time: tuple[GrowingRecording, float] | None = None  # read the first time they play in time
        self.player: ReplayPlayer | None = None  # while they play in time
        self._driving: asyncio.Task | None = None
        self._switching: asyncio.Task | None = None
        hub.replay = self

    async def run(self) -> None:
        try:
            if self.loading is not None:
                await self.loading.run()
            if self.config.play:  # a viewer's switch meanwhile waits for this one (control)
                self._switching = asyncio.create_task(self.switch(True, start=self.config.start))
                await self._switching
        finally:
            self.done.set()

    def greeting(self) -> bytes | None:
        """While the files play in time, the clock's state; shown whole, nothing (a viewer offers
        the switch for any trace files it is told of, by their `file:` statuses)."""
        return self.player.greeting() if self.player is not None else None

    def control(self, request: ReplayRequest) -> None:
        if request.action in ("in_time", "whole"):
            if self._switching is None or self._switching.done():  # a switch under way finishes first
                self._switching = asyncio.get_running_loop().create_task(self.switch(request.action == "in_time"))
            return
        if self.player is None:
            raise ProtocolError(f"{self.name} is shown whole: play it in time first (the top bar's button, or P)")
        self.player.control(request)

    async def switch(self, in_time: bool, start: str = "") -> None:
        """Play the files in time (from `start`, an offset as --start takes it), or show them whole;
        every viewer gets the scene and the new replay state."""
        if in_time and self.player is None:
            from vrmon.replay.from_file import in_time_summary, load_in_time  # not needed to listen

            try:
                if self.in_time is None:
                    self.in_time = await asyncio.to_thread(load_in_time, self.paths)
                recording, scale = self.in_time
                position = start_position(start, recording.start_us, recording.duration_us)
            except VrmonError as exc:
                log.error("error: %s", exc)
                self.hub.set_status(STATUS, "down", f"cannot play {self.name} in time: {exc}")
                return
            self.whole = self.hub.store
            clock = ReplayClock(recording.duration_us, self.now(), speed=self.config.speed, loop=self.config.loop)
            clock.seek(position, self.now())
            self.player = ReplayPlayer(recording, self.hub, clock, self.now, name=self.name, time_scale=scale, files=True)
            self.hub.replay = self  # the player registered itself; requests still come here first
            self.player.step()
            self._driving = asyncio.create_task(drive(self.player, self.config.tick))
            self.hub.set_status(STATUS, "ok", in_time_summary(self.name, recording, scale))
        elif not in_time and self.player is not None:
            assert self._driving is not None and self.whole is not None
            self._driving.cancel()
            self.player = None
            self.hub.replace_store(self.whole)
            self.hub.set_status(STATUS, "ok", f"showing {self.name} whole")
        self.hub.send_all(self.player.greeting() if self.player is not None else files_whole_frame(self.name))
