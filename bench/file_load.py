"""Trace files from disk to a viewer's complete snapshot, next to plain `json.load` of the same file:
`python -m bench.file_load [--spans N] [--dir DIR] [--quick] [--no-write]`.

The files are a real HotROD trace repeated (bench/trace_files.py: Jaeger JSON, OTLP JSON, OTLP
protobuf, the same spans in each). Each run reads the file, adds its spans to a store, lays out
the waterfall and encodes the snapshot a viewer gets; `json.load` runs interleaved with it, so
both see the same machine load. Memory per span is measured in a fresh process: what the store
holds after the load (tracemalloc: columns, index, interned names and the details kept for the
span panel), and the process's peak RSS.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import ROOT, finish, machine, parse_arguments
from bench.trace_files import write_files
from vrmon.model.span_store import SpanStore
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets
from vrmon.sources.files import load_trace_file

SECTION = "## Trace files: disk to snapshot"

MEASURE_MEMORY = """
import gc, resource, sys, tracemalloc
from vrmon.model.span_store import SpanStore
from vrmon.sources.files import load_trace_file
tracemalloc.start()
store = SpanStore()
store.add(load_trace_file(sys.argv[1]))
gc.collect()
held = tracemalloc.get_traced_memory()[0]
print(len(store), held, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def to_snapshot(path: Path, preset) -> int:
    store = SpanStore()
    store.add(load_trace_file(path))
    SceneView(store, preset).snapshot()
    return len(store)


def plain_json(path: Path) -> None:
    with path.open("rb") as f:
        json.load(f)


def interleaved(fns: dict[str, callable], repeat: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each function, run in turn `repeat` times."""
    wall: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in fns}


def memory(path: Path) -> tuple[int, int, int]:
    """(spans, bytes the store holds after the load, peak RSS of the loading process)."""
    out = subprocess.run([sys.executable, "-c", MEASURE_MEMORY, str(path)], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    spans, held, peak = map(int, out.stdout.split())
    return spans, held, peak


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv, "20k spans, one run each")
    n = 20_000 if args.quick else 200_000
    repeat = 1 if args.quick else 3
    folder = Path(os.environ.get("VRMON_BENCH_FILES", Path(tempfile.gettempdir()) / "vrmon-bench-files"))
    paths = write_files(folder, n)
    preset = load_presets([ROOT / "scenes"])["waterfall"]
    start_load = os.getloadavg()
    rows = [SECTION, "",
            f"Run `python -m bench.file_load`. Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
            f"load average when it started: {' '.join(f'{v:.2f}' for v in start_load)}.", "",
            "A real HotROD trace (40 spans, tags, events, 6 services) repeated with fresh trace ids, in each format; "
            "disk → store → waterfall layout → encoded snapshot, against plain `json.load` of the same file, "
            f"interleaved, medians of {repeat} (wall s / CPU s of this process).", "",
            "| file | size | spans | `json.load` | vrmon to snapshot | ratio (CPU) | store memory per span | peak RSS |",
            "|---|---|---|---|---|---|---|---|"]
    for fmt, path in paths.items():
        fns = {"vrmon": lambda: to_snapshot(path, preset)}
        if fmt != "otlp-protobuf":
            fns["json"] = lambda: plain_json(path)
        times = interleaved(fns, repeat)
        spans, held, peak = memory(path)
        wall, cpu = times["vrmon"]
        json_cell, ratio = "—", "—"
        if "json" in times:
            json_cell = f"{times['json'][0]:.2f} / {times['json'][1]:.2f}"
            ratio = f"{cpu / times['json'][1]:.2f}×"
        rows.append(f"| {fmt} | {path.stat().st_size / 1e6:.0f} MB | {spans:,} | {json_cell} | {wall:.2f} / {cpu:.2f} | {ratio} | "
                    f"{held / spans:,.0f} B | {peak / 2**20:,.0f} MiB |")
        print(rows[-1], file=sys.stderr)
    end_load = os.getloadavg()
    rows += ["", f"Load average when it ended: {' '.join(f'{v:.2f}' for v in end_load)} (2 cores shared with other agents)."]
    return finish(SECTION, rows, not args.no_write and not args.quick)


if __name__ == "__main__":
    sys.exit(main())
