// The wall's pager in the bottom bar (shown when the wall has more than one page of traces),
// and Page Up / Page Down: newer and older pages (the wrist menu turns them in a headset).
import { releaseFocusAfterClick } from "../data/format.js";
import { turnWallPage, wallPageText } from "../data/wall-pages.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("wall-pager", {
  schema: { pager: { type: "selector", default: "#wall-pager" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    const pager = this.data.pager;
    this.newer = pager.querySelector(".newer");
    this.older = pager.querySelector(".older");
    this.page = pager.querySelector(".page");
    const turn = (step) => (event) => {
      releaseFocusAfterClick(event);
      turnWallPage(this.system, step);
    };
    this.newer.addEventListener("click", turn(-1));
    this.older.addEventListener("click", turn(1));
    this.unbindKeys = bindKeys({ olderPage: () => turnWallPage(this.system, 1), newerPage: () => turnWallPage(this.system, -1) });
    this.onScene = () => this.render();
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-scene": this.onScene });
    this.render();
  },

  remove() {
    this.unlistenScene();
    this.unbindKeys();
  },

  render() {
    const scene = this.system.scene;
    const pages = scene?.pages ?? 1;
    // One page needs no pager.
    this.data.pager.hidden = scene?.layout !== "wall" || pages < 2;
    this.page.textContent = wallPageText(scene);
    this.newer.disabled = !(scene?.page > 0);
    this.older.disabled = !((scene?.page ?? 0) < pages - 1);
  },
});
