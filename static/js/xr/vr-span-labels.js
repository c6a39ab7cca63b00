// Names above the spans nearest the viewer, and above the selected one, in the headset only
// (not in the services scene: service-labels names the services there).
// A fixed pool of SDF texts, batched into one draw call, is reassigned a few times a second,
// so the cost stays the same whatever the number of spans. Each name keeps the same visual
// angle (TEXT_DEGREES) however far it is and however the scene is scaled, and names never
// overlap as the viewer sees them: the selected span's name first, then the nearest spans'
// in order of distance, each only where its box (in degrees around the head) is still free.
import { BatchedText } from "troika-three-text";
import { createText, setText } from "./text.js";
import { overlapsAny } from "../scene/label-placement.js";
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const SHOWN_COUNT = 8; // names at most besides the selected span's
const CANDIDATE_COUNT = 24; // the nearest spans tried for them
const REFRESH_MS = 300;
const TEXT_METRES = 0.05; // the texts' font size before scaling to their distance
const TEXT_DEGREES = 1.4; // letter height as seen (≥ 1.2°: about 2.4 cm at 1 m)
const CHAR_EM = 0.62; // a generous average glyph width, in font sizes (Inter), for the boxes
const LINE_EM = 1.25; // a line's height, in font sizes
const MARGIN_DEGREES = 0.3; // kept free around each name
const LIFT_METRES = 0.06; // gap above the bar

