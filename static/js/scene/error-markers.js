// Where a node's error marker goes (a small octahedron above the start of its bar, or a badge on
// a service's sphere): plain arithmetic, no A-Frame, shared by the 3D markers (span-instances.js)
// and the first picture of a trace (first-picture.js).
import { FLAG } from "../data/protocol.js";

export const MARKER_RADIUS = 0.13;
export const ERROR_COLOR = "#ff453a";
export const MARKER_LIT = 1.7; // the markers' emissive intensity at rest (the top of a pulse)
// Marker radius as a share of the node's height: a small badge on a service's sphere (the
// sphere's colour already grades the error ratio), larger over the thin bars of the span scenes.
export const MARKER_SHARE = { services: 0.3, spans: 0.6 };
const YAW_TO_RADIANS = Math.PI / 32767;

const shareOf = (layout) => (layout === "services" ? MARKER_SHARE.services : MARKER_SHARE.spans);

/** Metres an error marker reaches above the top of a node `height` tall (see markerPlacement). */
export function markerReach(height, layout) {
  return Math.min(MARKER_RADIUS, height * shareOf(layout)) * 3; // centred 1.6 radii up, 1.4 radii tall each way
}

/** The highest point of the nodes with their error markers (scene metres; -Infinity for none). */
export function markersTop({ pos, size, flags, count }, layout) {
  let top = -Infinity;
  for (let row = 0; row < count; row++) {
    if (flags[row] & FLAG.error) top = Math.max(top, pos[row * 3 + 1] + size[row * 3 + 1] / 2 + markerReach(size[row * 3 + 1], layout));
  }
  return top;
}

/**
 * The marker of node `row` (one with an error) as [x, y, z, radius]: near the bar's start, along
 * the bar's own x axis (the wall turns its bars by `yaw`); the octahedron is scaled by (radius,
 * 1.4 radius, radius).
 */
export function markerPlacement({ pos, size, yaw }, row, layout, out) {
  const i = row * 3;
  const along = Math.min(size[i] / 2, 0.15) - size[i] / 2;
  const angle = yaw[row] * YAW_TO_RADIANS;
  const radius = Math.min(MARKER_RADIUS, size[i + 1] * shareOf(layout)); // the wall's bars are thin
  out[0] = pos[i] + along * Math.cos(angle);
  out[1] = pos[i + 1] + size[i + 1] / 2 + radius * 1.6;
  out[2] = pos[i + 2] - along * Math.sin(angle);
  out[3] = radius;
  return out;
}
