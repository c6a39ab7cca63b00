"""Time to a trace, side by side with Jaeger UI: `python -m bench.boot [--quick] [--against DIR]`.

For one Jaeger JSON trace file per size (1k … 200k spans, written from bench/synthetic.py into a
temporary folder), each run starts `vrmon serve --replay FILE` from a checkout and drives a
freshly launched headless Chromium (system Chromium, 1280×720, software GL), as
`../shared/bench-peers/jaeger_ui_vs_vrmon.py` does for its side-by-side with Jaeger UI v2.19:

- **listening**: server start (Popen) → the port accepts a TCP connection;
- **cold**: server start → `window.vrmon.ready` (first snapshot applied and drawn);
- **first visit**: page open → ready, server already up, empty browser cache;
- **revisit**: the same page opened again in the same browser (what caching saves);
- **bytes**: what the first visit transferred (Resource Timing transferSize: compressed sizes);
- **longest task while loading**: the longest main-thread task from navigation until every span is drawn;
- **at rest**: over the 3 s after that, frames rendered (three.js's own frame counter), long
  tasks (PerformanceObserver 'longtask') and main-thread busy time (CDP Performance TaskDuration).

`--against DIR` measures another checkout (say, main before a change, `git worktree add`) in the
same run, run for run interleaved with this one, so both see the same machine load. Jaeger UI's
figures are the ones recorded in `../shared/bench-peers/README.md` (same machine, same method)
unless `--jaeger-build` points at a built Jaeger UI, which the peer script then measures.
Unless --quick or --no-write, the Markdown replaces the "Time to a trace" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.report import ROOT, finish, machine
from bench.synthetic import synthetic_batch
from tests.conftest import free_port

SECTION = "## Time to a trace"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 720}
REST_S = 3.0
SIZES = (1_000, 5_000, 20_000, 50_000, 200_000)
QUICK_SIZES = (1_000, 20_000)
# Jaeger UI v2.19, file → rows painted, and with its own app load (s): ../shared/bench-peers/README.md
JAEGER_UI_RECORDED = {1_000: 0.84, 5_000: 0.95, 20_000: 1.24, 50_000: 1.91, 200_000: 5.22}
JAEGER_UI_APP_LOAD_S = 1.25

# Before the page's own scripts: long tasks, and the page-clock time `vrmon.ready` turns true.
INIT_SCRIPT = r"""
(() => {
  const B = window.__boot = {longtasks: [], tReady: null};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) B.longtasks.push([e.startTime, e.duration]);
  }).observe({type: "longtask", buffered: true});
  let api;
  Object.defineProperty(window, "vrmon", {configurable: true, enumerable: true,
    get() { return api; },
    set(v) {
      api = v;
      let ready = v.ready;
      Object.defineProperty(v, "ready", {configurable: true, enumerable: true,
        get() { return ready; },
        set(x) { ready = x; if (x && B.tReady == null) B.tReady = performance.now(); }});
    }});
  B.tasks = (from, to) => {
    let sum = 0, max = 0, n = 0;
    for (const [s, d] of B.longtasks) if (s + d > from && s < to) { sum += d; n++; max = Math.max(max, d); }
    return {sum, max, n};
  };
  B.frame = () => document.querySelector("a-scene")?.renderer?.info.render.frame ?? 0;
  B.bytes = () => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
    .reduce((sum, e) => sum + (e.transferSize || 0), 0);
})();
"""


def write_jaeger_file(n_spans: int, folder: Path) -> Path:
    """One trace of n_spans as a Jaeger v1 JSON document (what Jaeger UI's Download JSON saves)."""
    batch = synthetic_batch(n_spans, spans_per_trace=n_spans, seed=7)
    services = sorted(set(batch.service))
    process_of = {name: f"p{i}" for i, name in enumerate(services)}
    trace_id = f"{batch.trace_id[0]:032x}"
    spans = []
    for i in range(n_spans):
        span = {"traceID": trace_id, "spanID": f"{batch.span_id[i]:016x}", "operationName": batch.operation[i],
                "references": [], "startTime": batch.start_us[i], "duration": batch.duration_us[i],
                "tags": [], "logs": [], "processID": process_of[batch.service[i]]}
        if batch.parent_id[i]:
            span["references"] = [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": f"{batch.parent_id[i]:016x}"}]
        if batch.error[i]:
            span["tags"] = [{"key": "error", "type": "bool", "value": True}]
        spans.append(span)
    processes = {pid: {"serviceName": name, "tags": []} for name, pid in process_of.items()}
    path = folder / f"synthetic-{n_spans}.json"
    path.write_text(json.dumps({"data": [{"traceID": trace_id, "spans": spans, "processes": processes}]}))
    return path


class Server:
    """`vrmon serve --replay FILE` from a checkout, started by this process and stopped by its PID."""

    def __init__(self, checkout: Path, path: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        self.log = log.open("w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "vrmon.cli", "serve", "--replay", str(path), "--port", str(self.port)],
                                     cwd=checkout, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_listening(self, timeout: float = 120) -> float:
        """Seconds from start until the port accepts a connection."""
        while time.perf_counter() - self.started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vrmon exited with {self.proc.returncode}; see {self.log.name}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.005)
        raise TimeoutError(f"vrmon did not listen within {timeout} s")

    def wait_http(self, timeout: float = 120) -> None:
        while time.perf_counter() - self.started < timeout:
            try:
                with urllib.request.urlopen(self.url, timeout=5) as answer:
                    answer.read()
                return
            except OSError:
                time.sleep(0.01)
        raise TimeoutError(f"{self.url} did not answer within {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def open_and_wait(page, url: str, n_spans: int, timeout_s: float) -> dict:
    """Navigate; page-clock seconds to ready, and to every span drawn; the longest task until then."""
    page.goto(url)
    page.wait_for_function("() => window.__boot.tReady !== null", timeout=timeout_s * 1000, polling=50)
    all_drawn = page.wait_for_function(
        "(n) => window.vrmon.stats().instances >= n ? performance.now() : false", arg=n_spans,
        timeout=timeout_s * 1000, polling=100).json_value()
    t_ready = page.evaluate("window.__boot.tReady")
    tasks = page.evaluate("([a, b]) => window.__boot.tasks(a, b)", [0, all_drawn])
    return {"ready_s": t_ready / 1000, "all_drawn_s": all_drawn / 1000, "load_longest_task_ms": tasks["max"],
            "bytes": page.evaluate("window.__boot.bytes()"), "t_all_drawn": all_drawn}


def at_rest(page, cdp, since: float) -> dict:
    """Frames, long tasks and main-thread busy time over REST_S with nobody touching the page."""
    busy = lambda: next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "TaskDuration")  # noqa: E731
    frame0, busy0 = page.evaluate("window.__boot.frame()"), busy()
    t0 = page.evaluate("performance.now()")
    time.sleep(REST_S)  # an observation window: the assertion is about what happens in it, not its length
    t1 = page.evaluate("performance.now()")
    frames, busy1 = page.evaluate("window.__boot.frame()") - frame0, busy()
    tasks = page.evaluate("([a, b]) => window.__boot.tasks(a, b)", [max(t0, since), t1])
    return {"rest_frames": frames, "rest_longtask_ms": tasks["sum"], "rest_busy_ms": (busy1 - busy0) * 1000,
            "rest_s": (t1 - t0) / 1000}


def one_run(playwright, checkout: Path, path: Path, n_spans: int, timeout_s: float, logs: Path) -> dict:
    """Cold start, first visit and revisit of one server, in one browser."""
    with tempfile.TemporaryDirectory() as config_home:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-quic", "--enable-unsafe-swiftshader"],
                                             env={**os.environ, "XDG_CONFIG_HOME": config_home})
        server = Server(checkout, path, logs / f"{checkout.name}-{n_spans}.log")
        try:
            listening = server.wait_listening(timeout_s)
            server.wait_http(timeout_s)
            goto = time.perf_counter() - server.started
            context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # wait_for_function evaluates with eval
            context.add_init_script(INIT_SCRIPT)
            cold = open_and_wait(context.new_page(), server.url, n_spans, timeout_s)
            context.close()

            context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # first visit: a fresh cache
            context.add_init_script(INIT_SCRIPT)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)[:200]))
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            first = open_and_wait(page, server.url, n_spans, timeout_s)
            rest = at_rest(page, cdp, first["t_all_drawn"])
            again = open_and_wait(page, server.url, n_spans, timeout_s)  # same context: cached
            if errors:
                raise RuntimeError(f"page errors: {errors}")
            return {"spans": n_spans, "listening_s": listening, "cold_s": goto + cold["ready_s"],
                    "first_s": first["ready_s"], "first_all_s": first["all_drawn_s"], "revisit_s": again["ready_s"],
                    "bytes": first["bytes"], "revisit_bytes": again["bytes"],
                    "load_longest_task_ms": first["load_longest_task_ms"], **rest}
        finally:
            server.stop()
            browser.close()


