// Names of the services in the services scene, placed on screen so that they can be read: each
// name keeps a fixed size on screen (TEXT_PX pixels on a desktop, NARROW_TEXT_PX on a narrow page,
// TEXT_DEGREES of visual angle in a headset) and faces the viewer; names never overlap each other, never lie on a node (or its
// error marker) and never run off the edge. Names are placed greedily, the pointed-at and the
// selected service first, then by node size (the busiest services), each at the first free spot
// beside its node that does not widen the picture (a name on the graph's right edge goes left of
// its node if it fits there, so the framing needs no room for it; else the free spot that widens
// it least, for the view's shape); where the graph is crowded, a name may stand a little further off, joined to
// its node by a thin leader line (which crosses no other name or node). A name that finds no
// free spot is hidden until the view changes or you point at its node. All names and leaders sit
// in one canvas atlas drawn as one mesh of quads (one draw call); placing them rewrites two
// small vertex arrays, and only when the view, the nodes, the pointed-at or the selected
// service changed.
import { markerReach } from "./error-markers.js";
import { billboardGeometry } from "./billboard-quads.js";
import { anyOverlapBetween, leaderSegment, overlapsAny, rectCrossedByAny, segmentCrossesAny } from "./label-placement.js";
import { headingSpot, headingText, shownName } from "./name-heading.js";

const THREE = AFRAME.THREE;

export const TEXT_PX = 16; // letter size (font size) on a desktop screen, CSS pixels
// On a page narrower than NARROW_PAGE_PX (a portrait window, a tablet standing up) the names are a
// little smaller, still above the 12 px a screen's text needs: a 600x900 page has room beside a
// graph of 40 services for 34 names at 16 px (layout/services.py models the same sizes).
export const NARROW_TEXT_PX = 14;
export const NARROW_PAGE_PX = 900;
export const TEXT_DEGREES = 1.5; // letter size in a headset, degrees of visual angle
const ATLAS_SCALE = 2; // atlas pixels per label pixel: crisp when drawn a little larger
const PAD_PX = 7; // dark backing around the text: a clear margin from links and particles
const GAP_PX = 6; // between a node and its name: the name reads as a word of its own
const LEADER_PX = 22; // how much further off a name may stand, per step, joined by a leader
const LEADER_WIDTH_PX = 1.5;
const LEADER_COLOR = "rgba(200, 212, 230, 0.75)";
const EDGE_PX = 4; // kept free along the edges of the view
const XR_HALF_VIEW_DEGREES = [38, 30]; // the part of a headset's view names are placed in
const XR_REFRESH_MS = 120; // a head never stops moving: place names a few times a second
const BACKING = "#0a0d14"; // the background colour, solid: hides the links behind a name
const FALLBACK_COLOR = "#d7dee8";
// Spots around a node, in the order they are tried: right, left, above, below; then the same
// slid along the node's side by half the label; then the corners; then the eight directions one
// and two LEADER_PX further off (with a leader). Each is [x, y, slide x, slide y, steps off]:
// x, y is -1 before the node's box, 0 centred on the node, 1 after it (y down); the slides are in
// label widths and heights.
const NEAR_SPOTS = [
  [1, 0, 0, 0], [-1, 0, 0, 0], [0, -1, 0, 0], [0, 1, 0, 0],
  [1, 0, 0, -0.5], [1, 0, 0, 0.5], [-1, 0, 0, -0.5], [-1, 0, 0, 0.5],
  [0, -1, 0.4, 0], [0, -1, -0.4, 0], [0, 1, 0.4, 0], [0, 1, -0.4, 0],
  [1, -1, 0, 0], [-1, -1, 0, 0], [1, 1, 0, 0], [-1, 1, 0, 0],
].map((spot) => [...spot, 0]);
const DIRECTIONS = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [-1, -1], [1, 1], [-1, 1]];
const SPOTS = [...NEAR_SPOTS, ...[1, 2].flatMap((steps) => DIRECTIONS.map(([x, y]) => [x, y, 0, 0, steps]))];

