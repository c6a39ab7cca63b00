// Draws every node of the scene with one InstancedMesh (unit box scaled and placed per
// instance), error markers with a second one, and an outline around the selected node.
// Rows of the instanced meshes are the rows of the system's NodeTable, so a delta rewrites
// only the rows it touched. A span's colour is its node colour (the service's), or by duration
// percentile when the viewer chose so (data/colour-mode.js). With a filter on, spans that do not match are dimmed towards the
// background (per-instance colour: no extra draw call). Spans added or removed by a delta fade
// in and out; picking goes through a BVH over the instances (instance-bvh.js).
import { FLAG } from "../data/protocol.js";
import { HUGE_SCENE_ROWS } from "../data/sliced-work.js";
import { installInstanceBVH } from "./instance-bvh.js";
import { InstanceFades } from "./instance-fades.js";
import { grownCapacity, instancedMesh } from "./instanced-mesh.js";
import { listen } from "../listen.js";
import { ERROR_COLOR, MARKER_LIT, markerPlacement } from "./error-markers.js";
import { OUTLINE_MARGIN, ringDiameter } from "./selection-outline.js";

const THREE = AFRAME.THREE;
const YAW_TO_RADIANS = Math.PI / 32767;
// A node colour byte (sRGB) → three.js's working (linear) value, as Color.setRGB(…, SRGBColorSpace)
// converts it: a table, because that conversion (two pow calls) ran per channel per row.
const SRGB_TO_LINEAR = Float64Array.from({ length: 256 }, (_, v) => new THREE.Color().setRGB(v / 255, 0, 0, THREE.SRGBColorSpace).r);
const ROWS_PER_STEP = 4096; // rows a step of a new scene's writing does (~2 ms of CPU)

