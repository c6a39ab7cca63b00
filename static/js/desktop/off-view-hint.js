// A live trace grows while it is watched, and the camera never moves by itself on a delta
// (DESIGN.md): spans that arrive outside the view would go unseen, and so would spans on show
// that the trace's new layout moves out of it (a deeper call raises every row above it, a new
// lane pushes the others back). This says so instead — a small button at the edge of the free
// view they lie past, "12 new spans off view ↑ · R to frame" ("3 new and 9 moved spans …"); it
// goes once they are in view (R, F, a click on it, or the viewer's own moves).
import { isSummary } from "../data/protocol.js";
import { listen } from "../listen.js";
import { viewInsets } from "./view-insets.js";

// While the hint shows, how often it looks whether the spans came into view. Frames are drawn on
// demand (render-on-demand.js): the last one of a move may come less than this after a check, so
// a check is kept for the end of the wait, or the hint would say what was true before that frame
// until something else asks for one.
const CHECK_MS = 250;
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
    this.movedOff = new Set(); // ids of nodes a delta moved from inside the free view to outside it
    // Every row's node id, position and size as of the last change (what was drawn before a delta)
    this.before = { ids: new Uint32Array(0), pos: new Float32Array(0), size: new Float32Array(0) };
    this.trace = null; // the trace they belong to
    this.side = ""; // where most of them lie: an arrow
    this.checkedAt = -Infinity; // performance.now() of the last check
    this.trailingCheck = 0; // the timer of the check kept for the end of the wait, if any
    this.checkTrailing = () => {
      this.trailingCheck = 0;
      this.checkNow();
    };
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
    clearTimeout(this.trailingCheck);
    this.unlisten();
    this.data.button.removeEventListener("click", this.onClick);
  },

  /** A delta's new spans in the waterfall, and those it moved out of the view: the ones outside the view are looked after. */
  arrived(changes) {
    const scene = this.system.scene;
    const watched = !changes.reset && changes.rows?.length && scene?.layout === "waterfall" && !this.el.sceneEl.is("vr-mode");
    if (watched) {
      if (scene.trace !== this.trace) this.forget();
      this.trace = scene.trace;
      const nodes = this.system.nodes;
      for (const row of changes.added) if (!isSummary(nodes.ids[row])) this.offView.add(nodes.ids[row]);
      this.movedOut(nodes, changes.rows);
    }
    this.remember(changes);
    if (watched) this.check();
  },

  /** Spans among `rows` (changed by a delta) that were in the free view before it and are not now. */
  movedOut(nodes, rows) {
    const { ids, pos, size } = this.before, view = this.freeView();
    for (const row of rows) {
      const id = nodes.ids[row];
      // a row a removal refilled with another node, or a new one, has no place before to compare
      if (row >= ids.length || ids[row] !== id || isSummary(id) || this.offView.has(id)) continue;
      const was = this.screenBox(pos, size, row), now = this.screenBox(nodes.pos, nodes.size, row);
      if (was && inside(was, view) && !(now && inside(now, view))) this.movedOff.add(id);
    }
  },

  /** Keep the changed rows' ids, positions and sizes, to tell where the next delta moves them from. */
  remember(changes) {
    const nodes = this.system.nodes, count = nodes.count;
    if (this.before.ids.length < count) {
      const grown = Math.max(count, 2 * this.before.ids.length);
      this.before = { ids: new Uint32Array(grown), pos: new Float32Array(grown * 3), size: new Float32Array(grown * 3) };
      changes = { reset: true };
    }
    const { ids, pos, size } = this.before;
    if (changes.reset) {
      ids.set(nodes.ids.subarray(0, count));
      pos.set(nodes.pos.subarray(0, count * 3));
      size.set(nodes.size.subarray(0, count * 3));
      return;
    }
    for (const row of changes.rows) {
      ids[row] = nodes.ids[row];
      for (let k = row * 3; k < row * 3 + 3; k++) { pos[k] = nodes.pos[k]; size[k] = nodes.size[k]; }
    }
  },

  /** A frame is drawn: check now, or at the end of the wait if the last check was less than
   * CHECK_MS ago (it then sees this frame's view, and any later one's). */
  tick() {
    if ((!this.offView.size && !this.movedOff.size) || this.trailingCheck) return;
    const wait = this.checkedAt + CHECK_MS - performance.now();
    if (wait > 0) this.trailingCheck = setTimeout(this.checkTrailing, wait);
    else this.checkNow();
  },

  checkNow() {
    this.checkedAt = performance.now();
    this.check();
  },

  /** Keep the spans still outside the free view (and still drawn), then show or hide the hint. */
  check() {
    const nodes = this.system.nodes;
    const view = this.freeView();
    let below = 0, above = 0, right = 0, left = 0;
    for (const spans of [this.offView, this.movedOff]) {
      for (const id of spans) {
        const row = nodes.rowOf.get(id);
        const box = row === undefined ? null : this.screenBox(nodes.pos, nodes.size, row);
        if (row === undefined || (box && inside(box, view))) {
          spans.delete(id); // gone, or in view
          continue;
        }
        if (!box || box[3] > view[3]) below++; // (behind the camera: the viewer walked past it)
        else if (box[1] < view[1]) above++;
        else if (box[2] > view[2]) right++;
        else left++;
      }
    }
    const most = Math.max(below, above, right, left);
    this.side = most === below ? "↓" : most === above ? "↑" : most === right ? "→" : "←";
    this.show(view);
  },

  show(view) {
    const button = this.data.button;
    const added = this.offView.size, moved = this.movedOff.size;
    button.hidden = added + moved === 0;
    if (button.hidden) return;
    const spans = (count) => `span${count === 1 ? "" : "s"}`;
    const what = !moved ? `${added.toLocaleString("en")} new ${spans(added)}`
      : !added ? `${moved.toLocaleString("en")} ${spans(moved)} moved`
        : `${added.toLocaleString("en")} new and ${moved.toLocaleString("en")} moved ${spans(moved)}`;
    button.textContent = `${what} off view ${this.side} · R to frame`;
    button.title = "This trace is live: spans arrived or moved outside the view (the view never moves by itself). Click or press R to frame the whole trace";
    // at the edge they lie past: the top of the free view for spans above it, else its foot
    button.style.left = `${(view[0] + view[2]) / 2}px`;
    button.style.top = `${this.side === "↑" ? view[1] + GAP_PX : view[3] - button.offsetHeight - GAP_PX}px`;
  },

  forget() {
    this.offView.clear();
    this.movedOff.clear();
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

  /** [x0, y0, x1, y1] in CSS px of the front face of the box of `row` (in node columns `pos` and
   * `size`); null if it is behind the camera. */
  screenBox(pos, size, row) {
    const camera = this.el.sceneEl.camera;
    const canvas = this.el.sceneEl.canvas;
    const matrix = this.data.instances.object3D.matrixWorld;
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const at = row * 3;
    for (let c = 0; c < 4; c++) {
      const p = this.corner.set(
        pos[at] + (c & 1 ? 0.5 : -0.5) * size[at],
        pos[at + 1] + (c & 2 ? 0.5 : -0.5) * size[at + 1],
        pos[at + 2] + 0.5 * size[at + 2],
      ).applyMatrix4(matrix).project(camera);
      if (p.z > 1) return null;
      const x = ((p.x + 1) / 2) * canvas.clientWidth, y = ((1 - p.y) / 2) * canvas.clientHeight;
      box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y); box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
    }
    return box;
  },
});

/** Whether screen box `box` lies in `view` (both [x0, y0, x1, y1], CSS px), give or take EDGE_PX. */
function inside(box, view) {
  return box[0] >= view[0] - EDGE_PX && box[2] <= view[2] + EDGE_PX && box[1] >= view[1] - EDGE_PX && box[3] <= view[3] + EDGE_PX;
}
