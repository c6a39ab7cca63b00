// The waterfall's time axis in the client (static/js/data/time-axis.js): times through the idle
// warp and back, and the windows a zoom or a pan asks for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compress, expand, MIN_WINDOW_US, requestOf, shareOfX, timeAt, windowAround, xOfTime } from "../../static/js/data/time-axis.js";

// 100 µs of work, a 10 ms idle stretch shown 10 µs wide, 100 µs more; the picture shows 50–150 of 250.
const AXIS = { x: [-12, 12], lo: 50, hi: 150, whole: 250, true: [0, 100, 10_100, 10_200], warped: [0, 100, 110, 210] };

test("times go through the idle warp and back, at true scale past either end", () => {
  assert.equal(compress(AXIS, 10_150), 160);
  assert.equal(compress(AXIS, 5_100), 105);
  assert.equal(compress(AXIS, 20_000), 10_010);
  for (const us of [0, 50, 5_100, 10_150, 20_000]) assert.equal(expand(AXIS, compress(AXIS, us)), us);
});

test("a point of the picture is a time and back", () => {
  assert.equal(shareOfX(AXIS, 0), 0.5);
  assert.equal(timeAt(AXIS, 0.25), 75);
  assert.equal(xOfTime(AXIS, 75), -6);
});

test("a zoom keeps the time at the pointer's share and stays inside the trace", () => {
  assert.deepEqual(windowAround(AXIS, 100, 0.25, 40), [90, 130]); // 100 still a quarter across
  assert.deepEqual(windowAround(AXIS, 10, 0.5, 40), [0, 40]); // slid back inside at the start
  assert.deepEqual(windowAround(AXIS, 240, 0.5, 40), [210, 250]); // and at the end
  assert.deepEqual(windowAround(AXIS, 100, 0.5, 1), [100 - MIN_WINDOW_US / 2, 100 + MIN_WINDOW_US / 2]);
  assert.equal(windowAround(AXIS, 100, 0.5, 300), null); // as wide as the trace: the whole of it
});

test("the request carries true µs from the trace's start", () => {
  assert.deepEqual(requestOf(AXIS, [90, 160]), [90, 10_150]);
  assert.equal(requestOf(AXIS, null), null);
});
