"""Live Jaeger benchmark: `python -m bench.live [--quick] [--no-write]` (part of `make bench`).

vrmon polls the recorded-response Jaeger stub (tests/jaeger_stub.py, real HotROD spans) over
loopback HTTP, exactly as in the live tests, and a websocket viewer watches. Two measurements:

- poll-to-viewer latency: a new trace is released in the stub at a random moment; we time how
  long until a viewer receives it, in all and counted from the start of the first poll that could
  see it (that is, minus the wait for the next poll);
- CPU per quiet poll: with 10k live spans, all inside the --late overlap (the worst case: every
  poll asks for all of them again) and nothing new, the CPU time of vrmon's server thread per poll.

Stub and vrmon share this process but not a thread; CPU is read per thread, so the stub's own
work is not counted against vrmon.
"""

from __future__ import annotations

import copy
import datetime
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass

import psutil
from websockets.sync.client import connect

from bench.report import finish, machine, parse_arguments, percentile
from tests.conftest import RunningServer, free_port
from tests.jaeger_stub import JaegerStub, StubSpan
from vrmon.app import create_app
from vrmon.protocol import decode_server_frame
from vrmon.settings import ServeConfig, jaeger_config
from vrmon.sources.jaeger import JaegerSource

SECTION = "## Live Jaeger"
HOTROD = "apiv3-gettrace-hotrod-40spans.json"
V1_TRACE = "jaeger-v1-opentracing-tutorial-3services-logs.json"


class TimedRequests(list):
    """The stub's request log, with the monotonic time each request arrived."""

    def append(self, request: str) -> None:
        super().append((time.monotonic(), request))


def renamed(spans: list[StubSpan]) -> list[StubSpan]:
    """A copy of a trace's spans under a fresh trace id (a new request through the same system)."""
    trace_id = uuid.uuid4().hex[:32]
    out = []
    for span in spans:
        clone = copy.deepcopy(span)
        clone.trace_id = trace_id
        if clone.form == "otlp":
            clone.raw["traceId"] = trace_id
        else:
            clone.raw["traceID"] = trace_id
            for ref in clone.raw.get("references") or ():
                ref["traceID"] = trace_id
        out.append(clone)
    return out


@dataclass
class Rig:
    stub: JaegerStub
    server: RunningServer

    def close(self) -> None:
        self.server.stop()
        self.stub.stop()


def start(stub: JaegerStub, poll: float, limit: int = 1000) -> Rig:
    stub.requests = TimedRequests()
    stub.start()
    config = jaeger_config(jaeger=stub.url, poll=poll, limit=limit)
    app = create_app(ServeConfig(host_metrics=False, jaeger=config), sources=[JaegerSource(config)])
    return Rig(stub, RunningServer(app, free_port()).start())


def poll_starts(stub: JaegerStub) -> list[float]:
    """Times at which vrmon began a poll (its first request of each poll asks for the services)."""
    return [t for t, request in stub.requests if "/services" in request.split("?")[0] and "/operations" not in request]


def bench_latency(flavour: str, poll: float, samples: int, rows: list[str]) -> None:
    stub = JaegerStub(flavour=flavour)
    fixture = V1_TRACE if flavour == "v1" else HOTROD
    template = stub.load(fixture)
    stub.release(renamed(template))
    rig = start(stub, poll)
    total, after_poll = [], []
    try:
        with connect(rig.server.ws_url, max_size=None) as ws:
            seen: set[str] = set()
            for _ in range(samples):
                time.sleep(random.uniform(0, poll))  # release at a random phase of the poll cycle
                spans = stub.load(fixture)
                trace = renamed(spans)
                released = time.monotonic()
                stub.release(trace)
                while trace[0].trace_id[-16:] not in seen:  # summaries name the trace by its 64-bit id
                    frame = decode_server_frame(ws.recv(timeout=poll * 4 + 10))
                    seen |= {t["id"][-16:] for t in frame.get("traces") or ()}
                received = time.monotonic()
                # the poll that delivered it: the last one begun before it arrived (it may have begun
                # just before the release and still seen the trace in a later request)
                delivering = max(t for t in poll_starts(stub) if t <= received)
                total.append((received - released) * 1000)
                after_poll.append((received - max(released, delivering)) * 1000)
    finally:
        rig.close()
    rows.append(f"| {flavour} | {poll:g} s | {samples} | {percentile(total, 0.5):.0f} / {percentile(total, 0.95):.0f} | "
                f"{percentile(after_poll, 0.5):.0f} / {percentile(after_poll, 0.95):.0f} |")
    print(rows[-1], file=sys.stderr)


