// The overview strip (minimap) in the bottom bar while the waterfall is shown: the whole trace, a
// row per service in its colour, darker where more of its spans run (scene.strip, laid out by the
// server), with the time the picture shows as a bright rectangle. Dragging the rectangle pans;
// dragging elsewhere brushes a stretch to zoom into; a click elsewhere centres the window there.
import { formatDuration } from "../data/format.js";
import { expand } from "../data/time-axis.js";
import { listen } from "../listen.js";

const CLICK_PX = 3; // a brush narrower than this is a click
const SHADE = "rgba(10, 13, 20, 0.6)"; // over the time not shown
const FRAME = "#58a6ff";

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
    if (this.drawnStrip !== strip) this.drawDensity(strip);
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.density, 0, 0, width, height);
    const [lo, hi] = this.window.shown();
    const x0 = (lo / axis.whole) * width;
    const x1 = Math.max((hi / axis.whole) * width, x0 + 2 * ratio);
    ctx.fillStyle = SHADE;
    ctx.fillRect(0, 0, x0, height);
    ctx.fillRect(x1, 0, width - x1, height);
    ctx.strokeStyle = FRAME;
    ctx.lineWidth = 2 * ratio;
    ctx.strokeRect(x0 + ratio, ratio, x1 - x0 - 2 * ratio, height - 2 * ratio);
    if (this.gesture?.kind === "brush") {
      const [a, b] = [this.gesture.from, this.gesture.to].sort((p, q) => p - q);
      ctx.fillStyle = "rgba(88, 166, 255, 0.25)";
      ctx.fillRect((a / axis.whole) * width, 0, ((b - a) / axis.whole) * width, height);
    }
    const shown = formatDuration(expand(axis, hi) - expand(axis, lo));
    const whole = formatDuration(axis.true[axis.true.length - 1]);
    this.text.textContent = this.window.zoomed() ? `${shown} of ${whole}` : `all ${whole}`;
    this.canvas.title = this.window.zoomed()
      ? "Drag the window to pan, drag elsewhere to zoom into a stretch, R for the whole trace"
      : "Drag across a stretch to zoom into it (or use the wheel over the bars)";
  },

  /** The strip's rows into the offscreen canvas: one pixel per slice of time and service. */
  drawDensity(strip) {
    const lanes = strip.services.length;
    const bins = strip.bins;
    this.density.width = bins;
    this.density.height = lanes;
    const ctx = this.density.getContext("2d");
    const image = ctx.createImageData(bins, lanes);
    for (let lane = 0; lane < lanes; lane++) {
      const rgb = hexRgb(this.system.serviceColor(strip.services[lane]) ?? "#8591a3");
      for (let b = 0; b < bins; b++) {
        const busy = strip.density[lane * bins + b];
        const at = (lane * bins + b) * 4;
        image.data[at] = rgb[0];
        image.data[at + 1] = rgb[1];
        image.data[at + 2] = rgb[2];
        image.data[at + 3] = busy ? 120 + Math.round((busy / 255) * 135) : 0; // a single span still shows
      }
    }
    ctx.putImageData(image, 0, 0);
    this.drawnStrip = strip;
  },
});

function hexRgb(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
