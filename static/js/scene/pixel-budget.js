// The 3D view's pixel ratio (pixel-ratio.js), kept whenever A-Frame sets it: at start, at every
// resize of the canvas, after a headset session (A-Frame ends one by setting the screen's full
// ratio again), and when the window moves to a screen of another ratio (a laptop's 2 to a desk
// monitor's 1: no resize comes then, only a change of the `resolution` media query). In a headset
// the ratio does not apply: the session's own framebuffer sets the resolution.
import { drawingRatio } from "./pixel-ratio.js";

AFRAME.registerSystem("pixel-budget", {
  init() {
    this.apply = () => {
      const renderer = this.el.renderer;
      if (!renderer || renderer.xr.isPresenting) return;
      const canvas = this.el.canvas;
      const ratio = drawingRatio(canvas.clientWidth, canvas.clientHeight);
      if (renderer.getPixelRatio() !== ratio) {
        renderer.setPixelRatio(ratio);
        this.el.systems["render-on-demand"]?.requestFrame();
      }
    };
    this.onScreenChange = () => {
      this.watchScreen();
      this.apply();
    };
    for (const name of ["rendererresize", "exit-vr"]) this.el.addEventListener(name, this.apply);
    this.watchScreen();
    this.apply();
  },

  /** Listen for the screen's ratio to change from the current one (a query matches one ratio, so it is set again each time). */
  watchScreen() {
    this.screenQuery?.removeEventListener("change", this.onScreenChange);
    this.screenQuery = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    this.screenQuery.addEventListener("change", this.onScreenChange);
  },

  remove() {
    for (const name of ["rendererresize", "exit-vr"]) this.el.removeEventListener(name, this.apply);
    this.screenQuery?.removeEventListener("change", this.onScreenChange);
  },
});
