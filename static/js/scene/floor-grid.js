// A subtle 1 m grid on the floor under the current scene, resized when the bounds change.
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const GRID_MARGIN = 3; // metres of grid beyond the scene on each side

AFRAME.registerComponent("floor-grid", {
  schema: {
    color: { type: "color", default: "#1b2230" },
    centerColor: { type: "color", default: "#273044" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.size = 0;
    this.onScene = () => this.fit();
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-scene": this.onScene });
    this.fit();
  },

  remove() {
    this.unlistenScene();
    this.dispose();
  },

  dispose() {
    const grid = this.el.getObject3D("grid");
    if (!grid) return;
    grid.geometry.dispose();
    grid.material.dispose();
    this.el.removeObject3D("grid");
  },

  fit() {
    const bounds = this.system.scene?.bounds;
    if (!bounds) return;
    const [minx, , minz, maxx, , maxz] = bounds;
    const size = Math.ceil(Math.max(maxx - minx, maxz - minz) + 2 * GRID_MARGIN);
    if (size !== this.size) {
      this.dispose();
      const grid = new THREE.GridHelper(size, size, this.data.centerColor, this.data.color);
      grid.material.transparent = true;
      grid.material.opacity = 0.8;
      grid.material.depthWrite = false;
      this.el.setObject3D("grid", grid);
      this.size = size;
    }
    // Whole metres keep the lines steady when bounds move a little.
    this.el.object3D.position.set(Math.round((minx + maxx) / 2), 0, Math.round((minz + maxz) / 2));
  },
});
