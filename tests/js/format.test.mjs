// The text helpers of static/js/data/format.js (run with TZ=UTC).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatClock, formatDuration, formatRate, formatTimestamp, formatValue, parseDuration } from "../../static/js/data/format.js";

test("durations in the unit a person would pick", () => {
  assert.equal(formatDuration(999), "999 µs");
  assert.equal(formatDuration(1234), "1.23 ms");
  assert.equal(formatDuration(45_600), "45.6 ms");
  assert.equal(formatDuration(2_500_000), "2.50 s");
  assert.equal(formatDuration(125e6), "2 min 5.00 s");
  assert.equal(formatDuration(Number.NaN), "—");
});

test("typed durations: a bare number is milliseconds, nothing is 0, nonsense is null", () => {
  assert.equal(parseDuration("250ms"), 250_000);
  assert.equal(parseDuration("1.5 s"), 1_500_000);
  assert.equal(parseDuration("300us"), 300);
  assert.equal(parseDuration("2m"), 120e6);
  assert.equal(parseDuration("12"), 12_000);
  assert.equal(parseDuration("  "), 0);
  assert.equal(parseDuration("fast"), null);
});

test("rates, times and tag values", () => {
  assert.equal(formatRate(0.4), "0.40/s");
  assert.equal(formatRate(0.001), "< 0.01/s");
  assert.equal(formatClock(1_700_000_000_123_456), "22:13:20.123");
  assert.equal(formatTimestamp(1_700_000_000_123_456), "2023-11-14 22:13:20.123456");
  assert.equal(formatValue(null), "");
  assert.equal(formatValue(new Uint8Array(5)), "<5 bytes>");
  assert.equal(formatValue({ a: 1 }), '{"a":1}');
  assert.equal(formatValue(true), "true");
});
