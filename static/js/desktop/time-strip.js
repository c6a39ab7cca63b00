// The overview strip (minimap) in the bottom bar while the waterfall is shown: the whole trace, a
// row per service in its colour, darker where more of its spans run (scene.strip, laid out by the
// server), with the time the picture shows as a bright rectangle (data/strip-image.js draws it). Dragging the rectangle pans;
// dragging elsewhere brushes a stretch to zoom into; a click elsewhere centres the window there.
import { paintDensity, paintStrip, stripCaption } from "../data/strip-image.js";
import { listen } from "../listen.js";

const CLICK_PX = 3; // a brush narrower than this is a click

AFRAME.registerComponent("time-strip", {
  schema: { panel: { type: "selector", default: "#time-strip" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.window = this.el.sceneEl.systems["time-window"];
    this.canvas = this.data.panel.querySelector("canvas");
    this.text = this.data.panel.querySelector(".text");
    this.density = document.createElement("canvas"); // the strip's rows, drawn once per strip
    this.drawnStrip = null;
    this.gesture = null; // {kind: "move", offset} or {kind: "brush", from, to}

    this.onChange = () => this.render();
    this.onDown = (event) => this.press(event);
    this.onMove = (event) => this.move(event);
    this.onUp = (event) => this.release(event);
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-scene": this.onChange, "vrmon-time-window": this.onChange });
    this.canvas.addEventListener("mousedown", this.onDown);
    this.resize = new ResizeObserver(this.onChange);
    this.resize.observe(this.canvas);
    this.render();
  },

  remove() {
    this.unlistenScene();
    this.canvas.removeEventListener("mousedown", this.onDown);
    this.resize.disconnect();
    this.stopListening();
  },

  /** Compressed µs at a pointer's x on the strip (the strip spans the whole axis). */
  timeAt(clientX) {
    const rect = this.canvas.getBoundingClientRect();
    return Math.min(Math.max((clientX - rect.left) / (rect.width || 1), 0), 1) * this.window.axis().whole;
  },

  press(event) {
    if (event.button !== 0 || !this.window.axis()) return;
    event.preventDefault();
    const u = this.timeAt(event.clientX);
    const [lo, hi] = this.window.shown();
    this.gesture = this.window.zoomed() && u >= lo && u <= hi
      ? { kind: "move", offset: (u - lo) / (hi - lo) }
      : { kind: "brush", from: u, to: u, x: event.clientX };
    window.addEventListener("mousemove", this.onMove);
    window.addEventListener("mouseup", this.onUp);
  },

  move(event) {
    const gesture = this.gesture;
    if (!gesture || !this.window.axis()) return;
    const u = this.timeAt(event.clientX);
    if (gesture.kind === "move") this.window.panTo(u, gesture.offset); // the grabbed point of the window follows
    else {
      gesture.to = u;
      this.render();
    }
  },

  release(event) {
    const gesture = this.gesture;
    this.stopListening();
    this.gesture = null;
    if (gesture?.kind !== "brush" || !this.window.axis()) return;
    if (Math.abs(event.clientX - gesture.x) < CLICK_PX) this.window.panTo(gesture.from, 0.5); // centre it there
    else this.window.show(Math.min(gesture.from, gesture.to), Math.max(gesture.from, gesture.to));
    this.render();
  },

  stopListening() {
    window.removeEventListener("mousemove", this.onMove);
    window.removeEventListener("mouseup", this.onUp);
  },

  render() {
    const axis = this.window.axis();
    const strip = axis ? this.system.scene.strip : null;
    this.data.panel.hidden = !strip;
    if (!strip) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    if (this.drawnStrip !== strip) {
      paintDensity(this.density, strip, (code) => this.system.serviceColor(code));
      this.drawnStrip = strip;
    }
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    const shown = this.window.shown();
    paintStrip(ctx, this.density, axis, shown, { width, height, line: 2 * ratio });
    if (this.gesture?.kind === "brush") {
      const [a, b] = [this.gesture.from, this.gesture.to].sort((p, q) => p - q);
      ctx.fillStyle = "rgba(88, 166, 255, 0.25)";
      ctx.fillRect((a / axis.whole) * width, 0, ((b - a) / axis.whole) * width, height);
    }
    this.text.textContent = stripCaption(axis, shown, this.window.zoomed(), strip.instant);
    this.canvas.title = strip.instant
      ? "Every span of this trace starts and ends at the same microsecond: the bars say which spans there are, not how long they took"
      : this.window.zoomed()
      ? "Drag the window to pan, drag elsewhere to zoom into a stretch, R for the whole trace"
      : "Drag across a stretch to zoom into it (or use the wheel over the bars)";
  },
});
