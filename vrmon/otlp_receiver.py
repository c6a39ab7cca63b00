"""The OTLP receiver: a live source that apps export to, instead of one vrmon polls.

It listens on its own port (4318, OTLP/HTTP's), bound before anything is loaded like the viewer
port, and runs its own small server in vrmon's event loop for the server's lifetime. Spans go
to the store through the same sink as Jaeger's, which sends viewers the change at once (no
polling on this path). Who may export follows the viewer port's rules: on loopback the Host and
Origin checks; beyond it HTTPS and the --token as 'Authorization: Bearer', unless --insecure.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import socket
import time

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from vrmon.errors import ConfigError
from vrmon.exposure import Exposure, decide_exposure
from vrmon.listen import bind_listener
from vrmon.model.span_store import SpanStore
from vrmon.otlp_cors import OtlpCors
from vrmon.security import AccessGuard
from vrmon.settings import ServeConfig
from vrmon.sources.base import SourceSink
from vrmon.sources.otlp_http import Refusal, TraceExport

OTLP_PATH = "/v1/traces"
MAX_RETRY_AFTER = 300  # seconds: exporters give up on a batch long before; they log it, vrmon shows it


class StoreCapacity:
    """Room under --max-spans; once full, room comes back as traces idle for --retain leave
    (files loaded with --replay stay, and take no room)."""

    def __init__(self, store: SpanStore, max_spans: int, retain: float) -> None:
        self.store, self.max_spans, self.retain = store, max_spans, retain

    def room(self) -> int:
        return self.max_spans - self.store.evictable_spans()

    def retry_after(self) -> int:
        """Seconds until the trace that received a span least recently is idle long enough to leave."""
        evictable = self.store.evictable()
        if not evictable.any():
            return 1
        wait = int(self.store.trace_summaries()["arrived_us"][evictable].min()) / 1e6 + self.retain - time.time()
        return min(max(1, math.ceil(wait)), MAX_RETRY_AFTER)


class OtlpReceiver:
    name = "otlp"

    def __init__(self, listener: socket.socket, exposure: Exposure, capacity: StoreCapacity, max_body: int,
                 cors: tuple[str, ...] = ()) -> None:
        self.listener = listener
        self.exposure = exposure
        self.capacity = capacity
        self.max_body = max_body
        self.cors = cors  # web origins whose pages may export (--otlp-cors)

    @classmethod
    def from_config(cls, config: ServeConfig, store: SpanStore, listener: socket.socket | None = None) -> "OtlpReceiver":
        """Bind the receiver's port now (a port in use is one line before anything loads), unless
        `listener` is it, bound already (`vrmon serve` binds it before asking Jaeger anything)."""
        assert config.otlp is not None
        host, port = config.otlp
        listener = listener or bind_listener(host, port, flag="--otlp")
        bound = dataclasses.replace(config, host=host, port=listener.getsockname()[1])
        exposure = decide_exposure(bound)
        # the pages --otlp-cors names may POST here (their preflights are answered by OtlpCors)
        exposure.policy = dataclasses.replace(exposure.policy, origins=exposure.policy.origins | set(config.otlp_cors))
        if exposure.pairing is not None and not config.security.token:
            listener.close()
            raise ConfigError(f"--otlp {host}:{port} listens beyond loopback, so exporters must authenticate: set "
                              "VRMON_TOKEN (apps send it with OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20TOKEN'), "
                              "or pass --insecure to let anyone who reaches the port send spans")
        return cls(listener, exposure, StoreCapacity(store, config.max_spans, config.retain),
                   int(config.otlp_max_body * 2**20), tuple(config.otlp_cors))

    @property
    def endpoint(self) -> str:
        """What an app sets OTEL_EXPORTER_OTLP_ENDPOINT to (the exporter adds /v1/traces)."""
        return self.exposure.urls()[0].rstrip("/")

    def banner(self) -> list[str]:
        lines = [f"receiving OTLP/HTTP traces at {self.endpoint}{OTLP_PATH}; "
                 f"apps export with OTEL_EXPORTER_OTLP_ENDPOINT={self.endpoint}"]
        certificate = self.exposure.certificate
        if certificate is not None:
            lines.append(f"  and OTEL_EXPORTER_OTLP_CERTIFICATE={certificate.cert} "
                         "OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20<the --token>'")
        if self.cors:
            lines.append(f"  and from web pages of {', '.join(self.cors)} (--otlp-cors)")
        return [*self.exposure.warnings, *lines]

    async def run(self, sink: SourceSink) -> None:
        listening = f"receiving OTLP/HTTP at {self.endpoint}{OTLP_PATH}"

        def accept(batch) -> None:
            sink.add(batch)
            sink.set_status("ok", listening)

        def refused(refusal: Refusal) -> None:
            if refusal.status == 429:  # the user should know; a bad request is the exporter's to report
                sink.set_status("degraded", f"refusing spans (HTTP 429): {refusal.message}; "
                                            "raise --max-spans, or lower --retain so older traces leave sooner")

        export = TraceExport(accept, self.capacity, self.max_body, refused)
        app = Starlette(routes=[Route(OTLP_PATH, export.handle, methods=["POST"])],
                        middleware=[Middleware(OtlpCors, origins=self.cors),
                                    Middleware(AccessGuard, policy=self.exposure.policy, gate=self.exposure.pairing)])
        server = _EmbeddedServer(uvicorn.Config(app, log_level="warning", lifespan="off",
                                                **self.exposure.uvicorn_options()))
        sink.set_status("ok", listening)
        serving = asyncio.create_task(server.serve(sockets=[self.listener]))
        try:
            await asyncio.shield(serving)
        except asyncio.CancelledError:
            server.should_exit = True  # finish the requests in flight, then close the port
            with contextlib.suppress(Exception):
                await serving
            raise


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server inside vrmon's: the viewer server owns the signals (Ctrl-C stops both)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield
