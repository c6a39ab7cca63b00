// The waterfall's time window, shared by everything that zooms or pans it (the desktop's wheel and
// drag, the overview strip, the headset's thumbstick). The server lays out the window asked for
// and answers with a snapshot; until it does, the window asked for (`shown()`) leads, so a wheel
// turned faster than the server answers keeps zooming around the same pointer time.
// Emits vrmon-time-window on the scene when the window asked for changes.
import { requestOf, timeAt, windowAround } from "./time-axis.js";

AFRAME.registerSystem("time-window", {
  init() {
    this.data_ = this.el.systems["vrmon-data"];
    // [lo, hi] compressed µs asked for and not yet shown; null: the whole trace; undefined: none pending
    this.asked = undefined;
    this.el.addEventListener("vrmon-scene", () => {
      if (!this.data_.zoomPending()) this.asked = undefined; // the view shown is the window asked for
    });
  },

  /** The shown waterfall's time axis (scene.axis), or null outside the waterfall. */
  axis() {
    const scene = this.data_.scene;
    return scene?.layout === "waterfall" && scene.axis ? scene.axis : null;
  },

  /** [lo, hi] compressed µs the picture shows, or will once the server answers. */
  shown() {
    const axis = this.axis();
    if (!axis) return null;
    if (this.asked !== undefined) return this.asked ?? [0, axis.whole];
    return [axis.lo, axis.hi];
  },

  zoomed() {
    const shown = this.shown();
    return Boolean(shown) && shown[1] - shown[0] < this.axis().whole;
  },

  /** Zoom by `factor` (< 1 in, > 1 out) about the time at share `f` across the picture (0 left, 1 right). */
  zoomAt(f, factor) {
    const axis = this.axis();
    const shown = this.shown();
    if (!axis) return;
    this.ask(windowAround(axis, timeAt(axis, f), f, (shown[1] - shown[0]) * factor));
  },

  /** Put compressed time `u` at share `f` across the picture, the width unchanged (a pan). */
  panTo(u, f) {
    const axis = this.axis();
    const shown = this.shown();
    if (axis) this.ask(windowAround(axis, u, f, shown[1] - shown[0]));
  },

  /** Show from `lo` to `hi` compressed µs (kept inside the trace, at least the narrowest window wide). */
  show(lo, hi) {
    const axis = this.axis();
    if (axis) this.ask(windowAround(axis, lo, 0, hi - lo));
  },

  /** Show [lo, hi] compressed µs (null: the whole trace). */
  ask(window) {
    const axis = this.axis();
    if (!axis) return;
    const before = this.shown();
    this.asked = window;
    const after = this.shown();
    if (before[0] === after[0] && before[1] === after[1]) return;
    this.data_.zoomTime(requestOf(axis, window));
    this.el.emit("vrmon-time-window", { window: after }, false);
    this.el.systems["render-on-demand"]?.requestFrame();
  },

  /** Back to the whole trace. */
  reset() {
    if (this.zoomed()) this.ask(null);
  },
});
