// The service graph framed on a screen with its names. Names keep their size on screen whatever
// the distance (scene/service-labels.js), so the room they take beside the spheres is known only
// once they are placed: frame the spheres with room for the longest name on either side, place
// the names, measure how far past the spheres they reach on each side, and frame again with just
// that room; the names then sit where they fit (one on the graph's right edge goes left of its
// sphere if it can), and a few rounds settle it. The room is kept for the names of the
// FRAMED_NAMES biggest spheres (every name of a small graph; a big graph's other names show
// where they fit, or when pointed at): the round that showed most of them, with the graph the
// largest, is the view.
import { LABEL_HEIGHT_PX } from "../scene/service-labels.js";
import { markersTop } from "../scene/error-markers.js";

const ROUNDS = 4;
const FRAMED_NAMES = 20; // as many as the layout keeps room for beside their spheres (services.py's `named`)
const SPARE_PX = 20; // between the content (spheres and names) and the free part's edges: nothing touches them

/** The spheres' box in scene metres [minx, miny, minz, maxx, maxy, maxz], their error markers included. */
export function spheresBox(nodes) {
  const { pos, size, count } = nodes;
  const box = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  for (let row = 0; row < count; row++) {
    for (let k = 0; k < 3; k++) {
      box[k] = Math.min(box[k], pos[row * 3 + k] - size[row * 3 + k] / 2);
      box[k + 3] = Math.max(box[k + 3], pos[row * 3 + k] + size[row * 3 + k] / 2);
    }
  }
  box[4] = Math.max(box[4], markersTop(nodes, "services"));
  return box;
}

/**
 * Frame the graph: `frame(box, pad)` puts the camera so that `box` fills the free part of the
 * view less `pad` ({left, top, right, bottom} CSS pixels) and returns {range} (the camera's
 * distance: less is larger); `labels` is the service-labels component, asked to place the names
 * for each try (placeNow). Without names to place, the spheres alone are framed.
 */
export function frameServices(nodes, frame, labels) {
  const box = spheresBox(nodes);
  const widest = labels?.widestName() ?? 0;
  let pad = { left: widest, top: LABEL_HEIGHT_PX, right: widest, bottom: LABEL_HEIGHT_PX };
  let best = null;
  for (let round = 0; round < ROUNDS; round++) {
    const { range } = frame(box, pad);
    const placed = labels?.placeNow(FRAMED_NAMES);
    if (!placed) return;
    if (!best || placed.shown > best.shown || (placed.shown === best.shown && range < best.range)) {
      best = { pad, shown: placed.shown, range };
    }
    const next = {};
    for (const side of ["left", "top", "right", "bottom"]) next[side] = Math.max(placed[side], 0) + SPARE_PX;
    if (["left", "top", "right", "bottom"].every((side) => Math.abs(next[side] - pad[side]) < 1)) break;
    pad = next;
  }
  if (best.pad !== pad) {
    frame(box, best.pad);
    labels.placeNow(FRAMED_NAMES);
  }
}