AFRAME.registerComponent("vr-span-labels", {
  dependencies: ["span-instances"],

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.group = new BatchedText();
    this.group.raycast = () => {}; // labels are not for pointing at: the span under them is
    this.group.frustumCulled = false; // troika typesets the batch just before it is drawn
    this.texts = Array.from({ length: SHOWN_COUNT + 1 }, () => {
      const text = createText({ size: TEXT_METRES, anchorX: "center", anchorY: "bottom", color: "#e6edf3" });
      text.userData.row = -1;
      this.group.add(text);
      return text;
    });
    this.group.visible = false;
    this.el.setObject3D("vr-labels", this.group);
    // Scratch state reused every refresh.
    this.head = new THREE.Vector3();
    this.inverse = new THREE.Matrix4();
    this.worldScale = new THREE.Vector3();
    this.toView = new THREE.Matrix4();
    this.point = new THREE.Vector3();
    this.nearestRows = new Int32Array(CANDIDATE_COUNT);
    this.nearestDistances = new Float64Array(CANDIDATE_COUNT);
    this.boxes = new Float32Array((SHOWN_COUNT + 1) * 4); // the shown names' boxes, degrees around the head
    this.box = new Float32Array(4);
    this.nextRefresh = 0;
    this.onSelection = () => { this.nextRefresh = 0; };
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-selection": this.onSelection });
  },

  remove() {
    this.unlistenScene();
    this.el.removeObject3D("vr-labels");
    for (const text of this.texts) text.dispose();
    this.group.dispose();
  },

  tick(time) {
    // the services scene names every service it can itself (service-labels)
    const presenting = (this.el.sceneEl.renderer?.xr.isPresenting ?? false) && this.system.scene?.layout !== "services";
    this.group.visible = presenting;
    if (!presenting) return;
    this.el.sceneEl.camera.getWorldPosition(this.head);
    this.inverse.copy(this.el.object3D.matrixWorld).invert();
    this.head.applyMatrix4(this.inverse); // the head in the spans' own coordinates
    if (time >= this.nextRefresh) {
      this.nextRefresh = time + REFRESH_MS;
      this.assign();
    }
    this.el.object3D.getWorldScale(this.worldScale);
    const perMetre = Math.tan(THREE.MathUtils.degToRad(TEXT_DEGREES)) / TEXT_METRES / Math.max(this.worldScale.x, 1e-6);
    for (const text of this.texts) {
      if (text.userData.row < 0) continue;
      // the same angle at any distance: letters TEXT_DEGREES tall as seen from the head
      const distance = text.position.distanceTo(this.head) * this.worldScale.x;
      text.scale.setScalar(distance * perMetre);
      text.rotation.set(0, Math.atan2(this.head.x - text.position.x, this.head.z - text.position.z), 0);
    }
  },

  /** Label the selected span, then the nearest others whose names find room. */
  assign() {
    const { nodes, selectedId } = this.system;
    const selectedRow = selectedId === null ? -1 : nodes.rowOf.get(selectedId) ?? -1;
    const found = this.findNearest(selectedRow);
    const camera = this.el.sceneEl.renderer.xr.getCamera();
    this.toView.multiplyMatrices(camera.matrixWorldInverse, this.el.object3D.matrixWorld);
    let placed = 0;
    if (selectedRow >= 0 && this.boxOf(selectedRow)) this.boxes.set(this.box, placed++ * 4);
    this.label(this.texts[0], selectedRow);
    let next = 1;
    for (let i = 0; i < found && next <= SHOWN_COUNT; i++) {
      const row = this.nearestRows[i];
      if (!this.boxOf(row) || overlapsAny(this.box, this.boxes, placed)) continue;
      this.boxes.set(this.box, placed++ * 4);
      this.label(this.texts[next++], row);
    }
    for (; next <= SHOWN_COUNT; next++) this.label(this.texts[next], -1);
  },

  /**
   * The box a row's name takes as seen from the head, into this.box: x0, y0, x1, y1 in degrees
   * right of and below straight ahead, with a margin. False when it is behind the head.
   */
  boxOf(row) {
    const { pos, size } = this.system.nodes;
    const p = this.point.set(pos[row * 3], pos[row * 3 + 1] + size[row * 3 + 1] / 2 + LIFT_METRES, pos[row * 3 + 2]).applyMatrix4(this.toView);
    if (p.z > -0.05) return false;
    const degrees = THREE.MathUtils.radToDeg;
    const across = degrees(Math.atan2(p.x, -p.z)), up = degrees(Math.atan2(p.y, Math.hypot(p.x, p.z)));
    const halfWidth = this.system.nodeLabel(row).length * CHAR_EM * TEXT_DEGREES / 2;
    // anchored at its bottom centre, above the bar
    this.box[0] = across - halfWidth - MARGIN_DEGREES;
    this.box[1] = -(up + LINE_EM * TEXT_DEGREES) - MARGIN_DEGREES;
    this.box[2] = across + halfWidth + MARGIN_DEGREES;
    this.box[3] = -up + MARGIN_DEGREES;
    return true;
  },

  /** Fill nearestRows with the rows closest to the head (skipping one row); returns how many. */
  findNearest(skipRow) {
    const { pos, count } = this.system.nodes;
    const rows = this.nearestRows, distances = this.nearestDistances;
    let found = 0;
    const { x, y, z } = this.head;
    for (let row = 0; row < count; row++) {
      if (row === skipRow) continue;
      const dx = pos[row * 3] - x, dy = pos[row * 3 + 1] - y, dz = pos[row * 3 + 2] - z;
      const d = dx * dx + dy * dy + dz * dz;
      if (found === CANDIDATE_COUNT && d >= distances[found - 1]) continue;
      // Insertion into the short sorted list.
      let i = found < CANDIDATE_COUNT ? found++ : found - 1;
      while (i > 0 && distances[i - 1] > d) {
        distances[i] = distances[i - 1];
        rows[i] = rows[i - 1];
        i--;
      }
      distances[i] = d;
      rows[i] = row;
    }
    return found;
  },

  label(text, row) {
    if (row < 0) {
      text.userData.row = -1;
      setText(text, ""); // members of a batch are always drawn: an unused one says nothing
      return;
    }
    const { pos, size } = this.system.nodes;
    text.position.set(pos[row * 3], pos[row * 3 + 1] + size[row * 3 + 1] / 2 + LIFT_METRES, pos[row * 3 + 2]);
    if (text.userData.row === row && text.userData.id === this.system.nodes.ids[row]) return;
    text.userData.row = row;
    text.userData.id = this.system.nodes.ids[row];
    setText(text, this.system.nodeLabel(row));
  },
});
