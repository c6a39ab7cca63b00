// Text for people: durations, times, tag values, and a small DOM builder. Everything shown in
// the overlays comes from traces, which are untrusted: text goes in with textContent only.

/** 1234 → "1.23 ms"; microseconds in, the unit a person would pick out. */
export function formatDuration(us) {
  if (!Number.isFinite(us)) return "—";
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${trim(us / 1000)} ms`;
  if (us < 60e6) return `${trim(us / 1e6)} s`;
  const minutes = Math.floor(us / 60e6);
  return `${minutes} min ${trim((us - minutes * 60e6) / 1e6)} s`;
}

/** 0.4 → "0.40/s": spans or calls per second. */
export function formatRate(perSecond) {
  if (!Number.isFinite(perSecond)) return "—";
  if (perSecond > 0 && perSecond < 0.01) return "< 0.01/s"; // e.g. recordings days apart
  return `${trim(perSecond)}/s`;
}

const DURATION_UNITS_US = { us: 1, "µs": 1, ms: 1000, s: 1e6, m: 60e6, min: 60e6 };

/** "250ms", "1.5 s", "300us", "2m" → µs (a bare number is milliseconds); "" → 0; null if unreadable. */
export function parseDuration(text) {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|ms|s|m|min)?\s*$/i.exec(String(text ?? ""));
  if (!match) return String(text ?? "").trim() === "" ? 0 : null;
  return Number(match[1]) * DURATION_UNITS_US[(match[2] ?? "ms").toLowerCase()];
}

function trim(value) {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** Local wall-clock time with milliseconds, e.g. "09:40:59.322". */
export function formatClock(us) {
  const d = new Date(us / 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Local date and time with microseconds, e.g. "2026-08-19 09:40:59.322682". */
export function formatTimestamp(us) {
  const d = new Date(us / 1000);
  const micros = pad(Math.floor(us % 1e6), 6);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${micros}`;
}

/** A tag or log field value as text (values may be strings, numbers, booleans, bytes or maps). */
export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** h("div", {class: "x", onclick}, "text", child) → element; strings become text nodes. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "style") Object.assign(element.style, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** Drop keyboard focus after a mouse click, so WASD and shortcuts go back to the scene. */
export function releaseFocusAfterClick(event) {
  if (event.detail > 0) event.currentTarget.blur();
}
