// How many device pixels the 3D view draws per CSS pixel. The screen's own ratio, so names are
// as crisp on a HiDPI screen (a MacBook's 2, a Windows laptop's 1.25 or 1.5) as the page's own
// text; but at most 2 (a phone's 3 would draw 2.25 times the pixels for no name a person reads
// better; and the services' names, drawn at 2 atlas pixels per CSS pixel in service-labels.js,
// are then never magnified), and at most a 4K frame's pixels in all: a 3840×2160 page at ratio 2
// would be 33 MP per frame, which a laptop GPU (or software GL, where every pixel costs CPU)
// draws at a crawl. Never below 1 (or the screen's own ratio, if that is lower): a name 12 CSS px
// tall keeps at least 12 pixels. Plain math, no A-Frame: the first picture (first-picture.js)
// draws at the same ratio as the 3D view that replaces it (pixel-budget.js).
export const MOST_RATIO = 2;
export const MOST_PIXELS = 3840 * 2160;

/** Device pixels per CSS pixel for a view of cssWidth × cssHeight CSS pixels on a screen of `deviceRatio`. */
export function drawingRatio(cssWidth, cssHeight, deviceRatio = window.devicePixelRatio || 1) {
  const withinBudget = Math.sqrt(MOST_PIXELS / Math.max(1, cssWidth * cssHeight));
  return Math.max(Math.min(deviceRatio, 1), Math.min(deviceRatio, MOST_RATIO, withinBudget));
}
