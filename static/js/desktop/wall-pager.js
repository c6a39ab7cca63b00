// The wall's pager in the bottom bar (shown when the wall has more than one page of traces),
// and Page Up / Page Down: newer and older pages (the wrist menu turns them in a headset).
import { releaseFocusAfterClick } from "../data/format.js";
import { turnWallPage, wallPageText } from "../data/wall-pages.js";

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
    this.onKey = (event) => {
      if (!AFRAME.utils.shouldCaptureKeyEvent(event)) return;
      if (event.key === "PageDown") turnWallPage(this.system, 1);
      else if (event.key === "PageUp") turnWallPage(this.system, -1);
      else return;
      event.preventDefault();
    };
    this.onScene = () => this.render();
    this.el.sceneEl.addEventListener("vrmon-scene", this.onScene);
    window.addEventListener("keydown", this.onKey);
    this.render();
  },

  remove() {
    this.el.sceneEl.removeEventListener("vrmon-scene", this.onScene);
    window.removeEventListener("keydown", this.onKey);
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
