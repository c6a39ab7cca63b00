"""What every live source that polls a query API shares (Jaeger, Tempo, Zipkin): the loop, the
statuses, the backoff, the window of each poll, and how many requests run at once.

Failure is a normal state: every problem becomes a status in plain words, the scene keeps the
last good data, and polling goes on with exponential backoff and jitter. The window only moves on
after a successful poll, so an outage is caught up on (up to --lookback) when the backend returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from vrmon.errors import VrmonError
from vrmon.model.span_batch import SpanBatch
from vrmon.settings import JaegerConfig
from vrmon.sources.backoff import Backoff
from vrmon.sources.base import SourceSink
from vrmon.sources.http_client import (Backend, HttpClient, Reply, Unreachable, check_base_url, parse_header, redact_url,
                                      tls_verification)
from vrmon.sources.jaeger_api import error_text
from vrmon.tracing import span

T = TypeVar("T")
A = TypeVar("A")

CONCURRENT_REQUESTS = 4  # per poll: enough to overlap latency, few enough to be polite to the backend


def client_options(url: str, headers: tuple[str, ...], config: JaegerConfig, backend: Backend) -> dict[str, Any]:
    """HttpClient's arguments for `url` with the settings every backend shares (TLS, timeout, cap);
    a bad URL, header or CA file is a ConfigError here, before anything runs."""
    return {
        "base_url": check_base_url(url, backend),
        "headers": [parse_header(h, backend) for h in headers],
        "verify": tls_verification(config.ca_cert, config.insecure_skip_verify),
        "timeout": config.jaeger_timeout,
        "max_bytes": int(config.max_response * 2**20),
        "backend": backend,
    }


def make_client(url: str, headers: tuple[str, ...], config: JaegerConfig, backend: Backend) -> HttpClient:
    return HttpClient(**client_options(url, headers, config, backend))


def http_failure(where: str, reply: Reply, backend: Backend, check: str = "") -> str:
    """An HTTP error status in plain words, with the backend's own message and what to do about it
    (`check`: the flags to look at when the endpoint is missing, default the backend's URL flag)."""
    said = error_text(reply.status, reply.body)
    hint = {401: f"pass credentials with {backend.header_flag} 'Authorization: Bearer TOKEN'",
            403: f"the credentials given with {backend.header_flag} are not allowed to read traces",
            404: f"this {backend.name} does not serve that endpoint; check {check or backend.url_flag}",
            429: f"{backend.name} is rate-limiting vrmon; raise --poll"}.get(reply.status)
    if hint is None:
        hint = f"{backend.name} or its storage has a problem; see {backend.name}'s log" if reply.status >= 500 \
            else f"see {backend.name}'s log"
    return f"{where} answered HTTP {reply.status}: {said}; {hint}"


class PollingSource:
    """Base of the polling sources: subclasses say how to make their client and what one poll does."""

    name = "live"
    backend: Backend

    def __init__(self, config: JaegerConfig, url: str, headers: tuple[str, ...],
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.url = url
        self._client_options = client_options(url, headers, config, self.backend)  # checked now: a bad flag stops the start
        self._clock = clock
        self._window_end_us: int | None = None  # end of the last successful poll's window
        self._loaded_once = False

    @property
    def shown_url(self) -> str:
        """The URL without credentials, for messages."""
        return redact_url(self.url)

    @property
    def polled_until_us(self) -> int | None:
        """End of the window the last successful poll read (µs since the epoch), None before one."""
        return self._window_end_us

    def make_client(self) -> HttpClient:
        return HttpClient(**self._client_options)

    async def poll_once(self, client: HttpClient, sink: SourceSink) -> str | None:
        """One poll; returns a problem worth reporting (the poll still counts as a success), if any."""
        raise NotImplementedError

    async def trace_by_id(self, client: HttpClient, trace_id: int) -> SpanBatch:
        """One whole trace by its id; empty when the backend has no such trace."""
        raise NotImplementedError

    async def fetch_trace(self, trace_id: int) -> SpanBatch:
        """One whole trace by its id, outside the polls (a link to a trace vrmon does not hold);
        empty when the backend has no such trace. Raises VrmonError saying what went wrong."""
        async with self.make_client() as client:
            return await self.trace_by_id(client, trace_id)

    def healthy_message(self, problem: str | None) -> str:
        raise NotImplementedError

    def poll_attributes(self) -> dict[str, str]:
        """Attributes of the poll's span when vrmon traces itself (--self-trace)."""
        return {"vrmon.source.url": self.shown_url}

    def failed(self, exc: VrmonError) -> None:
        """A poll failed with `exc` (a source may forget what it detected about the server)."""

    async def run(self, sink: SourceSink) -> None:
        config = self.config
        backoff = Backoff(config.poll, max(config.poll, config.retry_max))
        async with self.make_client() as client:
            while True:
                began = time.monotonic()
                try:
                    with span(f"{self.name} poll", self.poll_attributes()):
                        problem = await self.poll_once(client, sink)
                    self._loaded_once = True
                    sink.set_status("degraded" if problem else "ok", self.healthy_message(problem))
                    delay = backoff.success() - (time.monotonic() - began)
                except VrmonError as exc:
                    self.failed(exc)
                    if self._loaded_once:
                        sink.set_status("degraded", f"{exc} (showing the last good scene; retrying with backoff)")
                    elif isinstance(exc, Unreachable):  # e.g. vrmon started before the backend
                        sink.set_status("down", f"waiting for {self.backend.name} at {redact_url(self.url)}: {exc}")
                    else:
                        sink.set_status("down", f"{exc} (retrying with backoff)")
                    delay = backoff.failure()
                await asyncio.sleep(max(0.0, delay))

    def window(self) -> tuple[int, int]:
        """(start, end) in µs of the next poll: since the last successful one, reaching back --late
        for spans that became queryable after they started, and never further than --lookback."""
        now_us = int(self._clock() * 1e6)
        start_us = now_us - int(self.config.lookback * 1e6)
        if self._window_end_us is not None:
            start_us = max(start_us, self._window_end_us - int(self.config.late * 1e6))
        return start_us, now_us

    def add(self, sink: SourceSink, batch) -> None:
        if len(batch):
            sink.add(batch)  # the readers brought every number into the columns' range


async def gather_limited(call: Callable[[A], Awaitable[T]], items: Iterable[A]) -> list[T]:
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
