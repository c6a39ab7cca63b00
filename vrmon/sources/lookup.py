"""Fetch a trace vrmon does not hold from the live sources, by its id: for a link to it.

A link (`#trace=<id>`) may name a trace the polls never brought: older than --lookback, from a
service not watched, or aged out of the store. The hub asks for it here; each live source that
can fetch a trace by id is asked in turn, the first that has it adds it to the store through
its own sink (so a recording gets it too), and the hub is told how it went.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from vrmon.errors import VrmonError
from vrmon.model.ids import format_trace_id
from vrmon.model.span_batch import SpanBatch
from vrmon.sources.base import SourceSink
from vrmon.sources.http_client import Backend

log = logging.getLogger("vrmon")


class FetchesTraces(Protocol):
    backend: Backend
    shown_url: str

    async def fetch_trace(self, trace_id: int) -> SpanBatch:
        """The whole trace, empty if the backend has no such trace; VrmonError if it cannot be asked."""
        ...


class TraceLookup:
    """Runs for the server's lifetime (`run`); `ask` queues a trace id, and `answer(trace id,
    problem)` is called when it is in the store (problem None) or could not be found (why not)."""

    def __init__(self, sources: list[tuple[FetchesTraces, SourceSink]], answer: Callable[[int, str | None], None]) -> None:
        self.sources = sources
        self.answer = answer
        self._asked: asyncio.Queue[int] = asyncio.Queue()

    def describe(self) -> str:
        """Where it looks, for the viewer: 'Jaeger at http://localhost:16686'."""
        return " and ".join(f"{source.backend.name} at {source.shown_url}" for source, _ in self.sources)

    def ask(self, trace_id: int) -> None:
        self._asked.put_nowait(trace_id)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as lookups:  # cancelled with the server: so are the lookups under way
            while True:
                lookups.create_task(self._look_up(await self._asked.get()))

    async def _look_up(self, trace_id: int) -> None:
        try:
            problem = await self.fetch(trace_id)
        except Exception:  # a bug here must not stop later lookups; the viewer still gets an answer
            log.exception("looking up trace %s failed", format_trace_id(trace_id))
            problem = "looking it up failed; see the server log"
        self.answer(trace_id, problem)

    async def fetch(self, trace_id: int) -> str | None:
        """Ask each source in turn; the first that has the trace adds it. None then, else why none had it."""
        reasons = []
        for source, sink in self.sources:
            where = f"{source.backend.name} at {source.shown_url}"
            try:
                batch = await source.fetch_trace(trace_id)
            except VrmonError as exc:
                reasons.append(f"asking {where} failed: {exc}")
                continue
            if len(batch):
                sink.add(batch)
                return None
            reasons.append(f"{where} does not have it")
        return "; ".join(reasons)
