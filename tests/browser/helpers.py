"""Page helpers shared by the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import json

import pytest

IWER = Path(__file__).resolve().parents[2] / "node_modules" / "iwer" / "build" / "iwer.min.js"

# JS statements, pasted at the top of an async page function: `deltaFrame(system, added, removed,
# options)` builds a delta frame as vrmon/protocol.py would send it (grey boxes of `options.size`
# metres placed by `options.place(i)`), and `feedDelta(...)` hands its bytes to the data system as
# if from the socket. One builder, so a new node column is added in one place.
DELTA_BUILDER_JS = """
  const { encode } = await import("/vendor/msgpack/index.mjs");
  const bin = (array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const nodeBlock = (ids, {place = (i) => [i * 0.3 - 6, 3, 1], size = 0.2, duration = 0} = {}) => {
    const n = ids.length, pos = new Float32Array(n * 3);
    ids.forEach((id, i) => pos.set(place(i), i * 3));
    return {count: n, ids: bin(Uint32Array.from(ids)), pos: bin(pos), size: bin(new Float32Array(n * 3).fill(size)),
            color: bin(new Uint8Array(n * 3).fill(200)), service: bin(new Uint16Array(n)), operation: bin(new Uint16Array(n)),
            flags: bin(new Uint8Array(n)), yaw: bin(new Int16Array(n)), duration: bin(new Uint8Array(n).fill(duration))};
  };
  const deltaFrame = (system, added, removed = [], {seqStep = 1, ...options} = {}) => ({
    type: "delta", seq: system.seq + seqStep, added: nodeBlock(added, options), updated: nodeBlock([]),
    removed: bin(Uint32Array.from(removed)), services: {from: system.services.length, names: []},
    operations: {from: system.operations.length, names: []}, traces: []});
  const feedDelta = (system, ...args) => system.receive(encode(deltaFrame(system, ...args)).slice().buffer);
"""


def click_node(page: Any, node_id: int) -> None:
    """A real mouse click on the centre of a node, as drawn on screen."""
    point = page.evaluate("(id) => window.vrmon.screenPositionOf(id)", node_id)
    assert point is not None, f"node {node_id} is not on screen"
    page.mouse.click(point["x"], point["y"])


# CSS px of a point over the waterfall's lane names, left of the bars: there the wheel moves the
# camera (over the bars and ruler it zooms the time axis).
LANE_NAMES_POINT_JS = """
() => {
  const THREE = AFRAME.THREE, sceneEl = document.querySelector("a-scene"), scene = window.vrmon.system.scene;
  const [x0, y0, , , y1] = scene.frame, rect = sceneEl.canvas.getBoundingClientRect();
  const p = new THREE.Vector3((x0 + scene.axis.x[0]) / 2, (y0 + y1) / 2, 0)
    .applyMatrix4(document.querySelector("[span-instances]").object3D.matrixWorld).project(sceneEl.camera);
  return [rect.left + (p.x + 1) / 2 * rect.width, rect.top + (1 - p.y) / 2 * rect.height];
}
"""


def lane_names_point(page: Any) -> tuple[float, float]:
    """A point over the waterfall's lane names, where the wheel moves the camera."""
    x, y = page.evaluate(LANE_NAMES_POINT_JS)
    return x, y


def next_frames(page: Any, count: int = 2, timeout: float = 30_000) -> None:
    """Wait until the page has rendered `count` more frames (what a key or a frame changed is drawn).

    The view draws on demand: while waiting, each poll asks for a frame."""
    rendered = "document.querySelector('a-scene').renderer.info.render.frame"
    start = page.evaluate(rendered)
    page.wait_for_function(f"(n) => {rendered} >= n || (window.vrmon.requestFrame(), false)", arg=start + count, timeout=timeout)


SPAN_LABELS_JS = "document.querySelector('[vr-span-labels]').components['vr-span-labels']"
NAMES_TYPESET_JS = f"""() => {SPAN_LABELS_JS}.texts.filter((t) => t.text)
  .every((t) => t.textRenderInfo && t.textRenderInfo.parameters.text === t.text)"""


def names_placed(page: Any) -> None:
    """Wait for the span names placed for the head where it is now, and typeset. vr-span-labels
    places them every 300 ms of the scene's own clock, on frames drawn: one is asked for and waited
    for (before, waits compared its refresh time, on the scene's clock, with the page's clock, which
    is always ahead: they could pass before any placement after the head moved — no names, looking
    back from the wrist menu, in a fresh-clone CI at load 8)."""
    page.evaluate(f"() => {{ {SPAN_LABELS_JS}.nextRefresh = 0; }}")
    page.wait_for_function(f"() => {SPAN_LABELS_JS}.nextRefresh > 0 || (window.vrmon.requestFrame(), false)")
    page.wait_for_function(NAMES_TYPESET_JS)


def settled(page: Any) -> None:
    """Wait until no span is fading in or out, and the result is drawn."""
    page.wait_for_function("!document.querySelector('[span-instances]').components['span-instances'].fades?.animating")
    next_frames(page)


def install_emulated_headset(page: Any) -> None:
    """IWER emulates a Quest 3 in the page; skips the test when iwer is not installed."""
    if not IWER.exists():
        pytest.skip("iwer is not installed (npm ci)")
    # IWER has to be in place before A-Frame's script looks for navigator.xr.
    # window.xrdevice lets a test move the controllers and press their buttons.
    page.add_init_script(IWER.read_text() + "\nwindow.xrdevice = new IWER.XRDevice(IWER.metaQuest3);"
                         "\nwindow.xrdevice.installRuntime({forceInstall: true});")


def enter_vr(page: Any) -> None:
    page.evaluate("document.querySelector('a-scene').enterVR()")
    page.wait_for_function("document.querySelector('a-scene').renderer.xr.isPresenting", timeout=10_000)


# Registered before any page script runs, so nothing the page does escapes it.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || "(inline)"} at ${e.sourceFile}:${e.lineNumber}`));
"""


def strict(page: Any) -> Any:
    """A page under vrmon's Content-Security-Policy (no bypass) that records its violations
    (window.cspViolations), console errors and uncaught errors (page.problems). Wait on it with
    `wait_in_page`: Playwright's wait_for_function needs eval, which the policy forbids."""
    page.add_init_script(RECORD_VIOLATIONS)
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    return page


def wait_in_page(page: Any, condition: str, timeout_ms: int = 20_000) -> None:
    """Resolve once the JS `condition` holds, checked every animation frame."""
    page.evaluate(f"""() => new Promise((resolve, reject) => {{
        const giveUp = setTimeout(() => reject(new Error("timed out waiting for " + {json.dumps(condition)})), {timeout_ms});
        const poll = () => {{ if ({condition}) {{ clearTimeout(giveUp); resolve(); }} else requestAnimationFrame(poll); }};
        poll();
    }})""")


def click_bar_control(page: Any, selector: str) -> None:
    """Click a top-bar control as a person would: through the ⋯ menu when the bar had no room for it."""
    if page.evaluate("(s) => document.querySelector('#view-menu-panel').contains(document.querySelector(s))", selector) \
            and page.is_hidden("#view-menu-panel"):
        page.click("#view-menu-button")
    page.click(selector)
