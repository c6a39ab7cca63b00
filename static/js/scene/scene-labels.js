// The snapshot's labels (lane names, time ruler ticks, title) as camera-facing text. All the
// texts are drawn once into one canvas atlas and rendered as a single mesh of billboarded
// quads, so labels cost one draw call however many lanes a trace has. Time ticks also get a
// faint rule across the floor.
// In a headset the waterfall's labels keep at least HEADSET_DEGREES of visual angle however far
// they are (the shader grows a quad that would look smaller), each only as far as its neighbours
// leave room (growthRoom): lane names grow leftwards from their right end; the time ruler grows
// downwards from its top, its row of ticks over its row of idle breaks' lengths, so nothing
// reaches into the bars and a break's length stays under the ticks beside it.
import { billboardGeometry } from "./billboard-quads.js";
import { listen } from "../listen.js";
import { FONT_PX, LETTER_SHARE, atlasScale, breakLineBottom, drawAtlas, labelHeight, labelQuad, laneColor, styleOf } from "./label-atlas.js";
import { breakXs } from "../data/time-axis.js";

const THREE = AFRAME.THREE;

const SCREEN_ONLY = new Set(["span", "span-left"]); // kinds not drawn in a headset (see init)
// Text heights in metres where a layout is drawn smaller than the waterfall (the wall's panels
// are 1 m tall; its titles are cut to fit the panels at this height, see vrmon/layout/wall.py):
// layout → kind → height.
// Metres from the eye where labels start to fade and where they are gone, per layout: the
// wall's far panels (behind the viewer, across the room) would be too small to read anyway.
const LAYOUT_FADE = { wall: [13, 18] };
const NO_FADE = [1e6, 2e6];
// The least visual angle of a waterfall label's letters in a headset (≥ 1.2°: about 2 cm at 1 m),
// and the most a label may grow to keep it.
export const HEADSET_DEGREES = 1.4;
const MOST_GROWTH = 4;
// Labels that may grow in a headset, by layout, and the point of the quad that stays where it is
// (in shares of its width and height from its left and bottom): a lane name's right end (the
// bars are right of it), a tick's top (the lanes are above it).
const GROWING = { waterfall: { lane: [1, 0.5], fold: [1, 0.5], tick: [0.5, 1], break: [0.5, 1] } };

const VERTEX_SHADER = `
attribute vec3 anchor;
attribute vec2 corner;
attribute vec4 growth; // the point that stays (corner units), the letters' height, the most it may grow
uniform vec2 fade; // distance where fading starts, where the label is gone
uniform float leastAngle; // tan of the least visual angle of the letters (0: none, on a screen)
varying vec2 vUv;
varying float vFade;
void main() {
  vec4 viewPosition = modelViewMatrix * vec4(anchor, 1.0);
  vFade = 1.0 - smoothstep(fade.x, fade.y, length(viewPosition.xyz));
  // Offsets in view space keep each quad facing the camera; they shrink and grow with the
  // scene when a headset user scales it, and grow back to the least angle where there is room.
  float scale = length(modelMatrix[0].xyz);
  float grow = clamp(leastAngle * length(viewPosition.xyz) / (growth.z * scale), 1.0, growth.w);
  viewPosition.xy += (growth.xy + (corner - growth.xy) * grow) * scale;
  gl_Position = projectionMatrix * viewPosition;
  vUv = uv;
}`;
const FRAGMENT_SHADER = `
uniform sampler2D atlas;
varying vec2 vUv;
varying float vFade;
void main() {
  vec4 texel = texture2D(atlas, vUv);
  texel.a *= vFade;
  if (texel.a < 0.02) discard;
  gl_FragColor = texel;  // the canvas is already in display colours: no conversion
}`;