const VERTEX_SHADER = `
uniform float pxAngle;
attribute vec3 anchor;
attribute vec2 corner;
varying vec2 vUv;
void main() {
  vec4 viewPosition = modelViewMatrix * vec4(anchor, 1.0);
  // Offsets in view space, growing with the distance: a fixed angular size, facing the viewer.
  viewPosition.xy += corner * (-viewPosition.z) * pxAngle;
  gl_Position = projectionMatrix * viewPosition;
  vUv = uv;
}`;
const FRAGMENT_SHADER = `
uniform sampler2D atlas;
varying vec2 vUv;
void main() {
  vec4 texel = texture2D(atlas, vUv);
  if (texel.a < 0.02) discard;
  gl_FragColor = texel;
}`;

AFRAME.registerComponent("service-labels", {
  // DOM overlays (CSS selectors) a name must not be placed under on a screen
  schema: { avoid: { type: "string", default: "" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.material = new THREE.ShaderMaterial({
      uniforms: { atlas: { value: null }, pxAngle: { value: 0.001 } },
      vertexShader: VERTEX_SHADER,
      fragmentShader: FRAGMENT_SHADER,
      transparent: true,
      depthTest: false, // on a screen names are placed clear of the nodes: drawn over links and particles
      depthWrite: false,
    });
    this.mesh = null;
    this.labelOfService = new Int32Array(0); // service index → label slot in the atlas, -1 none
    this.sizes = new Float32Array(0); // per slot: label width, height in label pixels
    this.shown = 0; // names placed at the last placement: their rows and rectangles
    this.shownRows = new Int32Array(0);
    this.half = [0, 0]; // half the view, label pixels, at the last placement
    // Scratch state reused by every placement.
    this.nodeRects = new Float32Array(0); // per row: x0, y0, x1, y1 on screen, error marker included
    this.nodeCentres = new Float32Array(0); // per row: x, y on screen
    this.inFront = new Uint8Array(0); // per row: 1 if in front of the viewer
    this.placedRects = new Float32Array(0); // the names placed so far, x0, y0, x1, y1 each
    this.leaders = new Float32Array(0); // the leaders drawn so far, x0, y0, x1, y1 each
    this.leaderCount = 0;
    this.box = [0, 0, 0, 0];
    this.prefix = ""; // the prefix most names share, shown once in a heading (name-heading.js)
    this.texts = []; // per atlas slot: the text drawn (the heading's last)
    this.headingRect = new Float32Array(4); // x0, y0, x1, y1 of the heading, when headingShown is 1
    this.headingShown = 0;
    // The content's box on screen (nodes and the names placed so far), and the nodes' alone.
    this.content = new Float32Array(4);
    this.nodesBox = new Float32Array(4);
    // The size of the part of the view the content is framed in (CSS pixels; desktop framing
    // sets it), whose shape says whether a name widens the picture more across or up; null: the view's.
    this.fitArea = null;
    this.modelView = new THREE.Matrix4();
    this.lastMatrix = new Float32Array(16);
    this.lastView = new Float32Array(4); // canvas width, height, field of view, pointed-at row
    this.dirty = true;
    this.placeLimit = Infinity; // names placed after the pointed-at and the selected: the framing's tries need only the first few
    this.nextXR = 0;
    this.onServices = () => { this.atlasStale = true; this.dirty = true; };
    this.onChange = () => { this.dirty = true; };
    // In a headset the wrist menu and in-world panels stand among the names: there the names
    // take the depth test, so what is nearer hides them, as any object in the room would.
    this.onPresenting = () => {
      this.material.depthTest = Boolean(this.el.sceneEl.renderer?.xr.isPresenting);
      this.material.needsUpdate = true;
    };
    for (const name of ["enter-vr", "exit-vr"]) this.el.sceneEl.addEventListener(name, this.onPresenting);
    for (const name of ["vrmon-services", "vrmon-scene"]) this.el.sceneEl.addEventListener(name, this.onServices);
    for (const name of ["vrmon-nodes", "vrmon-selection"]) this.el.sceneEl.addEventListener(name, this.onChange);
    this.atlasStale = true;
    this.textPx = TEXT_PX; // the letters' size the atlas is drawn at (label pixels)
  },

  update() {
    this.overlayWatch?.disconnect();
    window.removeEventListener("resize", this.onOverlays);
    this.overlays = this.data.avoid ? [...document.querySelectorAll(this.data.avoid)] : [];
    this.obstacles = new Float32Array(this.overlays.length * 4);
    this.obstacleCount = 0;
    // Overlays change size when they fold, open or show; their boxes are read then, not per frame.
    this.onOverlays ??= () => {
      this.measureOverlays();
      this.dirty = true;
      // At rest nothing draws a frame (render-on-demand), so a name an overlay grew over would
      // stay under it: ask for one then, and only then — the host gauge's text resizes with
      // every load update, and a view at rest must draw nothing for that.
      if (anyOverlapBetween(this.placedRects, this.shown, this.obstacles, this.obstacleCount)) {
        this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
      }
    };
    this.overlayWatch = new ResizeObserver(this.onOverlays);
    for (const overlay of this.overlays) this.overlayWatch.observe(overlay);
    window.addEventListener("resize", this.onOverlays);
  },

  /** The overlays' boxes as label pixels from the canvas' centre (CSS pixels on a screen). */
  measureOverlays() {
    const canvas = this.el.sceneEl.canvas?.getBoundingClientRect();
    this.obstacleCount = 0;
    if (!canvas) return;
    for (const overlay of this.overlays) {
      const box = overlay.getBoundingClientRect();
      if (!box.width || !box.height) continue;
      const x = canvas.left + canvas.width / 2, y = canvas.top + canvas.height / 2;
      this.obstacles.set([box.left - x, box.top - y, box.right - x, box.bottom - y], this.obstacleCount++ * 4);
    }
  },

  remove() {
    this.overlayWatch?.disconnect();
    window.removeEventListener("resize", this.onOverlays);
    for (const name of ["enter-vr", "exit-vr"]) this.el.sceneEl.removeEventListener(name, this.onPresenting);
    for (const name of ["vrmon-services", "vrmon-scene"]) this.el.sceneEl.removeEventListener(name, this.onServices);
    for (const name of ["vrmon-nodes", "vrmon-selection"]) this.el.sceneEl.removeEventListener(name, this.onChange);
    this.clear();
    this.material.dispose();
  },

  active() {
    return this.system.scene?.layout === "services" && this.system.nodes.count > 0;
  },

  clear() {
    if (this.mesh) {
      this.mesh.geometry.dispose();
      this.el.removeObject3D("service-labels");
      this.mesh = null;
    }
    this.material.uniforms.atlas.value?.dispose();
    this.material.uniforms.atlas.value = null;
    this.shown = 0;
    this.headingShown = 0;
  },

  /** One atlas entry per service on show; a mesh with four vertices per entry. */
  buildAtlas() {
    this.atlasStale = false;
    this.textPx = this.wantedTextPx();
    this.clear();
    if (!this.active()) return;
    const { services, nodes } = this.system;
    this.labelOfService = new Int32Array(services.length).fill(-1);
    const slots = [];
    for (let row = 0; row < nodes.count; row++) {
      const s = nodes.service[row];
      if (s < services.length && this.labelOfService[s] < 0) {
        this.labelOfService[s] = slots.length;
        slots.push(s);
      }
    }
    // Names shown without the prefix most of them share, which a heading shows once (name-heading.js).
    this.prefix = this.system.scene?.names_prefix ?? "";
    const texts = slots.map((s) => shownName(services[s], this.prefix));
    const colors = slots.map((s) => this.system.serviceColor(s) ?? FALLBACK_COLOR);
    if (this.prefix) {
      texts.push(headingText(this.prefix));
      colors.push(FALLBACK_COLOR);
    }
    this.texts = texts;
    const { canvas, boxes, solid } = drawAtlas(texts, colors, this.textPx);
    const texture = new THREE.CanvasTexture(canvas);
    texture.minFilter = THREE.LinearMipmapLinearFilter;
    texture.anisotropy = 4;
    this.material.uniforms.atlas.value = texture;

    // Quads 0 … count-1 are the names, count … 2·count-1 their leaders (drawn after the names),
    // 2·count the heading, if there is one (its size is the atlas slot count's).
    const count = slots.length;
    this.slots = count;
    const quads = 2 * count + (this.prefix ? 1 : 0);
    this.sizes = new Float32Array(boxes.length * 2);
    const anchors = new Float32Array(quads * 12);
    const corners = new Float32Array(quads * 8);
    const uvs = new Float32Array(quads * 8);
    const indices = new Uint32Array(quads * 6);
    const uvOf = (box) => {
      const u0 = box.x / canvas.width, u1 = (box.x + box.w) / canvas.width;
      const v0 = 1 - (box.y + box.h) / canvas.height, v1 = 1 - box.y / canvas.height;
      return [u0, v0, u1, v0, u1, v1, u0, v1];
    };
    const leaderUv = uvOf(solid);
    boxes.forEach((box, i) => {
      this.sizes[i * 2] = box.w / ATLAS_SCALE;
      this.sizes[i * 2 + 1] = box.h / ATLAS_SCALE;
      if (i === count) { // the heading
        uvs.set(uvOf(box), 2 * count * 8);
        return;
      }
      uvs.set(uvOf(box), i * 8);
      uvs.set(leaderUv, (count + i) * 8);
    });
    for (let q = 0; q < quads; q++) indices.set([0, 1, 2, 0, 2, 3].map((k) => q * 4 + k), q * 6);
    const geometry = billboardGeometry(anchors, corners, uvs, indices);
    this.mesh = new THREE.Mesh(geometry, this.material);
    this.mesh.frustumCulled = false; // the quads are placed by the shader
    this.mesh.renderOrder = 10; // after nodes, links and particles
    this.mesh.raycast = () => {}; // names are not for pointing at: their nodes are
    this.el.setObject3D("service-labels", this.mesh);
    this.dirty = true;
  },

  /** The letters' size for the view now: NARROW_TEXT_PX on a narrow page, else TEXT_PX (in a headset too). */
  wantedTextPx() {
    const sceneEl = this.el.sceneEl;
    if (sceneEl.renderer?.xr.isPresenting) return TEXT_PX;
    return (sceneEl.canvas?.clientWidth ?? Infinity) < NARROW_PAGE_PX ? NARROW_TEXT_PX : TEXT_PX;
  },

  tick(time) {
    if (this.atlasStale || this.wantedTextPx() !== this.textPx) this.buildAtlas();
    if (!this.mesh) return;
    const sceneEl = this.el.sceneEl;
    const xr = sceneEl.renderer?.xr.isPresenting ?? false;
    const camera = xr ? sceneEl.renderer.xr.getCamera() : sceneEl.camera;
    if (!camera) return;
    if (xr && time < this.nextXR && !this.dirty) return;
    this.nextXR = time + XR_REFRESH_MS;
    const canvas = sceneEl.canvas;
    const hovered = this.system.hoveredRow;
    this.el.object3D.updateMatrixWorld();
    this.modelView.multiplyMatrices(camera.matrixWorldInverse, this.el.object3D.matrixWorld);
    // Nothing allocated here: it runs every frame, and places names only when something changed.
    let changed = this.dirty;
    const m = this.modelView.elements;
    for (let i = 0; i < 16; i++) if (Math.abs(m[i] - this.lastMatrix[i]) > 1e-6) changed = true;
    const view = this.lastView;
    if (view[0] !== canvas.clientWidth || view[1] !== canvas.clientHeight || view[2] !== camera.fov || view[3] !== hovered) changed = true;
    if (!changed) return;
    this.lastMatrix.set(m);
    view[0] = canvas.clientWidth; view[1] = canvas.clientHeight; view[2] = camera.fov; view[3] = hovered;
    this.dirty = false;
    // Label pixels: CSS pixels on a desktop; in a headset, TEXT_DEGREES / TEXT_PX degrees each.
    const pxAngle = xr ? THREE.MathUtils.degToRad(TEXT_DEGREES) / this.textPx
      : (2 * Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2)) / Math.max(canvas.clientHeight, 1);
    const half = xr
      ? XR_HALF_VIEW_DEGREES.map((d) => Math.tan(THREE.MathUtils.degToRad(d)) / pxAngle)
      : [canvas.clientWidth / 2, canvas.clientHeight / 2];
    this.material.uniforms.pxAngle.value = pxAngle;
    this.place(pxAngle, half, hovered, xr ? 0 : this.obstacleCount);
  },

  /**
   * Place the names for this view: `half` is half the view's width and height in label pixels,
   * `hovered` the row pointed at (-1 none), `obstacleCount` how many overlay boxes to keep clear
   * of. Screen coordinates are label pixels from the view's centre, y down.
   */
  place(pxAngle, [halfW, halfH], hovered, obstacleCount) {
    const { nodes, selectedId } = this.system;
    const { pos, size, flags, service, count } = nodes;
    if (this.nodeRects.length < count * 4) {
      this.nodeRects = new Float32Array(count * 8);
      this.nodeCentres = new Float32Array(count * 4);
      this.inFront = new Uint8Array(count * 2);
      this.placedRects = new Float32Array(count * 8);
      this.shownRows = new Int32Array(count * 2);
      this.leaders = new Float32Array(count * 8);
    }
    const { nodeRects: rects, nodeCentres: centres, inFront, placedRects: placed, leaders } = this;
    const e = this.modelView.elements;
    for (let row = 0; row < count; row++) {
      const x = pos[row * 3], y = pos[row * 3 + 1], z = pos[row * 3 + 2];
      const vz = e[2] * x + e[6] * y + e[10] * z + e[14];
      inFront[row] = vz < -0.05 ? 1 : 0;
      if (!inFront[row]) continue;
      const k = 1 / (-vz * pxAngle); // label pixels per metre at this depth
      centres[row * 2] = (e[0] * x + e[4] * y + e[8] * z + e[12]) * k;
      centres[row * 2 + 1] = -(e[1] * x + e[5] * y + e[9] * z + e[13]) * k;
      // The node's box on screen: its bounding cube's eight corners (the front ones are nearer,
      // so larger), reaching up over the error marker span-instances draws 1.6–3 marker radii above it.
      const r = size[row * 3] / 2;
      const marker = flags[row] & 1 ? markerReach(size[row * 3], "services") : 0;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let c = 0; c < 8; c++) {
        const cx = x + (c & 1 ? r : -r), cy = y + (c & 2 ? r + marker : -r), cz = z + (c & 4 ? r : -r);
        const w = Math.max(-(e[2] * cx + e[6] * cy + e[10] * cz + e[14]), 0.05) * pxAngle;
        const sx = (e[0] * cx + e[4] * cy + e[8] * cz + e[12]) / w;
        const sy = -(e[1] * cx + e[5] * cy + e[9] * cz + e[13]) / w;
        x0 = Math.min(x0, sx); x1 = Math.max(x1, sx); y0 = Math.min(y0, sy); y1 = Math.max(y1, sy);
      }
      rects[row * 4] = x0; rects[row * 4 + 1] = y0; rects[row * 4 + 2] = x1; rects[row * 4 + 3] = y1;
    }
    const content = this.content;
    content[0] = content[1] = Infinity;
    content[2] = content[3] = -Infinity;
    for (let row = 0; row < count; row++) {
      if (!inFront[row]) continue;
      for (let k = 0; k < 2; k++) {
        content[k] = Math.min(content[k], rects[row * 4 + k]);
        content[k + 2] = Math.max(content[k + 2], rects[row * 4 + k + 2]);
      }
    }
    this.nodesBox.set(content);
    const [fitW, fitH] = this.fitArea ?? [2 * halfW, 2 * halfH];
    const selected = selectedId === null ? -1 : nodes.rowOf.get(selectedId) ?? -1;
    const order = this.placingOrder();
    const anchors = this.mesh.geometry.attributes.anchor.array;
    const corners = this.mesh.geometry.attributes.corner.array;
    corners.fill(0); // hidden unless placed
    this.half[0] = halfW;
    this.half[1] = halfH;
    const box = this.box;
    let shown = 0, leaderCount = 0;
    // The heading first, over (or under) the nodes, anchored at the biggest node in front.
    const heading = this.headingRect;
    this.headingShown = 0;
    let anchor = -1;
    for (let i = 0; this.prefix && anchor < 0 && i < count; i++) if (inFront[order[i]]) anchor = order[i];
    if (anchor >= 0) {
      const w = this.sizes[this.slots * 2], h = this.sizes[this.slots * 2 + 1];
      if (headingSpot(heading, content, w, h, GAP_PX, halfW, halfH, EDGE_PX, this.obstacles, obstacleCount)) {
        this.headingShown = 1;
        this.writeQuad(2 * this.slots, anchor, heading, centres[anchor * 2], centres[anchor * 2 + 1], anchors, corners);
        for (let k = 0; k < 2; k++) {
          content[k] = Math.min(content[k], heading[k]);
          content[k + 2] = Math.max(content[k + 2], heading[k + 2]);
        }
      }
    }
    // the pointed-at and the selected service first, then the biggest nodes
    for (let i = -2, last = Math.min(count, this.placeLimit); i < last; i++) {
      const row = i === -2 ? hovered : i === -1 ? selected : order[i];
      // (the pointed-at node is often the selected one: its name is placed once)
      if (row < 0 || row >= count || (i >= 0 && (row === hovered || row === selected)) || (i === -1 && row === hovered)) continue;
      const slot = inFront[row] ? this.labelOfService[service[row]] : -1;
      if (slot === undefined || slot < 0) continue;
      const w = this.sizes[slot * 2], h = this.sizes[slot * 2 + 1];
      const cx = centres[row * 2], cy = centres[row * 2 + 1];
      const x0 = rects[row * 4], y0 = rects[row * 4 + 1], x1 = rects[row * 4 + 2], y1 = rects[row * 4 + 3];
      // The pointed-at and the selected name always show: beside the node over other nodes if it must.
      const spots = i < 0 ? SPOTS.length + NEAR_SPOTS.length : SPOTS.length;
      // Of the free spots beside the node, the first that widens the picture not at all, else the
      // one that widens it least; further off (with a leader) only if none is free.
      let best = -1, bestGrowth = Infinity;
      for (let k = 0; k < spots; k++) {
        if (k === NEAR_SPOTS.length && best >= 0) break;
        const [sx, sy, slideX, slideY, steps] = k < SPOTS.length ? SPOTS[k] : NEAR_SPOTS[k - SPOTS.length];
        spotBox(box, sx, sy, slideX, slideY, GAP_PX + steps * LEADER_PX, w, h, cx, cy, x0, y0, x1, y1);
        if (box[0] < -halfW + EDGE_PX || box[2] > halfW - EDGE_PX || box[1] < -halfH + EDGE_PX || box[3] > halfH - EDGE_PX) continue;
        if (overlapsAny(box, placed, shown) || overlapsAny(box, heading, this.headingShown) || rectCrossedByAny(box, leaders, leaderCount)) continue;
        if (overlapsAny(box, this.obstacles, obstacleCount)) continue; // under the top bar, a list, a panel
        if (k < SPOTS.length && overlapsAny(box, rects, count, inFront)) continue;
        if (k < NEAR_SPOTS.length) {
          const growth = widening(content, box, fitW, fitH);
          if (growth < bestGrowth) { best = k; bestGrowth = growth; }
          if (growth <= 1e-6) break;
          continue;
        }
        if (steps) {
          // the leader starts at the node's edge and crosses no other node and no name
          const l = leaderCount * 4;
          leaderSegment(cx, cy, (x1 - x0) / 2, box, leaders, l);
          if (segmentCrossesAny(leaders[l], leaders[l + 1], leaders[l + 2], leaders[l + 3], rects, count, row, inFront)
            || segmentCrossesAny(leaders[l], leaders[l + 1], leaders[l + 2], leaders[l + 3], placed, shown)
            || segmentCrossesAny(leaders[l], leaders[l + 1], leaders[l + 2], leaders[l + 3], heading, this.headingShown)) continue;
          this.writeLeader(slot, row, l, cx, cy, anchors, corners);
          leaderCount++;
        }
        best = k;
        break;
      }
      if (best < 0) continue;
      if (best < NEAR_SPOTS.length) {
        const [sx, sy, slideX, slideY] = NEAR_SPOTS[best];
        spotBox(box, sx, sy, slideX, slideY, GAP_PX, w, h, cx, cy, x0, y0, x1, y1);
      }
      placed.set(box, shown * 4);
      this.shownRows[shown++] = row;
      this.writeQuad(slot, row, box, cx, cy, anchors, corners);
      for (let k = 0; k < 2; k++) {
        content[k] = Math.min(content[k], box[k]);
        content[k + 2] = Math.max(content[k + 2], box[k + 2]);
      }
    }
    this.shown = shown;
    this.leaderCount = leaderCount;
    this.mesh.geometry.attributes.anchor.needsUpdate = true;
    this.mesh.geometry.attributes.corner.needsUpdate = true;
  },

  /**
   * Place the names of the `biggest` nodes now (after the pointed-at and the selected), for the
   * camera as it stands (the desktop framing asks, to see what room they take, before anything is
   * drawn). Of those names: how many show, and how far past the nodes' box (error markers
   * included) they reach on each side, CSS pixels, with the nodes' box's width and height; null
   * when there are no names to place.
   */
  placeNow(biggest) {
    this.measureOverlays();
    // Only those names are placed now (names are placed in order, so theirs are placed as in a
    // whole placement: 10x faster at 200 services); every name is placed at the next frame.
    this.dirty = true;
    this.placeLimit = biggest;
    try {
      this.tick(0);
    } finally {
      this.placeLimit = Infinity;
      this.dirty = true;
    }
    if (!this.mesh) return null;
    const first = new Set(this.placingOrder().subarray(0, biggest)); // a framing's few calls: allocating is fine
    const [n0, n1, n2, n3] = this.nodesBox;
    const reach = [n0, n1, n2, n3];
    let shown = 0;
    for (let i = -1; i < this.shown; i++) {
      if (i < 0 ? !this.headingShown : !first.has(this.shownRows[i])) continue;
      const rect = i < 0 ? this.headingRect : this.placedRects.subarray(i * 4, i * 4 + 4);
      if (i >= 0) shown++;
      for (let k = 0; k < 2; k++) {
        reach[k] = Math.min(reach[k], rect[k]);
        reach[k + 2] = Math.max(reach[k + 2], rect[k + 2]);
      }
    }
    return { shown, headed: !this.prefix || this.headingShown === 1, // (the shared prefix's heading, where there is one, is placed)
             left: n0 - reach[0], top: n1 - reach[1], right: reach[2] - n2, bottom: reach[3] - n3, width: n2 - n0, height: n3 - n1 };
  },

  /** How far the longest name reaches from its node's side, CSS pixels on a desktop (0: no names). */
  widestName() {
    if (this.atlasStale || this.wantedTextPx() !== this.textPx) this.buildAtlas();
    let widest = 0;
    for (let slot = 0; slot < this.sizes.length / 2; slot++) widest = Math.max(widest, this.sizes[slot * 2]);
    return widest ? widest + GAP_PX : 0;
  },

  /**
   * The names on show: [{text (the service's name), shown (as drawn), x0, y0, x1, y1}] in CSS
   * pixels of the canvas, and the heading's, with `heading: true` (for tests and the console).
   */
  shownLabels() {
    const [halfW, halfH] = this.half;
    const at = (r) => ({ x0: r[0] + halfW, y0: r[1] + halfH, x1: r[2] + halfW, y1: r[3] + halfH });
    const labels = Array.from(this.shownRows.subarray(0, this.shown), (row, i) => ({
      text: this.system.services[this.system.nodes.service[row]], shown: this.texts[this.labelOfService[this.system.nodes.service[row]]],
      ...at(this.placedRects.subarray(i * 4, i * 4 + 4)),
    }));
    if (this.headingShown) labels.push({ text: this.texts[this.slots], shown: this.texts[this.slots], heading: true, ...at(this.headingRect) });
    return labels;
  },

  /** The letters' height as placed last, as the tangent of their visual angle in a headset (CSS pixels over distance on a screen). */
  letterTangent() {
    return TEXT_PX * this.material.uniforms.pxAngle.value;
  },

  /** Rows by node size, biggest first (re-sorted when the nodes changed). */
  placingOrder() {
    const { size, count } = this.system.nodes;
    if (this.order?.length !== count || this.orderSeq !== this.system.seq) {
      this.order = Int32Array.from({ length: count }, (_, row) => row).sort((a, b) => size[b * 3] - size[a * 3] || a - b);
      this.orderSeq = this.system.seq;
    }
    return this.order;
  },

  /** A leader quad along this.leaders[l … l+3] (label pixels, y down), LEADER_WIDTH_PX wide, anchored at the node. */
  writeLeader(slot, row, l, cx, cy, anchors, corners) {
    const { pos } = this.system.nodes;
    const q = this.slots + slot;
    for (let k = 0; k < 4; k++) {
      const v = (q * 4 + k) * 3;
      anchors[v] = pos[row * 3];
      anchors[v + 1] = pos[row * 3 + 1];
      anchors[v + 2] = pos[row * 3 + 2];
    }
    // Corners in view-space offsets (y grows up), counter-clockwise so the quad faces the viewer.
    const leaders = this.leaders;
    const ax = leaders[l] - cx, ay = cy - leaders[l + 1], bx = leaders[l + 2] - cx, by = cy - leaders[l + 3];
    const length = Math.hypot(bx - ax, by - ay) || 1;
    const nx = -(by - ay) / length * LEADER_WIDTH_PX / 2, ny = (bx - ax) / length * LEADER_WIDTH_PX / 2;
    const c = q * 8;
    corners[c] = ax - nx; corners[c + 1] = ay - ny;
    corners[c + 2] = bx - nx; corners[c + 3] = by - ny;
    corners[c + 4] = bx + nx; corners[c + 5] = by + ny;
    corners[c + 6] = ax + nx; corners[c + 7] = ay + ny;
  },

  /** Anchor the label's four corners at the node's centre, offset to the rectangle `a` (label pixels). */
  writeQuad(slot, row, a, cx, cy, anchors, corners) {
    const { pos } = this.system.nodes;
    for (let k = 0; k < 4; k++) {
      const v = (slot * 4 + k) * 3;
      anchors[v] = pos[row * 3];
      anchors[v + 1] = pos[row * 3 + 1];
      anchors[v + 2] = pos[row * 3 + 2];
    }
    // view-space y grows up, screen y down
    const left = a[0] - cx, right = a[2] - cx, top = cy - a[1], bottom = cy - a[3];
    const c = slot * 8;
    corners[c] = left; corners[c + 1] = bottom; corners[c + 2] = right; corners[c + 3] = bottom;
    corners[c + 4] = right; corners[c + 5] = top; corners[c + 6] = left; corners[c + 7] = top;
  },
});