AFRAME.registerComponent("span-instances", {
  schema: {
    hoverLighten: { default: 0.45 }, // how far the hovered span's colour moves towards white
    errorColor: { type: "color", default: ERROR_COLOR },
    pulsePeriod: { default: 1.4 }, // seconds per error-marker pulse
    pulses: { default: 3 }, // pulses when a live update adds error markers; then they stay lit (a view at rest draws nothing)
    background: { type: "color", default: "#0a0d14" }, // what fades and dimming move towards
    dim: { default: 0.82 }, // how far a span that does not match the filter moves towards the background
    fadeMs: { default: 300 },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    // Scratch objects reused by every update: nothing here allocates per frame or per row.
    this.matrix = new THREE.Matrix4();
    this.color = new THREE.Color();
    this.white = new THREE.Color(1, 1, 1);
    this.background = new THREE.Color(this.data.background);

    this.boxGeometry = new THREE.BoxGeometry(1, 1, 1);
    this.sphereGeometry = new THREE.SphereGeometry(0.5, 24, 16); // services-scene nodes: diameter size.x
    this.spanMaterial = new THREE.MeshLambertMaterial({ color: 0xffffff });
    this.markerGeometry = new THREE.OctahedronGeometry(1);
    this.markerMaterial = new THREE.MeshLambertMaterial({
      color: this.data.errorColor, emissive: this.data.errorColor, emissiveIntensity: 1,
    });
    // A box's edges around a selected bar; a ring (in the graph's plane, facing the viewer) around
    // a selected sphere, whose box's corners would stand far out of it.
    this.boxOutline = new THREE.EdgesGeometry(this.boxGeometry);
    this.ringOutline = ringGeometry(48);
    this.outline = new THREE.LineSegments(this.boxOutline, new THREE.LineBasicMaterial({ color: 0xffffff }));
    this.outline.visible = false;
    this.el.setObject3D("selection", this.outline);

    this.boundsStale = false; // the spans' bounding sphere needs a full recompute (a new scene)
    this.markersMoved = false;
    this.pulseStart = null; // scene time the markers' pulse began; -1: at the next frame; null: no pulse
    this.errorRows = new Uint8Array(0); // 1 for the rows that had a marker at the last writeMarkers
    this.lastMarkerRow = -1;
    this.rowSphere = new THREE.Sphere();
    this.markerAt = [0, 0, 0, 0]; // writeMarkers' scratch
    this.createMeshes(this.system.nodes.capacity);

    this.onNodes = (event) => this.applyChanges(event.detail);
    this.onSelection = () => this.placeOutline();
    this.onFilter = (event) => { if (event.detail.reset) this.writeColors(); };
    this.colours = this.el.sceneEl.systems["vrmon-colour"]; // by service, or by duration percentile
    this.onColours = () => this.writeColors();
    this.onScene = (event) => { this.spans.geometry = this.nodeGeometry(event.detail.scene); };
    this.onHover = (event) => this.showHover(event.detail);
    this.unlistenScene = listen(this.el.sceneEl, {
      "vrmon-colours": this.onColours,
      "vrmon-scene": this.onScene,
      "vrmon-nodes": this.onNodes,
      "vrmon-selection": this.onSelection,
      "vrmon-filter": this.onFilter,
      "vrmon-hover": this.onHover,
    });
    if (this.system.nodes.count) this.applyChanges({ reset: true });
  },

  remove() {
    this.unlistenScene();
    for (const name of ["spans", "errors", "selection", "fading"]) this.el.removeObject3D(name);
    this.spans.dispose();
    this.fades.dispose();
    this.markers.dispose();
    for (const disposable of [this.boxGeometry, this.sphereGeometry, this.spanMaterial, this.markerGeometry, this.markerMaterial,
      this.boxOutline, this.ringOutline, this.outline.material]) disposable.dispose();
  },

  /** (Re)create both instanced meshes with room for `capacity` instances. */
  createMeshes(capacity) {
    this.spans?.dispose();
    this.markers?.dispose();
    this.spans = instancedMesh(this.nodeGeometry(this.system.scene), this.spanMaterial, capacity, { colors: true });
    this.spans.userData.legibilityMarks = true; // what the legibility tests measure as marks
    this.bvh = installInstanceBVH(this.spans);
    this.markers = instancedMesh(this.markerGeometry, this.markerMaterial, capacity);
    this.el.setObject3D("spans", this.spans);
    this.el.setObject3D("errors", this.markers);
    if (this.fades) {
      this.fades.setSpans(this.spans);
    } else {
      this.fades = new InstanceFades({
        spans: this.spans, colorOf: (row) => this.rowColor(row), background: this.background, durationMs: this.data.fadeMs,
      });
      this.el.setObject3D("fading", this.fades.ghosts);
    }
  },

  /** Spans are boxes; the services scene's nodes are spheres. */
  nodeGeometry(scene) {
    return scene?.layout === "services" ? this.sphereGeometry : this.boxGeometry;
  },

  applyChanges({ reset, rows, added, removed }) {
    const nodes = this.system.nodes;
    const now = performance.now();
    // Ghosts copy the removed spans as drawn, so before the rows are rewritten.
    if (!reset && removed?.length) this.fades.fadeOut(removed, now);
    if (reset) this.fades.clear(); // a new scene is drawn as it is
    const grown = grownCapacity(this.spans, nodes.count);
    if (grown) {
      this.createMeshes(grown);
      reset = true;
    }
    if (reset) {
      this.spans.count = 0; // drawn as far as written (in slices, a headset draws on; a screen waits)
      this.system.sceneWork(this.writeAllRows());
    } else {
      this.spans.count = nodes.count;
      for (const row of rows) this.writeRow(row);
      this.bvh.update(rows);
      this.growBounds(rows);
      this.preparePicking();
    }
    if (added?.length) this.fades.fadeIn(added, nodes.ids, now);
    this.spans.instanceMatrix.needsUpdate = true;
    this.spans.instanceColor.needsUpdate = true;
    if (!reset && this.markersTouched(rows)) {
      this.writeMarkers();
      this.pulseStart = -1; // errors arriving live call for attention
    }
    this.placeOutline();
  },

  /**
   * Every row of a new scene, ROWS_PER_STEP at a time (a huge scene's steps go in the system's
   * work slices, and rows [0, spans.count) are written meanwhile), then the error markers.
   */
  *writeAllRows() {
    const count = this.system.nodes.count;
    for (let from = 0; from < count; from += ROWS_PER_STEP) {
      const to = Math.min(count, from + ROWS_PER_STEP);
      for (let row = from; row < to; row++) this.writeRow(row);
      this.spans.count = to;
      this.spans.instanceMatrix.needsUpdate = true;
      this.spans.instanceColor.needsUpdate = true;
      yield;
    }
    this.bvh.invalidate(); // a ray may have built it over the rows written so far
    this.preparePicking();
    this.boundsStale = true;
    this.writeMarkers();
    this.pulseStart = null; // a new scene is seen whole
    this.markerMaterial.emissiveIntensity = MARKER_LIT;
    this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
  },

  /**
   * A huge scene's picking tree is built between frames once it is drawn, not at the first hover
   * (a task of 0.2–0.4 s at 200k spans); a smaller one's at the first raycast, in a few ms.
   */
  preparePicking() {
    if (this.bvh.stale && this.spans.count > HUGE_SCENE_ROWS) this.system.background.run(this.bvh.buildSteps());
  },

  /** Whether a change to these rows moves, adds or removes an error marker. */
  markersTouched(rows) {
    const { flags, count } = this.system.nodes;
    if (this.lastMarkerRow >= count) return true; // an error row was dropped off the end
    for (const row of rows) if (flags[row] & FLAG.error || this.errorRows[row]) return true;
    return false;
  },

  /**
   * Grow the spans' bounding sphere (used for culling) to hold these rows: O(rows), where a
   * recompute is O(all spans). It never shrinks until the next new scene; culling stays correct.
   */
  growBounds(rows) {
    const sphere = this.spans.boundingSphere;
    if (sphere === null) {
      this.boundsStale = true;
      return;
    }
    const { pos, size } = this.system.nodes;
    for (const row of rows) {
      const i = row * 3;
      this.rowSphere.center.fromArray(pos, i);
      this.rowSphere.radius = Math.hypot(size[i], size[i + 1], size[i + 2]) / 2;
      sphere.union(this.rowSphere);
    }
  },

  /**
   * The spans' bounding sphere, from the node columns in one pass: around the box that holds every
   * span's own sphere (so any yaw), a little looser than three.js's computeBoundingSphere, which
   * transforms a sphere by each instance's matrix (0.1–0.3 s at 200k spans, in the frame's task).
   */
  computeBounds() {
    const { pos, size, count } = this.system.nodes;
    const sphere = (this.spans.boundingSphere ??= new THREE.Sphere());
    if (count === 0) {
      sphere.makeEmpty();
      return;
    }
    let minX = Infinity, minY = Infinity, minZ = Infinity, maxX = -Infinity, maxY = -Infinity, maxZ = -Infinity;
    for (let i = 0; i < count * 3; i += 3) {
      const r = Math.sqrt(size[i] * size[i] + size[i + 1] * size[i + 1] + size[i + 2] * size[i + 2]) / 2;
      minX = Math.min(minX, pos[i] - r);
      maxX = Math.max(maxX, pos[i] + r);
      minY = Math.min(minY, pos[i + 1] - r);
      maxY = Math.max(maxY, pos[i + 1] + r);
      minZ = Math.min(minZ, pos[i + 2] - r);
      maxZ = Math.max(maxZ, pos[i + 2] + r);
    }
    sphere.center.set((minX + maxX) / 2, (minY + maxY) / 2, (minZ + maxZ) / 2);
    sphere.radius = Math.hypot(maxX - minX, maxY - minY, maxZ - minZ) / 2;
  },

  /** A row's instance: its box scaled, turned by its yaw about +y, and placed; and its colour. */
  writeRow(row) {
    const { pos, size, yaw } = this.system.nodes;
    const i = row * 3;
    // The matrix rotationY(yaw) × scale(size) + position, written straight into the instance
    // buffer (column-major): Matrix4 calls and setMatrixAt cost ~0.1 s per 200k spans.
    const angle = yaw[row] * YAW_TO_RADIANS;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const m = this.spans.instanceMatrix.array;
    const o = row * 16;
    m[o] = cos * size[i]; m[o + 1] = 0; m[o + 2] = -sin * size[i]; m[o + 3] = 0;
    m[o + 4] = 0; m[o + 5] = size[i + 1]; m[o + 6] = 0; m[o + 7] = 0;
    m[o + 8] = sin * size[i + 2]; m[o + 9] = 0; m[o + 10] = cos * size[i + 2]; m[o + 11] = 0;
    m[o + 12] = pos[i]; m[o + 13] = pos[i + 1]; m[o + 14] = pos[i + 2]; m[o + 15] = 1;
    this.writeColor(row);
  },

  /** A row's colour into the instance colours (as setColorAt, without its Color.toArray call per row). */
  writeColor(row) {
    const { r, g, b } = this.rowColor(row);
    const colors = this.spans.instanceColor.array;
    colors[row * 3] = r;
    colors[row * 3 + 1] = g;
    colors[row * 3 + 2] = b;
  },

  rowColor(row) {
    const c = this.system.nodes.color;
    if (!this.colours.paint(this.system.nodes.ids[row], this.color)) {
      this.color.setRGB(SRGB_TO_LINEAR[c[row * 3]], SRGB_TO_LINEAR[c[row * 3 + 1]], SRGB_TO_LINEAR[c[row * 3 + 2]]);
    }
    if (!this.system.rowMatches(row)) this.color.lerp(this.background, this.data.dim);
    if (row === this.system.hoveredRow) this.color.lerp(this.white, this.data.hoverLighten);
    return this.color;
  },

  /** Every span's colour again (the filter changed). */
  writeColors() {
    for (let row = 0; row < this.spans.count; row++) this.writeColor(row);
    this.spans.instanceColor.needsUpdate = true;
  },

  /** One marker above the start of each error span (errors are few: rewrite them all). */
  writeMarkers() {
    const { flags, count, capacity } = this.system.nodes;
    if (this.errorRows.length < capacity) this.errorRows = new Uint8Array(capacity);
    const layout = this.system.scene?.layout;
    const marker = this.markerAt;
    let markers = 0;
    this.lastMarkerRow = -1;
    for (let row = 0; row < count; row++) {
      this.errorRows[row] = flags[row] & FLAG.error;
      if (!this.errorRows[row]) continue;
      this.lastMarkerRow = row;
      const [x, y, z, radius] = markerPlacement(this.system.nodes, row, layout, marker);
      this.matrix.makeScale(radius, radius * 1.4, radius);
      this.matrix.setPosition(x, y, z);
      this.markers.setMatrixAt(markers++, this.matrix);
    }
    this.markers.count = markers;
    this.markers.instanceMatrix.needsUpdate = true;
    this.markersMoved = true;
  },

  /** Lighten the span pointed at (the system's hovered row), and no longer the one before. */
  showHover({ row, previousRow }) {
    if (row === previousRow) return;
    if (previousRow >= 0 && previousRow < this.spans.count) this.writeColor(previousRow);
    if (row >= 0 && row < this.spans.count) this.writeColor(row);
    this.spans.instanceColor.needsUpdate = true;
  },

  placeOutline() {
    const row = this.system.selectedId === null ? undefined : this.system.nodes.rowOf.get(this.system.selectedId);
    this.outline.visible = row !== undefined;
    if (row === undefined) return;
    const { pos, size, yaw } = this.system.nodes;
    const i = row * 3;
    const ring = this.system.scene?.layout === "services";
    this.outline.geometry = ring ? this.ringOutline : this.boxOutline;
    this.outline.position.set(pos[i], pos[i + 1], pos[i + 2]);
    if (ring) this.outline.scale.setScalar(ringDiameter(size[i]));
    else this.outline.scale.set(size[i] + OUTLINE_MARGIN, size[i + 1] + OUTLINE_MARGIN, size[i + 2] + OUTLINE_MARGIN);
    this.outline.rotation.set(0, yaw[row] * YAW_TO_RADIANS, 0);
  },

  tick(time) {
    const frames = this.el.sceneEl.systems["render-on-demand"];
    if (this.fades.animating) {
      this.fades.tick(performance.now(), this.system.nodes.rowOf);
      if (this.fades.animating) frames.requestFrame();
    }
    if (this.markersMoved) {
      this.markers.computeBoundingSphere(); // few: one per error span
      this.markersMoved = false;
    }
    if (this.boundsStale) {
      // Culling and raycasting use these spheres; recompute once per frame at most.
      this.computeBounds();
      this.boundsStale = false;
    }
    if (this.markers.count && this.pulseStart !== null) {
      if (this.pulseStart < 0) this.pulseStart = time;
      const cycles = Math.min((time - this.pulseStart) / 1000 / this.data.pulsePeriod, this.data.pulses);
      this.markerMaterial.emissiveIntensity = MARKER_LIT - 0.8 + 0.8 * Math.cos(cycles * Math.PI * 2); // ends lit
      if (cycles < this.data.pulses) frames.requestFrame();
      else this.pulseStart = null;
    }
  },
});

/** A circle of diameter 1 in the xy plane as `segments` line segments (for LineSegments). */
function ringGeometry(segments) {
  const points = new Float32Array(segments * 6);
  for (let k = 0; k < segments; k++) {
    for (const [at, step] of [[0, k], [3, k + 1]]) {
      const angle = (step / segments) * 2 * Math.PI;
      points[k * 6 + at] = Math.cos(angle) / 2;
      points[k * 6 + at + 1] = Math.sin(angle) / 2;
    }
  }
  return new THREE.BufferGeometry().setAttribute("position", new THREE.BufferAttribute(points, 3));
}
