"""`vrmon serve --self-trace`: vrmon's own spans (vrmon.tracing) join its store as service `vrmon`.

An OpenTelemetry SDK tracer provider records them (the one already configured in this process,
e.g. by `opentelemetry-instrument`, or a new one for service `vrmon`), and this source hands them
to the store like any other source's spans, encoded by the SDK's own OTLP encoder and read by
vrmon's protobuf reader, so their details show like an app's. Spans end on the event loop and in
file-reading threads: they wait in a bounded queue, and the loop is woken to take them. Storing
them is done `untraced`, so vrmon does not trace the storing of its own spans for ever.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

from vrmon.formats.otlp_proto import read_otlp_protobuf
from vrmon.sources.base import SourceSink
from vrmon.tracing import untraced

SERVICE = "vrmon"
GATHER = 0.1  # seconds: spans ending this close together are stored as one batch
MAX_WAITING = 50_000  # spans queued while the loop is busy; the oldest go first (vrmon's own, never the user's)


class SelfTrace:
    name = "self-trace"

    def __init__(self) -> None:
        self._finished: deque[ReadableSpan] = deque(maxlen=MAX_WAITING)
        self._wake: Callable[[], None] | None = None  # set while run() waits for spans
        _processor().listeners.append(self)  # from now on: spans of the files read at start too

    def on_end(self, span: ReadableSpan) -> None:
        """Called by the SDK in whatever thread the span ended."""
        self._finished.append(span)
        if self._wake is not None:
            self._wake()

    async def run(self, sink: SourceSink) -> None:
        loop = asyncio.get_running_loop()
        arrived = asyncio.Event()
        self._wake = lambda: loop.call_soon_threadsafe(arrived.set)
        sink.set_status("ok", f"tracing vrmon's own work as service {SERVICE}")
        try:
            while True:
                if not self._finished:
                    await arrived.wait()
                arrived.clear()
                await asyncio.sleep(GATHER)
                with untraced():  # the store add and the tick it pushes make no spans of their own
                    self._store(sink)
        finally:
            self._wake = None
            _processor().listeners.remove(self)

    def _store(self, sink: SourceSink) -> None:
        spans = [self._finished.popleft() for _ in range(len(self._finished))]
        if spans:
            sink.add(read_otlp_protobuf(encode_spans(spans).SerializeToString(), rejected=[]))


class _Forwarder(SpanProcessor):
    """Added once to the process's tracer provider; passes each ended span to the running SelfTrace."""

    def __init__(self) -> None:
        self.listeners: list[SelfTrace] = []

    def on_end(self, span: ReadableSpan) -> None:
        for listener in self.listeners:
            listener.on_end(span)


_FORWARDER: _Forwarder | None = None


def _processor() -> _Forwarder:
    """The forwarder, on the SDK tracer provider in force (set up for service vrmon if none is)."""
    global _FORWARDER
    if _FORWARDER is None:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
            trace.set_tracer_provider(provider)
        _FORWARDER = _Forwarder()
        provider.add_span_processor(_FORWARDER)
    return _FORWARDER
