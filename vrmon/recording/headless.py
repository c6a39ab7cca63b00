"""`vrmon record`: the live sources and the recorder without a server, until stopped or a bound is hit.

Spans go through a store as when serving, so a trace fetched again by the next poll is recorded
once, and old traces leave it (--retain, --max-spans) so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import sys
import time

from vrmon.model.dependencies import DependencyLink
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import AddResult, SpanStore
from vrmon.recording.sink import RecordingSink
from vrmon.recording.writer import Recorder
from vrmon.settings import ServeConfig
from vrmon.sources.base import Source
from vrmon.sources.host import run_host_metrics

EVICT_EVERY_S = 5.0


class _StoreSink:
    """A source's sink with nobody watching: spans into the store, statuses to stderr."""

    def __init__(self, store: SpanStore, name: str) -> None:
        self.store = store
        self.name = name
        self._status: tuple[str, str] | None = None

    def add(self, batch: SpanBatch) -> AddResult:
        return self.store.add(batch)

    def set_status(self, state: str, message: str) -> None:
        if self._status != (state, message):  # a source repeats its status every poll
            self._status = (state, message)
            print(f"vrmon: {self.name}: {state}: {message}", file=sys.stderr, flush=True)

    def set_dependencies(self, links: list[DependencyLink]) -> None:
        pass


async def record_only(config: ServeConfig, sources: list[Source], recorder: Recorder, store: SpanStore) -> None:
    """Run until cancelled (Ctrl-C) or until the recorder stops (a bound, a full disk). `store` is
    the one the sources were made with (the OTLP receiver answers 429 from its room)."""
    tasks = [asyncio.create_task(source.run(RecordingSink(_StoreSink(store, source.name), recorder, source.name)))
             for source in sources]
    if config.host_metrics:
        tasks.append(asyncio.create_task(run_host_metrics(recorder.record_metrics)))
    try:
        while not recorder.stopped and not any(task.done() for task in tasks):
            await asyncio.sleep(EVICT_EVERY_S if not config.record_max_age else min(EVICT_EVERY_S, config.record_max_age))
            store.evict(older_than_us=int((time.time() - config.retain) * 1e6), max_spans=config.max_spans)
            recorder.check_age()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
