// Where the desktop camera stands to frame a box of the scene in the part of the canvas the
// overlays leave free: pure arithmetic, no A-Frame, so that the first picture of a trace
// (first-picture.js, drawn before A-Frame has loaded) and the camera (desktop/camera-navigation.js)
// stand at exactly the same place.
import { markersTop } from "./error-markers.js";

export const FRAME_MARGIN = 0.6; // metres of empty space around the bounds
export const NO_PAD = { left: 0, top: 0, right: 0, bottom: 0 }; // CSS pixels kept free inside the free part's edges
export const TIGHT_MARGIN = 0.3; // around a frame the scene gives (it already holds names and ruler)
export const WALL_MARGIN = 0.15; // around the wall's frame: it holds the panels' whole width and titles
export const LABEL_ROOM = 2.2; // metres left of the bounds for lane names
// Looking down, per layout: steep enough in the waterfall that lanes (z) and call depths (y) do
// not hide each other; level, straight at it, for the flat service graph.
// The waterfall's lanes stand upright like a page: seen almost from the front. The wall: level, from in front of the page of panels (its lanes go into the wall and stay behind their bars).
export const PITCH_DEGREES = { waterfall: 2, services: 0, wall: 0 };

const radians = (degrees) => (degrees * Math.PI) / 180;

/** The box a waterfall scene is framed by, and its label room and margin: the frame the layout
 * gives (marks, lane names and ruler), else its bounds with room for names; raised to the top of
 * the error markers of its `nodes` (above their bars: the root's was cut by the top bar), as the
 * services scene is framed. */
export function waterfallFraming(scene, nodes) {
  const [box, labelRoom, margin] = scene.frame ? [scene.frame, 0, TIGHT_MARGIN] : [scene.bounds, LABEL_ROOM, FRAME_MARGIN];
  const top = markersTop(nodes, scene.layout);
  return [top > box[4] ? [...box.slice(0, 4), top, box[5]] : box, labelRoom, margin];
}

/**
 * The pose that puts `bounds` [minx, miny, minz, maxx, maxy, maxz] where it fills the part of the
 * view the overlays leave free (`insets`: CSS pixels covered at each edge of a canvas `width` ×
 * `height`), with `labelRoom` metres more on each side, `margin` metres all round and `pad` CSS
 * pixels inside the free part's edges; for a camera of vertical field of view `fov` (degrees),
 * looking down by `pitchDegrees`. Returns {eye: [x, y, z], pitch (radians, down), range (the
 * camera's distance from the bounds' centre), free: [width, height] of the free part in CSS pixels}.
 */
export function framedPose({ bounds, labelRoom, margin = FRAME_MARGIN, pad = NO_PAD, fov, aspect, width, height, insets, pitchDegrees }) {
  const [minx, miny, minz, maxx, maxy, maxz] = bounds;
  const cx = (minx + maxx) / 2;
  const cy = (miny + maxy) / 2;
  const cz = (minz + maxz) / 2;
  const canvasWidth = width || 1;
  const canvasHeight = height || 1;
  const tanHalfV = Math.tan(radians(fov) / 2);
  const tanHalfH = tanHalfV * (aspect ?? canvasWidth / canvasHeight);
  let { left, right, top, bottom } = insets;
  const free = [canvasWidth - left - right, canvasHeight - top - bottom];
  left += pad.left; right += pad.right; top += pad.top; bottom += pad.bottom;
  // (never less than a tenth of the view: a tiny window still frames the bounds somewhere)
  const freeWidth = Math.max(1 - (left + right) / canvasWidth, 0.1);
  const freeHeight = Math.max(1 - (top + bottom) / canvasHeight, 0.1);
  // Look down at the centre from PITCH above the horizon, far enough back for the bounds
  // (plus room for lane names left of them) to fill the free part of the view.
  const pitch = radians(pitchDegrees);
  const halfWidth = (maxx - minx) / 2 + labelRoom + margin;
  const halfDepth = (maxz - minz) / 2;
  const halfHeight = halfDepth * Math.sin(pitch) + ((maxy - miny) / 2) * Math.cos(pitch) + margin;
  const range = halfDepth + Math.max(halfWidth / (tanHalfH * freeWidth), halfHeight / (tanHalfV * freeHeight));
  // Slide sideways and along the view's up so the centre lands in the middle of the free part;
  // beside a short overlay in the top-left corner (the folded trace list's button) only as far as
  // keeps the bounds out of its column: a picture framed by its height stays in the middle of the
  // canvas (it sat 89 px right of it on 1280-1920 px pages, its left margin twice its right).
  const shift = insets.leftShort ? cornerShift({ left, right, canvasWidth, halfWidth, front: range - halfDepth, range, tanHalfH })
    : (left - right) / canvasWidth;
  const eyeX = cx - shift * range * tanHalfH;
  const up = ((top - bottom) / canvasHeight) * range * tanHalfV; // the view's up: (0, cos, −sin) of the pitch
  const eye = [eyeX, cy + range * Math.sin(pitch) + up * Math.cos(pitch), cz + range * Math.cos(pitch) - up * Math.sin(pitch)];
  return { eye, pitch, range, free };
}

/**
 * How far right of the canvas's middle (a share of its half-width, at the bounds' centre depth)
 * the bounds' centre goes beside a short top-left overlay whose column is `left` px wide: the
 * middle of the part right of it as the free part's would be, the canvas's middle (less a right
 * panel) where the bounds' front (`front` metres away, `halfWidth` wide each way) clears that
 * column from there, else just far enough to clear it.
 */
function cornerShift({ left, right, canvasWidth, halfWidth, front, range, tanHalfH }) {
  const middle = -right / canvasWidth;
  const free = (left - right) / canvasWidth;
  // the least shift of the front that keeps its left edge right of the column, at the centre's depth
  const clear = (-1 + (2 * left) / canvasWidth + halfWidth / (front * tanHalfH)) * (front / range);
  return Math.min(Math.max(middle, clear), free);
}

/**
 * framedPose for the insets a folded trace list leaves either way (`insetsFor(cornerAbove)`, see
 * desktop/view-insets.js: the column beside its button, or the strip above the button's foot),
 * whichever frames the bounds larger (the nearer camera): on a tall narrow page the strip costs
 * less than a column as wide as the button. Returns the pose with its `insets`.
 */
export function nearestFramedPose(options, insetsFor) {
  const [column, strip] = [false, true].map((cornerAbove) => {
    const insets = insetsFor(cornerAbove);
    return { ...framedPose({ ...options, insets }), insets };
  });
  return strip.range < column.range - 1e-9 ? strip : column;
}
