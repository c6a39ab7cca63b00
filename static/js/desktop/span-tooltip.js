// A small label next to the pointer naming the hovered span.
import { FLAG } from "../data/protocol.js";
import { listen } from "../listen.js";

const OFFSET_PX = 14;

AFRAME.registerComponent("span-tooltip", {
  schema: { tip: { type: "selector", default: "#tooltip" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.onHover = (event) => this.show(event.detail);
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-hover": this.onHover });
  },

  remove() {
    this.unlistenScene();
  },

  show({ row, x, y }) {
    const tip = this.data.tip;
    const { nodes } = this.system;
    if (row === -1) {
      tip.hidden = true;
      return;
    }
    const error = nodes.flags[row] & FLAG.error ? " — error" : "";
    tip.textContent = `${this.system.nodeLabel(row)}${error}`;
    tip.style.transform = `translate(${x + OFFSET_PX}px, ${y + OFFSET_PX}px)`;
    tip.hidden = false;
  },
});