AFRAME.registerComponent("scene-labels", {
  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.material = new THREE.ShaderMaterial({
      uniforms: { atlas: { value: null }, fade: { value: new THREE.Vector2(...NO_FADE) }, leastAngle: { value: 0 } },
      vertexShader: VERTEX_SHADER,
      fragmentShader: FRAGMENT_SHADER,
      transparent: true,
      depthWrite: false,
    });
    this.rulesMaterial = new THREE.LineBasicMaterial({ color: 0x3a4456, transparent: true, opacity: 0.7 });
    // drawn with the translucent things, just before the labels (see buildBreaks)
    this.breakMaterial = new THREE.LineBasicMaterial({ color: styleOf({ kind: "break" }).color, transparent: true });
    this.onLabels = () => this.build();
    const onPresenting = () => {
      const presenting = this.el.sceneEl.is("vr-mode") && (this.el.sceneEl.renderer?.xr.isPresenting ?? false);
      this.material.uniforms.leastAngle.value = presenting ? Math.tan(THREE.MathUtils.degToRad(HEADSET_DEGREES)) / this.fontShare() : 0;
      // In a headset the spans are named by vr-span-labels (at a visual angle a row of this atlas
      // cannot keep): the labels on the bars are for screens, and go when a session starts.
      if (this.system.labels.some((label) => SCREEN_ONLY.has(label.kind))) this.build();
    };
    // A taller drawing buffer wants a finer atlas (label-atlas.js's atlasScale).
    const onResize = () => this.atlasScale() !== this.builtScale && this.system.labels.length && this.build();
    // Lane colours come from the services' colours, which can arrive after the labels.
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-labels": this.onLabels, "vrmon-services": this.onLabels,
      "enter-vr": onPresenting, "exit-vr": onPresenting, rendererresize: onResize });
    if (this.system.labels.length) this.build();
  },

  remove() {
    this.unlistenScene();
    this.clear();
    this.material.dispose();
    this.rulesMaterial.dispose();
    this.breakMaterial.dispose();
  },

  clear() {
    this.letters = null;
    for (const name of ["labels", "rules", "breaks"]) {
      const object = this.el.getObject3D(name);
      if (!object) continue;
      object.geometry.dispose();
      this.el.removeObject3D(name);
    }
    this.material.uniforms.atlas.value?.dispose();
    this.material.uniforms.atlas.value = null;
  },

  build() {
    this.clear();
    const labels = this.system.labels;
    const inHeadset = this.el.sceneEl.is("vr-mode");
    if (!labels.length) return;
    this.builtScale = this.atlasScale();
    const maxTexture = this.el.sceneEl.renderer?.capabilities.maxTextureSize;
    const { canvas, boxes, scale } = drawAtlas(labels, (label) => laneColor(label, this.system.services, this.system.serviceColors),
      this.builtScale, maxTexture);
    this.drawnScale = scale;
    const texture = new THREE.CanvasTexture(canvas);
    texture.minFilter = THREE.LinearMipmapLinearFilter;
    texture.anisotropy = 4;
    this.material.uniforms.atlas.value = texture;
    this.material.uniforms.fade.value.fromArray(LAYOUT_FADE[this.system.scene?.layout] ?? NO_FADE);

    const count = labels.length;
    const anchors = new Float32Array(count * 4 * 3);
    const corners = new Float32Array(count * 4 * 2);
    const uvs = new Float32Array(count * 4 * 2);
    const growths = new Float32Array(count * 4 * 4);
    const indices = new Uint32Array(count * 6);
    const growing = GROWING[this.system.scene?.layout] ?? {};
    const heights = labels.map((label) => labelHeight(label, this.system.scene?.layout));
    const rooms = growthRoom(labels, heights, heights.map((height, i) => height * (boxes[i].w / boxes[i].h)), growing);
    const rulerTop = rulerTopOf(labels, heights);
    const letters = new Float32Array(count * 4);
    labels.forEach((label, i) => {
      const box = boxes[i];
      // a label not drawn here keeps its place in the mesh as an empty quad (quad i is label i)
      const { left, bottom, width, height } = labelQuad(label, box, inHeadset && SCREEN_ONLY.has(label.kind) ? 0 : heights[i]);
      const stays = growing[label.kind] ?? [0, 0];
      // a break's length hangs under the ticks: it grows from the ruler's top, as they do
      const stayY = label.kind === "break" && growing.break ? rulerTop - label.pos[1] : bottom + stays[1] * height;
      for (let k = 0; k < 4; k++) growths.set([left + stays[0] * width, stayY, heights[i], rooms[i]], (i * 4 + k) * 4);
      const u0 = box.x / canvas.width, u1 = (box.x + box.w) / canvas.width;
      const v0 = 1 - (box.y + box.h) / canvas.height, v1 = 1 - box.y / canvas.height;
      const quad = [[left, bottom, u0, v0], [left + width, bottom, u1, v0], [left + width, bottom + height, u1, v1], [left, bottom + height, u0, v1]];
      quad.forEach(([cx, cy, u, v], k) => {
        const vertex = i * 4 + k;
        anchors.set(label.pos, vertex * 3);
        corners.set([cx, cy], vertex * 2);
        uvs.set([u, v], vertex * 2);
      });
      indices.set([0, 1, 2, 0, 2, 3].map((k) => i * 4 + k), i * 6);
      const inset = ((1 - LETTER_SHARE) / 2) * height; // the atlas pads each line on every side
      letters.set([label.pos[0] + left + inset, label.pos[1] + bottom + inset, label.pos[0] + left + width - inset,
        label.pos[1] + bottom + height - inset], i * 4);
    });
    this.letters = letters;
    const geometry = billboardGeometry(anchors, corners, uvs, indices);
    geometry.setAttribute("growth", new THREE.BufferAttribute(growths, 4));
    geometry.computeBoundingSphere();
    geometry.boundingSphere.radius += 2 * MOST_GROWTH; // quads extend beyond their anchors
    const mesh = new THREE.Mesh(geometry, this.material);
    mesh.renderOrder = 3; // after the opaque spans and the translucent marks over them (finding shells, compare frames, edges)
    this.el.setObject3D("labels", mesh);
    this.buildRules(labels);
    this.el.sceneEl.emit("scene-labels-drawn", {}, false);
  },

  /** Where each label's letters are (x0, y0, x1, y1 per label, in the world's metres, as drawn on
   * a screen: quads face a camera looking along -z), for marks that must keep clear of them. */
  letterBoxes() {
    return this.letters ?? new Float32Array(0);
  },

  /** The atlas scale this page's drawing buffer wants (label-atlas.js). */
  atlasScale() {
    const renderer = this.el.sceneEl.renderer;
    return renderer ? atlasScale(renderer.domElement.height, renderer.capabilities.maxTextureSize) : 1;
  },

  /** The height of the atlas's letters, in its pixels (what a label drawn taller magnifies). */
  atlasFontPx() {
    return (this.drawnScale ?? 1) * FONT_PX;
  },

  /** The share of a label's quad its letters take (font size / quad height; the rest is padding). */
  fontShare() {
    return LETTER_SHARE;
  },

  /** A faint line at each time tick: up the back of the waterfall's lanes, or across the floor to the back of the scene. */
  buildRules(labels) {
    const bounds = this.system.scene?.bounds;
    const ticks = labels.filter((label) => label.kind === "tick");
    if (!bounds || !ticks.length) return;
    const back = bounds[2] - 0.3;
    const upright = this.system.scene.layout === "waterfall";
    const points = new Float32Array(ticks.length * 6);
    ticks.forEach(({ pos: [x, y, z] }, i) => points.set(upright
      ? [x, y + 0.4, bounds[2] - 0.05, x, bounds[4], bounds[2] - 0.05]
      : [x, 0.005, z - 0.05, x, 0.005, back], i * 6));
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(points, 3));
    this.el.setObject3D("rules", new THREE.LineSegments(geometry, this.rulesMaterial));
    this.buildBreaks(labels, bounds);
  },

  /** Compressed idle time (the waterfall): a bright line up through the lanes at each break on
   * show (the axis's knots say where; breaks a moment apart may share one label), from above the
   * ruler's ticks: the break's length hangs under them, and a line down to it would cross the
   * tick the trace wakes up at, centred just after the break. */
  buildBreaks(labels, bounds) {
    const label = labels.find((l) => l.kind === "break");
    const axis = this.system.scene?.axis;
    if (!label || !axis) return;
    const above = breakLineBottom(label);
    const xs = breakXs(axis);
    const points = new Float32Array(xs.length * 6);
    xs.forEach((x, i) => points.set([x, above, bounds[5] + 0.05, x, bounds[4], bounds[5] + 0.05], i * 6));
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(points, 3));
    const lines = new THREE.LineSegments(geometry, this.breakMaterial);
    lines.renderOrder = 2; // before the labels, whose backings then cover it where a label lies across it
    this.el.setObject3D("breaks", lines);
  },
});