def medians(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def report(results: dict[str, dict[int, dict]], labels: dict[str, str], runs: int) -> list[str]:
    lines = [
        SECTION, "",
        f"Run `python -m bench.boot` (`--quick`: 1k and 20k spans, one run). Measured {datetime.date.today().isoformat()} "
        f"on {machine()}; {subprocess.run([CHROMIUM, '--version'], capture_output=True, text=True).stdout.strip()} headless, "
        f"1280×720, software GL (SwiftShader); medians of {runs} runs; seconds unless marked.",
        "",
        "One synthetic trace per size as a Jaeger JSON file, served by `vrmon serve --replay FILE`. Jaeger UI's column is",
        "its time from the file chosen to the trace's rows painted, measured earlier the same day on this machine by",
        "`../shared/bench-peers/jaeger_ui_vs_vrmon.py` (its README); its own app load adds about "
        f"{JAEGER_UI_APP_LOAD_S} s.",
        "",
    ]
    for key, label in labels.items():
        lines += [f"### {label}", "",
                  "| spans | Jaeger UI: file → rows | vrmon: page open → ready (first visit) | ÷ Jaeger UI | revisit (cached) | server start → listening | server start → ready | page open → every span drawn | longest task while loading (ms) | transferred (MB) | at rest: frames / long tasks ms / main-thread busy ms in 3 s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for n, m in results[key].items():
            jaeger = JAEGER_UI_RECORDED.get(n)
            lines.append(
                f"| {n:,} | {jaeger if jaeger else '—'} | {m['first_s']:.2f} | {m['first_s'] / jaeger:.2f}× | {m['revisit_s']:.2f} "
                f"| {m['listening_s']:.2f} | {m['cold_s']:.2f} | {m['first_all_s']:.2f} | {m['load_longest_task_ms']:.0f} "
                f"| {m['bytes'] / 1e6:.2f} | {m['rest_frames']:.0f} / {m['rest_longtask_ms']:.0f} / {m['rest_busy_ms']:.0f} |")
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 20k spans, one run; prints only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", help=f"spans per trace file (default: {' '.join(map(str, SIZES))})")
    parser.add_argument("--against", type=Path, help="another checkout to measure in the same run (e.g. main before a change)")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    runs = 1 if args.quick else args.runs
    checkouts = {"this": ROOT}
    labels = {"this": f"vrmon {_describe(ROOT)}"}
    if args.against:
        checkouts = {"before": args.against.resolve(), **checkouts}
        labels = {"before": f"vrmon {_describe(args.against)} (before)", "this": f"vrmon {_describe(ROOT)} (after)"}
    results: dict[str, dict[int, dict]] = {key: {} for key in checkouts}
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        folder = Path(scratch)
        for n in sizes:
            path = write_jaeger_file(n, folder)
            samples: dict[str, list[dict]] = {key: [] for key in checkouts}
            for run in range(runs):
                for key, checkout in checkouts.items():  # interleaved: both see the same machine load
                    sample = one_run(playwright, checkout, path, n, args.timeout, folder)
                    samples[key].append(sample)
                    print(f"{n:>7,} spans, {key}, run {run}: " + ", ".join(f"{k}={v:.3g}" for k, v in sample.items()), file=sys.stderr)
            for key in checkouts:
                results[key][n] = medians(samples[key])
    return finish(SECTION, report(results, labels, runs), write=not (args.no_write or args.quick))


def _describe(checkout: Path) -> str:
    return subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h"], capture_output=True, text=True).stdout.strip() or checkout.name


if __name__ == "__main__":
    sys.exit(main())
