"""Time to a trace, side by side with Jaeger UI: `python -m bench.boot [--quick] [--against DIR] [--jaeger-build DIR]`.

For one Jaeger JSON trace file per size (1k … 200k spans, written from bench/synthetic.py into a
temporary folder), each run starts `vrmon serve --replay FILE` from a checkout and drives a
freshly launched headless Chromium (system Chromium, 1280×720, software GL), as
`../shared/bench-peers/jaeger_ui_vs_vrmon.py` does for its side-by-side with Jaeger UI v2.19:

- **listening**: server start (Popen) → the port accepts a TCP connection (vrmon binds it right after
  reading its flags; `python -m bench.server_start` also times the page served and the CPU it took);
- **first frame**: the trace's first picture on screen: the 2D picture the page draws from the first
  snapshot before A-Frame is evaluated (static/js/scene/first-picture.js; the Performance mark
  `vrmon:first-picture`, made at the animation frame after the one that painted it, as Jaeger UI's rows
  count as painted at the second animation frame after they were added, the first being the one that
  painted them), or, for a view that picture does not draw, `window.vrmon.ready` (the 3D view's first
  frame of the snapshot committed, counted the same way);
- **cold**: server start → first frame;
- **first visit**: page open → first frame, server already up, empty browser cache; with where its time
  went (page clock: websocket made, open, snapshot received, DOMContentLoaded, A-Frame and the app
  evaluated, the scene loaded, the 3D view's first frame shown (`ready`), the picture replaced by it);
- **revisit**: the same page opened again in the same browser, and how many files it asked the
  server for (a 304 counts; a file taken from the cache unasked does not);
- **CPU**: what the first visit cost the machine's cores from page open to ready, in CPU seconds
  (psutil): the browser's processes (the page's renderer and, apart, its main thread; the GPU
  process; the browser and its network service) and the server's. The load of other programs on a shared machine moves it far
  less than the wall clock (waiting for a core costs no CPU), so a change's effect can show there
  when the times do not (it still varies by some 20 % between runs under heavy load);
- **bytes**: what the first visit transferred (Resource Timing transferSize: compressed sizes);
- **longest task while loading**: the longest main-thread task from navigation until 1 s after the 3D
  view is ready (A-Frame's evaluation and the 3D view's first frames are in that window);
- **at rest**: over the 3 s after that, frames rendered (three.js's own frame counter), long
  tasks (PerformanceObserver 'longtask') and main-thread busy time (CDP Performance TaskDuration).

`--against DIR` measures another checkout (say, main before a change, `git worktree add`) in the
same run, run for run interleaved with this one, so both see the same machine load.
`--jaeger-build DIR` (a Jaeger UI build, see the peer README) measures Jaeger UI in the same run,
interleaved too, with the peer script's own `run_jaeger`; without it, Jaeger UI's figures are the
ones recorded in the peer README.
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

import psutil

from bench.report import ROOT, finish, machine
from bench.synthetic import synthetic_batch
from tests.conftest import free_port

SECTION = "## Time to a trace"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-quic", "--enable-unsafe-swiftshader"]
# ../shared/bench-peers beside the main checkout (from a worktree under ../wt/NAME, two levels up)
PEER_SCRIPT = next((p for p in (ROOT.parent / "shared/bench-peers/jaeger_ui_vs_vrmon.py",
                                ROOT.parent.parent / "shared/bench-peers/jaeger_ui_vs_vrmon.py") if p.exists()),
                   ROOT.parent / "shared/bench-peers/jaeger_ui_vs_vrmon.py")
LOAD_AT_START = ""
VIEWPORT = {"width": 1280, "height": 720}
REST_S = 3.0
SETTLE_MS = 1000  # after ready, still "loading" for the longest task (the frames and DOM work right after)
MARKS = ("socket", "open", "snapshot", "dom", "picture", "aframe", "loaded")  # page-clock marks of the init script, in seconds in the results
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
    let sum = 0, max = 0, n = 0, maxAt = null;
    for (const [s, d] of B.longtasks) if (s + d > from && s < to) { sum += d; n++; if (d > max) { max = d; maxAt = s; } }
    return {sum, max, n, maxAt};
  };
  B.frame = () => document.querySelector("a-scene")?.renderer?.info.render.frame ?? 0;
  const entries = () => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"));
  B.bytes = () => entries().reduce((sum, e) => sum + (e.transferSize || 0), 0);
  // files the browser asked the server for (a 304 too); 0 bytes transferred = taken from its cache unasked
  B.asked = () => performance.getEntriesByType("resource").filter((e) => e.transferSize > 0).length;
  // where the time goes: the socket made and open, the first snapshot in, DOMContentLoaded
  B.marks = {};
  const mark = (name) => { if (B.marks[name] === undefined) B.marks[name] = performance.now(); };
  const SNAPSHOT = [0xa4, ...new TextEncoder().encode("type"), 0xa8, ...new TextEncoder().encode("snapshot")];
  const isSnapshot = (data) => {
    const head = new Uint8Array(data instanceof ArrayBuffer ? data : new ArrayBuffer(0), 0, Math.min(data.byteLength ?? 0, 32));
    return SNAPSHOT.every((byte, i) => head[1 + i] === byte) || SNAPSHOT.every((byte, i) => head[3 + i] === byte);
  };
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      mark("socket");
      this.addEventListener("open", () => mark("open"));
      // the first snapshot: a msgpack map whose first entry is type: "snapshot" (not the biggest frame:
      // at 20k spans the findings frame outweighs the overview's snapshot and came later)
      this.addEventListener("message", (e) => { if (isSnapshot(e.data)) mark("snapshot"); });
    }
  };
  // the first picture on screen and gone (the 3D view drew the same view), marked by the page itself
  B.pageMark = (name) => performance.getEntriesByName(name, "mark")[0]?.startTime;
  // A-Frame and the app's components evaluated (the app calls AFRAME.emitReady(): A-Frame then says so)
  document.addEventListener("aframeready", () => mark("aframe"));
  document.addEventListener("DOMContentLoaded", () => {
    mark("dom");
    // A-Frame initialises the scene once the document is complete; `loaded`: its components are
    // initialised (the data system takes the early socket's frames over then)
    document.querySelector("a-scene").addEventListener("loaded", () => mark("loaded"), {once: true});
    // Everything drawn: the frame shown after the trace's first, which scene/first-frame.js holds the
    // floor grid and the marks back from; marked two animation frames later, as `ready` counts.
    // (three.js's frame counter counts the frames shown: on software GL a frame is drawn off the
    // canvas and shown later, scene/offscreen-frames.js.)
    const scene = document.querySelector("a-scene");
    const watch = () => {
      const shown = scene.systems?.["first-frame"]?.shown;
      const frame = scene.renderer?.info.render.frame;
      if (shown && B.shownFrame === undefined) B.shownFrame = frame;
      if (shown && frame > B.shownFrame) requestAnimationFrame(() => requestAnimationFrame(() => mark("complete")));
      else requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
  });
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
    """`vrmon serve --replay FILE` (or `vrmon serve ARGS`) from a checkout, started by this process and stopped by its PID."""

    def __init__(self, checkout: Path, path: Path | list[str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        args = ["--replay", str(path)] if isinstance(path, Path) else path
        self.log = log.open("w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "vrmon.cli", "serve", *args, "--port", str(self.port)],
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


CPU_KINDS = ("renderer", "gpu", "browser", "server")
# The renderer's main thread, a part of "renderer": the page's JavaScript, style, layout and the
# frames' tasks (the rest of the renderer: V8's background compiles, raster, the compositor thread).
MAIN_THREAD = "main"


def cpu_seconds(server_pid: int) -> dict[object, tuple[str, float]]:
    """pid (and (pid, MAIN_THREAD) for a renderer) → (kind, user + system CPU seconds) of every process this
    one started: Chromium's (by its --type: the page's renderer, the GPU process, the rest counted as the
    browser) and the server."""
    seen: dict[object, tuple[str, float]] = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            with proc.oneshot():
                if proc.pid == server_pid:
                    kind = "server"
                elif "chrom" in proc.name():
                    kind = next((k for k in ("renderer", "gpu") if f"--type={k}" in " ".join(proc.cmdline())), "browser")
                else:
                    continue  # Playwright's driver
                times = proc.cpu_times()
                seen[proc.pid] = (kind, times.user + times.system)
                if kind == "renderer":
                    main = next((thread for thread in proc.threads() if thread.id == proc.pid), None)
                    if main is not None:
                        seen[(proc.pid, MAIN_THREAD)] = (MAIN_THREAD, main.user_time + main.system_time)
        except psutil.Error:  # exited meanwhile
            continue
    return seen


def cpu_spent(before: dict[object, tuple[str, float]], after: dict[object, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds per kind between two cpu_seconds() readings (a process started meanwhile counts whole)."""
    spent = dict.fromkeys((*CPU_KINDS, MAIN_THREAD), 0.0)
    for pid, (kind, seconds) in after.items():
        spent[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    return spent


def open_and_wait(page, url: str, timeout_s: float, server_pid: int) -> dict:
    """Navigate; page-clock seconds to ready (the first frame of the trace's overview shown), where
    the time went, the CPU it cost, and the longest main-thread task from navigation until
    SETTLE_MS after ready."""
    cpu_before = cpu_seconds(server_pid)
    page.goto(url)
    page.wait_for_function("() => window.__boot.tReady !== null", timeout=timeout_s * 1000, polling=50)
    cpu = cpu_spent(cpu_before, cpu_seconds(server_pid))
    t_ready = page.evaluate("window.__boot.tReady")
    settled = page.wait_for_function("(t) => performance.now() >= t ? performance.now() : false",
                                     arg=t_ready + SETTLE_MS, polling=50).json_value()
    tasks = page.evaluate("([a, b]) => window.__boot.tasks(a, b)", [0, settled])
    marks = page.evaluate("({...window.__boot.marks, picture: window.__boot.pageMark('vrmon:first-picture'),"
                          " gone: window.__boot.pageMark('vrmon:first-picture-gone')})")
    t_first = marks["picture"] if marks.get("picture") is not None else t_ready
    return {"ready_s": t_ready / 1000, "first_s": t_first / 1000, "load_longest_task_ms": tasks["max"], "bytes": page.evaluate("window.__boot.bytes()"),
            "load_longest_task_at_s": (tasks["maxAt"] if tasks["maxAt"] is not None else float("nan")) / 1000,
            "asked": page.evaluate("window.__boot.asked()"), "t_settled": settled,
            **{f"cpu_{kind}_s": seconds for kind, seconds in cpu.items()},
            **{f"{name}_s": (marks.get(name) if marks.get(name) is not None else float("nan")) / 1000 for name in (*MARKS, "complete", "gone")}}


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
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                             env={**os.environ, "XDG_CONFIG_HOME": config_home})
        server = Server(checkout, path, logs / f"{checkout.name}-{n_spans}.log")
        try:
            listening = server.wait_listening(timeout_s)
            server.wait_http(timeout_s)
            goto = time.perf_counter() - server.started
            context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # wait_for_function evaluates with eval
            context.add_init_script(INIT_SCRIPT)
            cold = open_and_wait(context.new_page(), server.url, timeout_s, server.proc.pid)
            context.close()

            context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # first visit: a fresh cache
            context.add_init_script(INIT_SCRIPT)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)[:200]))
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            first = open_and_wait(page, server.url, timeout_s, server.proc.pid)
            rest = at_rest(page, cdp, first["t_settled"])
            again = open_and_wait(page, server.url, timeout_s, server.proc.pid)  # same context: cached
            if errors:
                raise RuntimeError(f"page errors: {errors}")
            return {"spans": n_spans, "listening_s": listening, "cold_s": goto + cold["first_s"],
                    "first_s": first["first_s"], "ready_s": first["ready_s"], "revisit_s": again["first_s"],
                    "bytes": first["bytes"], "revisit_bytes": again["bytes"], "revisit_asked": again["asked"],
                    **{f"cpu_{kind}_s": first[f"cpu_{kind}_s"] for kind in (*CPU_KINDS, MAIN_THREAD)},
                    "load_longest_task_ms": first["load_longest_task_ms"], "load_longest_task_at_s": first["load_longest_task_at_s"],
                    **{f"{name}_s": first[f"{name}_s"] for name in (*MARKS, "complete", "gone")}, **rest}
        finally:
            server.stop()
            browser.close()


