// Names above the spans nearest the viewer, and above the selected one, in the headset only
// (not in the services scene: service-labels names the services there).
// A fixed pool of SDF texts, batched into one draw call, is reassigned a few times a second,
// so the cost stays the same whatever the number of spans; the texts keep a readable size
// however the scene is scaled.
import { BatchedText } from "troika-three-text";
import { createText, setText } from "./text.js";

const THREE = AFRAME.THREE;
const NEAREST_COUNT = 8;
const REFRESH_MS = 300;
const TEXT_METRES = 0.05; // letter height as seen, whatever the scene's scale
const LIFT_METRES = 0.06; // gap above the bar

AFRAME.registerComponent("vr-span-labels", {
  dependencies: ["span-instances"],

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.group = new BatchedText();
    this.group.raycast = () => {}; // labels are not for pointing at: the span under them is
    this.group.frustumCulled = false; // troika typesets the batch just before it is drawn
    this.texts = Array.from({ length: NEAREST_COUNT + 1 }, () => {
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
    this.nearestRows = new Int32Array(NEAREST_COUNT);
    this.nearestDistances = new Float64Array(NEAREST_COUNT);
    this.nextRefresh = 0;
    this.onSelection = () => { this.nextRefresh = 0; };
    this.el.sceneEl.addEventListener("vrmon-selection", this.onSelection);
  },

  remove() {
    this.el.sceneEl.removeEventListener("vrmon-selection", this.onSelection);
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
    const scale = 1 / Math.max(this.worldScale.x, 1e-6);
    for (const text of this.texts) {
      if (text.userData.row < 0) continue;
      text.scale.setScalar(scale);
      text.rotation.set(0, Math.atan2(this.head.x - text.position.x, this.head.z - text.position.z), 0);
    }
  },

  /** Label the selected span and the nearest others. */
  assign() {
    const { nodes, selectedId } = this.system;
    const selectedRow = selectedId === null ? -1 : nodes.rowOf.get(selectedId) ?? -1;
    const found = this.findNearest(selectedRow);
    this.label(this.texts[0], selectedRow);
    for (let i = 0; i < NEAREST_COUNT; i++) this.label(this.texts[i + 1], i < found ? this.nearestRows[i] : -1);
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
      if (found === NEAREST_COUNT && d >= distances[found - 1]) continue;
      // Insertion into the short sorted list.
      let i = found < NEAREST_COUNT ? found++ : found - 1;
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
