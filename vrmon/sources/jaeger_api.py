"""Jaeger query API bodies → plain values. Pure functions: no I/O, no clock.

Every function takes the raw body (or its parsed JSON values) and either returns what vrmon
needs or raises TraceFormatError with a message naming the endpoint and what was wrong.
api_v3 answers are OTLP JSON inside ``{"result": …}``; a server may stream several such
objects in one chunked body, so a body is first split into its JSON values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from vrmon.errors import TraceFormatError
from vrmon.formats import read_document
from vrmon.model.dependencies import DependencyLink
from vrmon.model.ids import parse_id
from vrmon.model.span_batch import SpanBatch

_WHITESPACE = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class TraceSummary:
    """One row of /api/v3/trace-summaries: enough to tell whether a trace is new or grew."""

    trace_id: int
    span_count: int
    start_us: int


def rfc3339_nano(us: int) -> str:
    """Microseconds since the epoch as RFC 3339 with nanoseconds, the form api_v3 requires."""
    seconds, micros = divmod(us, 1_000_000)
    stamp = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{micros * 1000:09d}Z"


def json_values(body: bytes, what: str) -> list[Any]:
    """The JSON values of a body: usually one, several when a server streams chunked results."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise TraceFormatError(f"{what}: the answer is not UTF-8 text, so not JSON") from None
    values = []
    pos = _WHITESPACE.match(text, 0).end()
    while pos < len(text):
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except RecursionError:
            raise TraceFormatError(f"{what}: the JSON answer is nested too deeply to be a trace") from None
        except json.JSONDecodeError as exc:
            if exc.pos >= len(text.rstrip()) - 1 and text[pos] in "{[":
                raise TraceFormatError(f"{what}: the JSON answer stops mid-document ({len(body)} bytes); it was cut off") from None
            raise TraceFormatError(
                f"{what}: the answer is not JSON ({exc.msg} at character {exc.pos}; it starts {_snippet(text)!r}); "
                "check that --jaeger points at the Jaeger query service (UI port, usually 16686)"
            ) from None
        values.append(value)
        pos = _WHITESPACE.match(text, pos).end()
    if not values:
        raise TraceFormatError(f"{what}: the answer is empty, expected JSON")
    return values


