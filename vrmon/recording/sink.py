"""The tee between a live source and the hub: what a source hands on is recorded, then passed on.

Each frame is on disk before the hub's next tick, so before any viewer can see what it holds.
"""

from __future__ import annotations

from vrmon.model.dependencies import DependencyLink
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import AddResult
from vrmon.recording.writer import Recorder
from vrmon.sources.base import SourceSink


class RecordingSink:
    """A SourceSink that records every call under the source's name, then forwards it to `inner`."""

    def __init__(self, inner: SourceSink, recorder: Recorder, source: str) -> None:
        self.inner = inner
        self.recorder = recorder
        self.source = source
        self._status: tuple[str, str] | None = None  # a source repeats its status every poll: recorded once


    def add(self, batch: SpanBatch) -> AddResult:
        """Only the spans the store took are recorded (a poll fetches whole traces again): written in
        the same synchronous call as the add, so before the next tick shows them to anyone."""
        result = self.inner.add(batch)
        self.recorder.record_spans(self.source, batch, result.added)
        return result

    def set_status(self, state: str, message: str) -> None:
        if self._status != (state, message):
            self._status = (state, message)
            self.recorder.record_status(self.source, state, message)
        self.inner.set_status(state, message)

    def set_dependencies(self, links: list[DependencyLink]) -> None:
        self.recorder.record_dependencies(self.source, links)
        self.inner.set_dependencies(links)
