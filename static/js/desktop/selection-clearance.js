// A selected span's details panel never covers the span it describes, nor most of the scene: on a
// screen, when the view is still the framing view (the viewer has not moved it), opening or
// closing the panel frames the scene again in the space the panel leaves (or gives back).
// Otherwise, when the panel opens over the span, the view slides sideways (the camera moves along
// its own right vector, its angle unchanged) until the span sits in the middle of the space left
// of the panel. Only the user's selection (or closing) moves the view, never a live update; in a
// headset the panel opens beside the span.
import { viewInsets } from "./view-insets.js";
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const MARGIN_PX = 16;

AFRAME.registerComponent("selection-clearance", {
  schema: {
    panel: { type: "selector", default: "#span-panel" },
    leftPanel: { type: "selector", default: "#trace-list" },
    camera: { type: "selector", default: "#camera" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.centre = new THREE.Vector3();
    this.corner = new THREE.Vector3();
    this.right = new THREE.Vector3();
    this.onSelection = (event) => {
      const { id, gone } = event.detail;
      if (gone || this.el.sceneEl.renderer?.xr.isPresenting) return;
      // the panel opens (or closes) in this same event: measure once it is laid out
      requestAnimationFrame(() => (id === null ? this.giveRoomBack() : this.clear(id)));
    };
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-selection": this.onSelection });
  },

  remove() {
    this.unlistenScene();
  },

  /** The panel closed: a view framed around it is framed again in the whole canvas. */
  giveRoomBack() {
    const navigation = this.navigation();
    if (this.data.panel.hidden && navigation?.atFramedView()) this.reframe(navigation);
  },

  reframe(navigation) {
    navigation.frameView();
    this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
  },

  navigation() {
    return this.data.camera.components["camera-navigation"];
  },

  /** Frame the scene beside the open panel, or slide the view if node `id` lies under the panel. */
  clear(id) {
    const panel = this.data.panel;
    const row = this.system.nodes.rowOf.get(id);
    if (panel.hidden || row === undefined || this.system.selectedId !== id) return;
    const navigation = this.navigation();
    if (navigation?.atFramedView()) {
      this.reframe(navigation);
      return;
    }
    const camera = this.el.sceneEl.camera;
    const canvas = this.el.sceneEl.canvas;
    const rect = canvas.getBoundingClientRect();
    const span = this.screenBox(row, camera, rect);
    const box = panel.getBoundingClientRect();
    if (!span || span.right < box.left - MARGIN_PX || span.left > box.right || span.bottom < box.top || span.top > box.bottom) return;
    const left = viewInsets(canvas, { left: this.data.leftPanel }).left;
    // the span's start stays in view when it is wider than the free space
    const target = Math.max((left + box.left) / 2, left + MARGIN_PX + (span.right - span.left) / 2);
    const shiftPx = (span.left + span.right) / 2 - target;
    if (shiftPx <= 0) return;
    // metres per pixel at the span's distance along the view
    const depth = this.centre.copy(this.corner).applyMatrix4(camera.matrixWorldInverse).z;
    const metresPerPx = (2 * Math.abs(depth) * Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2) * camera.aspect) / rect.width;
    this.right.setFromMatrixColumn(camera.matrixWorld, 0);
    this.data.camera.object3D.position.addScaledVector(this.right, shiftPx * metresPerPx);
    this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
  },

  /** Page box (CSS px) of node `row`'s bar, or null when it is behind the camera; leaves its world centre in this.corner. */
  screenBox(row, camera, rect) {
    const { pos, size } = this.system.nodes;
    const world = document.querySelector("[span-instances]").object3D.matrixWorld; // the grabbable world
    camera.updateMatrixWorld();
    const box = { left: Infinity, right: -Infinity, top: Infinity, bottom: -Infinity };
    for (let k = 0; k < 8; k++) {
      this.corner.set(
        pos[row * 3] + ((k & 1) - 0.5) * size[row * 3],
        pos[row * 3 + 1] + (((k >> 1) & 1) - 0.5) * size[row * 3 + 1],
        pos[row * 3 + 2] + (((k >> 2) & 1) - 0.5) * size[row * 3 + 2],
      ).applyMatrix4(world).project(camera);
      if (this.corner.z > 1) return null;
      const x = rect.left + ((this.corner.x + 1) / 2) * rect.width;
      const y = rect.top + ((1 - this.corner.y) / 2) * rect.height;
      box.left = Math.min(box.left, x); box.right = Math.max(box.right, x);
      box.top = Math.min(box.top, y); box.bottom = Math.max(box.bottom, y);
    }
    this.corner.fromArray(pos, row * 3).applyMatrix4(world);
    return box;
  },
});
