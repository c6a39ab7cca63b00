"""Client benchmark in headless Chromium: `python -m bench.browser [--quick]` (also run by `make bench`).

For 1k / 10k / 100k synthetic spans (one trace, bench/synthetic.py) served by a real vrmon server
on loopback, the page reports: frames per second and frame-time percentiles over a fixed number
of frames, draw calls, main-thread time to apply a 1,000-span delta (timed inside the page around
the data system's applyDelta), and the time of one pick through the spans' BVH against three.js's
brute-force InstancedMesh.raycast. Unless --quick or --no-write, the Markdown goes into the
"Client in headless Chromium" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from collections.abc import Iterator


from bench.report import finish, machine, percentile
from tests.browser.helpers import DELTA_BUILDER_JS
from bench.synthetic import synthetic_batch
from tests.conftest import RunningServer, free_port
from vrmon.app import create_app
from vrmon.model.span_store import SpanStore
from vrmon.settings import ServeConfig

SECTION = "## Client in headless Chromium"
VIEWPORT = {"width": 480, "height": 270}  # small: SwiftShader's cost grows with pixels
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def vrmon_serving(n_spans: int) -> Iterator[str]:
    """A vrmon server on a free loopback port holding one synthetic trace of n_spans; yields its URL."""
    store = SpanStore()
    store.add(synthetic_batch(n_spans, spans_per_trace=n_spans, seed=7))
    server = RunningServer(create_app(ServeConfig(scene="waterfall", host_metrics=False), store=store), free_port()).start()
    try:
        yield server.url
    finally:
        server.stop()


# Frame times of the next `frames` animation frames, and the draw calls of the last one.
MEASURE_FRAMES = """
async (frames) => {
  const next = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const times = [];
  let last = await next();
  for (let i = 0; i < frames; i++) {
    const now = await next();
    times.push(now - last);
    last = now;
  }
  const info = document.querySelector("a-scene").renderer.info.render;
  return {times, drawCalls: info.calls, triangles: info.triangles};
}
"""

# Main-thread ms of system.applyDelta for deltas that add 1,000 spans and remove the 1,000 the
# previous one added (the scene keeps its size); the frame is decoded before the clock starts.
MEASURE_DELTAS = """
async (repeats) => {""" + DELTA_BUILDER_JS + """
  const { decodeServerFrame } = await import("/static/js/data/protocol.js");
  const system = window.vrmon.system;
  const batch = (k) => Array.from({length: 1000}, (_, i) => 0x70000000 + k * 1000 + i);
  const samples = [];
  for (let k = 0; k <= repeats; k++) {
    const frame = decodeServerFrame(encode(deltaFrame(system, batch(k), k ? batch(k - 1) : [],
      {place: (i) => [(i % 100) * 0.2 - 10, 3 + Math.floor(i / 100) * 0.3, 1], duration: 90})).slice().buffer);
    const start = performance.now();
    system.applyDelta(frame);
    const ms = performance.now() - start;
    if (k) samples.push(ms);  // the first one may grow the tables: a one-off, not the steady cost
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  return samples;
}
"""

# ms per pick through the BVH (nearest hit only, as span-pointer asks) and by brute force, on
# rays from the camera through the centres of random spans; plus the BVH build time.
MEASURE_PICKS = """
async ({picks, brutePicks}) => {
  const THREE = AFRAME.THREE;
  const instances = document.querySelector("[span-instances]").components["span-instances"];
  const mesh = instances.spans, camera = document.querySelector("a-scene").camera;
  const raycaster = new THREE.Raycaster(), point = new THREE.Vector3(), hits = [];
  const { nodes } = window.vrmon.system;
  let seed = 99;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const aim = () => {
    point.fromArray(nodes.pos, Math.floor(random() * nodes.count) * 3).project(camera);
    raycaster.setFromCamera(point, camera);
  };
  aim();
  let start;
  const builds = [];
  for (let k = 0; k < 3; k++) {  // the first one also pays for compiling the code
    instances.bvh.invalidate();
    start = performance.now();
    mesh.raycast(raycaster, hits);
    builds.push(performance.now() - start);
  }
  const buildMs = builds.sort((a, b) => a - b)[1];
  // The clock ticks in 0.1 ms steps here: time batches of picks, report the median batch's mean.
  const batches = (count, size, pick) => {
    const means = [];
    for (let b = 0; b < count; b++) {
      start = performance.now();
      for (let i = 0; i < size; i++) { aim(); hits.length = 0; pick(); }
      means.push((performance.now() - start) / size);
    }
    return means.sort((a, b) => a - b)[count >> 1];
  };
  raycaster.firstHitOnly = true;
  const bvhMs = batches(5, picks, () => mesh.raycast(raycaster, hits));
  const tested = instances.bvh.stats.instancesTested;
  raycaster.firstHitOnly = false;
  mesh.computeBoundingSphere();
  const bruteMs = batches(3, brutePicks, () => THREE.InstancedMesh.prototype.raycast.call(mesh, raycaster, hits));
  return {buildMs, bvhMs, bruteMs, tested};
}
"""


def measure(browser, n_spans: int, frames: int, quick: bool) -> dict:
    with vrmon_serving(n_spans) as url:
        page = browser.new_page(viewport=VIEWPORT, bypass_csp=True)  # wait_for_function needs eval
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            start = time.perf_counter()
            page.goto(url + "/")
            page.wait_for_function("(n) => window.vrmon && window.vrmon.ready && window.vrmon.stats().instances === n",
                                   arg=n_spans, timeout=180_000)
            ready_s = time.perf_counter() - start
            page.mouse.move(1, 1)
            frames_result = page.evaluate(MEASURE_FRAMES, frames)
            picks = page.evaluate(MEASURE_PICKS, {"picks": 20 if quick else 100,
                                                  "brutePicks": 1 if n_spans >= 100_000 or quick else 5})
            deltas = page.evaluate(MEASURE_DELTAS, 3 if quick else 7)
            if errors:
                raise RuntimeError(f"page errors at {n_spans} spans: {errors}")
        finally:
            page.close()
    times = frames_result["times"]
    return {
        "spans": n_spans,
        "ready_s": ready_s,
        "fps": 1000 * len(times) / sum(times),
        "p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "p99": percentile(times, 0.99),
        "frames": len(times),
        "draw_calls": frames_result["drawCalls"],
        "triangles": frames_result["triangles"],
        "delta_ms": sorted(deltas)[len(deltas) // 2],
        **picks,
    }


def report(rows: list[dict]) -> list[str]:
    lines = [
        SECTION, "",
        f"Run `make bench` (`python -m bench.browser`). Measured {datetime.date.today().isoformat()} on {machine()}.",
        "",
        f"Headless Chromium with **software GL (SwiftShader), no GPU**, a {VIEWPORT['width']}×{VIEWPORT['height']} viewport,",
        "one synthetic trace per size served by a real vrmon server over loopback. SwiftShader rasterises on the",
        "CPU, so frame rates here measure it, not the client: only the comparisons between sizes and between",
        "BVH and brute-force picking mean anything. Real frame rates need a GPU (desktop or headset).",
        "",
        "| spans | page ready (s) | fps | frame ms p50 / p95 / p99 (frames) | draw calls | triangles | apply a 1k-span delta (ms, median) | BVH build (ms, median of 3) | pick, BVH (ms) | pick, brute force (ms) | pick speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['spans']:,} | {r['ready_s']:.1f} | {r['fps']:.1f} | {r['p50']:.0f} / {r['p95']:.0f} / {r['p99']:.0f} ({r['frames']}) | "
            f"{r['draw_calls']} | {r['triangles']:,} | {r['delta_ms']:.2f} | {r['buildMs']:.1f} | {r['bvhMs']:.3f} | "
            f"{r['bruteMs']:.2f} | {r['bruteMs'] / max(r['bvhMs'], 1e-6):.0f}× |")
    lines += ["", "The delta adds 1,000 spans and removes the 1,000 the previous one added; its time covers the node",
              "table, the filter mask, the instance matrices and colours, the BVH refit and the fades' start.",
              "A pick is one ray from the camera through a random span's centre, nearest hit only through the",
              "BVH (what the desktop pointer asks), every hit for brute force (what InstancedMesh.raycast does)."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 10k spans, few frames: a smoke run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    plan = [(1_000, 20), (10_000, 10)] if args.quick else [(1_000, 120), (10_000, 60), (100_000, 12)]
    rows = []
    with tempfile.TemporaryDirectory() as config_home, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--disable-quic", "--enable-unsafe-swiftshader"],
            env={**os.environ, "XDG_CONFIG_HOME": config_home},  # keeps crash reports out of ~/.config
        )
        try:
            for n_spans, frames in plan:
                rows.append(measure(browser, n_spans, frames, args.quick))
                print(f"{n_spans:>7,} spans: {rows[-1]}", file=sys.stderr)
        finally:
            browser.close()
    return finish(SECTION, report(rows), write=not (args.no_write or args.quick))


if __name__ == "__main__":
    sys.exit(main())
