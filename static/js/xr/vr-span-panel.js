// The selected span's details in the headset: a panel that opens beside the picture, on the
// selected span's side and at its height, turned to face the viewer, so it hides neither the
// span nor the rest of the trace (where the picture is too wide for that, beside the span,
// between it and the viewer). Service, operation, start, duration and error up top;
// below, a scrollable list of parent, children (links that select them), warnings, tags, logs
// and process (outside the waterfall, first a link that opens the span's trace in one).
// Scrolls with the thumbstick while a laser points at it, or its ↑ ↓ buttons.
// It stays open, and where it is, while the trace grows; it closes when the span leaves.
import { formatDuration, formatTimestamp, formatValue } from "../data/format.js";
import { FLAG } from "../data/protocol.js";
import { openTrace, waterfallSceneName } from "../data/scene-catalog.js";
import { listen } from "../listen.js";
import { PanelSurface, faceTowards, levelGaze, setText } from "./panel-kit.js";
import { anglesOf, pictureBox, pointAt } from "./content-view.js";

const THREE = AFRAME.THREE;
const WIDTH = 0.64;
const PAD = 0.025;
const ROWS = 10; // list rows drawn at once; the rest scroll
const ROW_HEIGHT = 0.036;
const ROW_STEP = 0.04;
const LIST_TOP = 0.2;
const HEIGHT = LIST_TOP + ROWS * ROW_STEP + 0.05;
const ARROW_WIDTH = 0.06;
const VALUE_CHARS = 90; // longer tag values are cut: the panel is for reading, not for copying
const NEAREST = 0.9; // metres from the eyes: closer is uncomfortable to focus on
const FARTHEST = 1.2; // further makes the text too small
const ASIDE = 0.38; // metres to the right of the line of sight to the span
// Beside the picture: this far away, this many degrees clear of its edge, its centre between
// these heights (degrees from the horizon); the picture no wider than this many degrees.
const BESIDE_DISTANCE = 1.05;
const CLEAR_DEGREES = 2;
const CENTRE_DEGREES = [-15, 0];
const WIDEST_PICTURE = 110;
const PLACE_AFTER_FRAMES = 3;

