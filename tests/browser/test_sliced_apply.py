"""A huge snapshot is applied in slices, the page getting animation frames between them; frames
that arrive meanwhile are applied after it, in order; the picture is the same as applied at once.

The real client against a real server on loopback, in headless Chromium. The huge snapshot is
built in the page (as vrmon/protocol.py would send it) and handed to the data system as if from
the socket: 30,000 nodes, above the 25,000 from which a scene's work is sliced, placed out of the
camera's view so that drawing them costs software GL nothing. What is checked is order and
counts (slices, animation frames, frames drawn), never how long anything took.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import DELTA_BUILDER_JS

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
HUGE = 30_000
INSTANCES = "document.querySelector('[span-instances]').components['span-instances']"
SNAPSHOT_SEQ = 1000
FIRST_NEW, SECOND_NEW = 950_001, 950_002  # nodes the two deltas in flight add

# Page functions: SNAPSHOT_JS defines `snapshot(system, n)` (n nodes with ids 1..n, far above the
# view, each its own colour, every 97th an error) and `deltas(system)` (the two frames that follow
# it: one adds FIRST_NEW and removes node 5, the next adds SECOND_NEW and moves FIRST_NEW), all as
# bytes; and `picture()`: digests of the spans' and error markers' instance buffers as drawn.
SNAPSHOT_JS = DELTA_BUILDER_JS + f"""
  const up = (i) => [i * 0.002 - 30, 5000, -5];
  const snapshot = (system, n) => {{
    const nodes = nodeBlock(Array.from({{length: n}}, (_, i) => i + 1), {{place: up, size: 0.2}});
    for (let i = 0; i < n; i++) {{
      nodes.color.set([i % 256, (i >> 8) % 256, 90], i * 3);
      nodes.flags[i] = i % 97 === 0 ? 1 : 0;
    }}
    return encode({{type: "snapshot", version: 2, seq: {SNAPSHOT_SEQ}, scene: system.scene, services: system.services,
                    operations: system.operations, traces: [...system.traces.values()], labels: [], nodes}}).slice().buffer;
  }};
  const deltas = (system) => {{
    const first = deltaFrame(system, [{FIRST_NEW}], [5], {{place: () => up(1), seqStep: 1}});
    first.seq = {SNAPSHOT_SEQ} + 1;
    const second = deltaFrame(system, [{SECOND_NEW}], [], {{place: () => up(2)}});
    second.seq = {SNAPSHOT_SEQ} + 2;
    second.updated = nodeBlock([{FIRST_NEW}], {{place: () => up(3), size: 0.2}});
    return [first, second].map((frame) => encode(frame).slice().buffer);
  }};
  const instances = () => document.querySelector("[span-instances]").components["span-instances"];
  const digest = (floats) => {{ // FNV-1a over the bytes: equal digests, equal buffers
    let hash = 0x811c9dc5;
    for (const byte of new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    return hash;
  }};
  const picture = () => {{
    const {{spans, markers}} = instances();
    return {{count: spans.count, markers: markers.count, matrices: digest(spans.instanceMatrix.array.subarray(0, spans.count * 16)),
            colors: digest(spans.instanceColor.array.subarray(0, spans.count * 3)),
            markerMatrices: digest(markers.instanceMatrix.array.subarray(0, markers.count * 16))}};
  }};
"""

# Feed the huge snapshot and the two deltas right behind it, with every step of the work its own
# slice (budget 0: deterministic, whatever the machine's speed); an animation-frame callback
# notes, while the work is busy, which slice it saw and how many frames three.js had drawn.
APPLY_SLICED = """async ({n, budgetMs}) => {""" + SNAPSHOT_JS + """
  const system = window.vrmon.system;
  const renderer = document.querySelector("a-scene").renderer;
  system.work.budgetMs = budgetMs;
  const [first, second] = deltas(system);
  const bytes = snapshot(system, n);
  const seen = [];
  const watch = () => {
    if (!system.work.busy) return;
    seen.push({slice: system.work.slices, frame: renderer.info.render.frame});
    requestAnimationFrame(watch);
  };
  const slicesBefore = system.work.slices;
  const framesBefore = renderer.info.render.frame;
  const countBefore = system.nodes.count;
  system.receive(bytes);
  const afterFirstSlice = {busy: system.work.busy, countBefore, count: system.nodes.count, spans: instances().spans.count};
  requestAnimationFrame(watch);
  system.receive(first);
  system.receive(second);
  // not applied (nor refused as out of order: that would have asked for a resync)
  const deltasWaited = system.seq < """ + str(SNAPSHOT_SEQ) + """ && !system.awaitingSnapshot && !system.nodes.rowOf.has(""" + str(FIRST_NEW) + """);
  await new Promise((resolve) => {
    const poll = () => (system.work.busy ? setTimeout(poll, 20) : resolve());
    poll();
  });
  const slicesAfter = system.work.slices;
  await new Promise((resolve) => { // the deltas' new spans fade in: the picture once they are in
    const poll = () => (instances().fades.animating ? (window.vrmon.requestFrame(), requestAnimationFrame(poll)) : resolve());
    poll();
  });
  const row = system.nodes.rowOf.get(""" + str(FIRST_NEW) + """);
  return {afterFirstSlice, deltasWaited, seen, slicesBefore, framesBefore, slicesAfter,
          seq: system.seq, resyncing: system.awaitingSnapshot, count: system.nodes.count,
          removedGone: !system.nodes.rowOf.has(5), second: system.nodes.rowOf.has(""" + str(SECOND_NEW) + """),
          movedTo: Array.from(system.nodes.pos.subarray(row * 3, row * 3 + 3)), picture: picture()};
}"""


def test_a_huge_snapshot_is_applied_in_slices_with_frames_between_and_deltas_after(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False))
    sliced = page.evaluate(APPLY_SLICED, {"n": HUGE, "budgetMs": 0})

    first = sliced["afterFirstSlice"]
    # the first slice decoded it and began its id index: the scene before is still whole meanwhile
    assert first["busy"] and first["count"] == first["countBefore"] == first["spans"]
    assert sliced["deltasWaited"]  # the deltas that came in meanwhile waited for the snapshot's work
    slices = sliced["slicesAfter"] - sliced["slicesBefore"]
    assert slices >= 2 + HUGE // 4096  # the index is 2 steps of 16384 ids, the spans 8 of 4096 rows
    # Between one slice and the next the page had an animation frame: every slice but the last was
    # followed by one (seen by the callback), and none drew the half-written scene.
    seen_slices = {s["slice"] for s in sliced["seen"]}
    assert seen_slices >= set(range(sliced["slicesBefore"] + 1, sliced["slicesAfter"]))
    assert {s["frame"] for s in sliced["seen"]} == {sliced["framesBefore"]}
    # both deltas applied, in order, after the snapshot (out of order would have asked for a resync)
    assert sliced["seq"] == SNAPSHOT_SEQ + 2 and not sliced["resyncing"]
    assert sliced["count"] == HUGE - 1 + 2 and sliced["removedGone"] and sliced["second"]
    assert sliced["movedTo"] == pytest.approx([3 * 0.002 - 30, 5000, -5])
    assert sliced["picture"]["count"] == HUGE + 1 and sliced["picture"]["markers"] == len(range(0, HUGE, 97))
    # the held frame is drawn once the work is done, and the spans' picking tree is built after it,
    # between frames, though nothing has pointed at a span yet
    page.wait_for_function("(n) => document.querySelector('a-scene').renderer.info.render.frame > n", arg=sliced["framesBefore"])
    page.wait_for_function(f"!{INSTANCES}.bvh.stale")
    assert page.evaluate(f"{INSTANCES}.bvh.built") == HUGE + 1

    # The same frames applied at once (no budget: one slice) give the same picture, number for number.
    at_once = page.evaluate(APPLY_SLICED, {"n": HUGE, "budgetMs": float("inf")})
    assert at_once["slicesAfter"] - at_once["slicesBefore"] == 3  # the snapshot and its work, then each delta
    assert at_once["seen"] == []
    assert at_once["picture"] == sliced["picture"]
    assert page.errors == []


def test_a_snapshot_below_the_huge_size_is_applied_at_once(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False))
    applied = page.evaluate("""async (n) => {""" + SNAPSHOT_JS + """
      const system = window.vrmon.system;
      system.work.budgetMs = 0; // even with no time for slices: a scene this size is not sliced
      const bytes = snapshot(system, n);
      const before = system.work.slices;
      system.receive(bytes);
      return {slices: system.work.slices - before, busy: system.work.busy, spans: instances().spans.count};
    }""", 20_000)
    assert applied == {"slices": 1, "busy": False, "spans": 20_000}
    assert page.errors == []
