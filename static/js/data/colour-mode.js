// What span colours mean: their service (the scene's own colours, the default) or their duration
// percentile rank among the spans of the same service and operation the server holds (p0 the
// fastest, p100 the slowest), on the scale below. In percentile mode the server sends the rank of
// every span the viewer draws after each change of its view (`ranks`, replacing the last); spans whose rank has not
// come yet and folded summary marks are grey; service nodes keep their colours. Emits
// `vrmon-colours {}` when colours must be written again.
import { colourRequest, isSummary, SERVICE_BASE } from "./protocol.js";

const THREE = AFRAME.THREE;

/** [percentile, colour] stops, interpolated in between: cool and quiet for the usual, hot for the tail. */
export const PERCENTILE_SCALE = Object.freeze([[0, "#2c7bb6"], [50, "#abd9e9"], [75, "#ffffbf"], [90, "#fdae61"], [99, "#d7191c"]]);
const UNRANKED = "#4a5160";

AFRAME.registerSystem("vrmon-colour", {
  init() {
    this.mode = "service";
    this.rankOf = new Map(); // node id → whole percentile 0–100
    this.stops = PERCENTILE_SCALE.map(([rank, hex]) => [rank, new THREE.Color(hex)]);
    this.unranked = new THREE.Color(UNRANKED);
    this.el.addEventListener("vrmon-connection", (event) => {
      if (event.detail.connected && this.mode === "percentile") this.dataSystem().send(colourRequest(this.mode));
    });
    this.el.addEventListener("vrmon-comparison", () => this.changed());
    this.el.addEventListener("vrmon-ranks", (event) => {
      const { ids, ranks } = event.detail; // every span of the view: the map is replaced whole
      this.rankOf = new Map(Array.from(ids, (id, i) => [id, ranks[i]]));
      if (this.mode === "percentile") this.changed();
    });
  },

  dataSystem() {
    return this.el.systems["vrmon-data"];
  },

  changed() {
    this.dataSystem().emit("vrmon-colours", {});
  },

  /** "service" or "percentile". */
  setMode(mode) {
    if (mode !== "service" && mode !== "percentile") return;
    this.mode = mode;
    this.dataSystem().send(colourRequest(mode));
    this.changed();
  },

  toggle() {
    this.setMode(this.mode === "percentile" ? "service" : "percentile");
  },

  /**
   * Set `color` to node `id`'s colour: by its change against baseline A while a compared trace B
   * is on show (data/trace-compare.js), else in this mode; false when it keeps its own colour.
   */
  paint(id, color) {
    if (id >= SERVICE_BASE) return false;
    const compare = this.el.systems["vrmon-compare"];
    if (compare.showing()) {
      compare.paint(id, color);
      return true;
    }
    if (this.mode !== "percentile") return false;
    const rank = isSummary(id) ? undefined : this.rankOf.get(id);
    if (rank === undefined) color.copy(this.unranked);
    else this.rankColor(rank, color);
    return true;
  },

  /** The scale's colour at percentile `rank` (0–100). */
  rankColor(rank, color) {
    const stops = this.stops;
    let k = 1;
    while (k < stops.length - 1 && rank > stops[k][0]) k++;
    const [r0, c0] = stops[k - 1];
    const [r1, c1] = stops[k];
    return color.copy(c0).lerp(c1, Math.min(1, Math.max(0, (rank - r0) / (r1 - r0))));
  },
});
