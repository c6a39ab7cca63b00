"""Live Zipkin: poll `GET /api/v2/traces` for the window since the last poll, and read
`GET /api/v2/dependencies` for the services graph.

`/api/v2/traces?endTs=…&lookback=…&limit=…` (milliseconds) answers whole traces, a list of lists
of spans; `serviceName` narrows it to one service (one request per --service). Whole traces
come back every poll, and the store skips the spans it already holds (the Zipkin reader gives a
merged or shared span the same id every time). Dependencies are Zipkin's own aggregate, which
also counts calls to services that report no span (a database named by a client's remoteEndpoint).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from vrmon.errors import SourceError, TraceFormatError
from vrmon.formats import read_document
from vrmon.model.dependencies import DependencyLink
from vrmon.model.ids import format_trace_id
from vrmon.model.span_batch import SpanBatch
from vrmon.settings import JaegerConfig, ZipkinConfig
from vrmon.sources.base import SourceSink
from vrmon.sources.http_client import Backend, HttpClient, Reply, redact_url
from vrmon.sources.jaeger_api import json_values, read_dependencies
from vrmon.sources.polling import PollingSource, gather_limited, http_failure

ZIPKIN = Backend("Zipkin", "zipkin", "Zipkin's address (usually port 9411)", "http://localhost:9411")
DEPENDENCIES_EVERY = 60.0  # seconds; Zipkin aggregates dependencies per day, no need to ask each poll


class ZipkinSource(PollingSource):
    name = "zipkin"
    backend = ZIPKIN

    def __init__(self, zipkin: ZipkinConfig, config: JaegerConfig, clock: Callable[[], float] = time.time) -> None:
        super().__init__(config, zipkin.zipkin, zipkin.zipkin_header, clock)
        self.zipkin = zipkin
        self.dependencies: list[DependencyLink] = []  # for the service-graph scene
        self._dependencies_due = 0.0
        self._dependencies_problem: str | None = None
        self._limit_hit = False

    async def poll_once(self, client: HttpClient, sink: SourceSink) -> str | None:
        start_us, end_us = self.window()
        services = list(self.config.service) or [""]
        batches = await gather_limited(lambda service: self._traces(client, service, start_us, end_us), services)
        for batch in batches:  # one add per answer: a trace found through several services is skipped, not flagged
            self.add(sink, batch)
        self._window_end_us = end_us
        if time.monotonic() >= self._dependencies_due:
            self._dependencies_due = time.monotonic() + DEPENDENCIES_EVERY
            await self._read_dependencies(client, sink, end_us)
        return self._dependencies_problem

    async def trace_by_id(self, client: HttpClient, trace_id: int) -> SpanBatch:
        path = f"/api/v2/trace/{format_trace_id(trace_id)}"
        reply = await client.get(path)
        if reply.status == 404:  # every Zipkin v2 has this endpoint: a 404 says it has no such trace
            return SpanBatch()
        return await self._read_spans(path, self._json(client, path, reply))

    async def _traces(self, client: HttpClient, service: str, start_us: int, end_us: int) -> SpanBatch:
        end_ms = -(-end_us // 1000)  # rounded up: no span of the last millisecond is missed
        params: dict[str, str | int] = {"endTs": end_ms, "lookback": end_ms - start_us // 1000,
                                        "limit": self.config.limit}
        if service:
            params["serviceName"] = service
        path = "/api/v2/traces"
        values = await self._get_json(client, path, params)
        traces = values[0]
        if not isinstance(traces, list):
            raise TraceFormatError(f"Zipkin's {path}: expected a list of traces, got a JSON {type(traces).__name__}")
        self._limit_hit |= len(traces) >= self.config.limit
        return await self._read_spans(path, values)

    @staticmethod
    async def _read_spans(path: str, values: list) -> SpanBatch:
        def read() -> SpanBatch:
            try:
                return read_document(values[0])
            except TraceFormatError as exc:
                raise TraceFormatError(f"Zipkin's {path}: {exc}") from None

        return await asyncio.to_thread(read)  # a big answer must not stall the websocket fan-out

    async def _read_dependencies(self, client: HttpClient, sink: SourceSink, end_us: int) -> None:
        path = "/api/v2/dependencies"
        params = {"endTs": end_us // 1000, "lookback": int(self.config.lookback * 1000)}
        try:
            links = read_dependencies(await self._get_json(client, path, params), f"Zipkin's {path}")
        except (SourceError, TraceFormatError) as exc:
            self._dependencies_problem = f"service dependencies could not be read ({exc})"
            return
        self._dependencies_problem = None
        self.dependencies = links
        sink.set_dependencies(links)

    async def _get_json(self, client: HttpClient, path: str, params: dict[str, str | int]) -> list:
        return self._json(client, path, await client.get(path, params))

    @staticmethod
    def _json(client: HttpClient, path: str, reply: Reply) -> list:
        if not reply.ok:
            raise SourceError(http_failure(f"{client.shown_url}{path}", reply, ZIPKIN))
        values = json_values(reply.body, f"Zipkin's {path}")
        if len(values) != 1:
            raise TraceFormatError(f"Zipkin's {path}: expected one JSON value, got {len(values)}")
        return values

    def healthy_message(self, problem: str | None) -> str:
        watching = ", ".join(self.config.service) if self.config.service else "all services"
        message = f"live from {redact_url(self.url)} (Zipkin), {watching}, every {self.config.poll:g} s"
        if self._limit_hit:
            message += f"; some polls returned --limit {self.config.limit} traces, so raise it to see every trace"
        return f"{message}; but {problem}" if problem else message
