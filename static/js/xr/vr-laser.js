// What one controller's laser (A-Frame's laser-controls + raycaster) points at, and what its
// trigger does there: a span is highlighted and the trigger selects it; a panel button lights
// up and the trigger presses it; a surface that is pressed where it is hit (its mesh's
// userData.pressAt(uv), say the overview strip) gets the point; over a scrollable panel the
// thumbstick scrolls it (and vr-locomotion leaves that stick alone). The raycaster only sees
// `.vr-pointable` entities.
import { listen } from "../listen.js";

const SCROLL_THRESHOLD = 0.6; // stick deflection that scrolls
const SCROLL_REPEAT_MS = 180; // held stick: one row per interval
const LINE_PICK_METRES = 0.01; // three.js picks lines within 1 m by default: far too loose here

AFRAME.registerComponent("vr-laser", {
  dependencies: ["raycaster"],
  schema: { spans: { type: "selector", default: "[span-instances]" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.el.components.raycaster.raycaster.params.Line.threshold = LINE_PICK_METRES;
    this.spanRow = -1; // instance row under the ray, -1 for none
    this.button = null; // panel button under the ray
    this.spot = null; // a mesh pressed where it is hit (userData.pressAt) under the ray, and where:
    this.spotUv = new AFRAME.THREE.Vector2();
    this.scrollable = null; // component with scrollBy(rows) under the ray
    this.stickY = 0;
    this.nextScrollAt = 0;
    // The ray is cast only while a controller is there: the desktop never pays for it.
    this.unlisten = listen(this.el, {
      controllerconnected: () => this.el.setAttribute("raycaster", "enabled", true),
      controllerdisconnected: () => {
        this.el.setAttribute("raycaster", "enabled", false);
        this.point(-1, null, null);
      },
      triggerdown: () => this.press(),
      thumbstickmoved: (event) => { this.stickY = event.detail.y; },
    });
  },

  remove() {
    this.unlisten();
    this.point(-1, null, null);
  },

  /** Whether this hand's thumbstick belongs to a panel right now (not to locomotion). */
  isScrolling() {
    return this.scrollable !== null;
  },

  press() {
    if (this.button) this.button.press();
    else if (this.spot) this.spot.userData.pressAt(this.spotUv);
    else if (this.spanRow >= 0) this.system.activate(this.system.nodes.ids[this.spanRow]);
  },

  tick(time) {
    const raycaster = this.el.components.raycaster;
    if (!raycaster.data.enabled) return;
    const spans = this.data.spans?.components["span-instances"]?.spans;
    let spanRow = -1, button = null, scrollable = null, spot = null;
    // Nearest first. Panels hide what is behind them; hidden objects and parts that are not
    // spans (error markers, the selection outline) let the ray through.
    for (const hit of raycaster.intersections) {
      if (!isShown(hit.object)) continue;
      if (hit.object === spans) {
        if (hit.instanceId >= spans.count) continue; // cast before a delta removed rows
        spanRow = hit.instanceId;
        break;
      }
      const surface = hit.object.userData.surface; // a panel's plates (see vr/panel-kit.js)
      if (surface) {
        button = surface.buttonAt(hit.instanceId);
        scrollable = hit.object.el.components["vr-span-panel"] ?? null;
        break;
      }
      if (hit.object.userData.pressAt && hit.uv) {
        spot = hit.object;
        this.spotUv.copy(hit.uv);
        break;
      }
    }
    this.spot = spot;
    this.point(spanRow, button, scrollable);
    this.scrollWithStick(time);
  },

  point(spanRow, button, scrollable) {
    // One span is pointed at a time: a hand takes it when it is free or its own, and lets it go
    // only if it is still its own (the other hand may hold it).
    const system = this.system;
    const hovered = system.hoveredRow;
    const ours = hovered >= 0 && hovered === this.spanRow;
    if (spanRow >= 0 && spanRow !== hovered && (hovered < 0 || ours)) system.setHover(system.nodes.ids[spanRow]);
    else if (spanRow < 0 && ours) system.setHover(null);
    this.spanRow = spanRow;
    if (button !== this.button) {
      this.button?.setHovered(false);
      button?.setHovered(true);
      this.button = button;
    }
    this.scrollable = scrollable;
  },

  scrollWithStick(time) {
    if (!this.scrollable || Math.abs(this.stickY) < SCROLL_THRESHOLD) {
      this.nextScrollAt = 0;
      return;
    }
    if (time < this.nextScrollAt) return;
    this.scrollable.scrollBy(this.stickY > 0 ? 1 : -1); // stick pulled back (+y) scrolls down
    this.nextScrollAt = time + SCROLL_REPEAT_MS;
  },
});

function isShown(object) {
  for (let node = object; node; node = node.parent) if (!node.visible) return false;
  return true;
}
