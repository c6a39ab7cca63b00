"""A huge trace expanded whole, the page's main thread meanwhile: `python -m bench.expand_all [--quick] [--against DIR]`.

For one synthetic trace per size (bench/boot.py's Jaeger JSON file, served by `vrmon serve --replay FILE`
from a checkout), a freshly launched headless Chromium (system Chromium, 1280×720, software GL) opens
the page, waits for the overview to be shown, then presses E (every span a bar): the server sends a
snapshot of every span, which the page decodes, applies and draws. A Chrome trace (CDP tracing) of
that holds every main-thread task with its wall time and its CPU time (thread time): on this shared
machine the wall time of a task grows with the load, its CPU time much less. Tasks that draw (a
`renderer.render` call marks the trace) are reported apart from the others (decoding, applying,
the slices of the scene's work): with software GL, drawing 200k boxes is seconds of the GPU
process that the main thread waits for, which no slicing of the page's work changes.

Reported per size (medians of the runs): the longest task that does not draw (wall and CPU ms), how
many tasks of 50 ms or more it took, the drawing task (wall and CPU ms), E → the expanded trace
shown (s), and the slices the data system's work took (data/sliced-work.js; a checkout without it: —).
`--against DIR` measures another checkout (say, main before a change) in the same run, run for run
interleaved. Unless --quick or --no-write, the Markdown replaces the section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.boot import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, Server, _load, checkouts_to_measure, write_jaeger_file
from bench.report import ROOT, finish, machine

SECTION = "## A huge trace expanded whole"
SIZES = (20_000, 50_000, 200_000)
QUICK_SIZES = (200_000,)
LONG_TASK_MS = 50
CATEGORIES = "toplevel,blink.user_timing,devtools.timeline"

# Before the page's scripts: every renderer.render call leaves a mark in the trace, and the frame
# count when the last snapshot was applied is kept.
WATCH_PAGE = r"""
document.addEventListener("DOMContentLoaded", () => {
  const scene = document.querySelector("a-scene");
  const watch = () => {
    const renderer = scene.renderer, render = renderer.render.bind(renderer);
    renderer.render = (...args) => { performance.mark("vrmon-render"); return render(...args); };
    scene.addEventListener("vrmon-nodes", (event) => { if (event.detail.reset) window.__framesAtSnapshot = renderer.info.render.frame; });
  };
  if (scene.renderer) watch(); else scene.addEventListener("renderstart", watch, {once: true});
});
"""
# Expanded, its work done (a checkout without sliced work has no `work`), and a frame drawn since
# the snapshot was applied: when, on the page's clock.
SHOWN = """(n) => {
  const system = window.vrmon.system, frames = document.querySelector('a-scene').renderer.info.render.frame;
  return system.nodes.count >= n && !system.work?.busy && frames > window.__framesAtSnapshot && performance.now();
}"""


def main_thread_tasks(trace_path: Path) -> tuple[list[dict], list[float]]:
    """The renderer's main-thread tasks ({ts, wall, cpu} in µs / ms) and the trace times of the render marks."""
    events = json.loads(trace_path.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {(e["pid"], e["tid"]) for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"
            and e["args"].get("name") == "CrRendererMain"}
    tasks = [{"ts": e["ts"], "end": e["ts"] + e["dur"], "wall": e["dur"] / 1000, "cpu": e.get("tdur", 0) / 1000}
             for e in events if (e["pid"], e.get("tid")) in main and e.get("ph") == "X"
             and e.get("name") == "ThreadControllerImpl::RunTask"]
    renders = [e["ts"] for e in events if e.get("name") == "vrmon-render"]
    expand = [e["ts"] for e in events if e.get("name") == "vrmon-expand"]
    start = expand[0] if expand else 0
    return [t for t in tasks if t["end"] >= start], renders


def one_run(playwright, checkout: Path, path: Path, n_spans: int, timeout_s: float, logs: Path) -> dict:
    with tempfile.TemporaryDirectory() as config_home:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                             env={**os.environ, "XDG_CONFIG_HOME": config_home})
        server = Server(checkout, path, logs / f"{checkout.name}-{n_spans}-expand.log")
        try:
            server.wait_listening(timeout_s)
            server.wait_http(timeout_s)
            page = browser.new_page(viewport=VIEWPORT, bypass_csp=True)  # wait_for_function evaluates with eval
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)[:200]))
            page.add_init_script(WATCH_PAGE)
            page.goto(server.url)
            page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=timeout_s * 1000, polling=50)
            page.wait_for_function("() => !document.querySelector('a-scene').systems['render-on-demand'].running",
                                   timeout=timeout_s * 1000, polling=100)  # at rest: the overview and its findings drawn
            trace = logs / f"{checkout.name}-{n_spans}.trace.json"
            browser.start_tracing(page=page, path=str(trace), categories=CATEGORIES.split(","))
            slices = page.evaluate("window.vrmon.system.work?.slices ?? null")
            pressed = page.evaluate("performance.mark('vrmon-expand').startTime")
            page.keyboard.press("e")
            shown = page.wait_for_function(SHOWN, arg=n_spans, timeout=timeout_s * 1000, polling=20).json_value()
            sliced = page.evaluate("window.vrmon.system.work?.slices ?? null")
            browser.stop_tracing()
            if errors:
                raise RuntimeError(f"page errors: {errors}")
        finally:
            server.stop()
            browser.close()
    tasks, renders = main_thread_tasks(trace)
    trace.unlink()
    drawing = [t for t in tasks if any(t["ts"] <= r <= t["end"] for r in renders)]
    other = [t for t in tasks if t not in drawing]
    longest = max(other, key=lambda t: t["wall"])
    draw = max(drawing, key=lambda t: t["wall"])
    return {"spans": n_spans, "other_wall_ms": longest["wall"], "other_cpu_ms": longest["cpu"],
            "other_max_cpu_ms": max(t["cpu"] for t in other),
            "long_tasks": sum(t["wall"] >= LONG_TASK_MS for t in other),
            "draw_wall_ms": draw["wall"], "draw_cpu_ms": draw["cpu"], "shown_s": (shown - pressed) / 1000,
            "slices": float("nan") if slices is None else sliced - slices}


