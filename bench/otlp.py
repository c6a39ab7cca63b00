"""OTLP receiver benchmark: `python -m bench.otlp [--quick] [--no-write]` (part of `make bench`).

An app's real exporter (the OpenTelemetry SDK's OTLP/HTTP protobuf exporter, in its own thread as
in an app) exports a new trace to a `vrmon serve --otlp` process on loopback while a websocket
viewer watches;
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
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from websockets.sync.client import connect

from bench.report import finish, machine, parse_arguments, percentile
from tests.test_cli_serve import OPEN_LINE, Serving
from tests.test_otlp_receiver import ENDPOINT_LINE
from vrmon.formats.otlp_proto import read_otlp_protobuf
from vrmon.hub import Hub
from vrmon.model.span_store import SpanStore
from vrmon.protocol import decode_server_frame
from vrmon.scene_presets import load_presets
from vrmon.settings import ServeConfig

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
    # vrmon in a process of its own, as users run it: the app and the viewer here do not share its interpreter
    vrmon = Serving("--otlp", "0", "--port", "0", "--tick", "60", "--no-host-metrics")
    port = int(vrmon.line(OPEN_LINE).group(1))
    url = vrmon.line(ENDPOINT_LINE).group(1) + "/v1/traces"
    exporter = OTLPSpanExporter(endpoint=url)
    http = httpx.Client(headers={"Content-Type": "application/x-protobuf"})  # keeps its connection, as the exporter does
    app_thread = ThreadPoolExecutor(1)  # the app's side runs off the viewer's thread, as in an app
    try:
        for batch in make_traces(stored // 500, 500):  # the background: traces already there
            assert exporter.export(batch) is SpanExportResult.SUCCESS
        whole, vrmons_part = [], []
        with connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
            decode_server_frame(ws.recv(timeout=30))  # the snapshot
            for spans in make_traces(samples, trace_spans):
                whole.append(_to_viewer(ws, spans, lambda: app_thread.submit(exporter.export, spans)))
            bodies = [(spans, encode_spans(spans).SerializeToString())  # the SDK's own encoding, done beforehand
                      for spans in make_traces(samples, trace_spans)]
            cpu_before = _cpu_seconds(vrmon.process.pid)
            for spans, body in bodies:
                vrmons_part.append(_to_viewer(ws, spans, lambda: app_thread.submit(http.post, url, content=body)))
            cpu_ms = (_cpu_seconds(vrmon.process.pid) - cpu_before) * 1000 / samples
        rows.append(f"| {trace_spans} | {stored:,} | {samples} | {_stats(whole)} | {_stats(vrmons_part)} | "
                    f"{cpu_ms:.1f} | {'yes' if percentile(vrmons_part, 0.95) <= TARGET_P95_MS else 'no'} |")
        print(rows[-1], file=sys.stderr)
    finally:
        app_thread.shutdown()
        exporter.shutdown()
        http.close()
        vrmon.stop()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


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


def bench_breakdown(trace_spans: int, runs: int, rows: list[str]) -> None:
    """vrmon's part without HTTP and sockets, in this thread: decode, store add, tick (median CPU ms:
    this thread's CPU time, which a busy machine's waits for a core do not inflate)."""
    store = SpanStore()
    hub = Hub(store, load_presets(ServeConfig().scene_dirs()), "waterfall")
    viewer = hub.connect()
    hub.tick()
    parts: dict[str, list[float]] = {"decode": [], "store add": [], "tick": []}
    for spans in make_traces(runs, trace_spans):
        body = encode_spans(spans).SerializeToString()
        began = time.thread_time()
        batch = read_otlp_protobuf(body, [])
        decoded = time.thread_time()
        store.add(batch)
        added = time.thread_time()
        hub.tick()
        ticked = time.thread_time()
        while not viewer.queue.empty():
            viewer.queue.get_nowait()
        for name, ms in zip(parts, ((decoded - began) * 1000, (added - decoded) * 1000, (ticked - added) * 1000)):
            parts[name].append(ms)
    medians = [statistics.median(values) for values in parts.values()]
    rows.append(f"| {trace_spans} | {runs} | " + " | ".join(f"{m:.2f}" for m in medians) + f" | {sum(medians):.2f} |")
    print(rows[-1], file=sys.stderr)


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
            "The CPU column is the CPU time vrmon's process used per POST over the POST series (all of "
            "its work for an export: HTTP, decoding, store, tick, websocket); the latency beyond it is "
            "time spent waiting, for a core on a busy machine.", "",
            "| spans per export | spans already stored | samples | export() → viewer p50 / p95 / max | "
            "POST → viewer p50 / p95 / max | vrmon CPU per POST | p95 within target |",
            "|---|---|---|---|---|---|---|"]
    load_before = os.getloadavg()[0]
    for trace_spans, stored in ((10, 0), (512, 0), (10, 20_000), (512, 20_000)):
        bench_latency(trace_spans, stored, samples, rows)
    rows += ["", f"Load average (1 min) of this shared machine: {load_before:.1f} at the start, "
                 f"{os.getloadavg()[0]:.1f} at the end.", "",
             "### Where vrmon's part goes (CPU ms, median)", "",
             "The same work in one thread, without HTTP or sockets: decode the SDK-encoded export, add it to the "
             "store, tick (lay out, encode the delta, queue it for one viewer); the thread's CPU time.", "",
             "| spans per export | runs | decode | store add | tick | total |", "|---|---|---|---|---|---|"]
    for trace_spans in (10, 512):
        bench_breakdown(trace_spans, samples // 2 + 1, rows)
    rows.append("")
    return finish(SECTION, rows, write=not (args.no_write or args.quick))


if __name__ == "__main__":
    sys.exit(main())
