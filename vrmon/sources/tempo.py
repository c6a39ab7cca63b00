"""Live Grafana Tempo: search the window since the last poll, fetch the traces that are new or grew.

`GET /api/search?q=…&start=…&end=…&limit=…&spss=…` (seconds) lists the traces with spans in the
window; each row carries its duration, root and, per span set, how many spans matched. A trace
whose row changed since it was fetched (new, longer, a root that arrived, more matched spans)
is fetched again with `GET /api/v2/traces/{id}` (`/api/traces/{id}` on servers before 2.5), and
the store skips the spans it already holds. Tempo writes a 64-bit trace id without its leading
zeros; the id is read as a number, so both spellings are one trace.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vrmon.errors import SourceError, TraceFormatError
from vrmon.formats import read_document
from vrmon.formats.values import json_kind
from vrmon.model.ids import parse_id
from vrmon.model.span_batch import SpanBatch
from vrmon.settings import JaegerConfig, TempoConfig
from vrmon.sources.base import SourceSink
from vrmon.sources.http_client import Backend, HttpClient, Reply, redact_url
from vrmon.sources.jaeger_api import json_values
from vrmon.sources.polling import PollingSource, gather_limited, http_failure

TEMPO = Backend("Tempo", "tempo", "Tempo's HTTP API (usually port 3200)", "http://localhost:3200")
SPANS_PER_SET = 3  # spss: the search only needs each set's `matched` count, not its spans


@dataclass(frozen=True)
class SearchRow:
    """What a search row says about a trace: enough to tell whether it changed since it was fetched."""

    trace_id: int
    signature: tuple[Any, ...]  # duration, root service and name, spans matched
    start_us: int


class TempoSource(PollingSource):
    name = "tempo"
    backend = TEMPO

    def __init__(self, tempo: TempoConfig, config: JaegerConfig, clock: Callable[[], float] = time.time) -> None:
        super().__init__(config, tempo.tempo, tempo.tempo_header, clock)
        self.tempo = tempo
        self._fetched: dict[int, SearchRow] = {}  # the row each trace had when it was last fetched
        self._v2 = True  # /api/v2/traces until the server says it has no such endpoint
        self._limit_hit = False

    async def poll_once(self, client: HttpClient, sink: SourceSink) -> str | None:
        start_us, end_us = self.window()
        rows = await self._search(client, start_us, end_us)
        self._limit_hit |= len(rows) >= self.config.limit
        todo = [row for row in rows if self._fetched.get(row.trace_id) != row]
        batches = await gather_limited(lambda row: self._trace(client, row.trace_id), todo)
        for row, batch in zip(todo, batches):
            self.add(sink, batch)
            self._fetched[row.trace_id] = row
        oldest = end_us - int(self.config.lookback * 1e6)
        self._fetched = {t: row for t, row in self._fetched.items() if row.start_us >= oldest}
        self._window_end_us = end_us
        return None

    async def _search(self, client: HttpClient, start_us: int, end_us: int) -> list[SearchRow]:
        # Tempo's window is in whole seconds: the end is rounded up so no span of the last second is missed
        params = {"q": self.tempo.tempo_query, "start": start_us // 1_000_000, "end": -(-end_us // 1_000_000),
                  "limit": self.config.limit, "spss": SPANS_PER_SET}
        reply = await client.get("/api/search", params)
        doc = _json_object(reply, client, "/api/search")
        traces = doc.get("traces") or []
        if not isinstance(traces, list):
            raise TraceFormatError(f"Tempo's /api/search: expected {{\"traces\": [...]}}, got \"traces\" as {json_kind(traces)}")
        return [_search_row(row, i) for i, row in enumerate(traces)]

    async def _trace(self, client: HttpClient, trace_id: int) -> SpanBatch:
        """One whole trace (empty if Tempo no longer has it); v2 first, then the older endpoint."""
        hex_id = format(trace_id, "x")  # Tempo takes ids with or without leading zeros
        if self._v2:
            path = f"/api/v2/traces/{hex_id}"
            reply = await client.get(path)
            if reply.status != 404 or _says_trace_not_found(reply):
                return await _read_trace(reply, client, path)
            self._v2 = False  # "404 page not found": a Tempo before /api/v2
        path = f"/api/traces/{hex_id}"
        return await _read_trace(await client.get(path), client, path)

    async def trace_by_id(self, client: HttpClient, trace_id: int) -> SpanBatch:
        return await self._trace(client, trace_id)

    def failed(self, exc: Exception) -> None:
        if isinstance(exc, SourceError) and "404" in str(exc):
            self._v2 = True  # the server may have been upgraded: look for /api/v2 again

    def healthy_message(self, problem: str | None) -> str:
        message = (f"live from {redact_url(self.url)} (Tempo, {'/api/v2' if self._v2 else '/api/traces'}), "
                   f"query {self.tempo.tempo_query}, every {self.config.poll:g} s")
        if self._limit_hit:
            message += f"; some searches returned --limit {self.config.limit} traces, so raise it to see every trace"
        return f"{message}; but {problem}" if problem else message


def _search_row(row: Any, index: int) -> SearchRow:
    try:
        sets = row.get("spanSets") or ([row["spanSet"]] if row.get("spanSet") else [])
        matched = sum(int(s.get("matched") or 0) for s in sets if isinstance(s, dict))
        return SearchRow(
            trace_id=parse_id(str(row["traceID"]).rjust(2, "0"), "traceID"),
            signature=(row.get("durationMs"), row.get("rootServiceName"), row.get("rootTraceName"), matched),
            start_us=int(row.get("startTimeUnixNano") or 0) // 1000,
        )
    except (AttributeError, KeyError, TypeError, ValueError, TraceFormatError) as exc:
        reason = f"missing {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
        raise TraceFormatError(f"Tempo's /api/search: trace {index} is malformed ({reason}); "
                               "expected traceID, startTimeUnixNano, durationMs") from None


def _says_trace_not_found(reply: Reply) -> bool:
    """Tempo's own 404 for a trace it does not have, as opposed to a server without the endpoint."""
    return reply.status == 404 and "trace not found" in reply.body.decode("utf-8", "replace").lower()


async def _read_trace(reply: Reply, client: HttpClient, path: str) -> SpanBatch:
    if _says_trace_not_found(reply):
        return SpanBatch()  # aged out between the search and this fetch
    doc = _json_object(reply, client, path)

    def read() -> SpanBatch:
        try:
            return read_document(doc)
        except TraceFormatError as exc:
            raise TraceFormatError(f"Tempo's {path}: {exc}") from None

    return await asyncio.to_thread(read)  # a big trace must not stall the websocket fan-out


def _json_object(reply: Reply, client: HttpClient, path: str) -> dict:
    what = f"Tempo's {path}"
    if not reply.ok:
        raise SourceError(http_failure(f"{client.shown_url}{path}", reply, client.backend))
    values = json_values(reply.body, what)
    if len(values) != 1 or not isinstance(values[0], dict):
        raise TraceFormatError(f"{what}: expected one JSON object, got {json.dumps(values)[:80]}")
    return values[0]

