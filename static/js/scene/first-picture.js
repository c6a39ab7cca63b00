// The first picture of a trace, drawn before A-Frame has loaded. The page's early socket
// (data/early-socket.js) has the first snapshot ~0.2 s after the page opens, and A-Frame (1.3 MB)
// takes longer than that to evaluate, and its first WebGL frame longer still on software GL.
// So the waterfall's first picture is drawn on a 2D canvas from that snapshot: the camera where
// desktop/camera-navigation.js will put it (scene/framing.js), every bar's visible faces and every
// error marker lit as three.js lights them (Lambert, the page's own lights), the labels from the
// same atlas (scene/label-atlas.js), the ruler's rules and the idle breaks. A-Frame then loads
// behind it, and the picture is taken away at the frame after the 3D view drew the same view
// (scene/first-frame.js): the same picture, then the live one.
// Only what can be drawn faithfully is: a waterfall (no yaw, boxes) of at most MOST_NODES marks;
// any other first view waits for A-Frame as before.
import { FLAG, decodeServerFrame } from "../data/protocol.js";
import { viewInsets } from "../desktop/view-insets.js";
import { PITCH_DEGREES, nearestFramedPose, waterfallFraming } from "./framing.js";
import { ERROR_COLOR, MARKER_LIT, markerPlacement } from "./error-markers.js";
import { atlasScale, breakLineBottom, drawAtlas, labelHeight, labelQuad, laneColor, styleOf } from "./label-atlas.js";
import { breakXs } from "../data/time-axis.js";
import { legendEntries, showLegend } from "../desktop/legend-entries.js";
import { drawingRatio } from "./pixel-ratio.js";

export const PICTURE_ID = "first-picture";
export const PICTURE_SHOWN_MARK = "vrmon:first-picture"; // Performance marks: the picture is on screen,
export const PICTURE_GONE_MARK = "vrmon:first-picture-gone"; // and the 3D view replaced it
const MOST_NODES = 20000; // beyond, the 3D view draws it (the overview sends ~1,000 marks at any size)
const RULE_COLOR = "rgba(58, 68, 86, 0.7)"; // scene-labels' rules: #3a4456 at 0.7

// A unit box's faces (scaled per bar) and a unit octahedron's (the error markers): normal, corners.
const BOX_FACES = [[0, 0, 1], [0, 0, -1], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]].map((n) => {
  const axis = n.findIndex((v) => v !== 0);
  const [u, v] = [0, 1, 2].filter((k) => k !== axis);
  return { normal: n, corners: [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([a, b]) => {
    const corner = [0, 0, 0];
    corner[axis] = n[axis] / 2;
    corner[u] = a / 2;
    corner[v] = b / 2;
    return corner;
  }) };
});
const OCTAHEDRON_FACES = [];
for (const x of [1, -1]) for (const y of [1, -1]) for (const z of [1, -1]) {
  OCTAHEDRON_FACES.push({ normal: [x, y, z], corners: [[x, 0, 0], [0, y, 0], [0, 0, z]] });
}

/**
 * The first picture from the early socket's first snapshot. Resolves once it is on screen (the
 * animation frame after the one that painted it; a Performance mark PICTURE_SHOWN_MARK then), or
 * at once when there is none to draw (no early socket, no snapshot in `waitMs`, a view this does
 * not draw); the page loads A-Frame then. Host load arriving before A-Frame takes over shows its
 * gauge, and the picture is drawn again for the room the bottom bar now takes.
 */