def bench_quiet_poll(flavour: str, spans_wanted: int, seconds: float, rows: list[str]) -> None:
    stub = JaegerStub(flavour=flavour)
    fixture = V1_TRACE if flavour == "v1" else HOTROD
    template = stub.load(fixture, end_us=int((time.time() - 20) * 1e6))  # all inside the 60 s overlap
    copies = max(1, spans_wanted // len(template))
    for _ in range(copies):
        stub.release(renamed(template))
    poll = 1.0
    rig = start(stub, poll, limit=copies + 10)
    try:
        store = rig.server.app.state.store
        deadline = time.monotonic() + 120
        while len(store) < copies * len(template):
            if time.monotonic() > deadline:
                raise RuntimeError(f"vrmon holds {len(store)} spans after 120 s, expected {copies * len(template)}")
            time.sleep(0.2)
        time.sleep(2 * poll)  # let the poll that loaded them finish
        thread = _native_thread(rig.server.thread)
        version = store.version
        cpu0, polls0 = _thread_cpu(thread), len(poll_starts(stub))
        time.sleep(seconds)
        cpu1, polls1 = _thread_cpu(thread), len(poll_starts(stub))
        assert store.version == version, "a quiet poll changed the store"
        polls = polls1 - polls0
        per_poll = (cpu1 - cpu0) / max(polls, 1) * 1000
        rows.append(f"| {flavour} | {len(store):,} | {polls} | {per_poll:.1f} ms | {per_poll / (poll * 1000) * 100:.1f} % |")
        print(rows[-1], file=sys.stderr)
    finally:
        rig.close()


def _native_thread(thread: threading.Thread) -> int:
    assert thread.native_id is not None
    return thread.native_id


def _thread_cpu(native_id: int) -> float:
    for t in psutil.Process().threads():
        if t.id == native_id:
            return t.user_time + t.system_time
    raise RuntimeError("vrmon's server thread is gone")


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv, quick="few samples and 1k spans, for a smoke run")
    random.seed(1)
    samples, spans, seconds = (3, 1_000, 3.0) if args.quick else (20, 10_000, 15.0)
    rows = [SECTION, "", f"Run `python -m bench.live` (part of `make bench`). Measured {datetime.date.today().isoformat()} "
            f"on {machine()}. vrmon polls the recorded-response Jaeger stub over loopback HTTP; a websocket viewer watches.", ""]
    rows += ["### Poll-to-viewer latency (ms, p50 / p95)", "",
             "From the moment the stub makes a new trace available to a viewer receiving it. \"After the poll\" counts from "
             "the start of the poll that delivered it (or from the release, if that poll had already begun), i.e. without "
             "the wait for the next poll (scene tick 0.1 s).", "",
             "| API | poll | samples | release → viewer | after the poll |", "|---|---|---|---|---|"]
    for flavour in ("v2.19", "v2.0", "v1"):
        bench_latency(flavour, 1.0, samples, rows)
    rows += ["", f"### CPU per quiet poll ({seconds:g} s of polling, nothing new)", "",
             "Every span is inside the 60 s `--late` overlap, so each poll asks Jaeger about all of them again: the worst case. "
             "CPU is vrmon's server thread only (HTTP client, parsing, de-duplication, scene tick).", "",
             "| API | live spans | polls | CPU per poll | of one core at --poll 1s |", "|---|---|---|---|---|"]
    for flavour in ("v2.19", "v2.0", "v1"):
        bench_quiet_poll(flavour, spans, seconds, rows)
    return finish(SECTION, rows, write=not (args.no_write or args.quick))


if __name__ == "__main__":
    sys.exit(main())
