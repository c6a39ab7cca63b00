// The services scene's key: what a node's colour says (the share of its spans with errors, on the
// scale the server sent in the scene) and that the red diamond marks the services with errors.
// Shown only in the services scene, at the bottom edge where the span scenes show their legend.
import { h } from "../data/format.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("error-scale-key", {
  schema: { key: { type: "selector", default: "#error-key" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.onScene = () => this.render();
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-scene": this.onScene });
    this.render();
  },

  remove() {
    this.unlistenScene();
  },

  render() {
    const stops = this.system.scene?.error_scale;
    const key = this.data.key;
    key.hidden = !stops?.length;
    if (key.hidden) return;
    const label = (ratio, i) => (ratio === 0 ? "none" : i === 1 ? `≤ ${ratio * 100} %` : i === stops.length - 1 ? `≥ ${ratio * 100} %` : `${ratio * 100} %`);
    key.replaceChildren(
      h("span", { class: "title" }, "spans with errors"),
      ...stops.map(([ratio, color], i) => h("span", { class: "stop" }, h("span", { class: "swatch round", style: { background: color } }), label(ratio, i))),
      h("span", { class: "stop" }, h("span", { class: "marker", "aria-hidden": "true" }, "◆"), "has errors"),
    );
  },
});
