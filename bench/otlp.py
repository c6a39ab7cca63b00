"""OTLP receiver benchmark: `python -m bench.otlp [--quick] [--no-write]` (part of `make bench`).

An app's real exporter (the OpenTelemetry SDK's OTLP/HTTP protobuf exporter, in its own thread as
in an app) exports a new trace to vrmon's receiver on loopback while a websocket viewer watches;
we time from the call to `export()` to the viewer receiving the delta that lists the new trace.
That covers the exporter's encoding, HTTP, decoding, the store add, the pushed tick (layout and
encode) and the websocket; a second series POSTs the same SDK-encoded bodies, to time vrmon's
part alone (the SDK's pure-Python encoder takes ~0.1 ms a span on this machine). The samples are spread over random moments, and vrmon's periodic
tick is 60 s, so a delta can only be the pushed one. Rows: traces of 10 and of 512 spans (the
SDK's largest batch by default), into an empty store and into one that holds 20,000 spans.
"""

from __future__ import annotations

import datetime
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from websockets.sync.client import connect

from bench.report import finish, machine, parse_arguments, percentile
from tests.conftest import RunningServer, free_port
from vrmon.app import create_app
from vrmon.model.span_store import SpanStore
from vrmon.protocol import decode_server_frame
from vrmon.settings import ServeConfig
from vrmon.otlp_receiver import OtlpReceiver

SECTION = "## OTLP receiver"
TARGET_P95_MS = 50.0


def make_traces(count: int, spans: int) -> list[list[ReadableSpan]]:
    """`count` traces of `spans` spans each (a root and its children), made by the real SDK."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench-app"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    traces = []
    for _ in range(count):
        memory.clear()
        with tracer.start_as_current_span("GET /orders", attributes={"http.method": "GET", "http.route": "/orders"}):
            for i in range(spans - 1):
                with tracer.start_as_current_span("SELECT orders", attributes={"db.system": "postgresql", "row": i}):
                    pass
        traces.append(list(memory.get_finished_spans()))
    return traces


def bench_latency(trace_spans: int, stored: int, samples: int, rows: list[str]) -> None:
    config = ServeConfig(host_metrics=False, otlp=("127.0.0.1", 0), tick=60.0)
    store = SpanStore()
    receiver = OtlpReceiver.from_config(config, store)
    server = RunningServer(create_app(config, store, sources=[receiver]), free_port()).start()
    url = receiver.endpoint + "/v1/traces"
    exporter = OTLPSpanExporter(endpoint=url)
    http = httpx.Client(headers={"Content-Type": "application/x-protobuf"})  # keeps its connection, as the exporter does
    app_thread = ThreadPoolExecutor(1)  # the app's side runs off the viewer's thread, as in an app
    try:
        for batch in make_traces(stored // 500, 500):  # the background: traces already there
            assert exporter.export(batch) is SpanExportResult.SUCCESS
        whole, vrmons_part = [], []
        with connect(server.ws_url, max_size=None) as ws:
            decode_server_frame(ws.recv(timeout=30))  # the snapshot
            for spans in make_traces(samples, trace_spans):
                whole.append(_to_viewer(ws, spans, lambda: app_thread.submit(exporter.export, spans)))
            for spans in make_traces(samples, trace_spans):
                body = encode_spans(spans).SerializeToString()  # the SDK's own encoding, done beforehand
                vrmons_part.append(_to_viewer(ws, spans, lambda: app_thread.submit(http.post, url, content=body)))
        rows.append(f"| {trace_spans} | {stored:,} | {samples} | {_stats(whole)} | {_stats(vrmons_part)} | "
                    f"{'yes' if percentile(vrmons_part, 0.95) <= TARGET_P95_MS else 'no'} |")
        print(rows[-1], file=sys.stderr)
    finally:
        app_thread.shutdown()
        exporter.shutdown()
        http.close()
        server.stop()


def _to_viewer(ws, spans: list[ReadableSpan], send) -> float:
    """Milliseconds from `send()` (at a random moment) to the viewer's delta listing the spans' trace."""
    time.sleep(random.uniform(0.05, 0.25))  # the viewer is idle meanwhile
    trace_id = format(spans[0].context.trace_id, "032x")
    began = time.monotonic()
    sent = send()
    while True:
        frame = decode_server_frame(ws.recv(timeout=30))
        if frame["type"] == "delta" and any(t["id"] == trace_id for t in frame.get("traces") or ()):
            break
    elapsed = (time.monotonic() - began) * 1000
    answer = sent.result(timeout=30)
    assert answer is SpanExportResult.SUCCESS or getattr(answer, "status_code", 0) == 200, answer
    return elapsed


def _stats(latencies: list[float]) -> str:
    return f"{percentile(latencies, 0.5):.1f} / {percentile(latencies, 0.95):.1f} / {max(latencies):.1f}"


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv, quick="few samples, for a smoke run")
    random.seed(1)
    samples = 5 if args.quick else 100
    rows = [SECTION, "",
            f"Run `python -m bench.otlp` (part of `make bench`). Measured {datetime.date.today().isoformat()} on {machine()}.",
            "", "### Export to viewer (ms)", "",
            "To a websocket viewer receiving the delta that lists the new trace, from an app's "
            "`OTLPSpanExporter.export()` call (the real SDK, protobuf over loopback HTTP: its pure-Python encoder "
            "included), and from the POST of the same SDK-encoded body (vrmon's part: HTTP, decoding, store, pushed "
            "tick, websocket). vrmon's periodic tick is 60 s here, so every delta is the one the export pushed. "
            f"Target: p95 ≤ {TARGET_P95_MS:g} ms for vrmon's part.", "",
            "| spans per export | spans already stored | samples | export() → viewer p50 / p95 / max | "
            "POST → viewer p50 / p95 / max | p95 within target |",
            "|---|---|---|---|---|---|"]
    load_before = os.getloadavg()[0]
    for trace_spans, stored in ((10, 0), (512, 0), (10, 20_000), (512, 20_000)):
        bench_latency(trace_spans, stored, samples, rows)
    rows += ["", f"Load average (1 min) of this shared machine: {load_before:.1f} at the start, "
                 f"{os.getloadavg()[0]:.1f} at the end."]
    return finish(SECTION, rows, write=not (args.no_write or args.quick))


if __name__ == "__main__":
    sys.exit(main())
