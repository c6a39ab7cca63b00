// The outline drawn around the selected node (span-instances.js): plain arithmetic, no A-Frame,
// shared with the service graph's framing (desktop/services-framing.js), which keeps room for it
// so that a selected sphere's outline never runs past the edge of the view.

export const OUTLINE_MARGIN = 0.05; // metres around the selected node's box
