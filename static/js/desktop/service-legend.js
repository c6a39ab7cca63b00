// Service → colour, for the services drawn in the current view only (a wall page, one trace),
// in the bottom bar; its button or L folds it away and back, and "+N more" unfolds the names past
// its first two rows. Framing keeps the scene above it.
import { releaseFocusAfterClick } from "../data/format.js";
import { fitLegend, legendEntries, showLegend } from "./legend-entries.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("service-legend", {
  schema: { panel: { type: "selector", default: "#legend" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    const panel = this.data.panel;
    this.toggle = panel.querySelector(".toggle");
    this.shown = ""; // the names listed, to skip redrawing an unchanged legend on every delta
    this.toggle.addEventListener("click", (event) => {
      releaseFocusAfterClick(event);
      this.setCollapsed(!panel.classList.contains("collapsed"));
    });
    panel.querySelector(".more").addEventListener("click", (event) => {
      releaseFocusAfterClick(event);
      panel.classList.toggle("unfolded");
      fitLegend(panel);
    });
    // the list's width changes its rows (the trace list folding, a resized page): count them again
    this.resized = new ResizeObserver(() => fitLegend(panel));
    this.resized.observe(panel.querySelector("ul"));
    this.unbindKeys = bindKeys({ legend: () => this.setCollapsed(!panel.classList.contains("collapsed")) });
    this.onChange = () => this.system.sceneWork(() => this.render());
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-services": this.onChange, "vrmon-nodes": this.onChange });
    this.render();
  },

  remove() {
    this.resized.disconnect();
    this.unlistenScene();
    this.unbindKeys();
  },

  setCollapsed(collapsed) {
    this.data.panel.classList.toggle("collapsed", collapsed);
    this.toggle.setAttribute("aria-expanded", String(!collapsed));
    fitLegend(this.data.panel);
  },

  render() {
    const { services, serviceColors, scene, nodes } = this.system;
    const entries = legendEntries({ services, serviceColors, layout: scene?.layout, nodes });
    const key = entries.map((entry) => entry.join("=")).join("|");
    if (key === this.shown) return;
    this.shown = key;
    showLegend(this.data.panel, entries);
  },
});
