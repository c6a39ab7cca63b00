// Screen-space geometry for placing labels without collisions, shared by the service graph's
// names (desktop and headset) and the headset's span labels: rectangles are flat arrays of
// x0, y0, x1, y1 (y down), segments are x0, y0, x1, y1. Pure functions, nothing allocated.

/** Whether rectangle `a` overlaps any of the first `n` rectangles in `rects`, skipping those
 * whose `use` entry is 0 when `use` is given. */
export function overlapsAny(a, rects, n, use = null) {
  for (let i = 0; i < n; i++) {
    if (use && !use[i]) continue;
    if (a[0] < rects[i * 4 + 2] && a[2] > rects[i * 4] && a[1] < rects[i * 4 + 3] && a[3] > rects[i * 4 + 1]) return true;
  }
  return false;
}

/** Whether any of the first `n` rectangles in `a` overlaps any of the first `m` in `b`. */
export function anyOverlapBetween(a, n, b, m) {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (a[i * 4] < b[j * 4 + 2] && a[i * 4 + 2] > b[j * 4] && a[i * 4 + 1] < b[j * 4 + 3] && a[i * 4 + 3] > b[j * 4 + 1]) return true;
    }
  }
  return false;
}

/** Whether the segment from (ax, ay) to (bx, by) passes through the rectangle at `rects[i*4]`
 * (Liang–Barsky clipping: the part of the segment inside the box is not empty). */
export function segmentCrossesRect(ax, ay, bx, by, rects, i) {
  const dx = bx - ax, dy = by - ay;
  let t0 = 0, t1 = 1;
  for (let side = 0; side < 4; side++) {
    // the four edges as p·t ≤ q: left, right, top, bottom
    const p = side === 0 ? -dx : side === 1 ? dx : side === 2 ? -dy : dy;
    const q = side === 0 ? ax - rects[i * 4] : side === 1 ? rects[i * 4 + 2] - ax
      : side === 2 ? ay - rects[i * 4 + 1] : rects[i * 4 + 3] - ay;
    if (p === 0) {
      if (q < 0) return false; // parallel to this edge and outside it
      continue;
    }
    const t = q / p;
    if (p < 0) { if (t > t1) return false; if (t > t0) t0 = t; } else { if (t < t0) return false; if (t < t1) t1 = t; }
  }
  return t1 > t0;
}

/** Whether the segment crosses any of the first `n` rectangles, skipping index `skip` and those
 * whose `use` entry is 0 when `use` is given. */
export function segmentCrossesAny(ax, ay, bx, by, rects, n, skip = -1, use = null) {
  for (let i = 0; i < n; i++) {
    if (i === skip || (use && !use[i])) continue;
    if (segmentCrossesRect(ax, ay, bx, by, rects, i)) return true;
  }
  return false;
}

/** Whether rectangle `a` is crossed by any of the first `n` segments in `segments`. */
export function rectCrossedByAny(a, segments, n) {
  for (let i = 0; i < n; i++) {
    if (segmentCrossesRect(segments[i * 4], segments[i * 4 + 1], segments[i * 4 + 2], segments[i * 4 + 3], a, 0)) return true;
  }
  return false;
}

/**
 * The leader from a node to its label: from the edge of the node's circle (centre cx, cy,
 * radius r) towards the nearest point of the label's box `a`, ending at that point. Writes
 * x0, y0, x1, y1 into `out` at `at`.
 */
export function leaderSegment(cx, cy, r, a, out, at) {
  const tx = Math.min(Math.max(cx, a[0]), a[2]), ty = Math.min(Math.max(cy, a[1]), a[3]);
  const dx = tx - cx, dy = ty - cy, length = Math.hypot(dx, dy) || 1;
  out[at] = cx + dx / length * r;
  out[at + 1] = cy + dy / length * r;
  out[at + 2] = tx;
  out[at + 3] = ty;
}
