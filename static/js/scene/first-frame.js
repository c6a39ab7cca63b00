// The first frame of a trace draws what the trace is: its spans, their error markers and the
// labels. The entities marked `after-first-frame` in index.html (floor grid, critical path, finding
// marks) join one frame later. Why: a frame compiles the shaders of every material it draws for
// the first time, and with software GL (a laptop without a GPU, headless Chromium) each costs
// 30–40 ms of the GPU process before that frame can be shown, and the page's main thread waits
// for it in one task. Split over two frames, the trace shows sooner and neither task is as long.
// Only the first frame of the first snapshot is split; every later frame draws everything.
// Work the first frame does not need can wait for it too (afterFirstFrame): the findings, whose
// frame (130 KB at 20k spans) would otherwise be decoded and listed before the trace is drawn.
// The first picture drawn before A-Frame loaded (first-picture.js) stays in front of the 3D view
// until that has drawn the view the camera frames (camera-navigation emits vrmon-view-framed):
// it goes at the animation frame after that frame, which has been committed by then, so the
// same picture is on screen throughout, never an empty or unframed canvas.
import { PICTURE_ID, PICTURE_GONE_MARK } from "./first-picture.js";

AFRAME.registerSystem("first-frame", {
  init() {
    this.picture = document.getElementById(PICTURE_ID);
    this.viewFramed = false; // the camera frames the view since the last frame drawn
    if (this.picture) this.el.addEventListener("vrmon-view-framed", () => { this.viewFramed = true; });
    this.later = new Set(); // object3Ds held back from the first frame
    this.held = []; // those hidden during the frame being drawn
    this.drawn = false; // the first frame of the first snapshot has been drawn (maybe not yet shown)
    this.framedDrawn = false; // the frame drawn last had the camera framing the view
    this.shown = false; // the first frame of the first snapshot has been shown
    this.waiting = []; // callbacks for when it has
    this.watching = []; // callbacks for the animation frame after it
    // three.js calls these around each render of the scene (inside A-Frame's render)
    this.el.object3D.onBeforeRender = () => this.hold();
    this.el.object3D.onAfterRender = () => {
      this.release();
      this.framedDrawn = this.viewFramed;
    };
  },

  /** render-on-demand: the frame drawn last is on the canvas now (drawn there, or copied there
   * once the GPU had drawn it: scene/offscreen-frames.js). */
  frameShown() {
    if (this.drawn && !this.shown) this.firstShown();
    this.retirePicture();
  },

  /** After a frame drawn with the camera framing the view: the first picture goes at the next animation frame. */
  retirePicture() {
    if (!this.picture || !this.framedDrawn) return;
    const picture = this.picture;
    this.picture = null;
    requestAnimationFrame(() => {
      picture.remove();
      performance.mark(PICTURE_GONE_MARK);
    });
  },

  /** Call `callback` once the trace's first frame has been drawn (now, if it has). */
  afterFirstFrame(callback) {
    if (this.shown) callback();
    else this.waiting.push(callback);
  },

  /** Call `callback` at the animation frame after the trace's first frame (now, if that has passed):
   * the first frame has been committed to the compositor by then, its pixels on their way to the
   * screen. `window.vrmon.ready` turns true then (data/vrmon-api.js), as bench/boot.py counts Jaeger
   * UI's rows painted: the second animation frame after they were added, the first being the one
   * that painted them. */
  afterFirstFrameShown(callback) {
    if (this.shown && this.watching === null) callback();
    else this.watching.push(callback);
  },

  /** Whether this frame is one of the first snapshot (before it, there is nothing to split). */
  snapshotIn() {
    return this.el.systems["vrmon-data"].scene !== null;
  },

  hold() {
    if (this.drawn || !this.snapshotIn()) return;
    for (const object of this.later) {
      if (!object.visible) continue;
      object.visible = false;
      this.held.push(object);
    }
  },

  release() {
    if (this.drawn || !this.snapshotIn()) return;
    for (const object of this.held) object.visible = true;
    this.held.length = 0;
    this.later.clear();
    this.drawn = true;
  },

  firstShown() {
    this.shown = true;
    this.el.systems["render-on-demand"].requestFrame(); // the next frame draws the rest
    for (const callback of this.waiting.splice(0)) setTimeout(callback); // after this frame's task
    const watching = this.watching;
    requestAnimationFrame(() => { // asked for inside this frame's callbacks: the next frame's
      this.watching = null;
      for (const callback of watching) callback();
    });
  },
});

AFRAME.registerComponent("after-first-frame", {
  init() {
    const system = this.el.sceneEl.systems["first-frame"];
    if (!system.drawn) system.later.add(this.el.object3D);
  },

  remove() {
    this.el.sceneEl.systems["first-frame"].later.delete(this.el.object3D);
  },
});