/**
 * Write into `box` the rectangle of a w × h name at a spot beside the node whose box is x0 … y1
 * (centre cx, cy): sx, sy say which side (-1 before, 0 centred on the node, 1 after), the slides
 * move it along the side in its widths and heights, `gap` is its distance from the node.
 */
function spotBox(box, sx, sy, slideX, slideY, gap, w, h, cx, cy, x0, y0, x1, y1) {
  const lx = (sx === 0 ? cx : sx < 0 ? x0 - gap - w / 2 : x1 + gap + w / 2) + slideX * w;
  const ly = (sy === 0 ? cy : sy < 0 ? y0 - gap - h / 2 : y1 + gap + h / 2) + slideY * h;
  box[0] = lx - w / 2; box[1] = ly - h / 2; box[2] = lx + w / 2; box[3] = ly + h / 2;
}

/** How much a name at `box` would widen the content's box for a view fitW × fitH: the growth
 * of the share of the view the content needs, across or up, whichever binds. */
function widening(content, box, fitW, fitH) {
  const before = Math.max((content[2] - content[0]) / fitW, (content[3] - content[1]) / fitH);
  const after = Math.max((Math.max(content[2], box[2]) - Math.min(content[0], box[0])) / fitW,
    (Math.max(content[3], box[3]) - Math.min(content[1], box[1])) / fitH);
  return after - before;
}

