// Every keyboard shortcut of the desktop page, in one table: the top bar's ⋯ menu lists them from
// it (? opens it), and one window keydown listener dispatches them to the component that bound
// the action (bindKeys), so no handler depends on the order others were added in.
//
// A key works on the page, in the span search box or in any other text box, as its `in` says
// (default: the page only). A focused button or slider counts as the page, except that it keeps
// Space and Enter for itself; with Ctrl, Alt or Cmd held no shortcut applies.
// While something that Esc closes is open (a menu: whileOpen), Esc closes it and does nothing else.
const PAGE = "page";
const SEARCH = "search"; // focus in the span search bar (#span-search)
const BOX = "box"; // focus in another text box (the trace list's filter)
const CONTROLS = "button, a[href], [role=button], [role=slider]"; // they keep Space and Enter when focused

export const SHORTCUTS = Object.freeze([
  { action: "search", label: "/", help: "search spans", keys: [{ key: "/" }] },
  {
    action: "nextMatch", label: "N · Enter or ↓ in the search", help: "select the next match",
    keys: [{ key: "n", shift: false }, { key: "N", shift: false }, { key: "Enter", shift: false, in: [SEARCH] },
      { key: "ArrowDown", in: [SEARCH] }],
  },
  {
    action: "previousMatch", label: "Shift+N · Shift+Enter or ↑ in the search", help: "select the previous match",
    keys: [{ key: "N", shift: true }, { key: "n", shift: true }, { key: "Enter", shift: true, in: [SEARCH] },
      { key: "ArrowUp", in: [SEARCH] }],
  },
  {
    action: "escape", label: "Esc", help: "clear the selection, then the search; leave a text box",
    keys: [{ key: "Escape", in: [PAGE, SEARCH, BOX] }],
  },
  { action: "focusSelection", label: "F", help: "frame the selected span", keys: [{ key: "f" }, { key: "F" }] },
  { action: "resetView", label: "R · Home", help: "back to the overview", keys: [{ key: "r" }, { key: "R" }, { key: "Home" }] },
  { action: "overview", label: "0", help: "waterfall: the overview, calls folded", keys: [{ key: "0" }] },
  {
    action: "depth", label: "1–9", help: "waterfall: open the calls down to that depth",
    keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((key) => ({ key })),
  },
  { action: "expandAll", label: "E", help: "waterfall: every span a bar", keys: [{ key: "e" }, { key: "E" }] },
  { action: "idle", label: "I", help: "waterfall: compress long idle stretches, or not", keys: [{ key: "i" }, { key: "I" }] },
  { action: "zoomIn", label: "+", help: "waterfall: zoom time in", keys: [{ key: "+" }, { key: "=" }] },
  { action: "zoomOut", label: "−", help: "waterfall: zoom time out", keys: [{ key: "-" }] },
  { action: "playPause", label: "Space", help: "replay: play or pause", keys: [{ key: " " }] },
  { action: "nextError", label: "J", help: "replay: jump to the next error", keys: [{ key: "j" }, { key: "J" }] },
  { action: "filesInTime", label: "P", help: "trace files: play them in time, or show them whole", keys: [{ key: "p" }, { key: "P" }] },
  { action: "olderPage", label: "Page Down", help: "wall: older traces", keys: [{ key: "PageDown" }] },
  { action: "newerPage", label: "Page Up", help: "wall: newer traces", keys: [{ key: "PageUp" }] },
  { action: "traceList", label: "T", help: "fold or open the trace list", keys: [{ key: "t" }, { key: "T" }] },
  { action: "legend", label: "L", help: "fold or open the service colours", keys: [{ key: "l" }, { key: "L" }] },
  { action: "hostLoad", label: "H", help: "show or hide host load", keys: [{ key: "h" }, { key: "H" }] },
  { action: "percentileColours", label: "C", help: "colour spans by duration percentile, or by service", keys: [{ key: "c" }, { key: "C" }] },
  { action: "keyHelp", label: "?", help: "this list of keys (the ⋯ menu)", keys: [{ key: "?" }] },
  // the mouse, and A-Frame's own keys (look-controls and wasd-controls handle them), listed too
  { action: null, label: "drag · W A S D · wheel", help: "look · walk · move", keys: [] },
  { action: null, label: "wheel · drag on the bars", help: "waterfall: zoom · pan time (shift+drag looks)", keys: [] },
  { action: null, label: "click", help: "select a span; open a folded mark", keys: [] },
]);

const bound = new Map(); // action → handler
const openLayers = []; // what Esc closes first, the newest last
const ACTIONS = new Set(SHORTCUTS.map((shortcut) => shortcut.action).filter(Boolean));

/**
 * Bind actions of the table to handlers ({resetView: () => …}); returns the unbinding function.
 * A handler that returns false did not use the key (e.g. a waterfall key in another scene): the
 * browser then does what it would have done.
 */
export function bindKeys(handlers) {
  for (const action of Object.keys(handlers)) {
    if (!ACTIONS.has(action)) throw new Error(`keymap: no shortcut for "${action}"; add it to SHORTCUTS`);
  }
  if (!bound.size) window.addEventListener("keydown", dispatch);
  for (const [action, handler] of Object.entries(handlers)) bound.set(action, handler);
  return () => {
    for (const [action, handler] of Object.entries(handlers)) if (bound.get(action) === handler) bound.delete(action);
    if (!bound.size) window.removeEventListener("keydown", dispatch);
  };
}

/** Something open that Esc closes before any shortcut sees the key; returns the function to call
 * when it closed some other way. */
export function whileOpen(close) {
  const layer = { close };
  openLayers.push(layer);
  return () => {
    const at = openLayers.indexOf(layer);
    if (at >= 0) openLayers.splice(at, 1);
  };
}

/** The shortcut `event` asks for where it happened, or null. */
export function shortcutOf(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if ((event.key === " " || event.key === "Enter") && event.target?.matches?.(CONTROLS)) return null; // the control's own
  const where = placeOf(event.target);
  for (const shortcut of SHORTCUTS) {
    for (const { key, shift, in: places = [PAGE] } of shortcut.keys) {
      if (key === event.key && (shift === undefined || shift === event.shiftKey) && places.includes(where)) return shortcut;
    }
  }
  return null;
}

function dispatch(event) {
  if (event.key === "Escape" && openLayers.length && !(event.ctrlKey || event.metaKey || event.altKey)) {
    event.preventDefault();
    openLayers.pop().close();
    return;
  }
  const handler = bound.get(shortcutOf(event)?.action);
  if (handler && handler(event) !== false) event.preventDefault();
}

function placeOf(target) {
  if (typeof target?.closest !== "function") return PAGE; // the window or the document
  if (target.matches("input, select, textarea, [contenteditable]")) return target.closest("#span-search") ? SEARCH : BOX;
  return PAGE;
}
