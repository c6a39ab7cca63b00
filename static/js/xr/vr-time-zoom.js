// The headset's time zoom on the waterfall: a thumbstick moved while its controller's laser is on
// a bar zooms the time axis about the time under the laser (pushed forward: in, pulled back: out)
// or pans it (left / right), as the desktop's wheel and drag do (data/time-window.js; the server
// lays out each window). The stick keeps zooming until it is let go, even when the bars move out
// from under the laser. vr-locomotion leaves that stick alone meanwhile; with the laser anywhere
// else the stick walks, turns and teleports as before.
import { listen } from "../listen.js";
import { shareOfX } from "../data/time-axis.js";

const THREE = AFRAME.THREE;
const DEADZONE = 0.25;
const ZOOM_PER_SECOND = Math.log(4); // full deflection: a quarter of the time (or four times it) a second
const PAN_PER_SECOND = 0.6; // full deflection: 60 % of the time shown a second

AFRAME.registerComponent("vr-time-zoom", {
  dependencies: ["raycaster"],
  schema: { spans: { type: "selector", default: "[span-instances]" } },

  init() {
    this.window = this.el.sceneEl.systems["time-window"];
    this.stick = { x: 0, y: 0 };
    this.engaged = false; // the stick was moved with the laser on a bar, and is not let go yet
    this.f = 0.5; // where across the time axis the laser is (0 left, 1 right)
    this.inverse = new THREE.Matrix4();
    this.ray = new THREE.Ray();
    this.local = new THREE.Vector3();
    this.unlisten = listen(this.el, { thumbstickmoved: (event) => { this.stick.x = event.detail.x; this.stick.y = event.detail.y; } });
  },

  remove() {
    this.unlisten();
  },

  /** Whether this hand's thumbstick zooms the waterfall's time right now (not locomotion's). */
  isZooming() {
    return this.engaged || (this.window.axis() !== null && (this.el.components["vr-laser"]?.spanRow ?? -1) >= 0);
  },

  tick(time, delta) {
    const { x, y } = this.stick;
    const axis = this.window.axis();
    const raycaster = this.el.components.raycaster;
    const moved = Math.abs(x) >= DEADZONE || Math.abs(y) >= DEADZONE;
    this.engaged = moved && axis !== null && (this.engaged || this.isZooming());
    if (!this.engaged || !this.el.sceneEl.renderer?.xr.isPresenting) return;
    raycaster.updateOriginDirection();
    this.locate(raycaster.raycaster.ray, axis); // off the picture: the last point stays

    const seconds = Math.min(delta, 100) / 1000;
    if (Math.abs(y) >= DEADZONE && Math.abs(y) >= Math.abs(x)) {
      this.window.zoomAt(this.f, Math.exp(y * ZOOM_PER_SECOND * seconds)); // forward (y < 0) zooms in
    } else if (Math.abs(x) >= DEADZONE) {
      const [lo, hi] = this.window.shown();
      this.window.panTo(lo + x * PAN_PER_SECOND * seconds * (hi - lo), 0); // the left edge moves right for x > 0
    }
  },

  /** Where the laser meets the bars' plane across the time axis: sets `f` (0–1) if it does. */
  locate(worldRay, axis) {
    const spans = this.data.spans.object3D;
    this.ray.copy(worldRay).applyMatrix4(this.inverse.copy(spans.matrixWorld).invert());
    if (Math.abs(this.ray.direction.z) < 1e-6) return;
    const distance = -this.ray.origin.z / this.ray.direction.z;
    if (distance <= 0) return; // the plane is behind the controller
    this.ray.at(distance, this.local);
    this.f = Math.min(Math.max(shareOfX(axis, this.local.x), 0), 1);
  },
});