AFRAME.registerComponent("vr-span-panel", {
  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.items = []; // {text, press} rows of the list; press null for plain text
    this.offset = 0; // first list item shown
    this.shownId = null;
    this.placeInFrames = 0; // frames to wait before placing the panel (0: nothing to place)
    this.head = new THREE.Vector3();
    this.target = new THREE.Vector3();
    this.aside = new THREE.Vector3();
    this.forward = new THREE.Vector3();
    this.box = [0, 0, 0, 0]; // the picture as seen: degrees left, bottom, right, top
    this.spanAngles = [0, 0]; // the span as seen: degrees right, up
    this.build();
    this.el.object3D.visible = false;

    this.unlisten = listen(this.el.sceneEl, {
      "vrmon-selection": (event) => this.open(event.detail.id),
      "vrmon-details": (event) => this.fill(event.detail.span),
      // A selection made on the desktop comes along into VR (its details are asked for again).
      "enter-vr": () => { if (this.system.selectedId !== null) this.system.select(this.system.selectedId); },
      "exit-vr": () => { this.el.object3D.visible = false; },
    });
  },

  remove() {
    this.unlisten();
    this.el.removeObject3D("panel");
  },

  build() {
    const surface = new PanelSurface(4 + ROWS);
    surface.group.position.set(-WIDTH / 2, HEIGHT / 2, 0); // the entity's origin is the panel's centre
    surface.addRect(0, 0, WIDTH, HEIGHT);
    this.title = surface.addText(PAD, -PAD, { size: 0.034, bold: true, maxWidth: WIDTH - 2 * PAD - 0.06 });
    this.subtitle = surface.addText(PAD, -0.075, { size: 0.022, color: "#9aa4b5", maxWidth: WIDTH - 2 * PAD });
    this.facts = surface.addText(PAD, -0.105, { size: 0.022, maxWidth: WIDTH - 2 * PAD });
    surface.addButton({ x: WIDTH - PAD - 0.05, y: -PAD + 0.005, width: 0.05, height: 0.05, label: " ×", size: 0.03,
      press: () => this.system.clearSelection() });
    const listWidth = WIDTH - 2 * PAD - ARROW_WIDTH - 0.01;
    this.rows = Array.from({ length: ROWS }, (_, i) =>
      surface.addButton({ x: PAD, y: -LIST_TOP - i * ROW_STEP, width: listWidth, height: ROW_HEIGHT, size: 0.02, plainWhenInert: true }));
    const arrowX = WIDTH - PAD - ARROW_WIDTH;
    surface.addButton({ x: arrowX, y: -LIST_TOP, width: ARROW_WIDTH, height: 0.08, label: "  ↑", size: 0.03,
      press: () => this.scrollBy(-ROWS + 1) });
    surface.addButton({ x: arrowX, y: -LIST_TOP - (ROWS - 1) * ROW_STEP - ROW_HEIGHT + 0.08, width: ARROW_WIDTH, height: 0.08,
      label: "  ↓", size: 0.03, press: () => this.scrollBy(ROWS - 1) });
    this.scrollInfo = surface.addText(PAD, -LIST_TOP - ROWS * ROW_STEP - 0.008, { size: 0.018, color: "#9aa4b5" });
    this.el.setObject3D("panel", surface.group); // also tags every part with the entity, for the lasers
  },

  /** Open for a node (or close for null): what the node table knows now, details to follow. */
  open(id) {
    const presenting = this.el.sceneEl.renderer?.xr.isPresenting;
    const row = id === null ? undefined : this.system.nodes.rowOf.get(id);
    if (row === undefined || !presenting) {
      this.el.object3D.visible = false;
      this.shownId = null;
      this.placeInFrames = 0;
      return;
    }
    const { nodes, services, operations } = this.system;
    this.shownId = id;
    setText(this.title, operations[nodes.operation[row]] ?? services[nodes.service[row]] ?? `node ${id}`);
    setText(this.subtitle, `${services[nodes.service[row]] ?? "unknown service"}${nodes.flags[row] & FLAG.error ? " · ERROR" : ""}`);
    setText(this.facts, "Loading details…");
    this.setItems([]);
    this.placeInFrames = PLACE_AFTER_FRAMES; // the head pose is the headset's only once frames have been drawn
  },

  tick() {
    if (this.placeInFrames === 0 || --this.placeInFrames > 0) return;
    const row = this.system.nodes.rowOf.get(this.shownId);
    if (row === undefined) return;
    this.placeBeside(row);
    this.el.object3D.visible = true;
  },

  fill(span) {
    if (span.id !== this.shownId) return;
    if (span.kind === "service") return this.fillService(span);
    setText(this.title, span.operation);
    setText(this.subtitle, [span.service, span.kind, span.error ? "ERROR" : null].filter(Boolean).join(" · "));
    setText(this.facts, [
      `Start: ${formatTimestamp(span.start_us)}`,
      `Duration: ${formatDuration(span.duration_us)}`,
      `Error: ${span.error ? "yes" : "no"}`,
    ].join("\n"));
    const items = [];
    const heading = (text) => items.push({ text, press: null });
    const line = (text) => items.push({ text: `    ${text}`, press: null });
    const scene = this.system.scene;
    if (span.trace_id && scene?.layout !== "waterfall" && waterfallSceneName(scene)) {
      items.push({ text: "  › Open trace in waterfall", press: () => openTrace(this.system, span.trace_id) });
    }
    heading("Parent");
    if (span.parent !== null && span.parent !== undefined) items.push(this.linkTo(span.parent));
    else line(span.parent_span_id ? `${span.parent_span_id} (not in this trace)` : "none: this is a root span");
    heading(`Children (${span.children.length})`);
    for (const child of span.children) items.push(this.linkTo(child));
    if (span.warnings?.length) {
      heading("Warnings");
      for (const warning of span.warnings) line(warning);
    }
    heading(`Tags (${span.tags.length})`);
    for (const [key, value] of span.tags) line(keyValue(key, value));
    heading(`Logs (${span.logs.length})`);
    for (const log of span.logs) {
      line(`+${formatDuration(log.timestamp_us - span.start_us)}`);
      for (const [key, value] of log.fields) line(`    ${keyValue(key, value)}`);
    }
    heading(`Process (${span.process.length})`);
    for (const [key, value] of span.process) line(keyValue(key, value));
    this.setItems(items);
  },

  fillService(node) {
    setText(this.title, node.service);
    setText(this.subtitle, "service");
    setText(this.facts, [`Spans: ${node.spans}`, `Errors: ${node.errors}`, `Rate: ${Number(node.span_rate).toFixed(2)} spans/s`].join("\n"));
    const items = [];
    for (const [name, calls] of [["Callers", node.callers], ["Callees", node.callees]]) {
      items.push({ text: `${name} (${calls.length})`, press: null });
      for (const call of calls) items.push({ text: `    ${call.service}: ${call.calls} calls`, press: null });
    }
    this.setItems(items);
  },

  linkTo(id) {
    const { nodes } = this.system;
    const row = nodes.rowOf.get(id);
    if (row === undefined) return { text: `    span ${id} (not drawn)`, press: null };
    const error = nodes.flags[row] & FLAG.error ? "  (error)" : "";
    return { text: `  › ${this.system.nodeLabel(row)}${error}`, press: () => this.system.select(id) };
  },

  setItems(items) {
    this.items = items;
    this.offset = 0;
    this.showRows();
  },

  /** Scroll the list by a number of rows (positive: down). */
  scrollBy(rows) {
    const offset = Math.max(0, Math.min(this.offset + rows, this.items.length - ROWS));
    if (offset === this.offset) return;
    this.offset = offset;
    this.showRows();
  },

  showRows() {
    this.rows.forEach((row, i) => {
      const item = this.items[this.offset + i];
      row.set(item?.text ?? "", item?.press ?? null);
    });
    // it counts the list's lines (headings, links, tags, log fields): a bare "1–10 of 114" under
    // "Children (12)" read as a count of children
    const total = this.items.length;
    setText(this.scrollInfo, total > ROWS ? `lines ${this.offset + 1}–${Math.min(this.offset + ROWS, total)} of ${total} · thumbstick to scroll` : "");
  },

  /**
   * Beside the picture, on the side of the span and at its height; or, where the picture is
   * too wide for that, between the viewer and the span, a comfortable distance away, to its right.
   */
  placeBeside(row) {
    const instances = this.el.sceneEl.querySelector("[span-instances]");
    levelGaze(this.el.sceneEl.camera, this.head, this.forward);
    this.target.fromArray(this.system.nodes.pos, row * 3).applyMatrix4(instances.object3D.matrixWorld);
    const box = this.box;
    if (pictureBox(this.el.sceneEl, this.system, this.head, this.forward, box) && box[2] - box[0] <= WIDEST_PICTURE) {
      const half = THREE.MathUtils.radToDeg(Math.atan(WIDTH / 2 / BESIDE_DISTANCE)) + CLEAR_DEGREES;
      anglesOf(this.target, this.head, this.forward, this.spanAngles);
      const [right, up] = this.spanAngles;
      const side = right >= (box[0] + box[2]) / 2 ? box[2] + half : box[0] - half;
      pointAt(this.head, this.forward, side, THREE.MathUtils.clamp(up, ...CENTRE_DEGREES), BESIDE_DISTANCE, this.el.object3D.position);
      faceTowards(this.el.object3D, this.head);
      return;
    }
    const toSpan = this.target.sub(this.head);
    const distance = Math.min(Math.max(toSpan.length() - 0.4, NEAREST), FARTHEST);
    if (toSpan.lengthSq() < 1e-6) this.el.sceneEl.camera.getWorldDirection(toSpan); // standing inside the span
    toSpan.normalize();
    this.aside.set(-toSpan.z, 0, toSpan.x).normalize(); // right of the line of sight, level
    const position = this.el.object3D.position;
    position.copy(this.head).addScaledVector(toSpan, distance).addScaledVector(this.aside, ASIDE);
    position.y = Math.min(Math.max(position.y, this.head.y - 0.5), this.head.y + 0.1);
    faceTowards(this.el.object3D, this.head);
  },
});

function keyValue(key, value) {
  const text = formatValue(value);
  return `${key} = ${text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS)}…` : text}`;
}
