"""Live Jaeger: poll the query API for new and grown traces and hand them to the store.

Each poll asks only for the window since the previous one, reaching back `--late` further for
spans that became queryable after they started (a root span is exported when it ends, exporters
batch for seconds). Where the server has /api/v3/trace-summaries, only traces that are new or
whose span count grew are fetched in full; elsewhere whole traces come back and the store skips
the spans it already holds, so viewers never get a span twice and a quiet poll sends nothing.

Failures, backoff and the poll window are the polling base's (sources/polling.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from vrmon.errors import VrmonError
from vrmon.model.dependencies import DependencyLink
from vrmon.model.span_batch import SpanBatch
from vrmon.settings import JaegerConfig
from vrmon.sources.base import SourceSink
from vrmon.sources.http_client import JAEGER, HttpClient, redact_url
from vrmon.sources.jaeger_api import TraceSummary
from vrmon.sources.jaeger_query import Capabilities, EndpointMissing, JaegerQuery, detect
from vrmon.sources.polling import PollingSource, gather_limited, make_client as make_http_client

# A Jaeger that lists a million services must not get a million searches per poll: each poll asks
# about at most this many, taking the next ones in turn, so every service is visited in a few polls.
MAX_SERVICES_PER_POLL = 100
DEPENDENCIES_EVERY = 60.0  # seconds; Jaeger aggregates dependencies slowly, no need to ask each poll


def make_client(config: JaegerConfig) -> HttpClient:
    return make_http_client(config.jaeger, config.jaeger_header, config, JAEGER)


async def probe(config: JaegerConfig) -> Capabilities:
    """Detect the server's API once (for start-up); SourceError saying what was tried if none."""
    async with make_client(config) as client:
        return await detect(client, config.api)


class JaegerSource(PollingSource):
    name = "jaeger"
    backend = JAEGER

    def __init__(self, config: JaegerConfig, caps: Capabilities | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(config, config.jaeger, config.jaeger_header, clock)
        self.caps = caps  # from the start-up probe; detected again after a failure
        self.dependencies: list[DependencyLink] = []  # for the service-graph scene
        self._fetched: dict[int, tuple[int, int]] = {}  # summaries mode: trace id → (spans fetched, start µs)
        self._dependencies_due = 0.0
        self._dependencies_problem: str | None = None
        self._limit_hit = False
        self._unknown_refs: set[str] = set()
        self._service_turn = 0  # where the next poll's share of a long service list starts
        self._services_listed = 0  # how many services the last poll had to share out

    def failed(self, exc: VrmonError) -> None:
        # Keep the detected API through outages (re-detecting would only replace the real problem
        # by a vaguer one), unless its endpoints are gone: the server was upgraded.
        if isinstance(exc, EndpointMissing) and self.config.api == "auto":
            self.caps = None

    async def poll_once(self, client: HttpClient, sink: SourceSink) -> str | None:
        if self.caps is None:
            self.caps = await detect(client, self.config.api)
        return await self.poll_query(JaegerQuery(client, self.caps), sink)

    async def trace_by_id(self, client: HttpClient, trace_id: int) -> SpanBatch:
        caps = self.caps or await detect(client, self.config.api)
        return await JaegerQuery(client, caps).trace(trace_id)

    def poll_attributes(self) -> dict[str, str]:
        return super().poll_attributes() | ({"vrmon.jaeger.api": self.caps.describe()} if self.caps else {})

    async def poll_query(self, query: JaegerQuery, sink: SourceSink) -> str | None:
        """One poll: fetch the window, add what is new; returns a problem worth reporting, if any."""
        config = self.config
        start_us, now_us = self.window()
        lookback_us = int(config.lookback * 1e6)
        services = self._this_polls_share(list(config.service) or await query.services())

        problems: list[str] = []
        fetched: dict[int, tuple[int, int]] = {}
        if query.caps.summaries:
            batches, fetched = await self._changed_traces(query, services, start_us, now_us)
        else:
            results = await gather_limited(lambda s: query.find_traces(s, start_us, now_us, config.limit), services)
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
        per_service = await gather_limited(lambda s: query.trace_summaries(s, start_us, end_us, self.config.limit), services)
        self._limit_hit |= any(len(rows) >= self.config.limit for rows in per_service)
        latest: dict[int, TraceSummary] = {row.trace_id: row for rows in per_service for row in rows}
        todo = [row for row in latest.values() if self._fetched.get(row.trace_id, (-1, 0))[0] != row.span_count]
        batches = await gather_limited(lambda row: query.trace(row.trace_id), todo)
        fetched = {row.trace_id: (len(batch), row.start_us) for row, batch in zip(todo, batches)}
        return batches, fetched

    async def _read_dependencies(self, query: JaegerQuery, sink: SourceSink, now_us: int, lookback_us: int) -> None:
        try:
            links = await query.dependencies(now_us, lookback_us)
        except VrmonError as exc:
            self._dependencies_problem = f"service dependencies could not be read ({exc})"
            # ask again on the next poll, not in a minute: the status stays degraded until it works
            self._dependencies_due = time.monotonic()
            return
        self._dependencies_problem = None
        if links is not None:
            self.dependencies = links
            sink.set_dependencies(links)

    def _add(self, sink: SourceSink, batch: SpanBatch) -> None:
        self._unknown_refs |= batch.unknown_ref_types
        self.add(sink, batch)

    def healthy_message(self, problem: str | None) -> str:
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

