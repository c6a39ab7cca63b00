// The prefix most service names share (checkout-svc- of checkout-svc-0001 … 0040; the server
// finds it: scene.names_prefix, vrmon/layout/services.py shared_prefix), shown once as a heading
// over the graph, while each of those names shows only its rest after an ellipsis ("…0007"):
// forty 17-letter names that differ in their last digits are a wall of one word, and take four
// times the room of what tells them apart. Pure functions, nothing allocated.
import { overlapsAny } from "./label-placement.js";

// Most characters of a name beside its sphere: a longer one is shortened in the middle, as the
// waterfall's lane names are (vrmon/layout/waterfall_overview.py LANE_NAME_CHARS, span_labels.py
// shortened_in_the_middle): the same service reads the same in both scenes.
export const NAME_CHARS = 24;

/** A service's name as drawn beside its sphere: without the shared prefix, at most NAME_CHARS long. */
export function shownName(name, prefix) {
  const shown = prefix && name.length > prefix.length && name.startsWith(prefix) ? `…${name.slice(prefix.length)}` : name;
  if (shown.length <= NAME_CHARS) return shown;
  const head = Math.floor(NAME_CHARS / 2);
  return `${shown.slice(0, head).trimEnd()}…${shown.slice(shown.length - (NAME_CHARS - 1 - head)).trimStart()}`;
}

/** The heading's text. */
export function headingText(prefix) {
  return `${prefix}…`;
}

// Where the heading goes, in the order tried: over the graph's top-left corner, over its top-right,
// under its bottom-left, under its bottom-right ([x: 0 left-aligned, 1 right-aligned; y: -1 over, 1 under]).
const HEADING_SPOTS = [[0, -1], [1, -1], [0, 1], [1, 1]];

/**
 * Write into `box` the first free spot for a w × h heading beside `nodes` (the nodes' box: x0, y0,
 * x1, y1), `gap` from it, inside the view (half its size: halfW, halfH, less `edge`) and clear of
 * the first `obstacleCount` `obstacles` (overlays); false if there is none.
 */
export function headingSpot(box, nodes, w, h, gap, halfW, halfH, edge, obstacles, obstacleCount) {
  for (const [sx, sy] of HEADING_SPOTS) {
    box[0] = sx ? nodes[2] - w : nodes[0];
    box[1] = sy < 0 ? nodes[1] - gap - h : nodes[3] + gap;
    // slid inside the view's edges where it would stand out of them
    box[0] = Math.min(Math.max(box[0], -halfW + edge), halfW - edge - w);
    box[2] = box[0] + w;
    box[3] = box[1] + h;
    if (box[1] < -halfH + edge || box[3] > halfH - edge || box[0] < -halfW + edge) continue;
    if (!overlapsAny(box, obstacles, obstacleCount)) return true;
  }
  return false;
}