/**
 * How much each label may grow (≥ 1) before its letters would reach a neighbour's: the names in
 * the left column (lane, fold) by the gap to the names above and below; the ruler's ticks by the
 * gap to the ticks beside them, and the breaks' lengths on the row under them by the gap to the
 * breaks beside them. A break's length moves down as the ticks over it grow (see rulerTopOf), so
 * a tick over one (as wide as each may grow) grows no more than it. Labels of other kinds (or
 * other layouts) stay as they are.
 */
export function growthRoom(labels, heights, widths, growing) {
  const rooms = new Float32Array(labels.length).fill(1);
  const column = [], ticks = [], breaks = [];
  labels.forEach((label, i) => {
    if (!growing[label.kind]) return;
    (label.kind === "lane" || label.kind === "fold" ? column : label.kind === "break" ? breaks : ticks).push(i);
  });
  // a label and its nearest neighbour along `axis` both grow: each to at most their gap (less a tenth) over its extent
  const room = (members, axis, extent) => {
    members.sort((a, b) => labels[a].pos[axis] - labels[b].pos[axis]);
    members.forEach((i, k) => {
      const gaps = [k > 0 ? labels[i].pos[axis] - labels[members[k - 1]].pos[axis] : Infinity,
        k + 1 < members.length ? labels[members[k + 1]].pos[axis] - labels[i].pos[axis] : Infinity];
      rooms[i] = Math.min(MOST_GROWTH, Math.max(1, 0.9 * Math.min(...gaps) / extent(i)));
    });
  };
  room(column, 1, (i) => heights[i] * LETTER_SHARE);
  room(ticks, 0, (i) => widths[i]);
  room(breaks, 0, (i) => widths[i]);
  for (const b of breaks) {
    for (const t of ticks) {
      const reach = (widths[t] * rooms[t] + widths[b] * rooms[b]) / 2;
      if (Math.abs(labels[t].pos[0] - labels[b].pos[0]) < reach) rooms[t] = Math.min(rooms[t], rooms[b]);
    }
  }
  return rooms;
}