def jaeger_ui(build: Path):
    """Jaeger UI's built files served on a free port (the peer script's server), and its `run_jaeger`."""
    import importlib.util
    import threading

    spec = importlib.util.spec_from_file_location("jaeger_ui_vs_vrmon", PEER_SCRIPT)
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    port = free_port()
    threading.Thread(target=peer.serve_static, args=(str(build), port), daemon=True).start()  # ends with this process
    base = f"http://127.0.0.1:{port}"
    peer.wait_http(base + "/", 30)
    return lambda playwright, path, n, timeout_s: peer.run_jaeger(playwright, base, str(path), n, timeout_s)


def medians(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0] if isinstance(runs[0][key], (int, float))}


def report(results: dict[str, dict[int, dict]], labels: dict[str, str], runs: int, jaeger: dict[int, dict] | None) -> list[str]:
    if jaeger:
        jaeger_s = {n: m["shown_s"] for n, m in jaeger.items()}
        app_load = statistics.median(m["app_load_s"] for m in jaeger.values())
        about_jaeger = [f"Jaeger UI v2.19.0 (built from its repository as `{PEER_SCRIPT.parent.name}/README.md` says) was measured in the",
                        "same run, run for run interleaved with vrmon, by the peer script's own method (its `run_jaeger`): from the",
                        "upload input's change event to the trace's first rows painted; its own app load (page open → Upload tab",
                        f"ready) took {app_load:.2f} s more (median)."]
    else:
        jaeger_s, app_load = JAEGER_UI_RECORDED, JAEGER_UI_APP_LOAD_S
        about_jaeger = ["Jaeger UI's column is its time from the file chosen to the trace's rows painted, recorded earlier on this",
                        f"machine in `{PEER_SCRIPT.parent.name}/README.md` (not measured in this run); its own app load adds about {app_load} s."]
    lines = [
        SECTION, "",
        f"Run `python -m bench.boot` (`--quick`: 1k and 20k spans, one run; `--jaeger-build DIR`: Jaeger UI side by side). "
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}; "
        f"{subprocess.run([CHROMIUM, '--version'], capture_output=True, text=True).stdout.strip()} headless, "
        f"1280×720, software GL (SwiftShader); medians of {runs} runs; seconds unless marked. Load average when it started: "
        f"{LOAD_AT_START}, when it ended: {_load()} (2 cores shared with other agents).",
        "",
        "One synthetic trace per size as a Jaeger JSON file, served by `vrmon serve --replay FILE`; vrmon's first frame",
        "is the trace's overview (issue 8's level of detail) and `window.vrmon.ready` turns true once it is shown.",
        *about_jaeger,
        "",
    ]
    for key, label in labels.items():
        lines += [f"### {label}", "",
                  "| spans | Jaeger UI: file → rows | vrmon: page open → first frame (first visit) | ÷ Jaeger UI | ÷ Jaeger UI with its app load | revisit | server start → listening | server start → first frame | longest task while loading (ms) | transferred (MB) | revisit: files asked of the server | at rest: frames / long tasks ms / main-thread busy ms in 3 s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for n, m in results[key].items():
            j = jaeger_s.get(n)
            ratios = f"{m['first_s'] / j:.2f}× | {m['first_s'] / (j + app_load):.2f}×" if j else "— | —"
            lines.append(
                f"| {n:,} | {f'{j:.2f}' if j else '—'} | {m['first_s']:.2f} | {ratios} | {m['revisit_s']:.2f} "
                f"| {m['listening_s']:.2f} | {m['cold_s']:.2f} | {m['load_longest_task_ms']:.0f} "
                f"| {m['bytes'] / 1e6:.2f} | {m['revisit_asked']:.0f} | {m['rest_frames']:.0f} / {m['rest_longtask_ms']:.0f} / {m['rest_busy_ms']:.0f} |")
        lines += ["", "Where the first visit's time goes (page clock, s from navigation): the websocket created, open, the",
                  "snapshot received, DOMContentLoaded, the first picture on screen (drawn from the snapshot before",
                  "A-Frame is evaluated), A-Frame and the app's modules evaluated, the scene loaded (its components",
                  "initialised, the snapshot handed to them), the 3D view's first frame shown (`ready`: spans, error",
                  "markers, labels), the picture replaced by the 3D view, the frame with the floor grid, critical path",
                  "and finding marks too; and when the longest task while loading began.", "",
                  "| spans | socket created | open | snapshot in | DOMContentLoaded | first picture | A-Frame and app evaluated | scene loaded | 3D view shown | picture replaced | all drawn | longest task began |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for n, m in results[key].items():
            lines.append(f"| {n:,} | " + " | ".join(f"{m[f'{name}_s']:.2f}" for name in MARKS)
                         + f" | {m['ready_s']:.2f} | {m['gone_s']:.2f} | {m['complete_s']:.2f} | {m['load_longest_task_at_s']:.2f} |")
        lines += ["", "What the first visit cost the cores from page open to the first frame (CPU seconds, far less moved by",
                  "the load of other programs than the wall clock): the page's renderer (in brackets: its main thread, which runs the",
                  "page's JavaScript and the frames' tasks), the GPU process (software GL), the rest of the browser (its network",
                  "service too), the server.", "",
                  "| spans | renderer (main thread) | GPU process | browser | server | all |", "|---|---|---|---|---|---|"]
        for n, m in results[key].items():
            lines.append(f"| {n:,} | {m['cpu_renderer_s']:.2f} ({m[f'cpu_{MAIN_THREAD}_s']:.2f}) | "
                         + " | ".join(f"{m[f'cpu_{kind}_s']:.2f}" for kind in CPU_KINDS[1:])
                         + f" | {sum(m[f'cpu_{kind}_s'] for kind in CPU_KINDS):.2f} |")
        lines.append("")
    if jaeger:
        lines += ["### Jaeger UI v2.19.0, same run", "",
                  "| spans | file → rows painted | app load | longest task while showing (ms) |", "|---|---|---|---|"]
        lines += [f"| {n:,} | {m['shown_s']:.2f} | {m['app_load_s']:.2f} | {m['longtask_max_ms']:.0f} |" for n, m in jaeger.items()]
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    global LOAD_AT_START
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 20k spans, one run; prints only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", help=f"spans per trace file (default: {' '.join(map(str, SIZES))})")
    parser.add_argument("--against", type=Path, help="another checkout to measure in the same run (e.g. main before a change)")
    parser.add_argument("--jaeger-build", type=Path, help="a built Jaeger UI (packages/jaeger-ui/build) to measure in the same run")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    LOAD_AT_START = _load()
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    runs = 1 if args.quick else args.runs
    checkouts, labels = checkouts_to_measure(args.against)
    run_jaeger = jaeger_ui(args.jaeger_build.resolve()) if args.jaeger_build else None
    results: dict[str, dict[int, dict]] = {key: {} for key in checkouts}
    jaeger: dict[int, dict] = {}
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        folder = Path(scratch)
        for n in sizes:
            path = write_jaeger_file(n, folder)
            samples: dict[str, list[dict]] = {key: [] for key in checkouts}
            jaeger_samples: list[dict] = []
            for run in range(runs):
                for key, checkout in checkouts.items():  # interleaved: all see the same machine load
                    sample = one_run(playwright, checkout, path, n, args.timeout, folder)
                    samples[key].append(sample)
                    print(f"{n:>7,} spans, {key}, run {run}: " + ", ".join(f"{k}={v:.3g}" for k, v in sample.items()), file=sys.stderr)
                if run_jaeger:
                    sample = run_jaeger(playwright, path, n, args.timeout)
                    if not sample.get("ok"):
                        raise RuntimeError(f"Jaeger UI did not show {path.name}: {sample}")
                    jaeger_samples.append(sample)
                    print(f"{n:>7,} spans, Jaeger UI, run {run}: shown {sample['shown_s']:.3g} s, app load {sample['app_load_s']:.3g} s", file=sys.stderr)
            for key in checkouts:
                results[key][n] = medians(samples[key])
            if jaeger_samples:
                jaeger[n] = medians(jaeger_samples)
    return finish(SECTION, report(results, labels, runs, jaeger or None), write=not (args.no_write or args.quick))


def _load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def checkouts_to_measure(against: Path | None) -> tuple[dict[str, Path], dict[str, str]]:
    """The checkouts a run measures ("this", and "before" with --against) and their table labels."""
    if against is None:
        return {"this": ROOT}, {"this": f"vrmon {_describe(ROOT)}"}
    return ({"before": against.resolve(), "this": ROOT},
            {"before": f"vrmon {_describe(against)} (before)", "this": f"vrmon {_describe(ROOT)} (after)"})


def _describe(checkout: Path) -> str:
    return subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h"], capture_output=True, text=True).stdout.strip() or checkout.name


if __name__ == "__main__":
    sys.exit(main())
