// Findings in the waterfall (a finding is one trace's story; on the wall's small panels the marks
// would cover the titles): the spans of every finding drawn here light up (a frame around each bar
// in the finding kind's colour: the finding the viewer jumped to at full strength, the others
// fainter), and a pin stands above each finding's group of spans. Two InstancedMeshes,
// so two draw calls whatever the number of findings; rebuilt when the findings or the nodes change.
import { findingKind, focusNodes } from "../data/findings.js";
import { grownCapacity, instancedMesh } from "./instanced-mesh.js";

const THREE = AFRAME.THREE;
const SHELL_MARGIN = 0.12; // metres around a lit bar
// A pin fits in the gap above its bars (the waterfall's rows are 0.6 m apart, bars 0.3 m tall).
const PIN_WIDTH = 0.16;
const PIN_HEIGHT = 0.22;
const PIN_GAP = 0.04; // metres between the group's top and the pin's point
const FAINT = 0.4; // colour strength of the findings the viewer has not jumped to

AFRAME.registerComponent("finding-marks", {
  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.findings = this.el.sceneEl.systems["vrmon-findings"];
    this.matrix = new THREE.Matrix4();
    this.color = new THREE.Color();
    // One shell per bar, whatever the number of findings over it: a bar's shells were drawn over
    // each other (the 50k-span overview: 2,364 shells over 223 bars), and with software GL the GPU
    // pays for every pixel of each (the shells were ~430 ms of its ~600 ms frame there).
    this.shellOf = new Map(); // row → its shell
    this.shellGeometry = new THREE.BoxGeometry(1, 1, 1);
    // The inside of a box a little larger than the bar: the bar hides its middle, so what shows is
    // a frame around the bar that keeps the bar's own (service) colour readable.
    this.shellMaterial = new THREE.MeshBasicMaterial({ side: THREE.BackSide, transparent: true, opacity: 0.9, depthWrite: false });
    // A four-sided pin pointing down at the group.
    this.pinGeometry = new THREE.ConeGeometry(0.5, 1, 4).rotateX(Math.PI);
    this.pinMaterial = new THREE.MeshBasicMaterial();
    this.createMeshes(64);
    this.onChange = () => this.system.sceneWork(() => this.rebuild());
    for (const name of ["vrmon-findings-changed", "vrmon-nodes"]) this.el.sceneEl.addEventListener(name, this.onChange);
    this.rebuild();
  },

  remove() {
    for (const name of ["vrmon-findings-changed", "vrmon-nodes"]) this.el.sceneEl.removeEventListener(name, this.onChange);
    this.el.removeObject3D("shells");
    this.el.removeObject3D("pins");
    for (const disposable of [this.shells, this.pins, this.shellGeometry, this.shellMaterial, this.pinGeometry, this.pinMaterial]) {
      disposable.dispose();
    }
  },

  createMeshes(capacity) {
    this.shells?.dispose();
    this.pins?.dispose();
    this.shells = instancedMesh(this.shellGeometry, this.shellMaterial, capacity, { colors: true });
    this.pins = instancedMesh(this.pinGeometry, this.pinMaterial, capacity, { colors: true });
    for (const mesh of [this.shells, this.pins]) mesh.renderOrder = 1; // after the opaque bars they glow over
    this.el.setObject3D("shells", this.shells);
    this.el.setObject3D("pins", this.pins);
  },

  /** The findings whose spans are drawn here, with their rows (few: rewrite them all). */
  drawnFindings() {
    const { rowOf } = this.system.nodes;
    const drawn = [];
    if (this.system.scene?.layout !== "waterfall") return drawn;
    for (const finding of this.findings.findings) {
      const rows = finding.nodes.map((id) => rowOf.get(id)).filter((row) => row !== undefined);
      if (!rows.length) continue;
      const group = focusNodes(finding).map((id) => rowOf.get(id)).filter((row) => row !== undefined);
      drawn.push({ finding, rows, group: group.length ? group : rows });
    }
    return drawn;
  },

  rebuild() {
    const drawn = this.drawnFindings();
    // The finding jumped to goes last, so its colour is the one its bars are framed in.
    drawn.sort((a, b) => this.findings.isActive(a.finding) - this.findings.isActive(b.finding));
    const shells = drawn.reduce((sum, d) => sum + d.rows.length, 0);
    const grown = grownCapacity(this.shells, Math.max(shells, drawn.length)); // shells and pins grow together
    if (grown) {
      this.createMeshes(grown);
    }
    const { pos, size } = this.system.nodes;
    const shellOf = this.shellOf;
    shellOf.clear();
    let shell = 0;
    drawn.forEach(({ finding, rows, group }, pin) => {
      this.color.set(findingKind(finding).color).multiplyScalar(this.findings.isActive(finding) ? 1 : FAINT);
      let top = -Infinity;
      let left = Infinity;
      let right = -Infinity;
      let z = 0;
      for (const row of rows) {
        let k = shellOf.get(row);
        if (k === undefined) {
          k = shell++;
          shellOf.set(row, k);
          const i = row * 3;
          this.matrix.makeScale(size[i] + SHELL_MARGIN, size[i + 1] + SHELL_MARGIN, size[i + 2] + SHELL_MARGIN);
          this.matrix.setPosition(pos[i], pos[i + 1], pos[i + 2]);
          this.shells.setMatrixAt(k, this.matrix);
        }
        this.shells.setColorAt(k, this.color); // the last finding over a bar colours it: the active one is last
      }
      for (const row of group) {
        const i = row * 3;
        top = Math.max(top, pos[i + 1] + size[i + 1] / 2);
        left = Math.min(left, pos[i] - size[i] / 2);
        right = Math.max(right, pos[i] + size[i] / 2);
        z = Math.max(z, pos[i + 2]);
      }
      this.matrix.makeScale(PIN_WIDTH, PIN_HEIGHT, PIN_WIDTH).setPosition((left + right) / 2, top + PIN_GAP + PIN_HEIGHT / 2, z);
      this.pins.setMatrixAt(pin, this.matrix);
      this.pins.setColorAt(pin, this.color);
    });
    this.shells.count = shell;
    this.pins.count = drawn.length;
    for (const mesh of [this.shells, this.pins]) {
      mesh.instanceMatrix.needsUpdate = true;
      mesh.instanceColor.needsUpdate = true;
      mesh.computeBoundingSphere();
    }
    this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
  },
});
