"""Findings and trace-compare benchmarks: `python -m bench.findings` (part of `make bench`).

Prints a Markdown report and, unless --no-write, replaces the "Findings and compare" section of
docs/benchmarks.md with it. Every number is measured in this run.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import statistics
import sys
import time

import numpy as np

from bench.report import ROOT, finish, machine
from bench.synthetic import spans_of_the_open_trace, synthetic_batch
from vrmon.analysis.compare import MAX_LISTED_ONLY, compare_traces, scene_comparison, summary
from vrmon.analysis.findings import FindingsIndex, find_all
from vrmon.formats import read_document
from vrmon.formats.call_peers import peer_of_otlp_attributes
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import SpanStore
from vrmon.protocol import comparison_frame

SECTION = "## Findings and compare"
HOTROD = ROOT / "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
LIVE_ADDS = 11


def measure(fn) -> tuple[float, float]:
    """(wall ms, CPU ms of this process) of one call. On a machine shared with other busy
    processes the wall time includes waiting for a core; the CPU time does not."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """Median (wall ms, CPU ms) over `repeat` runs, after one warm-up."""
    fn()
    walls, cpus = zip(*(measure(fn) for _ in range(repeat)))
    return statistics.median(walls), statistics.median(cpus)


def hotrod_copies(copies: int, first: int = 0) -> SpanBatch:
    """The real 40-span HotROD capture (two N+1 groups, three errors, real tags) repeated under
    fresh trace ids: real-shaped findings work at any scale."""
    one = read_document(json.loads(HOTROD.read_text()))
    batch = SpanBatch()
    for _ in range(copies):
        batch.extend(one)
    n = len(one)
    batch.trace_id = [(first + i // n) << 64 | 0xABC for i in range(n * copies)]
    return batch


def stores() -> dict[str, tuple[SpanStore, callable]]:
    """name → (a 100k-span store, a function making the next 1k spans for it)."""
    synthetic = SpanStore()
    synthetic.add(synthetic_batch(100_000))
    one_trace = SpanStore()
    one_trace.add(synthetic_batch(100_000, spans_per_trace=100_000))
    hotrod = SpanStore()
    hotrod.add(hotrod_copies(2_500))
    return {
        "synthetic, 40-span traces; new traces arrive": (
            synthetic, lambda k: synthetic_batch(1_000, seed=k, first_trace=10_000 + 25 * k)),
        "synthetic, one 100k-span trace; it grows": (
            one_trace, lambda k: spans_of_the_open_trace(one_trace, 1_000, seed=k, extent_growth=0.001)),
        "real HotROD trace ×2,500; 25 more arrive": (
            hotrod, lambda k: hotrod_copies(25, first=2_500 + 25 * k)),
    }


def bench_findings(rows: list[str], results: dict[str, float]) -> None:
    rows.append("### Findings (ms)\n")
    rows.append("Each cell is wall / CPU time in ms. From scratch: `find_all` over the whole store (median of 5; "
                "the peer each call goes to, which the N+1 rule needs to tell calls to different peers apart, is a store "
                "column the format readers fill from the tags at load); the findings' JSON (`to_json`, names and hex ids, only made for output) separately. Live: 11 adds of "
                "1,000 spans, each followed by `FindingsIndex.sync` (the store's add itself not counted): median and worst.\n")
    rows.append("| store (100,000 spans) | findings | from scratch | their JSON | live add of 1k: median | worst |")
    rows.append("|---|---|---|---|---|---|")
    for name, (store, more) in stores().items():
        index = FindingsIndex()
        index.sync(store)
        findings = index.findings
        kinds: dict[str, int] = {}
        for f in findings:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        full = timed(lambda store=store: find_all(store))
        as_json = timed(lambda store=store, findings=findings: [f.to_json(store) for f in findings], repeat=3)
        samples = []
        for k in range(LIVE_ADDS):
            store.add(more(k))
            samples.append(measure(lambda: index.sync(store)))
        walls, cpus = zip(*samples)
        live = statistics.median(walls), statistics.median(cpus)
        worst = max(walls), max(cpus)
        what = ", ".join(f"{v:,} {k}" for k, v in sorted(kinds.items()))
        rows.append(f"| {name} | {what} | {_pair(full)} | {_pair(as_json)} "
                    f"| {_pair(live, 2)} | {_pair(worst, 2)} |")
        results[f"full {name}"] = full
        results[f"live {name}"] = live
    rows.append("")


def bench_callee_reading(rows: list[str]) -> None:
    """What reading each span's callee at load costs: the price of findings that never go back to the tags."""
    doc = json.loads(HOTROD.read_text())
    doc = {"resourceSpans": doc["resourceSpans"] * 50}  # 2,000 real HotROD spans, each calling a peer
    attributes = [s.get("attributes") or [] for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    read = timed(lambda: read_document(doc))
    callees = timed(lambda: [peer_of_otlp_attributes(a) for a in attributes])
    rows.append(f"Reading the callee (peer.service, server.address:port, URL host:port, db.system) from the tags at load: "
                f"{_pair(callees)} ms for {len(attributes):,} real HotROD spans (OTLP JSON), of {_pair(read)} ms for "
                f"`read_document` of them: {1000 * callees[1] / len(attributes):.1f} µs of CPU per span.\n")


def _pair(times: tuple[float, float], digits: int = 1) -> str:
    return f"{times[0]:.{digits}f} / {times[1]:.{digits}f}"


def bench_compare(rows: list[str], results: dict[str, float]) -> None:
    rows.append("### Compare two 10,000-span traces (wall / CPU ms, median of 5)\n")
    rows.append("The comparison frame is what a viewer's compare costs the server: `compare_traces`, the summary with "
                f"the only-in lists cut to {MAX_LISTED_ONLY}, the drawn comparison (ghosts placed) and the msgpack frame. "
                "`inspect --compare` prints the summary with every only-in span listed.\n")
    rows.append("| pair | matched | only in A / B | `compare_traces` | comparison frame (a viewer's compare) "
                "| `inspect --compare` summary |")
    rows.append("|---|---|---|---|---|---|")
    a = SpanStore()
    a.add(synthetic_batch(10_000, spans_per_trace=10_000, seed=0))
    same_shape = synthetic_batch(10_000, spans_per_trace=10_000, seed=0)
    rng = np.random.default_rng(7)
    same_shape.duration_us = (np.array(same_shape.duration_us) * rng.uniform(0.8, 1.25, 10_000)).astype(np.int64).tolist()
    b_same = SpanStore()
    b_same.add(same_shape)
    b_other = SpanStore()
    b_other.add(synthetic_batch(10_000, spans_per_trace=10_000, seed=1))
    for name, b in (("same call tree, durations ×0.8–1.25", b_same), ("another random call tree", b_other)):
        c = compare_traces(a, 0, b, 0)
        t_match = timed(lambda b=b: compare_traces(a, 0, b, 0))
        t_frame = timed(lambda b=b: comparison_frame_of(a, b))
        t_all = timed(lambda b=b: summary(compare_traces(a, 0, b, 0)))
        rows.append(f"| {name} | {len(c.match_a):,} | {len(c.only_a):,} / {len(c.only_b):,} | {_pair(t_match)} "
                    f"| {_pair(t_frame)} | {_pair(t_all)} |")
        results[f"compare {name}"] = t_frame
    rows.append("")


def comparison_frame_of(a: SpanStore, b: SpanStore) -> bytes:
    """The frame a viewer gets for a compare, made as the hub makes it."""
    c = compare_traces(a, 0, b, 0)
    return comparison_frame(summary(c, listed=MAX_LISTED_ONLY), scene_comparison(c))


def targets(rows: list[str], results: dict[str, float]) -> None:
    rows.append("### Targets\n")
    rows.append("Met on CPU time; the wall time is what it cost on this shared machine.\n")
    rows.append("| target | wall / CPU | limit | met |")
    rows.append("|---|---|---|---|")
    for key, label, limit in (
        ("full synthetic, 40-span traces; new traces arrive", "findings for 100k synthetic spans", 100),
        ("full real HotROD trace ×2,500; 25 more arrive", "findings for 100k real HotROD spans", 100),
        ("live synthetic, 40-span traces; new traces arrive", "live add of 1k spans (new traces)", 5),
        ("live synthetic, one 100k-span trace; it grows", "live add of 1k spans (the open trace grows)", 5),
        ("live real HotROD trace ×2,500; 25 more arrive", "live add of 1k real HotROD spans", 5),
        ("compare same call tree, durations ×0.8–1.25", "comparison frame, two 10k-span traces", 50),
        ("compare another random call tree", "comparison frame, two unrelated 10k-span traces", 50),
    ):
        wall, cpu = results[key]
        rows.append(f"| {label} | {wall:.1f} / {cpu:.1f} ms | ≤ {limit} ms | {'yes' if cpu <= limit else 'NO'} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--note", default="", help="a sentence about the machine's load, recorded with the numbers")
    args = parser.parse_args(argv)
    rows = [SECTION, "", f"Run `python -m bench.findings`. Measured {datetime.date.today().isoformat()} on {machine()}."
            + (f" {args.note}" if args.note else ""), ""]
    results: dict[str, float] = {}
    bench_findings(rows, results)
    bench_callee_reading(rows)
    bench_compare(rows, results)
    targets(rows, results)
    return finish(SECTION, rows, write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
