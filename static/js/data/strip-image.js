// The overview strip's picture, drawn the same on a screen (desktop/time-strip.js, a canvas in
// the bottom bar) and in a headset (xr/vr-time-strip.js, a canvas texture): the whole trace, a row
// per service in its colour, more opaque where more of its spans run (scene.strip, laid out by the
// server), the time not shown shaded and the time shown framed.
import { formatDuration } from "./format.js";
import { expand } from "./time-axis.js";

const SHADE = "rgba(10, 13, 20, 0.6)"; // over the time not shown
export const FRAME_COLOR = "#58a6ff";
const UNKNOWN_SERVICE = "#8591a3";

/** The strip's rows into `canvas`, one pixel per slice of time and service; `colourOf(code)` gives a service's colour. */
export function paintDensity(canvas, strip, colourOf) {
  const lanes = strip.services.length;
  const bins = strip.bins;
  canvas.width = bins;
  canvas.height = Math.max(lanes, 1);
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(bins, Math.max(lanes, 1));
  for (let lane = 0; lane < lanes; lane++) {
    const rgb = hexRgb(colourOf(strip.services[lane]) ?? UNKNOWN_SERVICE);
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
}

/**
 * The strip into `ctx` over x 0–`width`, y `top`–`top + height`: the rows of `density` (from
 * paintDensity) stretched across, shaded outside the window `shown` ([lo, hi] compressed µs),
 * the window framed with lines `line` px wide. Returns the frame's left and right x.
 */
export function paintStrip(ctx, density, axis, shown, { width, height, top = 0, line = 2 }) {
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(density, 0, top, width, height);
  const [lo, hi] = shown;
  const x0 = (lo / axis.whole) * width;
  const x1 = Math.max((hi / axis.whole) * width, x0 + line);
  ctx.fillStyle = SHADE;
  ctx.fillRect(0, top, x0, height);
  ctx.fillRect(x1, top, width - x1, height);
  ctx.strokeStyle = FRAME_COLOR;
  ctx.lineWidth = line;
  ctx.strokeRect(x0 + line / 2, top + line / 2, x1 - x0 - line, height - line);
  return [x0, x1];
}

// A trace whose spans all start and end at one microsecond has no duration to scale (Jaeger UI's
// header says "Duration 0μs"): its axis is the least one, 1 µs, which the spans do not take.
export const INSTANT_CAPTION = "0 µs · one instant";

/** What the strip says: "1.2 ms of 15 s" zoomed, else "all 15 s"; INSTANT_CAPTION for an `instant` trace. */
export function stripCaption(axis, [lo, hi], zoomed, instant = false) {
  if (instant) return INSTANT_CAPTION;
  const whole = formatDuration(axis.true[axis.true.length - 1]);
  return zoomed ? `${formatDuration(expand(axis, hi) - expand(axis, lo))} of ${whole}` : `all ${whole}`;
}

function hexRgb(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