def report(results: dict[str, dict[int, dict]], labels: dict[str, str], runs: int, load_start: str) -> list[str]:
    lines = [
        SECTION, "",
        f"Run `python -m bench.expand_all` (`--quick`: 200k spans, one run; `--against DIR`: another checkout "
        f"interleaved). Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}; "
        f"{subprocess.run([CHROMIUM, '--version'], capture_output=True, text=True).stdout.strip()} headless, 1280×720, "
        f"software GL (SwiftShader); medians of {runs} runs. Load average when it started: {load_start}, when it ended: "
        f"{_load()} (2 cores shared with other agents: wall times grow with the load, CPU times much less).",
        "",
        "One synthetic trace per size served by `vrmon serve --replay FILE`; the page shows its overview, then E (every",
        "span a bar) makes the server send a snapshot of every span. From the key press until the expanded trace is",
        "shown, a Chrome trace records every main-thread task with its wall and CPU (thread) time. The tasks that draw",
        "(a `renderer.render` call) are apart: with software GL their wall time is the GPU process drawing every box.",
        "",
    ]
    for key, label in labels.items():
        lines += [f"### {label}", "",
                  "| spans | longest task not drawing: wall / CPU ms | most CPU in one such task (ms) | such tasks ≥ 50 ms | "
                  "the drawing task: wall / CPU ms | E → shown (s) | slices of the work |",
                  "|---|---|---|---|---|---|---|"]
        for n, m in results[key].items():
            slices = "—" if m["slices"] != m["slices"] else f"{m['slices']:.0f}"
            lines.append(f"| {n:,} | {m['other_wall_ms']:.0f} / {m['other_cpu_ms']:.0f} | {m['other_max_cpu_ms']:.0f} "
                         f"| {m['long_tasks']:.0f} | {m['draw_wall_ms']:.0f} / {m['draw_cpu_ms']:.0f} | {m['shown_s']:.2f} | {slices} |")
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200k spans, one run; prints only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", help=f"spans per trace (default: {' '.join(map(str, SIZES))})")
    parser.add_argument("--against", type=Path, help="another checkout to measure in the same run (e.g. main before a change)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    load_start = _load()
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    runs = 1 if args.quick else args.runs
    checkouts, labels = checkouts_to_measure(args.against)
    results: dict[str, dict[int, dict]] = {key: {} for key in checkouts}
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        folder = Path(scratch)
        for n in sizes:
            path = write_jaeger_file(n, folder)
            samples: dict[str, list[dict]] = {key: [] for key in checkouts}
            for run in range(runs):
                for key, checkout in checkouts.items():  # interleaved: all see the same machine load
                    sample = one_run(playwright, checkout, path, n, args.timeout, folder)
                    samples[key].append(sample)
                    print(f"{n:>7,} spans, {key}, run {run} (load {_load()}): "
                          + ", ".join(f"{k}={v:.3g}" for k, v in sample.items()), file=sys.stderr)
            for key in checkouts:
                results[key][n] = {k: statistics.median(s[k] for s in samples[key]) for k in samples[key][0]}
    return finish(SECTION, report(results, labels, runs, load_start), write=not (args.no_write or args.quick))


if __name__ == "__main__":
    sys.exit(main())
