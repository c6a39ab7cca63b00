// The top bar's scene buttons: one per scene the server offers (the snapshot's scene catalogue),
// the current one marked; a click asks the server for that scene.
import { h, releaseFocusAfterClick } from "../data/format.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("scene-switcher", {
  schema: { container: { type: "selector", default: "#scene-switcher" } },

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
    const scene = this.system.scene;
    const scenes = Array.isArray(scene?.scenes) ? scene.scenes : [];
    this.data.container.replaceChildren(...scenes.map(({ name, description }) => h("button", {
      type: "button",
      class: "scene",
      "data-scene": name,
      "aria-current": name === scene.name ? "true" : null,
      title: description || name,
      onclick: (event) => {
        releaseFocusAfterClick(event);
        if (name !== this.system.scene?.name) this.system.switchScene({ scene: name });
      },
    }, name)));
    this.data.container.hidden = scenes.length < 2;
  },
});
