// Where a compared trace's ghosts go (static/js/scene/ghost-rows.js): under their anchor's bar,
// clear of every bar and label across their stretch of time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { freeBandBelow, ghostLevels } from "../../static/js/scene/ghost-rows.js";

// Rows 1 m apart: a bar 0.6 tall at y = 10 (the anchor), the next row's bar and a label under it.
const ANCHOR = [0, 9.7, 10, 10.3];
const NEXT_BAR = [2, 8.7, 6, 9.3];
const NEXT_LABEL = [6.2, 8.8, 9, 9.2]; // beside the next bar
const ANCHOR_LABEL = [0.1, 9.65, 4, 10.35]; // on the anchor bar, its letters taller than it

test("the band runs from the anchor's foot down to what is under it across the ghost's time", () => {
  const boxes = Float32Array.from([...ANCHOR, ...NEXT_BAR, ...NEXT_LABEL]);
  assert.deepEqual(freeBandBelow(boxes, 2.5, 3, 9.7, 1).map((v) => +v.toFixed(3)), [9.3, 9.7]);
  assert.deepEqual(freeBandBelow(boxes, 6.5, 7, 9.7, 1).map((v) => +v.toFixed(3)), [9.2, 9.7]); // over the label
  assert.deepEqual(freeBandBelow(boxes, 12, 13, 9.7, 1).map((v) => +v.toFixed(3)), [8.7, 9.7]); // nothing under: `room`
});

test("a label reaching below the anchor's foot pushes the band under its letters", () => {
  const boxes = Float32Array.from([...ANCHOR, ...ANCHOR_LABEL, ...NEXT_BAR]);
  assert.deepEqual(freeBandBelow(boxes, 1, 3, 9.7, 1).map((v) => +v.toFixed(3)), [9.3, 9.65]);
});

test("ghosts take a level per depth inside the band, deepest lowest, never outside it", () => {
  const placed = ghostLevels([1, 2, 1, 5, 4], [9, 10], { maxLevels: 3, margin: 0.1, fill: 0.5 });
  const [y1, h] = placed[0];
  assert.ok(Math.abs(y1 - (10 - 0.1 - 0.8 / 6)) < 1e-9 && Math.abs(h - 0.8 / 6) < 1e-9);
  assert.equal(placed[2][0], y1); // the same depth, the same level
  assert.ok(placed[1][0] < y1 && placed[4][0] < placed[1][0]); // deeper, lower
  assert.equal(placed[3][0], placed[4][0]); // past three levels the deepest share the last
  for (const [y, height] of placed) assert.ok(y - height / 2 >= 9.1 - 1e-9 && y + height / 2 <= 9.9 + 1e-9);
});
