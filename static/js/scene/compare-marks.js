// Trace compare in the scene, while a compared trace B is on show: a white frame around each span
// only in B, and A's spans missing from B as ghosts — translucent bars placed against their
// nearest matched ancestor's bar in B (the same share of its time), in the free band under that
// bar, a level lower per call depth (ghost-rows.js): never across another bar or a label.
// Two InstancedMeshes, two draw calls; rebuilt when the comparison, the nodes or the labels change.
import { grownCapacity, instancedMesh } from "./instanced-mesh.js";
import { freeBandBelow, ghostLevels } from "./ghost-rows.js";
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const FRAME_MARGIN = 0.12; // metres around a span only in B
const MIN_GHOST = 0.03; // metres: the shortest ghost drawn
const MIN_BAND = 0.05; // metres: a band under an anchor thinner than this has no room for ghosts

AFRAME.registerComponent("compare-marks", {
  schema: { frameColor: { type: "color", default: "#ffffff" }, ghostColor: { type: "color", default: "#c9d1d9" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.compare = this.el.sceneEl.systems["vrmon-compare"];
    this.matrix = new THREE.Matrix4();
    this.geometry = new THREE.BoxGeometry(1, 1, 1);
    this.frameMaterial = new THREE.MeshBasicMaterial({ color: this.data.frameColor, side: THREE.BackSide, transparent: true, opacity: 0.9, depthWrite: false });
    this.ghostMaterial = new THREE.MeshBasicMaterial({ color: this.data.ghostColor, transparent: true, opacity: 0.4, depthWrite: false });
    this.createMeshes(64);
    const rebuild = () => this.rebuild();
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-comparison": rebuild, "vrmon-nodes": rebuild, "scene-labels-drawn": rebuild });
  },

  remove() {
    this.unlistenScene();
    this.el.removeObject3D("only-b");
    this.el.removeObject3D("ghosts");
    for (const disposable of [this.frames, this.ghosts, this.geometry, this.frameMaterial, this.ghostMaterial]) disposable.dispose();
  },

  createMeshes(capacity) {
    this.frames?.dispose();
    this.ghosts?.dispose();
    this.frames = instancedMesh(this.geometry, this.frameMaterial, capacity);
    this.ghosts = instancedMesh(this.geometry, this.ghostMaterial, capacity);
    for (const mesh of [this.frames, this.ghosts]) mesh.renderOrder = 1; // after the opaque bars
    this.el.setObject3D("only-b", this.frames);
    this.el.setObject3D("ghosts", this.ghosts);
  },

  rebuild() {
    const showing = this.compare.showing();
    const { rowOf, pos, size } = this.system.nodes;
    const onlyB = showing ? [...this.compare.onlyB].map((id) => rowOf.get(id)).filter((row) => row !== undefined) : [];
    const ghosts = showing ? this.compare.comparison.ghosts : { anchor: [] };
    const grown = grownCapacity(this.frames, Math.max(onlyB.length, ghosts.anchor.length)); // frames and ghosts grow together
    if (grown) this.createMeshes(grown);
    onlyB.forEach((row, k) => {
      const i = row * 3;
      this.matrix.makeScale(size[i] + FRAME_MARGIN, size[i + 1] + FRAME_MARGIN, size[i + 2] + FRAME_MARGIN).setPosition(pos[i], pos[i + 1], pos[i + 2]);
      this.frames.setMatrixAt(k, this.matrix);
    });
    const placed = showing ? this.placeGhosts(ghosts) : 0;
    this.frames.count = onlyB.length;
    this.ghosts.count = placed;
    for (const mesh of [this.frames, this.ghosts]) {
      mesh.instanceMatrix.needsUpdate = true;
      mesh.computeBoundingSphere();
    }
    this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
  },

  /** Set the ghosts' matrices, anchor by anchor, in the free band under each anchor's bar; returns how many. */
  placeGhosts(ghosts) {
    const { rowOf, pos, size, count } = this.system.nodes;
    const byAnchor = new Map(); // anchor's row → its ghosts
    for (let g = 0; g < ghosts.anchor.length; g++) {
      const row = rowOf.get(ghosts.anchor[g]);
      if (row === undefined) continue; // its anchor is folded away
      if (!byAnchor.has(row)) byAnchor.set(row, []);
      byAnchor.get(row).push(g);
    }
    if (!byAnchor.size) return 0;
    const obstacles = this.obstacles(pos, size, count);
    let placed = 0;
    for (const [row, list] of byAnchor) {
      const i = row * 3;
      const left = pos[i] - size[i] / 2;
      const spans = list.map((g) => {
        const from = left + ghosts.from[g] * size[i];
        return [from, Math.max((ghosts.to[g] - ghosts.from[g]) * size[i], MIN_GHOST)];
      });
      const x0 = Math.min(...spans.map(([from]) => from)), x1 = Math.max(...spans.map(([from, width]) => from + width));
      const band = freeBandBelow(obstacles, x0, x1, pos[i + 1] - size[i + 1] / 2, 2 * size[i + 1]);
      if (band[1] - band[0] < MIN_BAND) continue; // no room under this bar: the panel still counts them
      const levels = ghostLevels(list.map((g) => ghosts.depth[g]), band);
      list.forEach((g, k) => {
        const [from, width] = spans[k], [y, height] = levels[k];
        this.matrix.makeScale(width, height, size[i + 2]).setPosition(from + width / 2, y, pos[i + 2]);
        this.ghosts.setMatrixAt(placed++, this.matrix);
      });
    }
    return placed;
  },

  /** The boxes ghosts keep clear of: every bar, and every label's letters. */
  obstacles(pos, size, count) {
    const letters = this.el.sceneEl.querySelector("[scene-labels]")?.components["scene-labels"]?.letterBoxes() ?? new Float32Array(0);
    const boxes = new Float32Array(count * 4 + letters.length);
    for (let row = 0; row < count; row++) {
      const i = row * 3;
      boxes.set([pos[i] - size[i] / 2, pos[i + 1] - size[i + 1] / 2, pos[i] + size[i] / 2, pos[i + 1] + size[i + 1] / 2], row * 4);
    }
    boxes.set(letters, count * 4);
    return boxes;
  },
});
