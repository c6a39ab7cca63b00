// The scene's labels (lane names, time ruler ticks, title, span names) as text in one canvas atlas,
// and where each label's quad sits around its anchor: plain canvas work, no A-Frame, shared by the
// 3D labels (scene-labels.js) and the first picture of a trace (first-picture.js), which draws the
// same atlas before A-Frame has loaded.
export const FONT_PX = 56;
export const PAD_PX = 10;
export const LETTER_SHARE = FONT_PX / (FONT_PX + 2 * PAD_PX); // of a label quad's height, its letters' (the rest is padding)
const ATLAS_WIDTH = 2048;
// A taller drawing buffer shows labels taller: the wall's titles, ~60 px on a 720 px view, are
// ~180 px at 3840×2160, magnified from FONT_PX letters (soft-edged). The atlas is drawn finer
// for it, in steps of ATLAS_SCALE_STEP (a resize redraws it only when the step changes), within
// MAX_ATLAS_SCALE and ATLAS_PIXELS (a texture's memory) and the GPU's largest texture.
const REFERENCE_HEIGHT_PX = 720; // a drawing buffer this tall draws labels about FONT_PX tall at most
const ATLAS_SCALE_STEP = 0.5;
const MAX_ATLAS_SCALE = 3;
const ATLAS_PIXELS = 4096 * 4096;
// kind → text height in metres, anchor inside the text box ([0..1] from left, from bottom), colour
export const STYLES = {
  lane: { height: 0.4, anchor: [1, 0.5], weight: 600, color: null }, // null: the lane's service colour
  tick: { height: 0.3, anchor: [0.5, 0], weight: 500, color: "#9aa4b5" },
  break: { height: 0.3, anchor: [0.5, 0], weight: 600, color: "#e3b341" }, // compressed idle time: its true length
  fold: { height: 0.3, anchor: [1, 0.5], weight: 500, color: "#9aa4b5" }, // how many calls a summary's own row folds, beside it
  title: { height: 0.5, anchor: [0.5, 0], weight: 600, color: "#e6edf3" },
  // a span's operation and duration (the waterfall of a small trace): on its bar or right of it,
  // or ending left of it ("span-left") where the bar ends near the picture's right edge; on a dark
  // backing as tall as its letters, so it reads on any bar colour
  span: { height: 0.45, anchor: [0, 0.5], weight: 500, color: "#e6edf3", backing: true },
  "span-left": { height: 0.45, anchor: [1, 0.5], weight: 500, color: "#e6edf3", backing: true },
};
export const FALLBACK_COLOR = "#c9d1d9";
const BACKING = "rgba(8, 11, 17, 0.95)"; // near opaque: a break line or a rule behind it would cross the letters
// Text heights in metres where a layout is drawn smaller than the waterfall (the wall's panels
// are 1 m tall; its titles are cut to fit the panels at this height, see vrmon/layout/wall.py):
// layout → kind → height.
const LAYOUT_HEIGHTS = { wall: { title: 0.22 } };

export const styleOf = (label) => STYLES[label.kind] ?? STYLES.tick;

/** A label's text height in metres in a scene of this layout. */
export function labelHeight(label, layout) {
  return label.size ?? LAYOUT_HEIGHTS[layout]?.[label.kind] ?? styleOf(label).height;
}

/** Where a label's quad of `height` metres lies around its anchor (metres, x right and y up), for its atlas `box`. */
export function labelQuad(label, box, height) {
  const style = styleOf(label);
  const width = height * (box.w / box.h);
  return { left: -style.anchor[0] * width, bottom: -style.anchor[1] * height, width, height };
}

/** Where the waterfall's lines through its idle breaks start (metres up): above the break label's
 * row (the break's length) and the ticks' row over it (scene-labels.js's buildBreaks). */
export function breakLineBottom(breakLabel) {
  return breakLabel.pos[1] + 2 * (breakLabel.size ?? styleOf(breakLabel).height);
}

