// Desktop mouse on the span instances: the span under the pointer is the system's hovered node
// (span-instances lightens it, the tooltip names it), a click that was not a drag selects it.
// Picking happens at most once per frame, and only after the pointer moved.
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const CLICK_SLOP_PX = 5; // a press that moves further than this is a look-drag, not a click

AFRAME.registerComponent("span-pointer", {
  dependencies: ["span-instances"],

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.instances = this.el.components["span-instances"];
    this.raycaster = new THREE.Raycaster();
    this.raycaster.firstHitOnly = true; // only the nearest span matters; the spans' BVH stops early
    this.ndc = new THREE.Vector2();
    this.hits = [];
    this.pointer = { x: 0, y: 0, inside: false, moved: false };
    this.press = null;

    this.onMove = (event) => {
      this.pointer.x = event.clientX;
      this.pointer.y = event.clientY;
      this.pointer.inside = true;
      this.pointer.moved = true;
    };
    this.onLeave = () => {
      this.pointer.inside = false;
      this.pointer.moved = true;
    };
    // Rows move when nodes change: pick again on the next frame.
    this.onNodes = () => { this.pointer.moved = true; };
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-nodes": this.onNodes });
    this.onDown = (event) => { this.press = { x: event.clientX, y: event.clientY }; };
    this.onUp = (event) => {
      const press = this.press;
      this.press = null;
      if (!press || Math.hypot(event.clientX - press.x, event.clientY - press.y) > CLICK_SLOP_PX) return;
      const id = this.pick(event.clientX, event.clientY);
      if (id !== null) this.system.activate(id);
    };

    const sceneEl = this.el.sceneEl;
    if (sceneEl.canvas) this.addListeners();
    else sceneEl.addEventListener("render-target-loaded", () => this.addListeners(), { once: true });
  },

  addListeners() {
    this.canvas = this.el.sceneEl.canvas;
    this.canvas.addEventListener("mousemove", this.onMove);
    this.canvas.addEventListener("mouseleave", this.onLeave);
    this.canvas.addEventListener("mousedown", this.onDown);
    this.canvas.addEventListener("mouseup", this.onUp);
  },

  remove() {
    this.unlistenScene();
    if (!this.canvas) return;
    this.canvas.removeEventListener("mousemove", this.onMove);
    this.canvas.removeEventListener("mouseleave", this.onLeave);
    this.canvas.removeEventListener("mousedown", this.onDown);
    this.canvas.removeEventListener("mouseup", this.onUp);
  },

  /** Node id of the nearest span under a point in CSS pixels, or null. */
  pick(clientX, clientY) {
    const mesh = this.instances.spans;
    if (!mesh.count) return null;
    const rect = this.canvas.getBoundingClientRect();
    this.ndc.set(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
    this.raycaster.setFromCamera(this.ndc, this.el.sceneEl.camera);
    this.hits.length = 0;
    mesh.raycast(this.raycaster, this.hits);
    if (!this.hits.length) return null;
    let nearest = this.hits[0];
    for (const hit of this.hits) if (hit.distance < nearest.distance) nearest = hit;
    return this.system.nodes.ids[nearest.instanceId];
  },

  tick() {
    if (!this.pointer.moved || this.press) return; // no hover churn while dragging the view
    this.pointer.moved = false;
    const id = this.pointer.inside ? this.pick(this.pointer.x, this.pointer.y) : null;
    this.canvas.style.cursor = id === null ? "" : "pointer";
    this.system.setHover(id, this.pointer.x, this.pointer.y);
  },
});
