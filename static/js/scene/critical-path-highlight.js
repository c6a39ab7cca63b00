// The waterfall's critical path (node flag 128, computed by the server): a bright unlit stripe
// along the top of every span on it, narrower than the bar so the service colour still shows
// beside it, drawn as one InstancedMesh. Error spans keep their own red markers, so the two
// read apart: red = failed, pale gold = what bounds the trace's end-to-end time. With a search
// on, only matching spans keep their stripe (the others are dimmed).
import { FLAG } from "../data/protocol.js";
import { grownCapacity, instancedMesh } from "./instanced-mesh.js";
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const YAW_TO_RADIANS = Math.PI / 32767;
const STRIP_HEIGHT = 0.03; // metres
const STRIP_WIDTH = 0.35; // fraction of the bar's depth

AFRAME.registerComponent("critical-path-highlight", {
  schema: { color: { type: "color", default: "#ffe38a" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.matrix = new THREE.Matrix4();
    this.rotation = new THREE.Matrix4();
    this.geometry = new THREE.BoxGeometry(1, 1, 1);
    this.material = new THREE.MeshBasicMaterial({ color: this.data.color });
    this.createMesh(256);
    this.onNodes = () => this.system.sceneWork(() => this.rebuild());
    this.onFilter = (event) => { if (event.detail.reset) this.rebuild(); };
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-nodes": this.onNodes, "vrmon-filter": this.onFilter });
    if (this.system.nodes.count) this.rebuild();
  },

  remove() {
    this.unlistenScene();
    this.el.removeObject3D("critical");
    this.strips.dispose();
    this.geometry.dispose();
    this.material.dispose();
  },

  createMesh(capacity) {
    this.strips?.dispose();
    this.strips = instancedMesh(this.geometry, this.material, capacity);
    this.el.setObject3D("critical", this.strips);
  },

  /** Critical spans are a thin chain through the trace: rewrite them all on every change. */
  rebuild() {
    const { pos, size, yaw, flags, count } = this.system.nodes;
    let critical = 0;
    for (let row = 0; row < count; row++) if (flags[row] & FLAG.criticalPath) critical++;
    const grown = grownCapacity(this.strips, critical);
    if (grown) this.createMesh(grown);
    let n = 0;
    for (let row = 0; row < count; row++) {
      if (!(flags[row] & FLAG.criticalPath) || !this.system.rowMatches(row)) continue;
      const i = row * 3;
      this.matrix.makeScale(size[i], STRIP_HEIGHT, size[i + 2] * STRIP_WIDTH);
      if (yaw[row] !== 0) this.matrix.premultiply(this.rotation.makeRotationY(yaw[row] * YAW_TO_RADIANS));
      this.matrix.setPosition(pos[i], pos[i + 1] + size[i + 1] / 2 + STRIP_HEIGHT / 2, pos[i + 2]);
      this.strips.setMatrixAt(n++, this.matrix);
    }
    this.strips.count = n;
    this.strips.instanceMatrix.needsUpdate = true;
    this.strips.computeBoundingSphere();
  },
});
