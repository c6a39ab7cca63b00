"""Trace files from disk to a viewer's complete snapshot, next to plain `json.load` of the same file:
`python -m bench.file_load [--quick] [--million] [--no-write]` (files in $VRMON_BENCH_FILES, else the temp folder;
with $VRMON_BENCH_BEFORE set to a checkout of an earlier commit, its peak RSS and CPU time too, in the same run).

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

HELD = """
import gc, sys, tracemalloc
from vrmon.model.span_store import SpanStore
from vrmon.sources.files import load_trace_file
tracemalloc.start()
store = SpanStore()
store.add(load_trace_file(sys.argv[1]))
gc.collect()
print(len(store), tracemalloc.get_traced_memory()[0])
"""

# the load as `vrmon serve --replay` does it (progress line included), in a fresh process: its peak RSS
PEAK = """
import sys, time
from vrmon.model.span_store import SpanStore
from vrmon.replay.terminal_progress import TerminalProgress
from vrmon.sources.files import load_trace_file
line = TerminalProgress()
t = time.perf_counter()
store = SpanStore()
store.add(load_trace_file(sys.argv[1], lambda fraction, spans: line.show(fraction, f"reading: {fraction:.0%} ({spans:,} spans)")))
line.end(f"{len(store):,} spans")
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would say the bench's own size
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(hwm * 1024, time.perf_counter() - t, time.process_time())
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


def memory(path: Path) -> tuple[int, int, tuple[int, float, float, str]]:
    """(spans, bytes the store holds after the load, `peak` of a process that only loads the file)."""
    held = subprocess.run([sys.executable, "-c", HELD, str(path)], capture_output=True, text=True, check=True, cwd=ROOT)
    spans, held_bytes = map(int, held.stdout.split())
    return spans, held_bytes, peak(path)


