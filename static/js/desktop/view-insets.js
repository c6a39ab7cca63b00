// How much of the canvas the desktop overlays cover at its edges, so framing puts the scene in
// the part they leave free: the trace list on the left (open, or folded to a button in the
// corner), a side panel that runs down most of the right edge (the span panel), the top bar, and
// the bottom bar (legend, wall pager, host gauge).

// The bottom bar always keeps one row's room: the host gauge arrives with the first metrics
// frame, a second after the scene is framed.
const BOTTOM_ROW_PX = 56;

/**
 * {left, right, top, bottom} in CSS pixels of `canvas`, each at most a third of its side; the
 * side panel up to half the width (a 400 px panel on a 900 px page: the trace list folds for it,
 * trace-list.js, and nothing framed may lie under it). With `cornerAbove`, a short left overlay
 * (the folded list's button) keeps the strip above its bottom free instead of the column right
 * of it: the width is dearer where a side panel is open (the service graph, whose names keep
 * clear of the button by themselves). `leftShort`: the left inset is the column of such a short
 * overlay, not a panel down the side.
 */
export function viewInsets(canvas, { left, right, top, bottom }, { cornerAbove = false } = {}) {
  const width = canvas.clientWidth || 1;
  const height = canvas.clientHeight || 1;
  const tall = (box) => box && box.height > height / 2;
  const leftBox = left?.getBoundingClientRect();
  const rightBox = right?.getBoundingClientRect();
  const topBox = top?.getBoundingClientRect();
  const bottomBox = shownBox(bottom);
  const corner = cornerAbove && leftBox?.height && !tall(leftBox);
  const leftShort = Boolean(leftBox?.height && !corner && !tall(leftBox));
  return {
    // a folded list is a button in the top-left corner: names at the picture's left edge must clear it too
    left: leftBox?.height && !corner ? Math.min(leftBox.right, width / 3) : 0,
    // that column is the button's only: the picture stays centred on the canvas unless it would reach into it (framing.js)
    leftShort,
    right: tall(rightBox) ? Math.min(width - rightBox.left, width / 2) : 0,
    top: Math.min(Math.max(topBox?.height ? topBox.bottom : 0, corner ? leftBox.bottom : 0), height / 3),
    bottom: bottom ? Math.min(Math.max(bottomBox ? height - bottomBox.top : 0, BOTTOM_ROW_PX), height / 3) : 0,
  };
}

/** The box of `element` if any child of it shows, else null. */
function shownBox(element) {
  if (!element || ![...element.children].some((child) => child.getClientRects().length)) return null;
  const box = element.getBoundingClientRect();
  return box.height ? box : null;
}
