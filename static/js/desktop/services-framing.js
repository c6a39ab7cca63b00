// The service graph framed on a screen with its names. Names keep their size on screen whatever
// the distance (scene/service-labels.js), so the room they take around the spheres is known only
// once they are placed, and it depends on the graph's size on screen: a large graph has room for
// its names between and above its spheres, a small one puts them on either side. So sizes are
// tried from the largest down (the spheres filling the free part of the view, then a little
// smaller each time): at each the names are placed, and the largest size at which the spheres
// and the names of the FRAMED_NAMES biggest spheres (every name of a small graph) fit in the free
// part together is the view, slid so that they sit in its middle. That keeps the graph large
// where the free part is narrow (a side panel open): the names go inside its width instead of
// beside it. Where no size fits them all (a narrow page with the panel open), fewer will do; the
// rest show where they can, or when pointed at, as a big graph's other names do.
import { markersTop } from "../scene/error-markers.js";
import { ringDiameter } from "../scene/selection-outline.js";

const FRAMED_NAMES = 20; // as many as the layout keeps room for beside their spheres (services.py's `named`)
const SPARE_PX = 20; // between the content (spheres and names) and the free part's edges: nothing touches them
// The sizes tried, as shares of the free part the spheres take: from all of it down to SMALLEST
// (smaller, a graph is no longer seen at once), each SHARE_STEP of the last, then REFINE halvings
// of the step where the names stopped fitting.
const SMALLEST_SHARE = 0.3;
const SHARE_STEP = 0.9;
const REFINE = 3;
// Where not all the framed names fit at any size (a narrow free part), the largest size at which
// this share of them fits; the others show where they can, or when pointed at.
const FEWER_NAMES = [0.8, 0.6, 0.4];
// The biggest sphere takes at most this share of the framed box's width and height: a lone
// service fills a third of the view's height (filling 30 % of a 1280x720 view, the legibility
// figure for content, would take a sphere 60 % of its height: a wall, not a node).
const BIGGEST_SPHERE_SHARE = 1 / 3;

/**
 * The spheres' box in scene metres [minx, miny, minz, maxx, maxy, maxz], their error markers and
 * the selection's outline (any sphere may be selected) included; at least 1 / BIGGEST_SPHERE_SHARE
 * of the biggest sphere across and up, around its centre, so that a graph of one service (or a few
 * in a line) is framed with its spheres at a size a person reads as a node, not as a wall.
 */
export function spheresBox(nodes) {
  const { pos, size, count } = nodes;
  const box = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  let biggest = 0;
  for (let row = 0; row < count; row++) {
    biggest = Math.max(biggest, size[row * 3]);
    for (let k = 0; k < 3; k++) {
      // (the outline is a ring in the graph's plane: across and up only)
      const half = (k < 2 ? ringDiameter(size[row * 3 + k]) : size[row * 3 + k]) / 2;
      box[k] = Math.min(box[k], pos[row * 3 + k] - half);
      box[k + 3] = Math.max(box[k + 3], pos[row * 3 + k] + half);
    }
  }
  box[4] = Math.max(box[4], markersTop(nodes, "services"));
  const least = biggest / BIGGEST_SPHERE_SHARE;
  for (let k = 0; k < 2; k++) {
    const grow = Math.max(least - (box[k + 3] - box[k]), 0) / 2;
    box[k] -= grow;
    box[k + 3] += grow;
  }
  return box;
}

/**
 * Frame the graph: `frame(box, pad, cornerAbove)` puts the camera so that `box` fills the free
 * part of the view less `pad` ({left, top, right, bottom} CSS pixels) and returns {range} (the
 * camera's distance: less is larger) and {free} (the free part's [width, height], CSS pixels);
 * `cornerAbove` says whether a folded trace list (a button in the top-left corner) keeps the strip
 * above it free rather than the column beside it (view-insets.js): both are tried, and the one
 * where the graph is largest with its names is kept. `labels` is the service-labels component,
 * asked to place the names for each try (placeNow). Without names to place, the spheres alone are
 * framed.
 */
export function frameServices(nodes, frame, labels) {
  const box = spheresBox(nodes);
  const edge = { left: SPARE_PX, top: SPARE_PX, right: SPARE_PX, bottom: SPARE_PX };
  const named = labels?.widestName() > 0;
  let best = null;
  const tried = new Set();
  for (const cornerAbove of [false, true]) {
    const { range, free } = frame(box, edge, cornerAbove);
    if (tried.has(free.join())) continue; // no folded list: the same free part
    tried.add(free.join());
    const framing = named ? largestWithNames(box, free, (pad) => frame(box, pad, cornerAbove), labels, Math.min(FRAMED_NAMES, nodes.count))
      : { level: 0, range, pad: edge };
    if (!best || framing.level < best.level || (framing.level === best.level && framing.range < best.range)) best = { ...framing, cornerAbove };
  }
  frame(box, best.pad, best.cornerAbove); // (every name is placed at the next frame)
}

/**
 * The largest size at which the spheres and the names of the `wanted` biggest fit in the free
 * part ([width, height] CSS pixels) together, else fewer of them (FEWER_NAMES): {level} (0 every
 * name, 1… fewer), {range}, and {pad} for `frame(pad)` to frame it, the whole slid to the middle.
 */
function largestWithNames(box, [width, height], frame, labels, wanted) {
  const room = [Math.max(width - 2 * SPARE_PX, 1), Math.max(height - 2 * SPARE_PX, 1)];
  /** The spheres in the middle `share` of the free part (less its spare edge), both ways: the names placed. */
  const attempt = (share) => {
    const across = SPARE_PX + ((1 - share) * room[0]) / 2;
    const up = SPARE_PX + ((1 - share) * room[1]) / 2;
    const { range } = frame({ left: across, top: up, right: across, bottom: up });
    const placed = labels.placeNow(FRAMED_NAMES);
    // slid so that spheres and names sit in the middle of the free part: the pads' sums (so the
    // graph's size) unchanged
    const dx = (placed.left - placed.right) / 2, dy = (placed.top - placed.bottom) / 2;
    return {
      share,
      range,
      pad: { left: across + dx, top: up + dy, right: across - dx, bottom: up - dy },
      shown: placed.shown,
      headed: placed.headed,
      fits: placed.width + placed.left + placed.right <= room[0] + 0.5 && placed.height + placed.top + placed.bottom <= room[1] + 0.5,
    };
  };
  // the first (largest) try that does as well as can be: every name fits with the heading of the
  // prefix they share (where they share one: it goes over or under the graph, so a graph filling
  // the free part top to bottom leaves it out), else every name, else most of them, else fewer;
  // else the largest
  const wants = [(t) => t.fits && t.headed && t.shown >= wanted, ...[1, ...FEWER_NAMES].map((share) => (t) => t.fits && t.shown >= share * wanted)];
  const tries = [];
  for (let share = 1; share >= SMALLEST_SHARE - 1e-9; share *= SHARE_STEP) {
    tries.push(attempt(share));
    if (wants[0](tries.at(-1))) break;
  }
  let level = wants.findIndex((want) => tries.some(want));
  const good = level >= 0 ? wants[level] : (t) => t === tries[0];
  if (level < 0) level = wants.length;
  let best = tries.find(good);
  let larger = tries[tries.indexOf(best) - 1];
  for (let k = 0; larger && k < REFINE; k++) {
    const between = attempt((best.share + larger.share) / 2);
    if (good(between)) best = between; else larger = between;
  }
  return { level, range: best.range, pad: best.pad };
}