/**
 * Metres up to the top of the ruler's row of ticks (each tick's text stands on its anchor, a
 * break's length hangs under that row). Growing from there (as the ticks do from their tops), a
 * break's length moves down as the ticks over it grow and stays clear of them. No ticks: the top
 * of the breaks' row.
 */
export function rulerTopOf(labels, heights) {
  let top = -Infinity, breaksTop = -Infinity;
  labels.forEach((label, i) => {
    if (label.kind === "tick") top = Math.max(top, label.pos[1] + heights[i]);
    else if (label.kind === "break") breaksTop = Math.max(breaksTop, label.pos[1] + heights[i]);
  });
  return Number.isFinite(top) ? top : breaksTop;
}

/** The least room to grow (see growthRoom) among the waterfall's names in the left column, and their least letter height (metres). */
export function nameColumn(labels) {
  const heights = labels.map((label) => label.size ?? styleOf(label).height);
  const rooms = growthRoom(labels, heights, heights, { lane: true, fold: true });
  let room = MOST_GROWTH, letters = Infinity;
  labels.forEach((label, i) => {
    if (label.kind !== "lane" && label.kind !== "fold") return;
    room = Math.min(room, rooms[i]);
    letters = Math.min(letters, heights[i] * LETTER_SHARE);
  });
  return { room, letters };
}
