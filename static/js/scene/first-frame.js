// The first frame of a trace draws what the trace is: its spans, their error markers and the
// labels. The entities marked `after-first-frame` in index.html (floor grid, critical path, finding
// marks) join one frame later. Why: a frame compiles the shaders of every material it draws for
// the first time, and with software GL (a laptop without a GPU, headless Chromium) each costs
// 30–40 ms of the GPU process before that frame can be shown, and the page's main thread waits
// for it in one task. Split over two frames, the trace shows sooner and neither task is as long.
// Only the very first frame that draws nodes is split; every later frame draws everything.
AFRAME.registerSystem("first-frame", {
  init() {
    this.later = new Set(); // object3Ds held back from the first frame
    this.held = []; // those hidden during the frame being drawn
    this.shown = false; // the first frame with nodes has been drawn
    // three.js calls these around each render of the scene (inside A-Frame's render)
    this.el.object3D.onBeforeRender = () => this.hold();
    this.el.object3D.onAfterRender = () => this.release();
  },

  drawsNodes() {
    return this.el.systems["vrmon-data"].nodes.count > 0;
  },

  hold() {
    if (this.shown || !this.drawsNodes()) return;
    for (const object of this.later) {
      if (!object.visible) continue;
      object.visible = false;
      this.held.push(object);
    }
  },

  release() {
    if (this.shown || !this.drawsNodes()) return;
    for (const object of this.held) object.visible = true;
    this.held.length = 0;
    this.later.clear();
    this.shown = true;
    this.el.systems["render-on-demand"].requestFrame(); // the next frame draws the rest
  },
});

AFRAME.registerComponent("after-first-frame", {
  init() {
    const system = this.el.sceneEl.systems["first-frame"];
    if (!system.shown) system.later.add(this.el.object3D);
  },

  remove() {
    this.el.sceneEl.systems["first-frame"].later.delete(this.el.object3D);
  },
});
