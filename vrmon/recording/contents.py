"""What a recording holds, decoded once: every span with its arrival time, and the timed events
(statuses, host samples, dependency links) in arrival order.

Spans are kept as one set of columns in arrival order. A span recorded twice (a file written by
hand, or two sources that saw the same span) keeps its first arrival, as the store would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vrmon.model.span_batch import SpanBatch
from vrmon.recording.format import Frame, SpanColumns, decode_links, decode_spans
from vrmon.recording.reader import RecordingError, RecordingFile

_U64 = (1 << 64) - 1


@dataclass(frozen=True)
class Event:
    t_us: int
    kind: str  # "status", "metrics" or "dependencies"
    payload: dict[str, Any]


@dataclass
class RecordedContents:
    file: RecordingFile
    arrival_us: np.ndarray  # per span, µs since the recording started (ascending)
    spans: SpanColumns  # every span once, in arrival order
    trace_id: list[int]  # per span, up to 128 bits
    events: list[Event]

    @property
    def duration_us(self) -> int:
        return self.file.duration_us

    def batch(self, start: int, stop: int) -> SpanBatch:
        """Spans [start, stop) as a SpanBatch for the store."""
        s = self.spans
        return SpanBatch(
            trace_id=self.trace_id[start:stop], span_id=s.span_id[start:stop].tolist(),
            parent_id=s.parent_id[start:stop].tolist(), service=s.service[start:stop], operation=s.operation[start:stop],
            start_us=s.start_us[start:stop].tolist(), duration_us=s.duration_us[start:stop].tolist(),
            error=s.error[start:stop].tolist(), kind=s.kind[start:stop].tolist(),
            follows_from=s.follows_from[start:stop].tolist(), details=s.details[start:stop],
            unknown_ref_types=set(s.unknown_ref_types),
            incomplete={i - start for i in s.incomplete[(s.incomplete >= start) & (s.incomplete < stop)].tolist()},
            peer_service={i - start: peer for i, peer in s.peer_service.items() if start <= i < stop},
            callee={i - start: callee for i, callee in s.callee.items() if start <= i < stop},
        )

    def take(self, keep: np.ndarray) -> "RecordedContents":
        """Only the spans where `keep` is True (the events stay)."""
        trace_id = [t for t, k in zip(self.trace_id, keep.tolist()) if k]
        return RecordedContents(self.file, self.arrival_us[keep], _take(self.spans, keep), trace_id, self.events)

    def host_samples(self) -> int:
        return sum(e.kind == "metrics" for e in self.events)


def read_contents(recording: RecordingFile) -> RecordedContents:
    span_frames: list[tuple[int, SpanColumns]] = []
    events: list[Event] = []
    for frame in recording.frames:
        try:
            if frame.kind == "spans":
                span_frames.append((frame.t_us, decode_spans(frame.payload)))
            elif frame.kind == "dependencies":
                events.append(Event(frame.t_us, frame.kind, {"source": str(frame.payload.get("source")),
                                                             "links": decode_links(frame.payload)}))
            elif frame.kind in ("status", "metrics"):
                _check_event(frame)
                events.append(Event(frame.t_us, frame.kind, frame.payload))
        except (ValueError, TypeError) as exc:
            raise RecordingError(f"{recording.path}: the {frame.kind} frame at byte {frame.offset} is malformed: {exc}") from None
    arrival, spans, trace_id = _concatenate(span_frames)
    if len(arrival) and np.any(np.diff(arrival) < 0):
        raise RecordingError(f"{recording.path}: its span frames are not in arrival order; it was not written by vrmon")
    return RecordedContents(recording, arrival, spans, trace_id, events)


def _check_event(frame: Frame) -> None:
    p = frame.payload
    if frame.kind == "status" and not all(isinstance(p.get(k), str) for k in ("source", "state", "message")):
        raise ValueError("a status needs a source, a state and a message")
    if frame.kind == "metrics" and not (isinstance(p.get("cpu"), bytes) and len(p["cpu"]) % 4 == 0
                                        and isinstance(p.get("load"), list) and len(p["load"]) == 3):
        raise ValueError("host metrics need float32 cpu and three load averages")


def _concatenate(frames: list[tuple[int, SpanColumns]]) -> tuple[np.ndarray, SpanColumns, list[int]]:
    """All frames' spans as one set of columns; later copies of a (trace, span id) dropped."""
    def cat(name: str, dtype: Any) -> np.ndarray:
        return np.concatenate([getattr(c, name) for _, c in frames]) if frames else np.empty(0, dtype)

    def join(name: str) -> list:
        return [value for _, c in frames for value in getattr(c, name)]

    arrival = np.concatenate([np.full(len(c), t, np.int64) for t, c in frames]) if frames else np.empty(0, np.int64)
    offsets = np.cumsum([0] + [len(c) for _, c in frames])
    hi, lo, span_id = cat("trace_hi", np.uint64), cat("trace_lo", np.uint64), cat("span_id", np.uint64)
    keys = np.empty(len(span_id), dtype=[("h", ">u8"), ("l", ">u8"), ("s", ">u8")])
    keys["h"], keys["l"], keys["s"] = hi, lo, span_id
    # a span is dropped when an EARLIER frame holds it; copies inside one frame stay (the store flags them)
    frame_of = np.concatenate([np.full(len(c), i) for i, (_, c) in enumerate(frames)]) if frames else np.empty(0, np.int64)
    _, first_at, inverse = np.unique(keys.view("S24"), return_index=True, return_inverse=True)
    keep = frame_of[first_at[inverse.ravel()]] == frame_of
    everything = SpanColumns(
        trace_hi=hi, trace_lo=lo, span_id=span_id, parent_id=cat("parent_id", np.uint64), service=join("service"),
        operation=join("operation"), start_us=cat("start_us", np.int64), duration_us=cat("duration_us", np.int64),
        error=cat("error", bool), kind=cat("kind", np.int8), follows_from=cat("follows_from", bool),
        details=join("details"), unknown_ref_types=frozenset().union(*(c.unknown_ref_types for _, c in frames)),
        incomplete=np.concatenate([c.incomplete + at for (_, c), at in zip(frames, offsets)]) if frames else np.empty(0, np.int64),
        peer_service={i + int(at): peer for (_, c), at in zip(frames, offsets) for i, peer in c.peer_service.items()},
        callee={i + int(at): callee for (_, c), at in zip(frames, offsets) for i, callee in c.callee.items()},
    )
    if not keep.all():
        everything = _take(everything, keep)
        arrival = arrival[keep]
    trace_id = [(h << 64) | l for h, l in zip(everything.trace_hi.tolist(), everything.trace_lo.tolist())]
    return arrival, everything, trace_id


def _take(c: SpanColumns, keep: np.ndarray) -> SpanColumns:
    pick = np.flatnonzero(keep)
    renumber = np.cumsum(keep) - 1  # old position → new one, where kept
    columns = {name: (value[keep] if isinstance(value, np.ndarray) else [value[i] for i in pick.tolist()]
                      if isinstance(value, list) else value) for name, value in vars(c).items()}
    columns["incomplete"] = renumber[c.incomplete[keep[c.incomplete]]]
    columns["peer_service"] = {int(renumber[i]): peer for i, peer in c.peer_service.items() if keep[i]}
    columns["callee"] = {int(renumber[i]): callee for i, callee in c.callee.items() if keep[i]}
    return SpanColumns(**columns)
