"""The player: moves a hub through a recording as the replay clock runs.

Playing forward adds the spans that arrived since the last step to the hub's store, so viewers
get deltas and see traces arrive as they did. A seek (or a loop starting over) builds the store
at the new position in one step from the store of every span read (`SpanStore.prefix`), which
equals playing up to there, and every viewer gets a snapshot. Statuses, host load and dependency
links are replayed as they were at each moment; the host load is marked as recorded. The scene
never passes the part of the recording read so far (`GrowingRecording.loaded_us`): a clock ahead
of it waits there, as a video waits for its buffer.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import numpy as np

from vrmon.errors import ProtocolError
from vrmon.hub import Hub
from vrmon.protocol import ReplayRequest, metrics_frame, replay_frame
from vrmon.recording.contents import Event
from vrmon.replay.clock import ReplayClock
from vrmon.replay.growing import GrowingRecording

# Playing forward by more spans than this in one step (a fast speed, a long tick) rebuilds the
# store instead: a prefix of the whole recording is cheaper than adding that many spans.
REBUILD_OVER = 50_000


class ReplayPlayer:
    def __init__(self, recording: GrowingRecording, hub: Hub, clock: ReplayClock,
                 now: Callable[[], float], *, name: str, shared: bool = True, time_scale: float = 1.0,
                 files: bool = False) -> None:
        """`time_scale` is recording µs per real µs (1 for a recording; a trace file played in
        time is stretched); `files`: trace files a viewer may switch to whole (files_playback.py)."""
        self.recording = recording
        self.hub = hub
        self.clock = clock
        self.now = now
        self.name = name
        self.shared = shared
        self.time_scale = time_scale
        self.files = files
        self._marks_sent = recording.marks_version  # the greeting sends the marks; later ones as reading finds more
        self._loaded_sent = -1  # how far read, as read_more last told every viewer
        self._applied_us: int | None = None  # the position the hub shows; None before the first step
        self._rows = 0  # spans in the hub's store
        self._events = 0  # events applied
        self._ended = False
        hub.replay = self  # viewers' replay requests come to this player through the hub

    # -- the clock ------------------------------------------------------------------------

    def step(self) -> None:
        """Bring the hub and its viewers to the clock's position (called every tick): the scene's
        delta is queued before a replay frame that says where playback is."""
        position = min(self.clock.position(self.now()), self.recording.loaded_us)
        if position < 0:
            return  # nothing read yet
        if self._applied_us is None or position < self._applied_us:
            self._rebuild(position)
        elif position > self._applied_us:
            self._forward(position)
        self.hub.tick()
        ended = self._shown_ended()
        if ended != self._ended:
            self._ended = ended
            self.hub.send_all(self.state_frame())

    def control(self, request: ReplayRequest) -> None:
        now = self.now()
        if request.action in ("in_time", "whole"):
            raise ProtocolError("only trace files served with one shared clock switch between whole and in time; "
                                "this replay plays in time only")
        if request.action == "play":
            self.clock.play(now)
        elif request.action == "pause":
            self.clock.pause(now)
        elif request.action == "speed":
            assert request.speed is not None
            self.clock.set_speed(request.speed, now)
        elif request.action == "seek":
            assert request.position_us is not None
            self.clock.seek(request.position_us, now)
            self._applied_us = None  # a seek rebuilds, even forward: as fast anywhere, and equal to playing
        self.step()
        self.hub.send_all(self.state_frame())

    def read_more(self) -> None:
        """More of the recording was read: step on into it, and tell viewers how far it is read
        (with the timeline's new marks, if the part brought some)."""
        self.clock.duration_us = self.recording.duration_us  # shorter when reading stopped at a corrupted frame
        self.step()
        marks = self._marks_sent != self.recording.marks_version
        if marks or self._loaded_sent != self.recording.loaded_us:
            self._marks_sent, self._loaded_sent = self.recording.marks_version, self.recording.loaded_us
            self.hub.send_all(self.state_frame(marks=marks))

    def _shown_ended(self) -> bool:
        """Whether the scene viewers have is the recording's end (the clock may be past it before
        the next step shows it)."""
        return not self.clock.loop and self._applied_us is not None and self._applied_us >= self.clock.duration_us

    def state_frame(self, marks: bool = False) -> bytes:
        """Where the scene the viewers get is: the position last applied, not the clock's now."""
        clock = self.clock
        shown = self._applied_us if self._applied_us is not None else clock.position(self.now())
        return replay_frame(position_us=shown, duration_us=clock.duration_us, playing=clock.playing,
                            speed=clock.speed, loop=clock.loop, ended=self._shown_ended(),
                            clock="shared" if self.shared else "per-viewer", start_us=self.recording.start_us,
                            time_scale=self.time_scale, name=self.name, loaded_us=max(self.recording.loaded_us, 0), files=self.files,
                            marks=self.recording.marks if marks else None)

    def greeting(self) -> bytes:
        return self.state_frame(marks=True)

    # -- moving the hub -------------------------------------------------------------------

    def _forward(self, position: int) -> None:
        rows = self.recording.spans_until(position)
        if rows - self._rows > REBUILD_OVER:
            self._rebuild(position)
            return
        if rows > self._rows:
            self.recording.add_to(self.hub.store, self.recording.batch(self._rows, rows))
            self._rows = rows
        upto = bisect.bisect_right(self.recording.event_times, position)
        for event in self.recording.events[self._events:upto]:
            self._apply(event)
        self._events = upto
        self._applied_us = position

    def _rebuild(self, position: int) -> None:
        self._rows = self.recording.spans_until(position)
        self.hub.replace_store(self.recording.prefix(self._rows))
        events = self.recording.events
        upto = bisect.bisect_right(self.recording.event_times, position)
        latest: dict[tuple[str, str], Event] = {}  # (kind, source) → the last event of its kind up to here
        for event in events[:upto]:
            latest[(event.kind, str(event.payload.get("source", "")))] = event
        for source in {str(e.payload["source"]) for e in events if e.kind == "status"}:
            if ("status", source) not in latest:
                self.hub.set_status(_recorded(source), "ok", "no status recorded yet at this point")
        for event in latest.values():
            self._apply(event)
        self._events = upto
        self._applied_us = position

    def _apply(self, event: Event) -> None:
        p = event.payload
        if event.kind == "status":
            self.hub.set_status(_recorded(p["source"]), p["state"], p["message"])
        elif event.kind == "metrics":
            self.hub.broadcast(metrics_frame(cpu=np.frombuffer(p["cpu"], "<f4"), load=tuple(p["load"]),
                                             mem_used=int(p["mem_used"]), mem_total=int(p["mem_total"]),
                                             ts=float(p["ts"]), recorded=True))
        elif event.kind == "dependencies":
            self.hub.set_dependencies(p["links"])


def _recorded(source: str) -> str:
    return f"{source} (recorded)"
