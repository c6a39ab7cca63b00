// The span colours' switch and key in the span scenes: a button in the ⋯ menu (or C) turns
// "colour by duration percentile" on and off; only while it is on does the bottom bar show the
// scale saying what each colour means (the rank among spans of the same service and operation the
// server holds) — an always-shown switch there took the legend a row and the scene its height.
// Hidden in the services scene, whose nodes are services.
import { h, releaseFocusAfterClick } from "../data/format.js";
import { PERCENTILE_SCALE } from "../data/colour-mode.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

const TICKS = [0, 50, 99]; // labelled under the scale (p75 and p90 are stops too, too close to label)
const GRADIENT = `linear-gradient(to right, ${PERCENTILE_SCALE.map(([rank, colour]) => `${colour} ${rank}%`).join(", ")})`;

AFRAME.registerComponent("colour-key", {
  schema: {
    key: { type: "selector", default: "#colour-key" },
    button: { type: "selector", default: "#percentile-toggle" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.colours = this.el.sceneEl.systems["vrmon-colour"];
    const key = this.data.key;
    this.button = this.data.button;
    this.unlistenButton = listen(this.button, {
      click: (event) => {
        releaseFocusAfterClick(event);
        this.colours.toggle();
      },
    });
    this.scale = h("span", { class: "scale", "aria-label": "duration percentile within service and operation: p0 fastest, p99 slowest" },
      h("span", { class: "bar", style: { background: GRADIENT } }),
      h("span", { class: "ticks", "aria-hidden": "true" }, ...TICKS.map((rank) => h("span", { style: { left: `${rank}%` } }, `p${rank}`))));
    key.replaceChildren(this.scale);
    this.unbindKeys = bindKeys({ percentileColours: () => this.colours.toggle() });
    this.render = this.render.bind(this);
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-colours": this.render, "vrmon-scene": this.render });
    this.render();
  },

  remove() {
    this.unbindKeys();
    this.unlistenButton();
    this.unlistenScene();
  },

  render() {
    const layout = this.system.scene?.layout;
    const on = this.colours.mode === "percentile";
    const spans = Boolean(layout) && layout !== "services";
    this.button.hidden = !spans;
    this.button.setAttribute("aria-pressed", String(on));
    this.data.key.hidden = !spans || !on;
  },
});
