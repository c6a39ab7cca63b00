"""Cost of vrmon tracing itself: `python -m bench.self_trace [--quick] [--no-write]` (part of `make bench`).

vrmon's pipeline makes a handful of spans per step (vrmon/tracing.py). Two questions:
- with no SDK configured (every user who does not ask for --self-trace), what does a span cost,
  against the OpenTelemetry API's own no-op span, and against the work it wraps?
- with --self-trace on, what does the whole step cost, spans recorded and stored included?
The step timed is the live path's: a batch of 1,000 spans added to a store of 100,000 and the
tick that lays out and encodes the change for a viewer (`store add`, `scene update`, `layout`,
`encode delta`, `fan-out`: five spans). Once an SDK is installed in a process it stays, so the
no-SDK figures are taken first.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import statistics
import sys
import time
import timeit

from opentelemetry import trace

from bench.report import finish, machine, parse_arguments
from bench.synthetic import synthetic_batch
from vrmon.hub import Hub, HubSink
from vrmon.model.span_store import SpanStore
from vrmon.scene_presets import load_presets
from vrmon.settings import ServeConfig
from vrmon.tracing import span

SECTION = "## Self-trace overhead"
STORED, BATCH = 100_000, 1_000


def per_span_us(make, number: int) -> float:
    """Microseconds for entering and leaving one span (best of 5 runs of `number`)."""
    def one() -> None:
        with make("store add", {"vrmon.spans": 1000}):
            pass
    return min(timeit.repeat(one, number=number, repeat=5)) / number * 1e6


def step_ms(batches: int, self_trace: bool) -> tuple[float, int]:
    """Median ms of one live step (add a batch, tick) and the spans a step made; `self_trace` runs
    vrmon's --self-trace source meanwhile, so its recording and storing are counted too."""
    return asyncio.run(_steps(batches, self_trace))


async def _steps(batches: int, self_trace: bool) -> tuple[float, int]:
    store = SpanStore()
    store.add(synthetic_batch(STORED, seed=1))
    config = ServeConfig()
    hub = Hub(store, load_presets(config.scene_dirs()), "waterfall")
    hub.connect()  # one viewer, so a tick lays out and encodes for it
    hub.tick()
    sink = HubSink(hub, "bench")
    recorder = None
    if self_trace:
        from vrmon.self_trace import SelfTrace

        recorder = asyncio.create_task(SelfTrace().run(HubSink(hub, "self-trace")))
    times = []
    spans_before = len(store)
    for i in range(batches):
        batch = synthetic_batch(BATCH, seed=100 + i, first_trace=10_000_000 + i * 100)
        began = time.perf_counter()
        sink.add(batch)
        hub.tick()
        times.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.15)  # the self-trace source stores the step's spans meanwhile (outside the timing)
    if recorder is not None:
        recorder.cancel()
    made = len(store) - spans_before - batches * BATCH  # spans of service vrmon stored
    return statistics.median(times), made // batches


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv, quick="fewer repetitions, for a smoke run")
    number, batches = (2_000, 5) if args.quick else (50_000, 30)
    load = os.getloadavg()[0]
    noop_vrmon = per_span_us(span, number)
    noop_api = per_span_us(trace.get_tracer("bench").start_as_current_span, number)
    without, _ = step_ms(batches, self_trace=False)
    with_self, made = step_ms(batches, self_trace=True)  # installs the SDK: from here on spans are recorded
    recorded = per_span_us(span, number // 10)
    rows = [SECTION, "",
            f"Run `python -m bench.self_trace` (part of `make bench`). Measured {datetime.date.today().isoformat()} on "
            f"{machine()}; load average (1 min) {load:.1f} at the start (a shared machine).", "",
            "| what | cost |", "|---|---|",
            f"| one span, no SDK configured (`vrmon.tracing.span`: a shared no-op) | {noop_vrmon:.2f} µs |",
            f"| one span, no SDK, through the OpenTelemetry API's own no-op | {noop_api:.2f} µs |",
            f"| one span recorded by the SDK (`--self-trace`) | {recorded:.1f} µs |",
            f"| live step, no SDK: add {BATCH:,} spans to {STORED:,}, tick (lay out, encode, fan out) | {without:.1f} ms |",
            f"| the same step with `--self-trace` ({made} spans of service vrmon a step) | {with_self:.1f} ms |",
            "",
            f"Without an SDK the five spans of a step cost {5 * noop_vrmon / 1000:.4f} ms, "
            f"{5 * noop_vrmon / 1000 / without * 100:.3f} % of the step; with `--self-trace` the step took "
            f"{(with_self - without) / without * 100:+.1f} % (the difference is within the noise of this machine "
            "when it is small)."]
    print("\n".join(rows[-8:]), file=sys.stderr)
    return finish(SECTION, rows, write=not (args.no_write or args.quick))


if __name__ == "__main__":
    sys.exit(main())
