// Where a compared trace's ghosts go (scene/compare-marks.js): A's spans missing from B, drawn at A's
// timing against their nearest matched ancestor's bar in B, in the free band just under that bar,
// so they never lie across another bar or a label. Pure geometry in the world's x (time) and y
// (rows), on boxes [x0, y0, x1, y1] packed four to a span of a flat array.

/**
 * The free band under `ceiling` across x from `x0` to `x1`: [floor, top], where top is the
 * ceiling or, if a box reaches up across it there, the foot of that box (again, until none does),
 * and floor the top of the highest box under that; `room` below the top when nothing is under it.
 */
export function freeBandBelow(boxes, x0, x1, ceiling, room) {
  let top = ceiling;
  for (;;) {
    let across = Infinity, under = -Infinity;
    for (let k = 0; k < boxes.length; k += 4) {
      if (boxes[k] >= x1 || boxes[k + 2] <= x0 || boxes[k + 1] >= top) continue; // beside, or above the band
      if (boxes[k + 3] >= top) across = Math.min(across, boxes[k + 1]);
      else under = Math.max(under, boxes[k + 3]);
    }
    if (across === Infinity) return [under === -Infinity ? top - room : under, top];
    top = across;
  }
}

/**
 * Each ghost's centre height and height in a band (`freeBandBelow`) under its anchor: a level per
 * call depth below the anchor (deeper first lower; past `maxLevels` the deepest share the last), a
 * `margin` share of the band kept clear above and below, `fill` of a level's height drawn.
 * `depths`: the ghosts' depths. Returns [y, height] per ghost.
 */
export function ghostLevels(depths, [floor, top], { maxLevels = 3, margin = 0.15, fill = 0.7 } = {}) {
  const distinct = [...new Set(depths)].sort((a, b) => a - b);
  const levels = Math.min(distinct.length, maxLevels);
  const pad = (top - floor) * margin;
  const step = (top - floor - 2 * pad) / Math.max(levels, 1);
  return depths.map((depth) => {
    const level = Math.min(distinct.indexOf(depth), levels - 1);
    return [top - pad - (level + 0.5) * step, step * fill];
  });
}
