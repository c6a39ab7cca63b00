// Trace compare in the scene, while a compared trace B is on show: a white frame around each span
// only in B, and A's spans missing from B as ghosts — translucent bars placed against their
// nearest matched ancestor's bar in B (the same share of its time, a row lower per call depth).
// Two InstancedMeshes, two draw calls; rebuilt when the comparison or the nodes change.
import { grownCapacity, instancedMesh } from "./instanced-mesh.js";

const THREE = AFRAME.THREE;
const FRAME_MARGIN = 0.12; // metres around a span only in B
const ROW_STEP = 2; // a call depth lower is this many bar heights lower (the waterfall's row_height / bar_height)
const MIN_GHOST = 0.03; // metres: the shortest ghost drawn

AFRAME.registerComponent("compare-marks", {
  schema: { frameColor: { type: "color", default: "#ffffff" }, ghostColor: { type: "color", default: "#c9d1d9" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.compare = this.el.sceneEl.systems["vrmon-compare"];
    this.matrix = new THREE.Matrix4();
    this.geometry = new THREE.BoxGeometry(1, 1, 1);
    this.frameMaterial = new THREE.MeshBasicMaterial({ color: this.data.frameColor, side: THREE.BackSide, transparent: true, opacity: 0.9, depthWrite: false });
    this.ghostMaterial = new THREE.MeshBasicMaterial({ color: this.data.ghostColor, transparent: true, opacity: 0.22, depthWrite: false });
    this.createMeshes(64);
    this.rebuild = this.rebuild.bind(this);
    for (const name of ["vrmon-comparison", "vrmon-nodes"]) this.el.sceneEl.addEventListener(name, this.rebuild);
  },

  remove() {
    for (const name of ["vrmon-comparison", "vrmon-nodes"]) this.el.sceneEl.removeEventListener(name, this.rebuild);
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
    let placed = 0;
    for (let g = 0; g < ghosts.anchor.length; g++) {
      const row = rowOf.get(ghosts.anchor[g]);
      if (row === undefined) continue; // its anchor is folded away
      const i = row * 3;
      const left = pos[i] - size[i] / 2;
      const from = left + ghosts.from[g] * size[i];
      const width = Math.max((ghosts.to[g] - ghosts.from[g]) * size[i], MIN_GHOST);
      this.matrix.makeScale(width, size[i + 1], size[i + 2])
        .setPosition(from + width / 2, pos[i + 1] - ghosts.depth[g] * ROW_STEP * size[i + 1], pos[i + 2]);
      this.ghosts.setMatrixAt(placed++, this.matrix);
    }
    this.frames.count = onlyB.length;
    this.ghosts.count = placed;
    for (const mesh of [this.frames, this.ghosts]) {
      mesh.instanceMatrix.needsUpdate = true;
      mesh.computeBoundingSphere();
    }
    this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
  },
});