export function firstPicture(early, waitMs = 1000) {
  return new Promise((resolve) => {
    if (!early?.watch) {
      resolve();
      return;
    }
    let settled = false;
    let snapshot = null, canvas = null, setup = null;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(settle, waitMs);
    early.watch((event) => {
      if (event === null) return settle(); // the socket closed: the data system reconnects
      let frame;
      try {
        frame = decodeServerFrame(event.data);
      } catch {
        return settle(); // the data system says what is wrong with it
      }
      if (frame.type === "metrics") {
        if (showHostGauge(frame) && canvas?.isConnected) drawFirstPicture(snapshot, canvas, setup);
        return;
      }
      // A snapshot after the wait is not drawn: A-Frame is loading by then, and its first-frame
      // system only retires a picture that was there when it started.
      if (frame.type !== "snapshot" || snapshot || settled) return;
      snapshot = frame;
      setup = pageSetup();
      canvas = drawable(frame) ? drawFirstPicture(frame, pictureCanvas(), setup) : null;
      if (!canvas) return settle();
      // painted in the next frame; on screen (committed) by the one after
      requestAnimationFrame(() => requestAnimationFrame(() => {
        performance.mark(PICTURE_SHOWN_MARK);
        settle();
      }));
    });
  });
}

/** Whether this snapshot's view is one the first picture draws. */
function drawable({ scene, nodes }) {
  return scene?.layout === "waterfall" && scene.bounds && nodes.count > 0 && nodes.count <= MOST_NODES
    && nodes.yaw.every((yaw) => yaw === 0);
}

/** The picture's canvas, in front of where A-Frame's will be (under the overlays). */
function pictureCanvas() {
  const canvas = document.createElement("canvas");
  canvas.id = PICTURE_ID;
  canvas.setAttribute("aria-hidden", "true");
  document.body.append(canvas);
  // Resized before A-Frame took over: this picture is no longer the view (the 3D one will be).
  window.addEventListener("resize", () => canvas.remove(), { once: true });
  return canvas;
}

/**
 * What the snapshot makes the overlays at the edges do, done now: the camera frames the view in
 * the room they leave (view-insets.js), and this picture must be framed as it will be. The trace
 * list counts the traces and folds when it lists one (desktop/trace-list.js), the waterfall's overview strip shows
 * (desktop/time-strip.js), the legend lists the services on show (desktop/service-legend.js).
 */
function layOutOverlays({ scene, traces, services, nodes }, serviceColors) {
  const list = document.getElementById("trace-list");
  list.querySelector(".count").textContent = String(traces.length); // a folded list is a button as wide as its text
  if (traces.length === 1) {
    list.classList.add("collapsed");
    list.querySelector(".toggle").setAttribute("aria-expanded", "false");
  }
  document.getElementById("time-strip").hidden = !(scene.axis && scene.strip);
  showLegend(document.getElementById("legend"), legendEntries({ services, serviceColors, layout: scene.layout, nodes }));
}

/** Host load came: its gauge takes its place in the bottom bar (desktop/host-gauge.js draws it). Whether it appeared. */
function showHostGauge(metrics) {
  const gauge = document.getElementById("host-gauge");
  const wanted = document.getElementById("host-ring")?.getAttribute("visible") !== "false";
  if (!gauge.hidden || !metrics.cpu.length || !wanted) return false;
  gauge.hidden = false;
  return true;
}

/** What index.html sets up for the 3D view: the camera's field of view, the background, the lights. */
function pageSetup() {
  return {
    fov: Number(sceneAttribute("#camera", "camera").fov),
    background: sceneAttribute("a-scene", "background").color ?? "#000",
    lights: pageLights(),
  };
}

/** Draw the snapshot's view on `canvas`, the overlays laid out as it makes them; the canvas. */
export function drawFirstPicture(frame, canvas, setup) {
  const colours = serviceColours(frame.scene, frame.services, frame.nodes);
  layOutOverlays(frame, colours);
  const width = canvas.clientWidth, height = canvas.clientHeight;
  const ratio = drawingRatio(width, height); // the 3D view's (pixel-budget.js), sized as three.js sizes its canvas
  canvas.width = Math.floor(width * ratio);
  canvas.height = Math.floor(height * ratio);
  const view = viewOf(frame.scene, frame.nodes, canvas, width, height, setup);
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.fillStyle = setup.background;
  ctx.fillRect(0, 0, width, height);
  const labels = frame.labels; // all of them: the span names too, as on a screen
  drawRules(ctx, view, labels, frame.scene.bounds);
  drawMarks(ctx, view, frame);
  drawBreaks(ctx, view, labels, frame.scene);
  drawLabels(ctx, view, frame, labels, colours);
  canvas.view = view; // where it was seen from: the tests compare it with the 3D view
  return canvas;
}

