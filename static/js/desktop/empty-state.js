// A card in the middle of the view when there are no traces: what happened and what to do
// (the file was empty, waiting for Jaeger, no source), instead of an empty grid.
import { emptyMessage } from "../data/empty-message.js";
import { h } from "../data/format.js";

AFRAME.registerComponent("empty-state", {
  schema: { card: { type: "selector", default: "#empty-state" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.onChange = () => this.render();
    for (const name of ["vrmon-scene", "vrmon-status", "enter-vr", "exit-vr"]) this.el.sceneEl.addEventListener(name, this.onChange);
    this.render();
  },

  remove() {
    for (const name of ["vrmon-scene", "vrmon-status", "enter-vr", "exit-vr"]) this.el.sceneEl.removeEventListener(name, this.onChange);
  },

  render() {
    const message = this.el.sceneEl.is("vr-mode") ? null : emptyMessage(this.system); // the headset has its own
    this.data.card.hidden = !message;
    if (!message) return;
    this.data.card.replaceChildren(h("strong", {}, message.title),
      ...message.parts.map((part) => (typeof part === "string" ? part : h("code", {}, part.code))));
  },
});