/** The atlas's scale (its letters FONT_PX × this tall) for a drawing buffer `bufferHeight` device pixels tall. */
export function atlasScale(bufferHeight, maxTexture = 8192) {
  const wanted = Math.ceil(bufferHeight / REFERENCE_HEIGHT_PX / ATLAS_SCALE_STEP) * ATLAS_SCALE_STEP;
  return Math.max(1, Math.min(wanted, MAX_ATLAS_SCALE, maxTexture / ATLAS_WIDTH));
}

/** Where each label goes in an atlas of this scale: {boxes, height} in its pixels. */
function packAtlas(labels, scale) {
  const measure = document.createElement("canvas").getContext("2d");
  const [width, pad, rowHeight] = [ATLAS_WIDTH * scale, PAD_PX * scale, (FONT_PX + 2 * PAD_PX) * scale];
  let x = 0, y = 0;
  const boxes = labels.map((label) => {
    measure.font = fontOf(label, scale);
    const w = Math.min(width, Math.ceil(measure.measureText(label.text).width + 2 * pad));
    if (x + w > width) { x = 0; y += rowHeight; }
    const box = { x, y, w, h: rowHeight };
    x += w;
    return box;
  });
  return { boxes, height: Math.ceil(y + rowHeight) };
}

const fontOf = (label, scale) => `${styleOf(label).weight} ${FONT_PX * scale}px system-ui, "Segoe UI", Roboto, sans-serif`;

/**
 * Pack every label's text into one canvas, row by row, its letters FONT_PX × `scale` tall
 * (atlasScale; less where the texture would be larger than ATLAS_PIXELS or `maxTexture` tall);
 * `colorOf(label)`: a lane's colour. Returns the canvas, pixel boxes and the scale drawn at.
 */
export function drawAtlas(labels, colorOf, scale = 1, maxTexture = 8192) {
  let packed = packAtlas(labels, scale);
  const most = Math.min(Math.sqrt(ATLAS_PIXELS / (ATLAS_WIDTH * scale * packed.height)), maxTexture / packed.height) * scale;
  if (scale > 1 && most < scale) {
    scale = Math.max(1, Math.floor(most / ATLAS_SCALE_STEP) * ATLAS_SCALE_STEP);
    packed = packAtlas(labels, scale);
  }
  const { boxes } = packed;
  const pad = PAD_PX * scale;
  const canvas = document.createElement("canvas");
  canvas.width = ATLAS_WIDTH * scale;
  canvas.height = packed.height;
  const ctx = canvas.getContext("2d");
  ctx.textBaseline = "middle";
  ctx.lineJoin = "round";
  labels.forEach((label, i) => {
    const box = boxes[i];
    ctx.font = fontOf(label, scale);
    if (styleOf(label).backing) {
      // the letters' band only (a font's height): rows of labels a font apart keep clear of each other
      ctx.fillStyle = BACKING;
      ctx.beginPath();
      ctx.roundRect(box.x + pad / 2, box.y + pad, box.w - pad, FONT_PX * scale, (FONT_PX * scale) / 5);
      ctx.fill();
    }
    // A dark outline keeps text readable over bars and grid lines.
    ctx.lineWidth = 8 * scale;
    ctx.strokeStyle = "rgba(8, 11, 17, 0.85)";
    ctx.strokeText(label.text, box.x + pad, box.y + box.h / 2, box.w - 2 * pad);
    ctx.fillStyle = styleOf(label).color ?? colorOf(label);
    ctx.fillText(label.text, box.x + pad, box.y + box.h / 2, box.w - 2 * pad);
  });
  return { canvas, boxes, scale };
}

/** A lane name's colour: its service's (`serviceColors`: service index → "#rrggbb"). */
export function laneColor(label, services, serviceColors) {
  // a lane names its service (its text may be the name shortened)
  return serviceColors[label.service ?? services.indexOf(label.text)] ?? FALLBACK_COLOR;
}
