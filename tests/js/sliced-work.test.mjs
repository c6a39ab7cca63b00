// The data system's work queue (static/js/data/sliced-work.js): small work runs at once, big work
// pauses between slices, and what a job starts runs before the jobs queued behind it. The pause
// is the test's own: it keeps the resume, and the test says when the page's turn is over.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SlicedWork, runAtOnce } from "../../static/js/data/sliced-work.js";

/** A SlicedWork whose pauses wait for the test: `resume()` runs the next slice. */
function pausedByTest(budgetMs) {
  const pending = [];
  const work = new SlicedWork({ budgetMs, pause: (resume) => pending.push(resume) });
  return { work, pauses: () => pending.length, resume: () => pending.shift()() };
}

function* steps(log, name, n) {
  for (let i = 0; i < n; i++) {
    log.push(`${name}${i}`);
    yield;
  }
}

test("work under budget runs at once, in one slice", () => {
  const { work, pauses } = pausedByTest(Infinity);
  const log = [];
  work.run(steps(log, "a", 3));
  work.run(() => log.push("b"));
  assert.deepEqual(log, ["a0", "a1", "a2", "b"]);
  assert.equal(work.busy, false);
  assert.equal(work.slices, 2);
  assert.equal(pauses(), 0);
});

test("over budget, each slice ends with a pause and the rest waits for it", () => {
  const { work, pauses, resume } = pausedByTest(0); // every step is a slice
  const log = [];
  work.run(steps(log, "a", 3));
  assert.deepEqual(log, ["a0"]);
  assert.equal(work.busy, true);
  work.run(() => log.push("b")); // queued behind: runs only when a is done
  assert.deepEqual(log, ["a0"]);
  while (pauses()) resume();
  assert.deepEqual(log, ["a0", "a1", "a2", "b"]);
  assert.equal(work.busy, false);
});

test("jobs started inside a step run next, in order, before the jobs queued earlier", () => {
  const { work, pauses, resume } = pausedByTest(0);
  const log = [];
  work.run(() => {
    log.push("frame1");
    work.run(steps(log, "rows", 2)); // what the frame's listeners ask for
    work.run(() => log.push("marks"));
  });
  work.run(() => log.push("frame2")); // arrived while frame1's work waits
  while (pauses()) resume();
  assert.deepEqual(log, ["frame1", "rows0", "rows1", "marks", "frame2"]);
});

test("work that can wait (not eager) starts after a pause, even under budget", () => {
  const pending = [];
  const work = new SlicedWork({ budgetMs: Infinity, eager: false, pause: (resume) => pending.push(resume) });
  const log = [];
  work.run(() => log.push("a"));
  work.run(() => log.push("b"));
  assert.deepEqual(log, []);
  assert.equal(pending.length, 1);
  pending.shift()();
  assert.deepEqual(log, ["a", "b"]);
  assert.equal(work.busy, false);
});

test("a job that throws is reported; the jobs after it run", (t) => {
  const reported = [];
  const browsers = globalThis.reportError; // Node 20 has none
  globalThis.reportError = (error) => reported.push(error.message);
  t.after(() => { globalThis.reportError = browsers; });
  const { work } = pausedByTest(Infinity);
  const log = [];
  work.run(() => { throw new Error("broken listener"); });
  work.run(() => log.push("next"));
  assert.deepEqual(reported, ["broken listener"]);
  assert.deepEqual(log, ["next"]);
  assert.equal(work.busy, false);
});

test("runAtOnce drains an iterator or calls a function", () => {
  const log = [];
  runAtOnce(steps(log, "a", 2));
  runAtOnce(() => log.push("b"));
  assert.deepEqual(log, ["a0", "a1", "b"]);
});
