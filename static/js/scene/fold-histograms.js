// A summary on a row of its own (one span calling thousands of others, folded) is a dim band as long
// as the calls it folds last (the mark to hover and click to open it), and on it a histogram of
// when those calls start (scene.folds, counted by the server: waterfall_overview.py
// fold_histograms), a column per slice in its service's colour: the fan-out reads as calls spread
// over time, not as a solid slab. One InstancedMesh, one draw call; rebuilt when the scene, its
// nodes or the search change; the columns are not picked (the band behind them is).
import { grownCapacity, instancedMesh } from "./instanced-mesh.js";
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const LEAST = 0.2; // of the band's height, the shortest column (a slice holding one call still shows)
const FILL = 0.8; // of the band's height, the tallest column
const WIDTH = 0.55; // of a slice, its column's width (a gap between columns)
const DEPTH = 0.15; // of the band's depth, a column's (standing on its front face)
const DIMMED = 0.3; // a column's brightness when the search leaves its summary unlit

AFRAME.registerComponent("fold-histograms", {
  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.matrix = new THREE.Matrix4();
    this.color = new THREE.Color();
    this.geometry = new THREE.BoxGeometry(1, 1, 1);
    this.material = new THREE.MeshLambertMaterial({ color: 0xffffff });
    this.createMesh(256);
    const rebuild = () => this.rebuild();
    this.unlisten = listen(this.el.sceneEl, { "vrmon-scene": rebuild, "vrmon-nodes": rebuild, "vrmon-filter": rebuild });
  },

  remove() {
    this.unlisten();
    this.el.removeObject3D("fold-histograms");
    for (const disposable of [this.columns, this.geometry, this.material]) disposable.dispose();
  },

  createMesh(capacity) {
    this.columns?.dispose();
    this.columns = instancedMesh(this.geometry, this.material, capacity, { colors: true });
    this.el.setObject3D("fold-histograms", this.columns);
  },

  rebuild() {
    const folds = this.system.scene?.layout === "waterfall" ? this.system.scene.folds ?? [] : [];
    const grown = grownCapacity(this.columns, folds.reduce((n, fold) => n + fold.columns.length, 0));
    if (grown) this.createMesh(grown);
    const { rowOf, pos, size, service } = this.system.nodes;
    const filter = this.system.nodeFilter;
    let placed = 0;
    for (const fold of folds) {
      const row = rowOf.get(fold.id);
      if (row === undefined) continue;
      const i = row * 3, slices = fold.columns.length;
      const slice = size[i] / slices, foot = pos[i + 1] - size[i + 1] / 2, depth = size[i + 2] * DEPTH;
      this.color.set(this.system.serviceColor(service[row]) ?? "#8591a3");
      if (!filter.rowMatches(row)) this.color.multiplyScalar(DIMMED);
      for (let k = 0; k < slices; k++) {
        const busy = fold.columns[k];
        if (!busy) continue;
        const height = size[i + 1] * (LEAST + (FILL - LEAST) * (busy / 255));
        this.matrix.makeScale(slice * WIDTH, height, depth)
          .setPosition(pos[i] - size[i] / 2 + (k + 0.5) * slice, foot + height / 2, pos[i + 2] + size[i + 2] / 2 + depth / 2);
        this.columns.setMatrixAt(placed, this.matrix);
        this.columns.setColorAt(placed++, this.color);
      }
    }
    this.columns.count = placed;
    this.columns.instanceMatrix.needsUpdate = true;
    if (this.columns.instanceColor) this.columns.instanceColor.needsUpdate = true;
    this.columns.computeBoundingSphere();
    this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
  },
});
