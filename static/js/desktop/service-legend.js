// Service → colour, for the services drawn in the current scene.
import { h } from "../data/format.js";

AFRAME.registerComponent("service-legend", {
  schema: { list: { type: "selector", default: "#legend" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.onServices = () => this.render();
    this.el.sceneEl.addEventListener("vrmon-services", this.onServices);
    this.render();
  },

  remove() {
    this.el.sceneEl.removeEventListener("vrmon-services", this.onServices);
  },

  render() {
    const { services, serviceColors, scene } = this.system;
    const items = [];
    // Only span scenes colour by service; the services scene colours by error rate.
    const byService = scene?.layout === "services" ? [] : serviceColors;
    byService.forEach((color, index) => {
      if (color) items.push(h("li", {}, h("span", { class: "swatch", style: { background: color } }), services[index]));
    });
    items.sort((a, b) => a.textContent.localeCompare(b.textContent));
    this.data.list.replaceChildren(...items);
    this.data.list.hidden = items.length === 0;
  },
});
