"""Live Jaeger: poll the query API for new and grown traces and hand them to the store.

Each poll asks only for the window since the previous one, reaching back `--late` further for
spans that became queryable after they started (a root span is exported when it ends, exporters
batch for seconds). Where the server has /api/v3/trace-summaries, only traces that are new or
whose span count grew are fetched in full; elsewhere whole traces come back and the store skips
the spans it already holds, so viewers never get a span twice and a quiet poll sends nothing.

Failure is a normal state: every problem becomes a status in plain words, the scene keeps the
last good data, and polling goes on with exponential backoff and jitter. The window only moves
on after a successful poll, so an outage is caught up on (up to --lookback) when Jaeger returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from vrmon.errors import VrmonError
from vrmon.model.span_batch import SpanBatch
from vrmon.settings import JaegerConfig
from vrmon.sources.backoff import Backoff
from vrmon.sources.base import SourceSink
from vrmon.model.dependencies import DependencyLink
from vrmon.sources.jaeger_api import TraceSummary
from vrmon.sources.jaeger_client import JaegerClient, JaegerUnreachable, parse_header, redact_url, tls_verification
from vrmon.sources.jaeger_query import Capabilities, EndpointMissing, JaegerQuery, detect
from vrmon.tracing import span

T = TypeVar("T")
A = TypeVar("A")

CONCURRENT_REQUESTS = 4  # per poll: enough to overlap latency, few enough to be polite to Jaeger
# A Jaeger that lists a million services must not get a million searches per poll: each poll asks
# about at most this many, taking the next ones in turn, so every service is visited in a few polls.
MAX_SERVICES_PER_POLL = 100
DEPENDENCIES_EVERY = 60.0  # seconds; Jaeger aggregates dependencies slowly, no need to ask each poll


def make_client(config: JaegerConfig) -> JaegerClient:
    return JaegerClient(
        config.jaeger,
        headers=[parse_header(h) for h in config.jaeger_header],
        verify=tls_verification(config.ca_cert, config.insecure_skip_verify),
        timeout=config.jaeger_timeout,
        max_bytes=int(config.max_response * 2**20),
    )


async def probe(config: JaegerConfig) -> Capabilities:
    """Detect the server's API once (for start-up); SourceError saying what was tried if none."""
    async with make_client(config) as client:
        return await detect(client, config.api)


