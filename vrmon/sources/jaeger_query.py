"""The Jaeger query API in the dialect the server speaks: api_v3, with v1 for older servers.

`detect` finds out which one a server offers (and whether it has /api/v3/trace-summaries,
v2.19+); `JaegerQuery` then asks each question the way that server understands it. Bodies
are parsed in a worker thread: a large answer must not stall the websocket fan-out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from vrmon.errors import SourceError, TraceFormatError
from vrmon.model.ids import format_trace_id
from vrmon.model.span_batch import SpanBatch
from vrmon.sources import jaeger_api as api
from vrmon.sources.http_client import JAEGER, HttpClient, Reply
from vrmon.sources.polling import http_failure

T = TypeVar("T")

API_CHOICES = ("auto", "v3", "v1")

# api_v3 search parameters. Servers before v2.19 read only the snake_case names; v2.19 made the
# camelCase names canonical (snake_case stays as a deprecated alias) and added trace-summaries.
_SNAKE_CASE = {"service": "query.service_name", "min": "query.start_time_min", "max": "query.start_time_max",
               "depth": "query.num_traces"}
_CAMEL_CASE = {"service": "query.serviceName", "min": "query.startTimeMin", "max": "query.startTimeMax",
               "depth": "query.searchDepth"}


@dataclass(frozen=True)
class Capabilities:
    api: str  # "v3" or "v1"
    summaries: bool  # /api/v3/trace-summaries is there (Jaeger v2.19+)

    def describe(self) -> str:
        if self.api == "v1":
            return "the v1 API"
        return "api_v3 with trace-summaries" if self.summaries else "api_v3"


async def detect(client: HttpClient, wanted: str = "auto") -> Capabilities:
    """Which API the server speaks; SourceError saying what was tried when it speaks neither."""
    tried: list[str] = []
    if wanted in ("auto", "v3"):
        reply = await client.get("/api/v3/services")
        if _is_services_list(reply, "/api/v3/services"):
            return Capabilities("v3", await _has_trace_summaries(client))
        tried.append(f"/api/v3/services ({_what_came_back(reply)})")
    if wanted in ("auto", "v1"):
        reply = await client.get("/api/services")
        if _is_services_list(reply, "/api/services"):
            return Capabilities("v1", False)
        tried.append(f"/api/services ({_what_came_back(reply)})")
    hint = "" if wanted == "auto" else f", or drop --api {wanted} to let vrmon detect the API"
    raise SourceError(f"no Jaeger query API at {client.shown_url}: tried {' and '.join(tried)}; "
                      f"point --jaeger at the Jaeger UI's address (usually port 16686){hint}")


class JaegerQuery:
    def __init__(self, client: HttpClient, caps: Capabilities) -> None:
        self.client = client
        self.caps = caps
        self._params = _CAMEL_CASE if caps.summaries else _SNAKE_CASE
        self.has_dependencies = True  # until the server says it has no such endpoint

    async def services(self) -> list[str]:
        path = "/api/v3/services" if self.caps.api == "v3" else "/api/services"
        return await self._get_json(path, None, api.read_services)

    async def operations(self, service: str) -> list[str]:
        if self.caps.api == "v3":
            return await self._get_json("/api/v3/operations", {"service": service}, api.read_operations)
        return await self._get_json(f"/api/services/{quote(service, safe='')}/operations", None, api.read_operations)

    async def find_traces(self, service: str, start_us: int, end_us: int, limit: int) -> tuple[SpanBatch, str | None]:
        """Whole traces with a span of `service` starting in the window, and Jaeger's partial-error note."""
        if self.caps.api == "v1":
            params = {"service": service, "start": start_us, "end": end_us, "limit": limit}
            return await self._get_json("/api/traces", params, api.read_v1_traces)
        batch = await self._get_json("/api/v3/traces", self._search(service, start_us, end_us, limit),
                                     api.read_v3_traces, empty=SpanBatch())
        return batch, None

    async def trace_summaries(self, service: str, start_us: int, end_us: int, limit: int) -> list[api.TraceSummary]:
        return await self._get_json("/api/v3/trace-summaries", self._search(service, start_us, end_us, limit),
                                    api.read_trace_summaries, empty=[])

    async def trace(self, trace_id: int) -> SpanBatch:
        """One whole trace (empty if Jaeger does not have it: it may have aged out between the
        summaries and this fetch, or a link named a trace Jaeger never saw)."""
        v3 = self.caps.api == "v3"
        path = f"/api/v3/traces/{format_trace_id(trace_id)}" if v3 else f"/api/traces/{format_trace_id(trace_id)}"
        reply = await self.client.get(path)
        if api.is_jaeger_not_found(reply.status, reply.body):
            return SpanBatch()
        if v3:
            return await self._parse(reply, path, api.read_v3_traces)
        batch, _ = await self._parse(reply, path, api.read_v1_traces)
        return batch

    async def dependencies(self, end_us: int, lookback_us: int) -> list[api.DependencyLink] | None:
        """Service-to-service call counts; None when this server has no dependencies endpoint."""
        params = {"endTs": end_us // 1000, "lookback": lookback_us // 1000}
        reply = await self.client.get("/api/dependencies", params)
        if reply.status == 404 and not api.is_no_traces_found(reply.status, reply.body):
            self.has_dependencies = False
            return None
        return await self._parse(reply, "/api/dependencies", api.read_dependencies)

    # -- helpers ----------------------------------------------------------------------------

    def _search(self, service: str, start_us: int, end_us: int, limit: int) -> dict[str, str | int]:
        names = self._params
        return {names["service"]: service, names["min"]: api.rfc3339_nano(start_us),
                names["max"]: api.rfc3339_nano(end_us), names["depth"]: limit}

    async def _get_json(self, path: str, params: dict[str, Any] | None, reader: Callable[[list[Any], str], T],
                        empty: Any = None) -> T:
        reply = await self.client.get(path, params)
        if empty is not None and api.is_no_traces_found(reply.status, reply.body):
            return empty
        return await self._parse(reply, path, reader)

    async def _parse(self, reply: Reply, path: str, reader: Callable[[list[Any], str], T]) -> T:
        what = f"Jaeger's {path}"
        if not reply.ok:
            missing = reply.status == 404 and not api.is_jaeger_not_found(reply.status, reply.body)
            error = EndpointMissing if missing else SourceError
            raise error(http_failure(self.client.shown_url + path, reply, JAEGER, "--jaeger and --api"))
        return await asyncio.to_thread(lambda: reader(api.json_values(reply.body, what), what))


class EndpointMissing(SourceError):
    """An endpoint of the detected API answered 404: the server may have been replaced or upgraded."""


def _is_services_list(reply: Reply, path: str) -> bool:
    if not reply.ok:
        return False
    try:
        api.read_services(api.json_values(reply.body, path), path)
    except TraceFormatError:
        return False
    return True


def _what_came_back(reply: Reply) -> str:
    if reply.ok:
        return f"HTTP {reply.status} but not a Jaeger services list: {api.error_text(reply.status, reply.body)}"
    return f"HTTP {reply.status}: {api.error_text(reply.status, reply.body)}"


async def _has_trace_summaries(client: HttpClient) -> bool:
    """Ask /api/v3/trace-summaries for a one-microsecond window: any Jaeger-shaped JSON means it exists."""
    now_us = int(time.time() * 1e6)
    params = {_CAMEL_CASE["min"]: api.rfc3339_nano(now_us - 1), _CAMEL_CASE["max"]: api.rfc3339_nano(now_us),
              _CAMEL_CASE["depth"]: 1}
    reply = await client.get("/api/v3/trace-summaries", params)
    try:
        doc = api.json_values(reply.body, "/api/v3/trace-summaries")[0]
    except TraceFormatError:
        return False  # older servers: a plain-text "404 page not found"
    return isinstance(doc, dict) and ("summaries" in doc or isinstance(doc.get("error"), dict))
