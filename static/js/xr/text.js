// SDF text for the headset (troika-three-text), with the font served by vrmon itself: troika's
// default font and its fallback fonts come from a CDN, which a headset on an offline network
// cannot reach, so text is limited to what the shipped font covers.
import { Text, configureTextBuilder } from "troika-three-text";

const FONT_URL = "/vendor/inter-font/inter-latin-400-normal.woff";
export const BOLD_FONT_URL = "/vendor/inter-font/inter-latin-600-normal.woff";

configureTextBuilder({ defaultFontURL: FONT_URL });

// The Latin subset of Inter (fontsource's unicode-range for "latin"). Anything else would send
// troika to its CDN for a fallback font and the text would never appear offline.
const OUTSIDE_FONT = /[^\t\n\u0020-\u007e\u00a0-\u00ff\u0131\u0152\u0153\u02c6\u02da\u02dc\u2000-\u206f\u20ac\u2122\u2191\u2193\u2212\u2215]/gu;

/** Text as the shipped font can draw it: uncovered characters become "?". */
export function displayable(text) {
  return String(text ?? "").replace(OUTSIDE_FONT, "?");
}

/** A troika Text mesh: size in metres, anchored at its top left unless told otherwise. */
export function createText({ size = 0.03, color = "#e6edf3", maxWidth = Infinity, anchorX = "left", anchorY = "top", bold = false } = {}) {
  const text = new Text();
  text.font = bold ? BOLD_FONT_URL : FONT_URL;
  text.fontSize = size;
  text.color = color;
  text.maxWidth = maxWidth;
  text.anchorX = anchorX;
  text.anchorY = anchorY;
  text.overflowWrap = "break-word";
  return text;
}

/** Set a Text's string (made displayable); troika typesets it again before the next render. */
export function setText(text, value) {
  const shown = displayable(value);
  if (text.text !== shown) text.text = shown;
}
