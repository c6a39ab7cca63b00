"""`POST /v1/traces` as the OTLP/HTTP specification says: protobuf or JSON, gzip or not.

Answers: 200 (with `partial_success` saying how many spans were rejected and why), 400 for a
body that is not an export request, 413 for one over the size limit (before or after gzip),
415 for another media type or encoding, 429 with Retry-After when the store holds --max-spans
spans: an export vrmon cannot keep is refused, so the exporter retries or reports it; nothing
accepted is ever dropped. Error bodies are a `google.rpc.Status` in the request's own encoding.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Protocol

from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.requests import Request
from starlette.responses import Response

from vrmon.errors import SourceError, TraceFormatError
from vrmon.formats.empty_groups import first_of, json_empty_groups
from vrmon.formats.otlp import read_otlp
from vrmon.formats.otlp_proto import read_otlp_protobuf
from vrmon.model.span_batch import SpanBatch
from vrmon.sources.content_decoding import BoundedDecoder, TooLarge
from vrmon.tracing import span

PROTOBUF, JSON = "application/x-protobuf", "application/json"
ENCODINGS = ("gzip", "deflate", "identity", "")
THREAD_ABOVE = 256 * 1024  # bytes: a body this large is decoded off the event loop, so viewers keep their frames
REASONS_SHOWN = 3  # rejected spans' reasons quoted in partial_success (the count covers all of them)
# google.rpc.Code for each refusal, as OTLP/gRPC would answer
_RPC_CODES = {400: 3, 413: 8, 415: 3, 429: 8}


class Refusal(Exception):
    """An export refused with an HTTP status and a message for the exporter's log."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class Capacity(Protocol):
    """How many more spans the store may take, and when to ask again once it is full."""

    def room(self) -> int: ...

    def retry_after(self) -> int: ...


class TraceExport:
    """The endpoint: one export request in, one OTLP answer out."""

    def __init__(self, accept: Callable[[SpanBatch], None], capacity: Capacity, max_body: int,
                 on_refused: Callable[[Refusal], None] = lambda refusal: None) -> None:
        self.accept = accept  # hands the spans to the store (and the viewers)
        self.capacity = capacity
        self.max_body = max_body
        self.on_refused = on_refused  # e.g. the receiver's status when the store is full

    async def handle(self, request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        with span("otlp export", {"vrmon.bytes": int(declared) if declared.isdigit() else -1}):
            return await self._answer(request)

    async def _answer(self, request: Request) -> Response:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        answer_as = media if media in (PROTOBUF, JSON) else JSON
        try:
            if answer_as != media:
                raise Refusal(415, f"Content-Type {media or '(none)'!r} is not an OTLP export; "
                                   f"send {PROTOBUF} or {JSON}")
            body = await self._body(request)
            batch, rejected, empty = await self._decode(media, body)
            if len(batch) > self.capacity.room():
                raise Refusal(429, "vrmon holds --max-spans spans and cannot take more until older traces leave "
                                   "(--retain); retry later", self.capacity.retry_after())
            self.accept(batch)
        except Refusal as refusal:
            self.on_refused(refusal)
            headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after is not None else None
            status = Status(code=_RPC_CODES.get(refusal.status, 2), message=refusal.message)
            return Response(_encode(status, answer_as), refusal.status, headers, media_type=answer_as)
        answer = ExportTraceServiceResponse()
        notes = []
        if rejected:
            answer.partial_success.rejected_spans = len(rejected)
            more = f" (and {len(rejected) - REASONS_SHOWN} more)" if len(rejected) > REASONS_SHOWN else ""
            notes.append("; ".join(rejected[:REASONS_SHOWN]) + more)
        if empty:  # a warning with nothing rejected, as the specification allows: the exporter's log shows it
            notes.append(f"no spans where some were expected: {first_of(empty)}")
        if notes:
            answer.partial_success.error_message = "; ".join(notes)
        return Response(_encode(answer, media), 200, media_type=media)

    async def _body(self, request: Request) -> bytes:
        """The request body, inflated, never holding more than the limit (before or after gzip)."""
        encoding = request.headers.get("content-encoding", "").strip().lower()
        if encoding not in ENCODINGS:
            raise Refusal(415, f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise self._too_large(int(declared))
        decoder = BoundedDecoder(encoding, self.max_body)
        received, parts = 0, []
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > self.max_body:
                    raise self._too_large(received)
                parts.append(decoder.feed(chunk))
        except TooLarge as exc:
            raise self._too_large(exc.size, inflated=True) from None
        except SourceError as exc:  # a corrupt gzip stream
            raise Refusal(400, f"the {encoding} body cannot be inflated ({exc})") from None
        if not decoder.complete:
            raise Refusal(400, f"the {encoding} body ends before its compressed stream does")
        return b"".join(parts)

    def _too_large(self, size: int, inflated: bool = False) -> Refusal:
        what = "inflates to" if inflated else "is"
        return Refusal(413, f"the body {what} more than {size:,} bytes, over the {self.max_body:,}-byte limit "
                            "(vrmon serve --otlp-max-body); export smaller batches")

    async def _decode(self, media: str, body: bytes) -> tuple[SpanBatch, list[str], list[str]]:
        with span("parse", {"vrmon.bytes": len(body)}):
            if len(body) > THREAD_ABOVE:
                return await asyncio.to_thread(_decode, media, body)
            return _decode(media, body)


def _decode(media: str, body: bytes) -> tuple[SpanBatch, list[str], list[str]]:
    """The spans of an export request, why each span left out was rejected, and the places
    (resourceSpans, scopeSpans) that hold no spans."""
    rejected: list[str] = []
    empty: list[str] = []
    try:
        if media == PROTOBUF:
            return read_otlp_protobuf(body, rejected, empty_groups=empty), rejected, empty
        doc = json.loads(body)
        if not isinstance(doc, dict):
            raise TraceFormatError(f"an export request is a JSON object, not {type(doc).__name__}")
        if doc.get("resourceSpans") is None:  # an empty request is a valid one
            return SpanBatch(), rejected, empty
        return read_otlp(doc, rejected), rejected, json_empty_groups(doc)
    except TraceFormatError as exc:
        raise Refusal(400, f"not an OTLP ExportTraceServiceRequest: {exc}") from None
    except (ValueError, RecursionError) as exc:  # JSON syntax, bad UTF-8, nesting
        raise Refusal(400, f"not valid JSON: {exc}") from None


def _encode(message: Message, media: str) -> bytes:
    if media == PROTOBUF:
        return message.SerializeToString()
    return json_format.MessageToJson(message, indent=None).encode()
