// Render on demand: on a desktop a frame is drawn only when something asks for one, so a view
// at rest costs no CPU, no GPU and no battery. A-Frame draws every animation frame; this system
// takes its loop over once rendering starts and stops it when a frame ends with nothing asking
// for another. In an immersive session every frame is drawn (the headset needs them).
//
// Who asks for frames:
//   - anyone, with `requestFrame()` (the data system does for every event it emits, so a
//     snapshot, delta, selection or filter is drawn; a component that animates asks again from
//     its tick while the animation runs: fades, particles, pulses);
//   - user input on the page (pointer, wheel, keys) and canvas resizes;
//   - the camera: a frame in which it moved asks for the next one, so look, WASD (and its
//     easing), and camera flights run to the end without each control knowing about this.
// While the data system's work is in slices (a huge snapshot), a screen draws nothing: see onFrame.
// On software GL a frame is drawn off the canvas and shown once the GPU has drawn it
// (offscreen-frames.js), so the main thread never waits for the GPU process's drawing.
import { offscreenFramesFor } from "./offscreen-frames.js";

const CAMERA_EPSILON = 1e-6; // a change of a camera matrix element below this is no movement
const INPUT_EVENTS = ["pointerdown", "pointermove", "pointerup", "wheel", "keydown", "keyup"];

AFRAME.registerSystem("render-on-demand", {
  init() {
    this.running = true; // A-Frame's own loop runs until renderstart hands it over
    this.requested = true;
    this.frames = 0; // frames drawn by this loop
    this.lastCamera = new Float64Array(32); // the camera's world and projection matrices last frame
    this.frame = (time, xrFrame) => this.onFrame(time, xrFrame);
    this.stopIfIdle = () => {
      if (!this.requested && this.running && !this.presenting() && !this.offscreen?.waiting) this.stop();
    };
    this.onRequest = () => this.requestFrame();
    this.offscreen = null; // OffscreenFrames on software GL, from the first frame on
    this.drawScene = null; // draws the scene of the animation frame `time` (no allocation per frame)
    this.time = 0;
    this.el.addEventListener("renderstart", () => {
      this.offscreen = offscreenFramesFor(this.el.renderer);
      this.drawScene = () => this.el.render(this.time);
      this.el.renderer.setAnimationLoop(this.frame);
    }, { once: true });
    for (const name of ["rendererresize", "enter-vr", "exit-vr", "camera-set-active"]) this.el.addEventListener(name, this.onRequest);
    for (const name of INPUT_EVENTS) window.addEventListener(name, this.onRequest, { passive: true, capture: true });
  },

  remove() {
    for (const name of ["rendererresize", "enter-vr", "exit-vr", "camera-set-active"]) this.el.removeEventListener(name, this.onRequest);
    for (const name of INPUT_EVENTS) window.removeEventListener(name, this.onRequest, { capture: true });
  },

  /** Draw a frame soon (at the next animation frame); cheap to call many times. */
  requestFrame() {
    this.requested = true;
    if (this.running || !this.el.renderStarted) return;
    this.running = true;
    this.el.timer?.update(); // the first frame's delta counts from now, not from the last frame drawn
    this.el.renderer.setAnimationLoop(this.frame);
  },

  presenting() {
    return Boolean(this.el.renderer?.xr.isPresenting);
  },

  onFrame(time, xrFrame) {
    // While a session runs, three.js also keeps the page's own loop going: the headset's frames draw.
    if (this.presenting() && !xrFrame) return;
    // A huge scene being written in slices is drawn once whole, on a screen; the frame stays asked
    // for. (Drawing it half-written would also make software GL spend seconds per frame on it.)
    if (!this.presenting() && this.el.systems["vrmon-data"]?.work.busy) return;
    const offscreen = this.presenting() ? null : this.offscreen;
    if (offscreen?.waiting) {
      // The frame drawn off the canvas is shown once the GPU has drawn it; the next one is drawn
      // at a later animation frame (drawn now, the copy's commit would wait for it too).
      if (offscreen.ready()) {
        offscreen.show();
        this.shown();
      }
      if (this.requested) this.advance();
    } else if (this.requested || this.presenting()) {
      if (offscreen && !offscreen.fits()) {
        this.advance();
      } else {
        this.requested = false;
        if (offscreen) {
          this.time = time;
          offscreen.draw(this.drawScene);
        } else {
          this.offscreen?.forget();
          this.el.render(time, xrFrame);
          this.shown();
        }
        this.frames++;
        if (this.cameraMoved()) this.requested = true;
      }
    }
    // Stopping inside the callback would not stop three.js's loop (it asks for the next
    // animation frame after the callback returns): stop once it has.
    if (!this.requested && !offscreen?.waiting) queueMicrotask(this.stopIfIdle);
  },

  /** An animation frame asked for that cannot be drawn yet (the GPU is still drawing the last one):
   * the scene's behaviours run as in A-Frame's render (a-scene.js), without drawing, so what moves
   * with time or input (look, fades, camera flights, the components' state that tests and clicks
   * read) goes on at the display's rate; the frame stays asked for, and the next one drawn shows
   * where they got to. */
  advance() {
    const scene = this.el;
    scene.timer.update();
    scene.delta = scene.timer.getDelta() * 1000;
    scene.time = scene.timer.getElapsed() * 1000;
    if (scene.isPlaying) scene.tick(scene.time, scene.delta);
  },

  /** A frame drawn has reached the canvas. */
  shown() {
    this.el.systems["first-frame"]?.frameShown();
  },

  stop() {
    this.running = false;
    this.el.renderer.setAnimationLoop(null);
  },

  cameraMoved() {
    const camera = this.el.camera;
    if (!camera) return false;
    const last = this.lastCamera;
    const world = camera.matrixWorld.elements;
    const projection = camera.projectionMatrix.elements;
    let moved = false;
    for (let i = 0; i < 16; i++) {
      if (Math.abs(world[i] - last[i]) > CAMERA_EPSILON || Math.abs(projection[i] - last[16 + i]) > CAMERA_EPSILON) moved = true;
      last[i] = world[i];
      last[16 + i] = projection[i];
    }
    return moved;
  },
});
