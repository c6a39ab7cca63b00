// Desktop time zoom on the waterfall (the server lays out each window, data/time-window.js):
//   wheel over the bars and ruler   zoom the time axis about the time under the pointer
//   ctrl+wheel (trackpad pinch)     the same, anywhere over the waterfall
//   shift+wheel, sideways scroll    pan time
//   drag on the bars and ruler      pan time, once zoomed (the time grabbed stays under the pointer)
//   + / −                           zoom in / out about the middle
//   R, Home, Reset view             back to the whole trace and the framing view (camera-navigation)
// Elsewhere, and in the other scenes, the wheel moves the camera and a drag (or shift+drag
// anywhere, or any drag while the whole trace is shown) looks around, as before
// (camera-navigation, look-controls). The camera never moves
// on a zoom: only the bars, summaries and ruler are laid out again.
import { shareOfX, timeAt } from "../data/time-axis.js";
import { bindKeys } from "./keymap.js";

const THREE = AFRAME.THREE;
const WHEEL_ZOOM = 0.0015; // per wheel pixel: a mouse notch (100 px) zooms about 16 %
const PINCH_ZOOM = 0.01; // per pinch pixel (ctrl+wheel deltas are small)
const KEY_ZOOM = 2; // + halves the time shown, − doubles it
const DRAG_SLOP_PX = 5; // a press that moves less is a click (span-pointer selects)
const LINE_PX = 16; // wheel deltas given in lines or pages, in pixels
const PAGE_PX = 400;

AFRAME.registerComponent("time-zoom", {
  schema: {
    spans: { type: "selector", default: "[span-instances]" }, // the bars' entity: its local x is the time axis
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.window = this.el.sceneEl.systems["time-window"];
    this.raycaster = new THREE.Raycaster();
    this.ndc = new THREE.Vector2();
    this.inverse = new THREE.Matrix4();
    this.ray = new THREE.Ray();
    this.local = new THREE.Vector3();
    this.point = { f: 0, y: 0, on: false }; // the last pointer position on the picture
    this.drag = null;

    this.onWheel = (event) => this.wheel(event);
    this.onDown = (event) => this.press(event);
    this.onMove = (event) => this.move(event);
    this.onUp = () => this.release();
    // false: no time axis on show, the key was not used
    this.unbindKeys = bindKeys({
      zoomIn: () => Boolean(this.window.axis()) && (this.window.zoomAt(0.5, 1 / KEY_ZOOM), true),
      zoomOut: () => Boolean(this.window.axis()) && (this.window.zoomAt(0.5, KEY_ZOOM), true),
    });
    const sceneEl = this.el.sceneEl;
    if (sceneEl.canvas) this.addListeners();
    else sceneEl.addEventListener("render-target-loaded", () => this.addListeners(), { once: true });
  },

  addListeners() {
    this.canvas = this.el.sceneEl.canvas;
    // Capturing: these run before camera-navigation's wheel and look-controls' press on the canvas.
    this.canvas.addEventListener("wheel", this.onWheel, { capture: true, passive: false });
    this.canvas.addEventListener("mousedown", this.onDown, { capture: true });
  },

  remove() {
    this.canvas?.removeEventListener("wheel", this.onWheel, { capture: true });
    this.canvas?.removeEventListener("mousedown", this.onDown, { capture: true });
    this.unbindKeys();
    this.release();
  },

  /** Where the pointer meets the picture's plane: `f` across the time axis (0–1 on it), `on` the bars and ruler. */
  locate(clientX, clientY) {
    const axis = this.window.axis();
    const frame = this.system.scene?.frame;
    this.point.on = false;
    if (!axis || !frame || this.el.sceneEl.is("vr-mode")) return this.point;
    const rect = this.canvas.getBoundingClientRect();
    this.ndc.set(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
    this.raycaster.setFromCamera(this.ndc, this.el.sceneEl.camera);
    const spans = this.data.spans.object3D;
    spans.updateMatrixWorld();
    this.ray.copy(this.raycaster.ray).applyMatrix4(this.inverse.copy(spans.matrixWorld).invert());
    if (Math.abs(this.ray.direction.z) < 1e-6) return this.point; // looking along the picture
    this.ray.at(-this.ray.origin.z / this.ray.direction.z, this.local); // the plane z = 0 of the bars
    this.point.f = shareOfX(axis, this.local.x);
    this.point.y = this.local.y;
    this.point.on = this.point.f >= 0 && this.point.f <= 1 && this.local.y >= frame[1] && this.local.y <= frame[4];
    return this.point;
  },

  wheel(event) {
    const { f, on } = this.locate(event.clientX, event.clientY);
    if (!on && !(event.ctrlKey && this.window.axis())) return; // camera-navigation's wheel moves the camera
    event.preventDefault();
    const unit = event.deltaMode === 1 ? LINE_PX : event.deltaMode === 2 ? PAGE_PX : 1;
    const sideways = event.shiftKey ? event.deltaY || event.deltaX : Math.abs(event.deltaX) > Math.abs(event.deltaY) ? event.deltaX : 0;
    if (sideways) { // pan: a wheel pixel moves the time by a pixel's worth of the canvas width
      const shown = this.window.shown();
      this.window.panTo(shown[0] + ((sideways * unit) / (this.canvas.clientWidth || 1)) * (shown[1] - shown[0]), 0);
      return;
    }
    const rate = event.ctrlKey ? PINCH_ZOOM : WHEEL_ZOOM;
    this.window.zoomAt(Math.min(Math.max(f, 0), 1), Math.exp(event.deltaY * unit * rate));
  },

  press(event) {
    if (event.button !== 0 || event.shiftKey) return; // shift+drag looks around anywhere
    const { f, on } = this.locate(event.clientX, event.clientY);
    if (!on || !this.window.zoomed()) return; // the whole trace has no time to pan to
    // the time grabbed, on the axis shown now; look-controls sits this drag out
    this.drag = { x: event.clientX, y: event.clientY, u: timeAt(this.window.axis(), f), panning: false };
    this.el.sceneEl.camera.el.setAttribute("look-controls", "mouseEnabled", false);
    window.addEventListener("mousemove", this.onMove);
    window.addEventListener("mouseup", this.onUp);
  },

  move(event) {
    const drag = this.drag;
    if (!drag) return;
    if (!drag.panning && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) <= DRAG_SLOP_PX) return;
    drag.panning = true;
    this.canvas.style.cursor = "grabbing";
    const { f } = this.locate(event.clientX, event.clientY);
    if (this.window.axis()) this.window.panTo(drag.u, f);
  },

  release() {
    window.removeEventListener("mousemove", this.onMove);
    window.removeEventListener("mouseup", this.onUp);
    if (!this.drag) return;
    this.drag = null;
    this.canvas.style.cursor = "";
    this.el.sceneEl.camera?.el.setAttribute("look-controls", "mouseEnabled", true);
  },
});
