"""Trace files played in time (`--replay FILE --play`): every span arrives at its start time, the
files' time stretched or squeezed so the whole takes a watchable while, and the same timeline
drives it as a recording. A single trace unfolds: requests fanning out, retries, a timeout
holding everything up."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vrmon.model.span_batch import SpanBatch
from vrmon.recording.contents import read_contents
from vrmon.recording.format import Frame, encode_spans
from vrmon.recording.reader import RecordingFile
from vrmon.replay.growing import GrowingRecording
from vrmon.sources.files import load_trace_file

FRAME_US = 50_000  # spans arriving within this much playback time share a frame (a tick shows them together)
SHORTEST_S = 20.0  # files spanning less than this are slowed down to it
LONGEST_S = 120.0  # files spanning more are sped up to it


def watchable_scale(extent_us: int) -> float:
    """Playback µs per trace µs: short traces slowed to SHORTEST_S, long files sped up to LONGEST_S."""
    if extent_us <= 0:
        return 1.0
    target_us = min(max(extent_us, SHORTEST_S * 1e6), LONGEST_S * 1e6)
    return target_us / extent_us


def load_in_time(paths: list[Path]) -> tuple[GrowingRecording, float]:
    """(a recording whose spans arrive at their scaled start times, read whole; the scale)."""
    batch = SpanBatch()
    for path in paths:
        batch.extend(load_trace_file(path))
    start = np.array(batch.start_us, np.int64)
    order = np.argsort(start, kind="stable")
    batch = batch.take(order.tolist())
    first = int(start.min()) if len(start) else 0
    extent = int(start.max()) - first if len(start) else 0
    scale = watchable_scale(extent)
    arrival = np.round((start[order] - first) * scale).astype(np.int64) // FRAME_US * FRAME_US
    # One frame per distinct arrival time, as a recording holds one frame per batch received.
    cuts = np.flatnonzero(np.diff(arrival)) + 1
    frames = [Frame("spans", int(arrival[a]), encode_spans("file", batch.take(list(range(a, b)))), 0)
              for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(arrival)])]
    end_us = round(extent * scale)
    frames.append(Frame("end", end_us, {"reason": "the last span starts"}, 0))
    header = {"format": 1, "sources": [f"file:{p.name}" for p in paths], "start_us": first}
    return GrowingRecording.of(read_contents(RecordingFile(paths[0], header, frames))), scale


def in_time_summary(name: str, recording: GrowingRecording, scale: float) -> str:
    """The replay status of trace files played in time."""
    return (f"playing {name} in time: {recording.spans} spans at their start times, "
            f"{recording.duration_us / scale / 1e3:.1f} ms of trace time shown over {recording.duration_us / 1e6:.0f} s")