/** The camera camera-navigation frames this scene with, as a projection to CSS pixels. */
function viewOf(scene, nodes, canvas, width, height, { fov, lights }) {
  const overlays = {
    left: document.getElementById("trace-list"), right: document.getElementById("span-panel"),
    top: document.getElementById("topbar"), bottom: document.getElementById("bottombar"),
  };
  const [bounds, labelRoom, margin] = waterfallFraming(scene, nodes);
  const { eye, pitch, insets } = nearestFramedPose({ bounds, labelRoom, margin, fov, width, height, pitchDegrees: PITCH_DEGREES.waterfall },
    (cornerAbove) => viewInsets(canvas, overlays, { cornerAbove }));
  const focal = 1 / Math.tan((fov * Math.PI) / 360);
  const cos = Math.cos(pitch), sin = Math.sin(pitch);
  return {
    eye, pitch, fov, width, height, insets,
    /** A scene point in view space (the camera looks down −z, turned down by the pitch). */
    toView([x, y, z]) {
      const dx = x - eye[0], dy = y - eye[1], dz = z - eye[2];
      return [dx, cos * dy - sin * dz, sin * dy + cos * dz];
    },
    /** A view-space point in CSS pixels from the canvas's top left. */
    toScreen([x, y, z]) {
      return [(1 + (focal * height / width) * x / -z) * width / 2, (1 - focal * y / -z) * height / 2];
    },
    project(point) {
      return this.toScreen(this.toView(point));
    },
    /** project() without allocating: a scene point into `out` [x, y]. */
    projectInto([x, y, z], out) {
      const dx = x - eye[0], dy = y - eye[1], dz = z - eye[2];
      const depth = -(sin * dy + cos * dz);
      out[0] = (1 + (focal * height / width) * dx / depth) * width / 2;
      out[1] = (1 - focal * (cos * dy - sin * dz) / depth) * height / 2;
      return out;
    },
    lights,
  };
}

/**
 * The bars (lit boxes) and the error markers (lit octahedrons), each shape's faces that face the
 * eye, shapes far to near. Scalar arithmetic and a few cached colours: ~1,000 marks in a few ms.
 */