/** Every name in one canvas, `textPx` tall letters on a dark backing, in its service colour, and a solid patch for
 * the leaders; returns the names' pixel boxes and the inner part of the patch. */
function drawAtlas(texts, colors, textPx) {
  const font = `600 ${textPx * ATLAS_SCALE}px system-ui, "Segoe UI", Roboto, sans-serif`;
  const pad = PAD_PX * ATLAS_SCALE;
  const rowHeight = Math.ceil(textPx * ATLAS_SCALE * 1.25) + 2 * pad;
  const width = 2048;
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = font;
  let x = 0, y = 0;
  const boxes = texts.map((text) => {
    const w = Math.min(width, Math.ceil(measure.measureText(text).width) + 2 * pad);
    if (x + w > width) { x = 0; y += rowHeight + 2; }
    const box = { x, y, w, h: rowHeight };
    x += w + 2; // a spare pixel column keeps neighbours out of each other's filtering
    return box;
  });
  // the leaders' patch, on a row of its own; its inner part is sampled, clear of filtering at its edge
  const patch = { x: 0, y: y + rowHeight + 2, w: 16, h: 16 };
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = patch.y + patch.h;
  const ctx = canvas.getContext("2d");
  ctx.font = font;
  ctx.textBaseline = "middle";
  texts.forEach((text, i) => {
    const box = boxes[i];
    ctx.fillStyle = BACKING;
    ctx.beginPath();
    ctx.roundRect(box.x, box.y, box.w, box.h, pad);
    ctx.fill();
    ctx.fillStyle = colors[i];
    ctx.fillText(text, box.x + pad, box.y + box.h / 2, box.w - 2 * pad);
  });
  ctx.fillStyle = LEADER_COLOR;
  ctx.fillRect(patch.x, patch.y, patch.w, patch.h);
  return { canvas, boxes, solid: { x: patch.x + 6, y: patch.y + 6, w: 4, h: 4 } };
}