def peak(path: Path, tree: Path = ROOT) -> tuple[int, float, float, str]:
    """(peak RSS, wall s, CPU s, the progress lines printed) of a fresh process loading the file into a
    store with the vrmon of `tree` (this checkout, or an earlier one)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True, cwd=tree, env=env)
    rss, wall, cpu = out.stdout.split()
    return int(rss), float(wall), float(cpu), out.stderr


GB = 1e9
MAX_PEAK = 1.5 * GB  # issue 11: a 1M-span file loads within 1.5 GB
MAX_PER_SPAN = 300  # issue 11: bytes per span, its kept details included


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv, "20k spans, one run each",
                           million="also load 1M-span Jaeger and OTLP JSON files (1.2 and 1.1 GB; peak RSS and progress)")
    n = 20_000 if args.quick else 200_000
    repeat = 1 if args.quick else 3
    folder = Path(os.environ.get("VRMON_BENCH_FILES", Path(tempfile.gettempdir()) / "vrmon-bench-files"))
    before = Path(os.environ["VRMON_BENCH_BEFORE"]) if os.environ.get("VRMON_BENCH_BEFORE") else None
    paths = write_files(folder, n)
    preset = load_presets([ROOT / "scenes"])["waterfall"]
    start_load = os.getloadavg()
    rows = [SECTION, "",
            f"Run `python -m bench.file_load{' --million' if args.million else ''}`. Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
            f"load average when it started: {' '.join(f'{v:.2f}' for v in start_load)}.", "",
            "A real HotROD trace (40 spans, tags, events, 6 services) repeated with fresh trace ids, in each format; "
            "disk → store → waterfall layout → encoded snapshot, against plain `json.load` of the same file, "
            f"interleaved, medians of {repeat} (wall s / CPU s of this process). Peak RSS: VmHWM of a fresh process "
            "that loads the file into a store, as `vrmon serve --replay` does.", "",
            "| file | size | spans | `json.load` | vrmon to snapshot | ratio (CPU) | store memory per span | peak RSS |",
            "|---|---|---|---|---|---|---|---|"]
    targets, compared = [], []  # the targets met or not; (file, peak before, peak now)
    cpu_of: dict[str, float] = {}
    for fmt, path in paths.items():
        fns = {"vrmon": lambda: to_snapshot(path, preset)}
        if fmt != "otlp-protobuf":
            fns["json"] = lambda: plain_json(path)
        times = interleaved(fns, repeat)
        spans, held, now = memory(path)
        wall, cpu = times["vrmon"]
        cpu_of[fmt] = cpu
        json_cell, ratio = "—", "—"
        if "json" in times:
            json_cell = f"{times['json'][0]:.2f} / {times['json'][1]:.2f}"
            ratio = f"{cpu / times['json'][1]:.2f}×"
            targets.append(f"- {fmt} to a viewer's snapshot within `json.load`'s time (CPU): {ratio}, "
                           f"**{_met(cpu <= times['json'][1])}**")
        targets.append(f"- {fmt}: memory per span with its kept details ≤ {MAX_PER_SPAN} B: {held / spans:,.0f} B, "
                       f"**{_met(held / spans <= MAX_PER_SPAN)}**")
        rows.append(f"| {fmt} | {path.stat().st_size / 1e6:.0f} MB | {spans:,} | {json_cell} | {wall:.2f} / {cpu:.2f} | {ratio} | "
                    f"{held / spans:,.0f} B | {now[0] / 2**20:,.0f} MiB |")
        print(rows[-1], file=sys.stderr)
        if before is not None:
            compared.append((f"{fmt}, {spans:,} spans", peak(path, before), now))
    if "otlp-protobuf" in cpu_of:
        speedup = cpu_of["otlp-json"] / cpu_of["otlp-protobuf"]
        targets.append(f"- OTLP protobuf at least 2× faster than OTLP JSON (CPU): {speedup:.2f}×, **{_met(speedup >= 2)}**")
    if args.million:
        rows += ["", "1M-span files (the same HotROD spans), each loaded into a store in a fresh process, read a trace "
                 "(Jaeger) or a resourceSpans (OTLP) at a time through a window of the file (vrmon/formats/json_window.py):"]
        for fmt in ("jaeger", "otlp-json"):
            big = write_files(folder, 1_000_000, (fmt,))[fmt]
            now = peak(big)
            rss, wall, cpu, lines = now
            line = (f"- {fmt}, {big.stat().st_size / 1e6:,.0f} MB: {wall:.1f} s wall, {cpu:.1f} s CPU, "
                    f"**peak RSS {rss / 2**20:,.0f} MiB**. Its progress on stderr (not a terminal: a line per quarter):")
            rows += ["", line, "", "  ```", *(f"  {text}" for text in lines.strip().splitlines()), "  ```"]
            targets.append(f"- a 1M-span {fmt} file within 1.5 GB: peak RSS {rss / GB:.2f} GB, **{_met(rss <= MAX_PEAK)}**")
            print(line, file=sys.stderr)
            if before is not None:
                compared.append((f"{fmt}, 1,000,000 spans", peak(big, before), now))
    if compared:
        rows += ["", f"Before: the same loads by the checkout at {_commit(before)} (`VRMON_BENCH_BEFORE`), each right "
                 "after this one's, fresh processes:", "",
                 "| file | peak RSS before | peak RSS now | load CPU s before | load CPU s now |", "|---|---|---|---|---|"]
        rows += [f"| {name} | {then[0] / 2**20:,.0f} MiB | {now[0] / 2**20:,.0f} MiB | {then[2]:.2f} | {now[2]:.2f} |"
                 for name, then, now in compared]
    rows += ["", "Against issue 11's targets (part 5), on these tag-heavy files:", "", *targets]
    end_load = os.getloadavg()
    rows += ["", f"Load average when it ended: {' '.join(f'{v:.2f}' for v in end_load)} (2 cores shared with other agents)."]
    return finish(SECTION, rows, not args.no_write and not args.quick)


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def _commit(tree: Path) -> str:
    return subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or str(tree)


if __name__ == "__main__":
    sys.exit(main())
