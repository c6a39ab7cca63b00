"""Headset interaction at scale: `python -m bench.headset [--quick] [--no-write]`.

One synthetic trace of 1k / 10k / 100k spans, served by a real vrmon server, drawn in headless
Chromium under an emulated Quest 3 (IWER, from npm). In VR, with the span panel open, the wrist
menu shown and the right laser on the spans, it reports frame rate and frame-time percentiles,
draw calls, and the main-thread cost of the headset parts: one laser raycast against the spans
(A-Frame's raycaster; per frame, per hand) and one refresh of the nearest-span labels (every
300 ms). Software GL here: compare the sizes against each other, not with a headset.

Prints a Markdown report and, unless --quick or --no-write, replaces the "Headset interaction"
section of docs/benchmarks.md with it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile

from bench.report import ROOT, finish, machine, percentile
from bench.synthetic import synthetic_batch
from tests.conftest import RunningServer, free_port
from vrmon.app import create_app
from vrmon.model.span_store import SpanStore
from vrmon.settings import ServeConfig

SECTION = "## Headset interaction"
IWER = ROOT / "node_modules" / "iwer" / "build" / "iwer.min.js"
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 640, "height": 360}

# In the page: select the span nearest the viewer (the panel opens), aim the right laser at it,
# then time frames and the headset parts' own work.
MEASURE = """
async (seconds) => {
  const THREE = AFRAME.THREE;
  const frames = (n) => new Promise((resolve) => {
    let k = n;
    const f = () => (--k <= 0 ? resolve() : requestAnimationFrame(f));
    requestAnimationFrame(f);
  });
  const system = window.vrmon.system, hand = document.querySelector('#right-hand');
  const spans = document.querySelector('[span-instances]').object3D;
  const head = document.querySelector('a-scene').camera.getWorldPosition(new THREE.Vector3());
  let nearest = 0, best = Infinity;
  for (let row = 0; row < system.nodes.count; row++) {
    const d = new THREE.Vector3().fromArray(system.nodes.pos, row * 3).applyMatrix4(spans.matrixWorld).distanceToSquared(head);
    if (d < best) { best = d; nearest = row; }
  }
  const target = new THREE.Vector3().fromArray(system.nodes.pos, nearest * 3).applyMatrix4(spans.matrixWorld);
  const controller = window.xrdevice.controllers.right;
  controller.position.set(0.25, 1.3, -0.3);
  await frames(4);
  // The laser leaves from the grip pose, tilted and offset from the controller's: refine the aim.
  const raycaster = hand.components.raycaster, pose = new THREE.Quaternion();
  for (let i = 0; i < 4; i++) {
    raycaster.updateOriginDirection();
    const { origin, direction } = raycaster.raycaster.ray;
    pose.premultiply(new THREE.Quaternion().setFromUnitVectors(direction.clone(), target.clone().sub(origin).normalize()));
    controller.quaternion.set(pose.x, pose.y, pose.z, pose.w);
    await frames(4);
  }
  await frames(6);
  const hovered = hand.components['vr-laser'].spanRow >= 0;
  system.select(system.nodes.ids[nearest]); // its panel opens between the viewer and the span
  await frames(10);

  const timeCalls = (object, method, samples) => {
    const original = object[method];
    object[method] = function (...args) {
      const t = performance.now();
      const result = original.apply(this, args);
      samples.push(performance.now() - t);
      return result;
    };
    return () => { object[method] = original; };
  };
  const raycasts = [], labels = [], frameTimes = [];
  const restoreRaycast = timeCalls(raycaster, 'checkIntersections', raycasts);
  const restoreLabels = timeCalls(document.querySelector('[vr-span-labels]').components['vr-span-labels'], 'assign', labels);
  let last = performance.now(), calls = 0;
  const end = last + seconds * 1000;
  while (performance.now() < end) {
    await frames(1);
    const now = performance.now();
    frameTimes.push(now - last);
    last = now;
    calls = Math.max(calls, document.querySelector('a-scene').renderer.info.render.calls);
  }
  restoreRaycast();
  restoreLabels();
  return {frameTimes, raycasts, labels, calls, hovered,
          panel: document.querySelector('#vr-span-panel').object3D.visible};
}
"""


def measure(browser, spans: int, seconds: float) -> dict:
    store = SpanStore()
    store.add(synthetic_batch(spans, spans_per_trace=spans))
    server = RunningServer(create_app(ServeConfig(replay=[], scene="waterfall"), store=store), free_port()).start()
    page = browser.new_page(viewport=VIEWPORT, bypass_csp=True)  # wait_for_function needs eval
    try:
        page.add_init_script(IWER.read_text() + "\nwindow.xrdevice = new IWER.XRDevice(IWER.metaQuest3);"
                             "\nwindow.xrdevice.installRuntime({forceInstall: true});")
        page.goto(server.url + "/")
        page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=120_000)
        page.evaluate("document.querySelector('a-scene').enterVR()")
        page.wait_for_function("document.querySelector('a-scene').renderer.xr.isPresenting", timeout=60_000)
        page.wait_for_function("document.querySelector('#right-hand').components['tracked-controls']", timeout=60_000)
        result = page.evaluate(MEASURE, seconds)
    finally:
        page.close()
        server.stop()
    frames = result["frameTimes"]
    return {
        "spans": spans,
        "fps": 1000 * len(frames) / sum(frames),
        "p50": percentile(frames, 0.5),
        "p95": percentile(frames, 0.95),
        "calls": result["calls"],
        "raycast": statistics.median(result["raycasts"]) if result["raycasts"] else float("nan"),
        "labels": statistics.median(result["labels"]) if result["labels"] else float("nan"),
        "checks": result["hovered"] and result["panel"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k spans for 2 s only, for a smoke run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    sizes, seconds = ([1_000], 2.0) if args.quick else ([1_000, 10_000, 100_000], 8.0)
    from playwright.sync_api import sync_playwright

    rows = [SECTION, "", f"Run `python -m bench.headset`. Measured {datetime.date.today().isoformat()} on {machine()};",
            "headless Chromium, software GL, IWER Quest 3 (mono), 640×360, span panel and wrist menu open,",
            "right laser aimed at a span. Raycast and label refresh are main-thread ms (median).", "",
            "| spans | fps | frame p50 ms | frame p95 ms | draw calls (2 views) | laser raycast ms | label refresh ms | laser on a span, panel open |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    with tempfile.TemporaryDirectory() as config_home, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-quic", "--enable-unsafe-swiftshader"],
                                             env={**os.environ, "XDG_CONFIG_HOME": config_home})
        try:
            for spans in sizes:
                r = measure(browser, spans, seconds)
                rows.append(f"| {r['spans']:,} | {r['fps']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['calls']} | "
                            f"{r['raycast']:.3f} | {r['labels']:.3f} | {'yes' if r['checks'] else 'NO'} |")
                print(rows[-1], file=sys.stderr)
        finally:
            browser.close()
    return finish(SECTION, rows, write=not args.no_write and not args.quick)


if __name__ == "__main__":
    sys.exit(main())
