// Work too big for one task, done in slices so the page keeps answering: a queue of jobs run in
// order, each a function (one step) or an iterator (its `yield`s are where it may pause). A slice
// runs steps until it has taken `budgetMs`; then the page gets a rendering opportunity (input
// events, animation frames) before the next slice. Small work never pauses: a job submitted while
// nothing waits starts at once and, under budget, ends in the same task as before.
//
// A job submitted from inside a running step (a listener asking for its share of a snapshot's
// work) runs right after that job, before the jobs queued behind it (the frames that came in
// meanwhile): what a frame causes is done before the next frame is applied.
export const SLICE_BUDGET_MS = 40; // a slice of work, then a frame: ~25 fps while a huge trace is applied
// A scene of more nodes than this is huge: what its changes cost the scene is done in slices.
// Up to here (a 20k-span trace expanded whole) it is done at once, as the frame is applied.
export const HUGE_SCENE_ROWS = 25_000;

export class SlicedWork {
  /**
   * `pause(resume)`: call `resume` at the page's next rendering opportunity (nextRenderingOpportunity);
   * `eager`: a job submitted while nothing waits starts at once (else after a pause: work that can wait).
   */
  constructor({ pause, budgetMs = SLICE_BUDGET_MS, eager = true }) {
    this.budgetMs = budgetMs;
    this.pause = pause;
    this.eager = eager;
    this.queue = []; // jobs, as iterators; the first is running or paused
    this.inStep = false;
    this.insertAt = 0; // where a job submitted from inside a step goes
    this.slices = 0; // slices run so far (the tests count them)
  }

  /** Whether work is waiting for its next slice (a picture drawn now would be half-written). */
  get busy() {
    return this.queue.length > 0;
  }

  /** Queue a job: a function, or an iterator whose steps may be run in different slices. */
  run(job) {
    const steps = typeof job === "function" ? oneStep(job) : job;
    if (this.inStep) {
      this.queue.splice(this.insertAt++, 0, steps);
      return;
    }
    this.queue.push(steps);
    if (this.queue.length > 1) return;
    if (this.eager) this.slice();
    else this.pause(() => this.slice());
  }

  slice() {
    this.slices++;
    const start = performance.now();
    while (this.queue.length) {
      const job = this.queue[0];
      this.inStep = true;
      this.insertAt = 1;
      let done = true;
      try {
        done = job.next().done;
      } catch (error) {
        reportError(error); // as a throwing event listener would be: reported, the rest goes on
      } finally {
        this.inStep = false;
      }
      if (done) this.queue.splice(this.queue.indexOf(job), 1);
      if (this.queue.length && performance.now() - start >= this.budgetMs) {
        this.pause(() => this.slice());
        return;
      }
    }
  }
}

/** Run every step of `job` (a function or an iterator) now. */
export function runAtOnce(job) {
  if (typeof job === "function") return job();
  while (!job.next().done);
}

function oneStep(step) {
  return { next: () => (step(), { done: true }) };
}

/**
 * A pause until the page has had a rendering opportunity: after the next animation frame (the
 * headset's while A-Frame's `scene` presents in one), the next slice runs in a task of its own.
 * No frames come to a hidden tab or from a session that ended: then it goes on without one.
 */
export function nextRenderingOpportunity(scene) {
  const channel = new MessageChannel();
  let pauses = 0; // the pause a message resumes (a frame's and a visibility change's may both come)
  let waiting = null;
  channel.port1.onmessage = ({ data }) => {
    if (data !== pauses || waiting === null) return;
    const resume = waiting;
    waiting = null;
    resume();
  };
  const goOn = () => { if (waiting !== null) channel.port2.postMessage(pauses); };
  document.addEventListener("visibilitychange", goOn);
  scene.addEventListener("exit-vr", goOn);
  return (resume) => {
    const pause = ++pauses;
    waiting = resume;
    if (document.hidden) return goOn();
    const xr = scene.renderer?.xr;
    (xr?.isPresenting ? xr.getSession() : window).requestAnimationFrame(() => channel.port2.postMessage(pause));
  };
}
