"""What the recorded-response backends of the tests share (Jaeger, Tempo, Zipkin stubs): starting
and stopping on loopback, the requests seen, an optional required header, and injected faults.

`fault` injects one failure into every answer (or those under `fault_paths`) until cleared;
`required_header` makes every answer a 401 unless the request carries that header; `answered` is
set once the stub has answered a request in full (a test can tell whether a client waited for it).
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tests.conftest import RunningServer, free_port


@dataclass
class Fault:
    """What to do instead of answering: see JaegerStub's docstring for `kind`s."""

    kind: str  # status | not_json | wrong_shape | cut_off | huge | slow | gzip_bomb | trickle | redirect
    status: int = 500
    body: bytes = b""
    seconds: float = 0.0
    size: int = 0


@dataclass
class RecordedBackend:
    fault: Fault | None = None
    fault_paths: tuple[str, ...] = ()  # empty: every path
    requests: list[str] = field(default_factory=list)  # "METHOD path?query" of every request seen
    request_headers: list[dict[str, str]] = field(default_factory=list)  # the headers of each of them
    required_header: tuple[str, str] | None = None  # (name, value): answers 401 without it
    answered: threading.Event = field(default_factory=threading.Event)  # set once any request got its whole answer
    server: RunningServer | None = None
    # set by `stop`: a "slow" answer still waiting is sent then, so stopping never waits it out
    _stopping: threading.Event = field(default_factory=threading.Event)
    _visible: list = field(default_factory=list)  # the spans released so far, in the stub's own form
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        raise NotImplementedError

    def release(self, spans: list) -> None:
        """Make spans visible (in parts, for a trace that grows)."""
        with self._lock:
            self._visible = self._visible + list(spans)

    def visible(self) -> list:
        with self._lock:
            return list(self._visible)

    def start(self, port: int | None = None):
        self.server = RunningServer(FaultMiddleware(self.app(), self), port or free_port()).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self.server is not None:
            self.server.stop()

    def restart(self) -> None:
        """Start again on the same port (after `stop`, to end a connection-refused fault)."""
        assert self.server is not None
        self._stopping.clear()
        self.server = RunningServer(self.server.app, self.server.port).start()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url


class FaultMiddleware:
    """Pure ASGI: answers with the stub's current fault instead of the real answer (any stub with
    `fault`, `fault_paths`, `requests` and `request_headers`: the Tempo and Zipkin stubs use it too)."""

    def __init__(self, app, stub: RecordedBackend) -> None:
        self.app = app
        self.stub = stub

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        await self.answer(scope, receive, send)
        self.stub.answered.set()

    async def answer(self, scope, receive, send) -> None:
        stub = self.stub
        query = scope.get("query_string", b"").decode()
        stub.requests.append(f"{scope['method']} {scope['path']}" + (f"?{query}" if query else ""))
        stub.request_headers.append({k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]})
        if stub.required_header is not None:
            name, value = stub.required_header
            if dict(stub.request_headers[-1]).get(name.lower()) != value:
                return await PlainTextResponse("Unauthorized\n", status_code=401)(scope, receive, send)
        fault = stub.fault
        if fault is None or (stub.fault_paths and not scope["path"].startswith(stub.fault_paths)):
            return await self.app(scope, receive, send)
        if fault.kind == "slow":  # `seconds` late, or when the stub is stopped if that comes first
            loop = asyncio.get_running_loop()
            late = loop.time() + fault.seconds
            while loop.time() < late and not stub._stopping.is_set():
                await asyncio.sleep(min(0.05, late - loop.time()))
            return await self.app(scope, receive, send)
        if fault.kind == "cut_off":  # declare the full length, send half, close
            body = json.dumps({"result": {"resourceSpans": []}, "padding": "x" * 20000}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise ConnectionAbortedError("stub: cutting the answer off mid-body")
        if fault.kind == "huge":  # a valid-looking JSON stream that never ends before `size` bytes
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
            chunk = b'{"key": "padding", "value": {"stringValue": "' + b"x" * 65000 + b'"}},'
            await send({"type": "http.response.body", "body": b'{"result": {"resourceSpans": [', "more_body": True})
            for _ in range(fault.size // len(chunk) + 1):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"]}}", "more_body": False})
            return
        if fault.kind == "gzip_bomb":  # `body`, already compressed twice, declared as gzip inside gzip
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-encoding", b"gzip, gzip"),
                                    (b"content-length", str(len(fault.body)).encode())]})
            await send({"type": "http.response.body", "body": fault.body})
            return
        if fault.kind == "trickle":  # a valid start, then one byte every `seconds`, for ever
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"result": {"resourceSpans": [', "more_body": True})
            while True:
                await asyncio.sleep(fault.seconds)
                await send({"type": "http.response.body", "body": b" ", "more_body": True})
        if fault.kind == "redirect":  # to `body` (a URL), with a body of its own that must not be shown
            await send({"type": "http.response.start", "status": fault.status,
                        "headers": [(b"location", fault.body), (b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"REDIRECT-BODY-SECRET"})
            return
        kinds = {
            "status": (fault.status, fault.body, b"application/json"),
            "not_json": (200, b"<html><body><h1>Welcome to nginx!</h1></body></html>", b"text/html"),
            "wrong_shape": (200, fault.body or b'{"result": {"resourceSpans": "not a list"}, "services": 5}',
                            b"application/json"),
        }
        status, body, content_type = kinds[fault.kind]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


async def go_not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("404 page not found\n", status_code=404)
