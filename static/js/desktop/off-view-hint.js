// A live trace grows while it is watched, and the camera never moves by itself on a delta
// (DESIGN.md): spans that arrive outside the view would go unseen. This says so instead — a small
// button at the edge of the free view they lie past, "12 new spans off view ↑ · R to frame"; it
// goes once they are in view (R, F, a click on it, or the viewer's own moves).
import { isSummary } from "../data/protocol.js";
import { listen } from "../listen.js";
import { viewInsets } from "./view-insets.js";

const CHECK_MS = 250; // while the hint shows, how often it looks whether the spans came into view
const EDGE_PX = 1; // a box this far past the free part's edge still counts as in view
const GAP_PX = 8; // between the hint and the top or bottom bar

AFRAME.registerComponent("off-view-hint", {
  schema: {
    button: { type: "selector", default: "#off-view-hint" },
    instances: { type: "selector", default: "[span-instances]" },
    leftPanel: { type: "selector", default: "#trace-list" },
    rightPanel: { type: "selector", default: "#span-panel" },
    topBar: { type: "selector", default: "#topbar" },
    bottomBar: { type: "selector", default: "#bottombar" },
  },

  init() {
    const sceneEl = this.el.sceneEl;
    this.system = sceneEl.systems["vrmon-data"];
    this.offView = new Set(); // ids of nodes that came on a delta and lie outside the free view
    this.trace = null; // the trace they belong to
    this.side = ""; // where most of them lie: an arrow
    this.checkedAt = 0;
    this.corner = new AFRAME.THREE.Vector3();
    this.clear = () => this.forget();
    this.unlisten = listen(sceneEl, {
      "vrmon-nodes": (event) => this.arrived(event.detail),
      "vrmon-scene": () => this.system.scene?.trace !== this.trace && this.forget(),
      "vrmon-view-framed": this.clear,
      "enter-vr": this.clear,
    });
    this.onClick = () => sceneEl.querySelector("[camera-navigation]")?.components["camera-navigation"].reset();
    this.data.button.addEventListener("click", this.onClick);
  },

  remove() {
    this.unlisten();
    this.data.button.removeEventListener("click", this.onClick);
  },

  /** A delta's new nodes in the waterfall: the spans among them outside the view are looked after. */
  arrived(changes) {
    const scene = this.system.scene;
    if (changes.reset || !changes.added?.length || scene?.layout !== "waterfall" || this.el.sceneEl.is("vr-mode")) return;
    if (scene.trace !== this.trace) this.forget();
    this.trace = scene.trace;
    const nodes = this.system.nodes;
    for (const row of changes.added) if (!isSummary(nodes.ids[row])) this.offView.add(nodes.ids[row]);
    this.check();
  },

  tick(time) {
    if (!this.offView.size || time - this.checkedAt < CHECK_MS) return;
    this.checkedAt = time;
    this.check();
  },

  /** Keep the spans still outside the free view (and still drawn), then show or hide the hint. */
  check() {
    const nodes = this.system.nodes;
    const view = this.freeView();
    let below = 0, above = 0, right = 0, left = 0;
    for (const id of this.offView) {
      const row = nodes.rowOf.get(id);
      const box = row === undefined ? null : this.screenBox(nodes, row);
      if (row === undefined || (box && box[0] >= view[0] - EDGE_PX && box[2] <= view[2] + EDGE_PX && box[1] >= view[1] - EDGE_PX
          && box[3] <= view[3] + EDGE_PX)) {
        this.offView.delete(id); // gone, or in view
        continue;
      }
      if (!box || box[3] > view[3]) below++; // (behind the camera: the viewer walked past it)
      else if (box[1] < view[1]) above++;
      else if (box[2] > view[2]) right++;
      else left++;
    }
    const most = Math.max(below, above, right, left);
    this.side = most === below ? "↓" : most === above ? "↑" : most === right ? "→" : "←";
    this.show(view);
  },

  show(view) {
    const button = this.data.button;
    const count = this.offView.size;
    button.hidden = count === 0;
    if (!count) return;
    button.textContent = `${count.toLocaleString("en")} new span${count === 1 ? "" : "s"} off view ${this.side} · R to frame`;
    button.title = "This trace is live: spans arrived outside the view (the view never moves by itself). Click or press R to frame the whole trace";
    // at the edge they lie past: the top of the free view for spans above it, else its foot
    button.style.left = `${(view[0] + view[2]) / 2}px`;
    button.style.top = `${this.side === "↑" ? view[1] + GAP_PX : view[3] - button.offsetHeight - GAP_PX}px`;
  },

  forget() {
    this.offView.clear();
    this.trace = this.system.scene?.trace ?? null;
    this.data.button.hidden = true;
  },

  /** [x0, y0, x1, y1] in CSS px of the canvas part the overlays leave free, as framing sees it. */
  freeView() {
    const canvas = this.el.sceneEl.canvas;
    const { leftPanel, rightPanel, topBar, bottomBar } = this.data;
    const insets = viewInsets(canvas, { left: leftPanel, right: rightPanel, top: topBar, bottom: bottomBar });
    return [insets.left, insets.top, canvas.clientWidth - insets.right, canvas.clientHeight - insets.bottom];
  },

  /** [x0, y0, x1, y1] in CSS px of the front face of node `row`'s box; null if it is behind the camera. */
  screenBox(nodes, row) {
    const camera = this.el.sceneEl.camera;
    const canvas = this.el.sceneEl.canvas;
    const matrix = this.data.instances.object3D.matrixWorld;
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const at = row * 3;
    for (let c = 0; c < 4; c++) {
      const p = this.corner.set(
        nodes.pos[at] + (c & 1 ? 0.5 : -0.5) * nodes.size[at],
        nodes.pos[at + 1] + (c & 2 ? 0.5 : -0.5) * nodes.size[at + 1],
        nodes.pos[at + 2] + 0.5 * nodes.size[at + 2],
      ).applyMatrix4(matrix).project(camera);
      if (p.z > 1) return null;
      const x = ((p.x + 1) / 2) * canvas.clientWidth, y = ((1 - p.y) / 2) * canvas.clientHeight;
      box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y); box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
    }
    return box;
  },
});
