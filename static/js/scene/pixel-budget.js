// The 3D view's pixel ratio (pixel-ratio.js), kept whenever A-Frame sets it: at start, at every
// resize of the canvas (also when the window moves to a screen of another ratio) and after a
// headset session, which A-Frame ends by setting the screen's full ratio again. In a headset the
// ratio does not apply: the session's own framebuffer sets the resolution.
import { drawingRatio } from "./pixel-ratio.js";

AFRAME.registerSystem("pixel-budget", {
  init() {
    this.apply = () => {
      const renderer = this.el.renderer;
      if (!renderer || renderer.xr.isPresenting) return;
      const canvas = this.el.canvas;
      const ratio = drawingRatio(canvas.clientWidth, canvas.clientHeight);
      if (renderer.getPixelRatio() !== ratio) renderer.setPixelRatio(ratio);
    };
    for (const name of ["rendererresize", "exit-vr"]) this.el.addEventListener(name, this.apply);
    this.apply();
  },

  remove() {
    for (const name of ["rendererresize", "exit-vr"]) this.el.removeEventListener(name, this.apply);
  },
});