class JaegerSource:
    name = "jaeger"

    def __init__(self, config: JaegerConfig, caps: Capabilities | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.caps = caps  # from the start-up probe; detected again after a failure
        self.dependencies: list[DependencyLink] = []  # for the service-graph scene
        self._clock = clock
        self._window_end_us: int | None = None  # end of the last successful poll's window
        self._fetched: dict[int, tuple[int, int]] = {}  # summaries mode: trace id → (spans fetched, start µs)
        self._dependencies_due = 0.0
        self._dependencies_problem: str | None = None
        self._limit_hit = False
        self._unknown_refs: set[str] = set()
        self._loaded_once = False
        self._service_turn = 0  # where the next poll's share of a long service list starts
        self._services_listed = 0  # how many services the last poll had to share out

    @property
    def polled_until_us(self) -> int | None:
        """End of the window the last successful poll read (µs since the epoch), None before one."""
        return self._window_end_us

    async def run(self, sink: SourceSink) -> None:
        config = self.config
        backoff = Backoff(config.poll, max(config.poll, config.retry_max))
        async with make_client(config) as client:
            while True:
                began = time.monotonic()
                try:
                    if self.caps is None:
                        self.caps = await detect(client, config.api)
                    problem = await self.poll_once(JaegerQuery(client, self.caps), sink)
                    self._loaded_once = True
                    sink.set_status("degraded" if problem else "ok", self._healthy_message(problem))
                    delay = backoff.success() - (time.monotonic() - began)
                except VrmonError as exc:
                    # Keep the detected API through outages (re-detecting would only replace the real
                    # problem by a vaguer one), unless its endpoints are gone: the server was upgraded.
                    if isinstance(exc, EndpointMissing) and config.api == "auto":
                        self.caps = None
                    if self._loaded_once:
                        sink.set_status("degraded", f"{exc} (showing the last good scene; retrying with backoff)")
                    elif isinstance(exc, JaegerUnreachable):  # e.g. vrmon started before Jaeger
                        sink.set_status("down", f"waiting for Jaeger at {redact_url(config.jaeger)}: {exc}")
                    else:
                        sink.set_status("down", f"{exc} (retrying with backoff)")
                    delay = backoff.failure()
                await asyncio.sleep(max(0.0, delay))

    async def poll_once(self, query: JaegerQuery, sink: SourceSink) -> str | None:
        """One poll: fetch the window, add what is new; returns a problem worth reporting, if any."""
        with span("jaeger poll", {"vrmon.jaeger.api": query.caps.describe()}):
            return await self._poll(query, sink)

    async def _poll(self, query: JaegerQuery, sink: SourceSink) -> str | None:
        config = self.config
        now_us = int(self._clock() * 1e6)
        lookback_us = int(config.lookback * 1e6)
        start_us = now_us - lookback_us
        if self._window_end_us is not None:
            start_us = max(start_us, self._window_end_us - int(config.late * 1e6))
        services = self._this_polls_share(list(config.service) or await query.services())

        problems: list[str] = []
        fetched: dict[int, tuple[int, int]] = {}
        if query.caps.summaries:
            batches, fetched = await self._changed_traces(query, services, start_us, now_us)
        else:
            results = await _gather(lambda s: query.find_traces(s, start_us, now_us, config.limit), services)
            batches, problems = [b for b, _ in results], [p for _, p in results if p]
            self._limit_hit |= any(len({*b.trace_id}) >= config.limit for b in batches)
        # one add per answer: a trace found through several services is then skipped, not flagged
        for batch in batches:
            self._add(sink, batch)
        self._fetched.update(fetched)
        self._fetched = {t: v for t, v in self._fetched.items() if v[1] >= now_us - lookback_us}
        self._window_end_us = now_us

        if query.has_dependencies and time.monotonic() >= self._dependencies_due:
            self._dependencies_due = time.monotonic() + DEPENDENCIES_EVERY
            await self._read_dependencies(query, sink, now_us, lookback_us)
        return "; ".join(filter(None, [*problems, self._dependencies_problem])) or None

    def _this_polls_share(self, services: list[str]) -> list[str]:
        """At most MAX_SERVICES_PER_POLL services: all of a short list, the next ones in turn of a long one."""
        self._services_listed = len(services)
        if len(services) <= MAX_SERVICES_PER_POLL:
            return services
        start = self._service_turn % len(services)
        self._service_turn = start + MAX_SERVICES_PER_POLL
        end = start + MAX_SERVICES_PER_POLL
        return services[start:end] + services[: max(0, end - len(services))]

    async def _changed_traces(self, query: JaegerQuery, services: list[str], start_us: int, end_us: int
                              ) -> tuple[list[SpanBatch], dict[int, tuple[int, int]]]:
        """Summaries first, then only the traces that are new or grew, each fetched once."""
        per_service = await _gather(lambda s: query.trace_summaries(s, start_us, end_us, self.config.limit), services)
        self._limit_hit |= any(len(rows) >= self.config.limit for rows in per_service)
        latest: dict[int, TraceSummary] = {row.trace_id: row for rows in per_service for row in rows}
        todo = [row for row in latest.values() if self._fetched.get(row.trace_id, (-1, 0))[0] != row.span_count]
        batches = await _gather(lambda row: query.trace(row.trace_id), todo)
        fetched = {row.trace_id: (len(batch), row.start_us) for row, batch in zip(todo, batches)}
        return batches, fetched

    async def _read_dependencies(self, query: JaegerQuery, sink: SourceSink, now_us: int, lookback_us: int) -> None:
        try:
            links = await query.dependencies(now_us, lookback_us)
        except VrmonError as exc:
            self._dependencies_problem = f"service dependencies could not be read ({exc})"
            return
        self._dependencies_problem = None
        if links is not None:
            self.dependencies = links
            sink.set_dependencies(links)

    def _add(self, sink: SourceSink, batch: SpanBatch) -> None:
        if not len(batch):
            return
        self._unknown_refs |= batch.unknown_ref_types
        sink.add(batch)  # the readers brought every number into the columns' range

    def _healthy_message(self, problem: str | None) -> str:
        config = self.config
        assert self.caps is not None
        watching = ", ".join(config.service) if config.service else "all services"
        message = f"live from {redact_url(config.jaeger)} via {self.caps.describe()}, {watching}, every {config.poll:g} s"
        if self._services_listed > MAX_SERVICES_PER_POLL:
            message += (f"; {self._services_listed} services to watch, so each poll asks about {MAX_SERVICES_PER_POLL} "
                        "of them in turn (name the ones you need with --service)")
        if self._limit_hit:
            message += f"; some polls returned --limit {config.limit} traces, so raise it to see every trace"
        if self._unknown_refs:
            message += (f"; spans with unknown reference types ({', '.join(sorted(self._unknown_refs))}) "
                        "are linked to their parent as CHILD_OF")
        return f"{message}; but {problem}" if problem else message


async def _gather(call: Callable[[A], Awaitable[T]], items: Iterable[A]) -> list[T]:
    """`call` on every item, at most CONCURRENT_REQUESTS at a time; the first failure cancels the
    rest and is raised. Calls start inside their task, so a cancelled one leaves nothing behind."""
    gate = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def gated(item: A) -> T:
        async with gate:
            return await call(item)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(gated(item)) for item in items]
    except BaseExceptionGroup as failed:
        raise _first_leaf(failed) from None
    return [task.result() for task in tasks]


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
