// The waterfall's time axis as the server lays it out (scene.axis, vrmon/layout/time_window.py):
// x of the picture's left and right edges, the compressed µs shown there (lo, hi), the whole
// trace's compressed µs (whole), and the idle-time warp's knots (true → compressed µs). Pure
// functions: a point of the picture to a time, and the windows a zoom or a pan asks for.
// Windows are worked out on the compressed axis (it is linear across the picture) and asked for
// in true µs from the trace's start, which stay put while a live trace grows.
export const MIN_WINDOW_US = 10; // as the server's MIN_WINDOW_US: span times are whole µs

/** Piecewise-linear map through the knots xs → ys (ascending), at slope 1 beyond either end. */
function through(xs, ys, v) {
  const last = xs.length - 1;
  if (v <= xs[0]) return ys[0] + (v - xs[0]);
  if (v >= xs[last]) return ys[last] + (v - xs[last]);
  let i = 1;
  while (xs[i] < v) i++; // a handful of knots: two per idle break
  const span = xs[i] - xs[i - 1];
  return ys[i - 1] + (span > 0 ? ((v - xs[i - 1]) / span) * (ys[i] - ys[i - 1]) : 0);
}

/** True µs from the trace's start → the compressed axis. */
export const compress = (axis, us) => through(axis.true, axis.warped, us);
/** The compressed axis → true µs from the trace's start. */
export const expand = (axis, u) => through(axis.warped, axis.true, u);

/** Where local x (metres) lies across the picture: 0 at its left edge, 1 at its right. */
export const shareOfX = (axis, x) => (x - axis.x[0]) / (axis.x[1] - axis.x[0]);
/** Local x (metres) of compressed time `u` in the window shown. */
export const xOfTime = (axis, u) => axis.x[0] + ((u - axis.lo) / (axis.hi - axis.lo)) * (axis.x[1] - axis.x[0]);
/** Local x (metres) of each compressed idle stretch (break) in the window shown: every other stretch of the axis is one. */
export function breakXs(axis) {
  const xs = [];
  for (let k = 1; k + 1 < axis.warped.length; k += 2) {
    const middle = (axis.warped[k] + axis.warped[k + 1]) / 2;
    if (middle >= axis.lo && middle <= axis.hi) xs.push(xOfTime(axis, middle));
  }
  return xs;
}
/** Compressed µs at share `f` across the window shown. */
export const timeAt = (axis, f) => axis.lo + f * (axis.hi - axis.lo);

/**
 * The window [lo, hi] (compressed µs) that puts time `u` at share `f` of the picture and is `width`
 * wide: kept inside the whole trace and at least MIN_WINDOW_US wide; null when it holds the whole trace.
 */
export function windowAround(axis, u, f, width) {
  const w = Math.max(width, MIN_WINDOW_US);
  if (w >= axis.whole) return null;
  const lo = Math.min(Math.max(u - f * w, 0), axis.whole - w);
  return [lo, lo + w];
}

/** What a zoom request carries for a window (compressed µs, or null): true µs from the trace's start. */
export const requestOf = (axis, window) => (window ? [Math.max(0, expand(axis, window[0])), expand(axis, window[1])] : null);
