// Trace compare: trace B shown against baseline A (the server's `comparison`: B's spans matched
// to A's by their path of service:operation from the root). While B is on show its spans are
// painted by their duration change on a diverging scale (blue: faster than in A, red: slower),
// spans only in B are outlined and A's spans missing from B stand as ghosts (scene/compare-marks.js).
// Emits `vrmon-comparison {}` when a comparison starts, arrives or stops.
import { compareRequest, isSummary } from "./protocol.js";

const THREE = AFRAME.THREE;

/** [change over A's duration, colour]: −100 % (B took no time) … +100 % (twice as long) and beyond. */
export const CHANGE_SCALE = Object.freeze([[-1, "#2166ac"], [-0.25, "#92c5de"], [0, "#e8e8e8"], [0.25, "#f4a582"], [1, "#b2182b"]]);
const UNMATCHED = "#4a5160";

AFRAME.registerSystem("vrmon-compare", {
  init() {
    this.comparison = null; // the server's frame, while comparing
    this.asked = null; // {a, b} asked for, until the answer comes
    this.changeOf = new Map(); // node id in B → change over A's duration
    this.onlyB = new Set();
    this.stops = CHANGE_SCALE.map(([change, hex]) => [change, new THREE.Color(hex)]);
    this.unmatched = new THREE.Color(UNMATCHED);
    this.el.addEventListener("vrmon-comparison-frame", (event) => {
      const frame = event.detail.frame;
      this.comparison = frame;
      this.asked = null;
      this.changeOf = new Map(Array.from(frame.nodes, (id, i) => [id, frame.ratio[i]]));
      this.onlyB = new Set(frame.only_b);
      this.changed();
    });
  },

  dataSystem() {
    return this.el.systems["vrmon-data"];
  },

  changed() {
    this.dataSystem().emit("vrmon-comparison", {});
  },

  /** Show trace `b` (hex id) against baseline `a`. */
  start(a, b) {
    this.asked = { a, b };
    this.dataSystem().send(compareRequest(a, b));
    this.changed();
  },

  stop() {
    this.comparison = null;
    this.asked = null;
    this.changeOf = new Map();
    this.onlyB = new Set();
    this.changed();
  },

  /** Whether the trace on show is a compared B (what the scene paints by). */
  showing() {
    return this.comparison !== null && this.dataSystem().scene?.trace === this.comparison.summary.b.trace;
  },

  /** Node `id`'s colour by its change against A (only-B spans neutral: they are outlined). */
  paint(id, color) {
    const change = isSummary(id) ? undefined : this.changeOf.get(id);
    if (change !== undefined) return this.changeColor(change, color);
    return color.copy(this.onlyB.has(id) ? this.stops[2][1] : this.unmatched);
  },

  changeColor(change, color) {
    const stops = this.stops;
    const clamped = Math.min(1, Math.max(-1, change));
    let k = 1;
    while (k < stops.length - 1 && clamped > stops[k][0]) k++;
    const [x0, c0] = stops[k - 1];
    const [x1, c1] = stops[k];
    return color.copy(c0).lerp(c1, (clamped - x0) / (x1 - x0));
  },
});
