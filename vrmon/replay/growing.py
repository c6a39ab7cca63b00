"""A recording read a part at a time while it plays, as a video player buffers.

Starting a replay reads only the file's frame table (`scan_frames`: a few bytes per frame), so
the server serves at once. A worker thread then reads the recording in parts of about
PART_BYTES, in order, each part's frames decoded and their spans added to one store of every
span read so far (`whole`); the scene at any moment read is a prefix of that store, so a seek
there costs the same anywhere. `loaded_us` says how far the recording is read; a replay shows
no moment past it (the timeline draws it, like a video's buffered bar).

Threads: only `read_part` (the worker) writes. It adds to `whole` under `lock`, which `prefix`
takes too, then publishes the part's rows, events and marks (new objects, or lists that only
grow), and `loaded_us` last, so the event loop never sees a moment whose spans are not all there.
"""

from __future__ import annotations

import bisect
import threading
from pathlib import Path

import numpy as np

from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import AddResult, SpanStore
from vrmon.recording.contents import Event, RecordedContents, read_contents
from vrmon.recording.reader import FrameTable, read_frames, scan_frames
from vrmon.replay.marks import TimelineMarks

PART_BYTES = 4 << 20  # ~50k spans: one part's store add holds a seek up for a fraction of a second


class GrowingRecording:
    def __init__(self, table: FrameTable) -> None:
        self.table = table
        self.start_us = table.start_us
        self.duration_us = table.duration_us
        self.loaded_us = -1  # every moment up to here is read (-1: nothing yet)
        self.whole = SpanStore()  # every span read, in arrival order
        self.lock = threading.Lock()  # held while `whole` changes, and while a prefix of it is taken
        self.arrival_us = np.empty(0, np.int64)  # per row of `whole`
        self.events: list[Event] = []
        self.event_times: list[int] = []
        self.marks: list[dict] = []  # the timeline's marks of what is read, a new list after each part that adds some
        self.marks_version = 0  # counts those lists
        self._marks = TimelineMarks(table.duration_us)  # the worker's: its dicts change while it reads
        self.warnings: list[str] = []
        self.torn_frames = 0
        self._parts: list[RecordedContents] = []
        self._part_rows: list[int] = []  # the first row of each part
        self._next_frame = 0  # in the table: the first frame not read yet

    @classmethod
    def open(cls, path: Path) -> "GrowingRecording":
        return cls(scan_frames(path))

    @classmethod
    def read_whole(cls, path: Path) -> "GrowingRecording":
        """A recording read to its end now (tests, benchmarks)."""
        recording = cls.open(path)
        while recording.read_part():
            pass
        return recording

    @classmethod
    def of(cls, contents: RecordedContents) -> "GrowingRecording":
        """Contents already decoded (trace files played in time), whole."""
        table = FrameTable(contents.file.path, contents.file.header, [0], [contents.duration_us], 0)
        recording = cls(table)
        recording._publish(contents, contents.duration_us)
        recording._next_frame = 1
        return recording

    @property
    def complete(self) -> bool:
        return self._next_frame >= len(self.table.times_us)

    @property
    def parts(self) -> int:
        """How many parts were read."""
        return len(self._parts)

    @property
    def spans(self) -> int:
        return len(self.arrival_us)

    def read_part(self) -> bool:
        """Read the next part (in a worker thread); False once the whole recording is read.
        A RecordingError (a corrupted frame) leaves what was read before it playable."""
        if self.complete:
            return False
        table, first = self.table, self._next_frame
        # the frames that end within PART_BYTES (at least one); the last part reads to the file's end
        stop = min(max(bisect.bisect_right(table.offsets, table.offsets[first] + PART_BYTES) - 1, first + 1),
                   len(table.times_us))
        # frames that arrived together stay together, so every moment up to the next part's is shown whole
        stop = bisect.bisect_right(table.times_us, table.times_us[stop - 1], lo=stop)
        part = read_frames(table, first, stop)
        contents = read_contents(part)
        self._next_frame = stop
        self.torn_frames += part.torn_frames
        self.warnings += part.warnings
        self._publish(contents, self.duration_us if self.complete else table.times_us[stop] - 1)
        return not self.complete

    def _publish(self, contents: RecordedContents, loaded_us: int) -> None:
        with self.lock:
            added = self.add_to(self.whole, contents.batch(0, len(contents.spans))).added
        if added is not None and not added.all():  # spans an earlier part holds already: the store kept those
            contents = contents.take(added)
        self._parts.append(contents)
        self._part_rows.append(self.spans)
        self.arrival_us = np.concatenate([self.arrival_us, contents.arrival_us])
        self.events += contents.events
        self.event_times += [event.t_us for event in contents.events]
        self._marks.add(contents)
        if self._marks.version != self.marks_version:
            self.marks = self._marks.marks()  # a new list: the event loop may be reading the old one
            self.marks_version = self._marks.version
        self.loaded_us = loaded_us  # last: what the event loop may show

    def stop_at(self, problem: str) -> None:
        """Reading failed (a corrupted frame): the recording ends where it was read to."""
        self.warnings.append(problem)
        self.duration_us = max(self.loaded_us, 0)
        self.loaded_us = self.duration_us
        self._next_frame = len(self.table.times_us)

    # -- what the player reads ----------------------------------------------------------

    def add_to(self, store: SpanStore, batch: SpanBatch) -> AddResult:
        """Add replayed spans to a store: pinned (a replay never evicts), and all arriving at the
        recording's start, so a store played to a moment equals `whole`'s prefix there (a seek)."""
        return store.add(batch, pinned=True, arrived_us=self.start_us)

    def spans_until(self, t_us: int) -> int:
        """How many spans had arrived at `t_us` (inclusive), of those read."""
        return int(np.searchsorted(self.arrival_us, t_us, side="right"))

    def batch(self, start: int, stop: int) -> SpanBatch:
        """Rows [start, stop) of `whole` as a SpanBatch, from the parts that hold them."""
        pieces = []
        at = bisect.bisect_right(self._part_rows, start) - 1
        while start < stop:
            first, contents = self._part_rows[at], self._parts[at]
            end = min(stop, first + len(contents.spans))
            pieces.append(contents.batch(start - first, end - first))
            start, at = end, at + 1
        if len(pieces) == 1:
            return pieces[0]
        batch = SpanBatch()
        for piece in pieces:
            batch.extend(piece)
        return batch

    def prefix(self, rows: int) -> SpanStore:
        """The store as it was when `rows` spans had arrived."""
        with self.lock:
            return self.whole.prefix(rows)