function drawMarks(ctx, view, { nodes, scene }) {
  const { pos, size, color, flags, count } = nodes;
  const [ex, ey, ez] = view.eye;
  const shapes = []; // [depth, row, marker (0 or 1)]
  for (let row = 0; row < count; row++) {
    const i = row * 3;
    shapes.push([Math.hypot(pos[i] - ex, pos[i + 1] - ey, pos[i + 2] - ez), row, 0]);
  }
  const markers = new Float64Array(count * 4), at = [0, 0, 0, 0];
  for (let row = 0; row < count; row++) {
    if (!(flags[row] & FLAG.error)) continue;
    markers.set(markerPlacement(nodes, row, scene.layout, at), row * 4);
    shapes.push([Math.hypot(at[0] - ex, at[1] - ey, at[2] - ez), row, 1]);
  }
  shapes.sort((a, b) => b[0] - a[0]);
  // A face's colour: a bar's by its node colour and face (axis-aligned: the normal is the face's
  // own), a marker's by its face (scaled by (r, 1.4 r, r) whatever r: the same normals).
  const fills = new Map();
  const errorColor = hexToLinear(ERROR_COLOR), emissive = errorColor.map((v) => v * MARKER_LIT);
  const markerFills = OCTAHEDRON_FACES.map(({ normal: [x, y, z] }) => {
    const length = Math.hypot(x, y / 1.4, z);
    return lambert(view.lights, [x / length, y / 1.4 / length, z / length], errorColor, emissive);
  });
  const point = [0, 0, 0], screen = [0, 0];
  const corner = (cx, cy, cz) => {
    point[0] = cx; point[1] = cy; point[2] = cz;
    view.projectInto(point, screen);
    return screen;
  };
  // Bars' sides, tops and bottoms first, then their fronts (and the markers), each far to near: a
  // bar's side painted after its neighbour's front would show as a dark seam across it where
  // bars abut (the 3D view's depth test hides it behind that front).
  for (const fronts of [false, true]) for (const [, row, marker] of shapes) {
    if (marker && !fronts) continue;
    const i = row * 3;
    const [x, y, z, sx, sy, sz] = marker
      ? [markers[row * 4], markers[row * 4 + 1], markers[row * 4 + 2], markers[row * 4 + 3], markers[row * 4 + 3] * 1.4, markers[row * 4 + 3]]
      : [pos[i], pos[i + 1], pos[i + 2], size[i], size[i + 1], size[i + 2]];
    const faces = marker ? OCTAHEDRON_FACES : BOX_FACES;
    faces.forEach(({ normal: [nx, ny, nz], corners }, face) => {
      const [c0x, c0y, c0z] = corners[0];
      // faces the eye: (n / scale) · (eye − a point of the face) > 0
      if ((nx / sx) * (ex - x - c0x * sx) + (ny / sy) * (ey - y - c0y * sy) + (nz / sz) * (ez - z - c0z * sz) <= 0) return;
      if (!marker && (nz === 1) !== fronts) return;
      if (marker) {
        ctx.fillStyle = markerFills[face];
      } else {
        const key = (color[i] << 19) | (color[i + 1] << 11) | (color[i + 2] << 3) | face;
        let fill = fills.get(key);
        if (fill === undefined) {
          fill = lambert(view.lights, BOX_FACES[face].normal, [srgbToLinear(color[i]), srgbToLinear(color[i + 1]), srgbToLinear(color[i + 2])], null);
          fills.set(key, fill);
        }
        ctx.fillStyle = fill;
      }
      ctx.beginPath();
      for (let k = 0; k < corners.length; k++) {
        const [px, py] = corner(x + corners[k][0] * sx, y + corners[k][1] * sy, z + corners[k][2] * sz);
        if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.closePath();
      ctx.fill();
    });
  }
}

const atlases = new WeakMap(); // labels → their atlas, drawn once (the picture is drawn again when host load comes)

/** scene-labels' faint rule at each time tick, up the back of the lanes (behind the bars). */
function drawRules(ctx, view, labels, bounds) {
  ctx.strokeStyle = RULE_COLOR;
  ctx.lineWidth = 1;
  for (const { kind, pos: [x, y] } of labels) {
    if (kind === "tick") line(ctx, view, [x, y + 0.4, bounds[2] - 0.05], [x, bounds[4], bounds[2] - 0.05]);
  }
}

/** scene-labels' line through each compressed idle stretch on show, in front of the lanes. */
function drawBreaks(ctx, view, labels, { axis, bounds }) {
  const label = labels.find((l) => l.kind === "break");
  if (!label || !axis) return;
  const bottom = breakLineBottom(label);
  ctx.strokeStyle = styleOf(label).color;
  ctx.lineWidth = 1;
  for (const x of breakXs(axis)) line(ctx, view, [x, bottom, bounds[5] + 0.05], [x, bounds[4], bounds[5] + 0.05]);
}

function line(ctx, view, from, to) {
  const [x0, y0] = view.project(from), [x1, y1] = view.project(to);
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

/** The labels from scene-labels' atlas, each a quad facing the camera around its anchor. */
function drawLabels(ctx, view, { scene, services }, labels, colours) {
  const scale = atlasScale(ctx.canvas.height); // as fine as the 3D view's (scene-labels.js)
  if (atlases.get(labels)?.asked !== scale) atlases.set(labels, { ...drawAtlas(labels, (label) => laneColor(label, services, colours), scale), asked: scale });
  const { canvas: atlas, boxes } = atlases.get(labels);
  ctx.imageSmoothingQuality = "high";
  labels.forEach((label, i) => {
    const box = boxes[i];
    const { left, bottom, width, height } = labelQuad(label, box, labelHeight(label, scene.layout));
    const anchor = view.toView(label.pos);
    const [x0, y0] = view.toScreen([anchor[0] + left, anchor[1] + bottom + height, anchor[2]]);
    const [x1, y1] = view.toScreen([anchor[0] + left + width, anchor[1] + bottom, anchor[2]]);
    ctx.drawImage(atlas, box.x, box.y, box.w, box.h, x0, y0, x1 - x0, y1 - y0);
  });
}

/** Service index → colour, as the data system learns them: the scene's palette, else the colour of the service's first node. */
function serviceColours({ palette }, services, { service, color, count }) {
  if (palette?.length) return services.map((_, index) => palette[index % palette.length]);
  const colours = [];
  for (let row = count - 1; row >= 0; row--) {
    colours[service[row]] = `#${[0, 1, 2].map((k) => color[row * 3 + k].toString(16).padStart(2, "0")).join("")}`;
  }
  return colours;
}

/**
 * A face's colour as three.js's MeshLambertMaterial draws it with the page's lights (no tone
 * mapping, sRGB output): diffuse × (Σ hemisphere + Σ directional · max(n·l, 0)) / π + emissive.
 */
function lambert({ hemispheres, directional }, normal, albedo, emissive) {
  const light = [0, 0, 0];
  const dot = (direction) => normal[0] * direction[0] + normal[1] * direction[1] + normal[2] * direction[2];
  for (const { direction, sky, ground } of hemispheres) {
    const weight = 0.5 * dot(direction) + 0.5;
    for (let k = 0; k < 3; k++) light[k] += ground[k] + (sky[k] - ground[k]) * weight;
  }
  for (const { direction, color } of directional) {
    const share = Math.max(0, dot(direction));
    for (let k = 0; k < 3; k++) light[k] += color[k] * share;
  }
  const rgb = albedo.map((a, k) => linearToSrgb(a * light[k] / Math.PI + (emissive ? emissive[k] : 0)));
  return `rgb(${rgb.map((v) => Math.round(Math.min(1, v) * 255)).join(", ")})`;
}

/**
 * The page's lights (index.html's `light` entities) as three.js lights them, in linear colour.
 * Both kinds shine from where their entity is towards the origin (A-Frame moves the light one
 * metre down inside its entity, onto the entity's own position): a hemisphere light at the origin
 * has no direction, and three.js then weighs sky and ground equally on every face.
 */
function pageLights() {
  const hemispheres = [], directional = [];
  for (const element of document.querySelectorAll("a-scene [light]")) {
    const light = parseProperties(domAttribute(element, "light"));
    const intensity = Number(light.intensity ?? 1);
    const color = hexToLinear(light.color ?? "#ffffff").map((v) => v * intensity);
    const at = (domAttribute(element, "position") ?? "0 0 0").trim().split(/\s+/).map(Number);
    const length = Math.hypot(...at) || 1; // (zero stays zero, as three.js normalises it)
    const direction = at.map((v) => v / length);
    if (light.type === "hemisphere") {
      hemispheres.push({ direction, sky: color, ground: hexToLinear(light.groundColor ?? "#ffffff").map((v) => v * intensity) });
    } else if (light.type === "directional") {
      directional.push({ direction, color });
    }
  }
  return { hemispheres, directional };
}

/** An A-Frame style attribute ("a: 1; b: x") of the first element matching `selector`, as an object. */
function sceneAttribute(selector, name) {
  const element = document.querySelector(selector);
  return parseProperties((element && domAttribute(element, name)) ?? "");
}

/** The attribute as index.html wrote it: A-Frame's entities answer getAttribute with their components' data. */
function domAttribute(element, name) {
  return Element.prototype.getAttribute.call(element, name);
}

function parseProperties(text) {
  const properties = {};
  for (const part of text.split(";")) {
    const colon = part.indexOf(":");
    if (colon > 0) properties[part.slice(0, colon).trim()] = part.slice(colon + 1).trim();
  }
  return properties;
}

function srgbToLinear(byte) {
  const v = byte / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function linearToSrgb(v) {
  return v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055;
}

function hexToLinear(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [value >> 16, (value >> 8) & 255, value & 255].map(srgbToLinear);
}
