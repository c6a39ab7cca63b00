// Service → colour, for the services drawn in the current view only (a wall page, one trace),
// in the bottom bar; its button or L folds it away and back. Framing keeps the scene above it.
import { h, releaseFocusAfterClick } from "../data/format.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("service-legend", {
  schema: { panel: { type: "selector", default: "#legend" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    const panel = this.data.panel;
    this.list = panel.querySelector("ul");
    this.count = panel.querySelector(".count");
    this.toggle = panel.querySelector(".toggle");
    this.shown = ""; // the names listed, to skip redrawing an unchanged legend on every delta
    this.toggle.addEventListener("click", (event) => {
      releaseFocusAfterClick(event);
      this.setCollapsed(!panel.classList.contains("collapsed"));
    });
    this.unbindKeys = bindKeys({ legend: () => this.setCollapsed(!panel.classList.contains("collapsed")) });
    this.onChange = () => this.system.sceneWork(() => this.render());
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-services": this.onChange, "vrmon-nodes": this.onChange });
    this.render();
  },

  remove() {
    this.unlistenScene();
    this.unbindKeys();
  },

  setCollapsed(collapsed) {
    this.data.panel.classList.toggle("collapsed", collapsed);
    this.toggle.setAttribute("aria-expanded", String(!collapsed));
  },

  /** Indices of the services with a node in the view now. */
  servicesOnShow() {
    const { service, count } = this.system.nodes;
    const seen = new Uint8Array(this.system.services.length);
    for (let row = 0; row < count; row++) if (service[row] < seen.length) seen[service[row]] = 1;
    return seen;
  },

  render() {
    const { services, serviceColors, scene } = this.system;
    // Only span scenes colour by service; the services scene colours by error rate.
    const onShow = scene?.layout === "services" ? new Uint8Array(0) : this.servicesOnShow();
    const entries = [];
    onShow.forEach((shown, index) => { if (shown && serviceColors[index]) entries.push([services[index], serviceColors[index]]); });
    entries.sort((a, b) => a[0].localeCompare(b[0]));
    const key = entries.map((entry) => entry.join("=")).join("|");
    if (key === this.shown) return;
    this.shown = key;
    this.list.replaceChildren(...entries.map(([name, color]) =>
      h("li", {}, h("span", { class: "swatch", style: { background: color } }), name)));
    this.count.textContent = String(entries.length);
    this.data.panel.hidden = entries.length === 0;
  },
});
