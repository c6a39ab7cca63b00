// The outline drawn around the selected node (span-instances.js): plain arithmetic, no A-Frame,
// shared with the service graph's framing (desktop/services-framing.js), which keeps room for it
// so that a selected sphere's ring never runs past the edge of the view.

export const OUTLINE_MARGIN = 0.05; // metres around the selected node's box
// A selected sphere's ring stands a quarter of its diameter out, OUTLINE_MARGIN at most: clear of
// a small sphere, and no wider than it needs to be, since the framing keeps room for it round
// every sphere (a fixed 0.05 m took 2-3 % of the view from graphs of 3 to 200 services).
const RING_SHARE = 0.25;

/** The diameter of the ring round a selected sphere `size` across. */
export function ringDiameter(size) {
  return size + Math.min(OUTLINE_MARGIN, RING_SHARE * size);
}