def error_text(status: int, body: bytes) -> str:
    """Jaeger's own words from an error answer: the api_v3 `error`, v1 `errors`, or the text."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        doc = None
    if isinstance(doc, dict):
        if isinstance(doc.get("error"), dict):
            return str(doc["error"].get("message") or f"HTTP {status}")
        if isinstance(doc.get("errors"), list) and doc["errors"]:
            return _v1_errors(doc["errors"])
    text = body.decode("utf-8", "replace")
    return _snippet(text) or f"HTTP {status} with an empty body"


def is_no_traces_found(status: int, body: bytes) -> bool:
    """api_v3 answers an empty search with 404 and the message "No traces found"."""
    return status == 404 and "no traces found" in error_text(status, body).lower()


def is_jaeger_not_found(status: int, body: bytes) -> bool:
    """A 404 in Jaeger's own JSON error envelope: the endpoint exists, what was asked for does not
    (e.g. "trace not found"). A plain-text "404 page not found" means the endpoint itself is missing."""
    if status != 404:
        return False
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and (isinstance(doc.get("error"), dict) or isinstance(doc.get("errors"), list))


def read_v3_traces(values: list[Any], what: str) -> SpanBatch:
    for value in values:
        if not isinstance(value, dict) or "result" not in value:
            raise TraceFormatError(f"{what}: expected api_v3 {{\"result\": …}} objects, got {_describe(value)}")
    return _read(values[0] if len(values) == 1 else values, what)


def read_v1_traces(values: list[Any], what: str) -> tuple[SpanBatch, str | None]:
    """Spans of a v1 `{"data": [...], "errors": ...}` answer, and Jaeger's errors if it sent some.

    v1 can answer 200 with partial data plus errors (e.g. one trace it could not load): the data
    is kept and the errors are returned so the source can say so.
    """
    doc = _single(values, what)
    if not isinstance(doc, dict) or "data" not in doc:
        raise TraceFormatError(f'{what}: expected a v1 {{"data": [...]}} object, got {_describe(doc)}')
    errors = doc.get("errors")
    problem = _v1_errors(errors) if isinstance(errors, list) and errors else None
    if doc["data"] is None:
        if problem:
            raise TraceFormatError(f"{what}: Jaeger answered with errors only: {problem}")
        return SpanBatch(), None
    return _read(doc, what), problem


def read_services(values: list[Any], what: str) -> list[str]:
    """/api/v3/services `{"services": [...]}` or v1 /api/services `{"data": [...]}`."""
    doc = _single(values, what)
    if isinstance(doc, dict) and ("services" in doc or "data" in doc):
        names = doc["services"] if "services" in doc else doc["data"]
        if names is None:
            return []  # old servers send null for "no services yet"
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            return names
    raise TraceFormatError(f'{what}: expected {{"services": [names]}} or {{"data": [names]}}, got {_describe(doc)}')


def read_operations(values: list[Any], what: str) -> list[str]:
    """api_v3 `{"operations": [{"name", "spanKind"}]}`, v1 `{"data": [names or {"name"}]}`."""
    doc = _single(values, what)
    if not isinstance(doc, dict) or not ("operations" in doc or "data" in doc):
        raise TraceFormatError(f"{what}: expected a list of operations, got {_describe(doc)}")
    items = (doc["operations"] if "operations" in doc else doc["data"]) or []
    if not isinstance(items, list):
        raise TraceFormatError(f"{what}: expected a list of operations, got {_describe(items)}")
    names = [item.get("name") if isinstance(item, dict) else item for item in items]
    if not all(isinstance(n, str) for n in names):
        raise TraceFormatError(f"{what}: every operation needs a string name")
    return names


def read_trace_summaries(values: list[Any], what: str) -> list[TraceSummary]:
    """/api/v3/trace-summaries `{"summaries": [{traceId, spanCount, minStartTimeUnixNano, …}]}`."""
    rows: list[Any] = []
    for doc in values:
        if not isinstance(doc, dict) or not isinstance(doc.get("summaries", []), list):
            raise TraceFormatError(f'{what}: expected {{"summaries": [...]}}, got {_describe(doc)}')
        rows.extend(doc.get("summaries") or ())
    out = []
    try:
        for row in rows:
            trace_id = row.get("traceId", row.get("traceID"))
            out.append(TraceSummary(
                trace_id=parse_id(trace_id, "traceId"),
                span_count=int(row["spanCount"]),
                start_us=int(row.get("minStartTimeUnixNano") or 0) // 1000,
            ))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise TraceFormatError(f"{what}: a trace summary is malformed ({_reason(exc)}); expected traceId and spanCount") from None
    return out


def read_dependencies(values: list[Any], what: str) -> list[DependencyLink]:
    """/api/dependencies `{"data": [{parent, child, callCount}]}` (or a bare list of links)."""
    doc = _single(values, what)
    links = doc.get("data", doc.get("dependencies")) if isinstance(doc, dict) else doc
    if links is None:
        return []
    if not isinstance(links, list):
        raise TraceFormatError(f'{what}: expected {{"data": [links]}}, got {_describe(doc)}')
    try:
        return [DependencyLink(str(link["parent"]), str(link["child"]), int(link.get("callCount", 0))) for link in links]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise TraceFormatError(f"{what}: a dependency link is malformed ({_reason(exc)}); expected parent, child, callCount") from None


# -- helpers ----------------------------------------------------------------------------------


def _read(doc: Any, what: str) -> SpanBatch:
    try:
        return read_document(doc)
    except TraceFormatError as exc:
        raise TraceFormatError(f"{what}: {exc}") from None


def _single(values: list[Any], what: str) -> Any:
    if len(values) != 1:
        raise TraceFormatError(f"{what}: expected one JSON object, got {len(values)}")
    return values[0]


def _v1_errors(errors: list[Any]) -> str:
    return "; ".join(
        f"{e.get('msg') or e.get('message') or e} (code {e['code']})" if isinstance(e, dict) and "code" in e
        else str(e.get("msg", e) if isinstance(e, dict) else e)
        for e in errors
    )


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"an object with keys {sorted(value)[:6]}"
    return f"a JSON {type(value).__name__}"


def _reason(exc: Exception) -> str:
    return f"missing {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)


def _snippet(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
