// Host load in a headset, around the viewer's feet, from the server's 1 Hz `metrics` frames: a
// low ring of bars, one per CPU core (height = busy %), a floor gauge inside it for memory in
// use, and a small label with the averages, load and memory. It stays well below eye level, so
// it is never between the viewer and the scene. Nothing shows until metrics arrive (a server run
// with --no-host-metrics sends none). A flat screen cannot look at its feet: there the compact
// #host-gauge in the bottom bar (desktop/host-gauge.js) shows the same numbers instead.
// The entity's `visible` attribute is the viewer's on/off switch for both: the desktop button
// and the H key flip it here (and say so with a `host-load-toggled` event), and anything else
// (a wrist menu) may do the same with `document.querySelector('#host-ring').setAttribute('visible', bool)`.
import { bindKeys } from "../desktop/keymap.js";
import { instancedMesh } from "./instanced-mesh.js";
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const MEMORY_SEGMENTS = 32;
const LABEL_WIDTH_PX = 640;
const LABEL_HEIGHT_PX = 112;
const GIB = 2 ** 30;
const IDLE = new THREE.Color("#3fb950");
const BUSY = new THREE.Color("#e3b341");
const SATURATED = new THREE.Color("#ff453a");
const MEMORY_ON = new THREE.Color("#58a6ff");
const MEMORY_OFF = new THREE.Color("#1e2636");

AFRAME.registerComponent("host-load-ring", {
  schema: {
    radius: { default: 1.1 }, // metres from the viewer to the bars
    maxHeight: { default: 0.4 }, // bar height at 100 % busy: knee-high, far below the eyes
    toggleButton: { type: "selector" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.matrix = new THREE.Matrix4();
    this.rotation = new THREE.Matrix4();
    this.color = new THREE.Color();
    this.eye = new THREE.Vector3();

    this.ring = new THREE.Group();
    this.ring.visible = false; // until the first metrics frame
    this.el.setObject3D("ring", this.ring);
    this.barGeometry = new THREE.BoxGeometry(1, 1, 1).translate(0, 0.5, 0); // grows up from the floor
    this.material = new THREE.MeshLambertMaterial({ color: 0xffffff });
    this.createBars(16);
    this.gauge = instancedMesh(this.barGeometry, this.material, MEMORY_SEGMENTS, { colors: true });
    this.gauge.count = MEMORY_SEGMENTS; // every tile is always drawn, lit or not
    this.placeGauge();
    this.ring.add(this.gauge);

    this.canvas = document.createElement("canvas");
    this.canvas.width = LABEL_WIDTH_PX;
    this.canvas.height = LABEL_HEIGHT_PX;
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.label = new THREE.Sprite(new THREE.SpriteMaterial({ map: this.texture, transparent: true, depthWrite: false }));
    this.label.scale.set(1.3, (1.3 * LABEL_HEIGHT_PX) / LABEL_WIDTH_PX, 1);
    this.label.position.set(0, 0.12, 0);
    this.ring.add(this.label);

    this.onMetrics = (event) => this.show(event.detail.metrics);
    this.onMode = () => { if (this.system.metrics) this.show(this.system.metrics); };
    this.unbindKeys = bindKeys({ hostLoad: () => this.toggle() });
    this.onToggle = () => this.toggle();
    // others (a wrist menu) flip `visible` too: keep the button's state in step
    this.onVisible = (event) => { if (event.detail.name === "visible") this.syncButton(); };
    this.unlistenScene = listen(this.el.sceneEl, {
      "vrmon-metrics": this.onMetrics,
      "enter-vr": this.onMode,
      "exit-vr": this.onMode,
    });
    this.unlistenEl = listen(this.el, { componentchanged: this.onVisible });
    this.data.toggleButton?.addEventListener("click", this.onToggle);
    this.syncButton();
    if (this.system.metrics) this.show(this.system.metrics);
  },

  remove() {
    this.unlistenScene();
    this.unlistenEl();
    this.unbindKeys();
    this.data.toggleButton?.removeEventListener("click", this.onToggle);
    this.el.removeObject3D("ring");
    this.bars.dispose();
    this.gauge.dispose();
    for (const disposable of [this.barGeometry, this.material, this.texture, this.label.material]) disposable.dispose();
  },

  toggle() {
    this.el.setAttribute("visible", !this.el.getAttribute("visible"));
    this.syncButton(); // componentchanged is throttled: say it at once
    this.el.emit("host-load-toggled", null, false);
  },

  syncButton() {
    const button = this.data.toggleButton;
    if (!button) return;
    button.setAttribute("aria-pressed", String(Boolean(this.el.getAttribute("visible"))));
    button.disabled = !this.system.metrics;
    button.title = this.system.metrics ? "Show or hide the host load ring (H)" : "The server sends no host metrics";
  },

  /** Core bars drawn now: 0 when hidden or when no metrics arrived. */
  barsShown() {
    return this.el.object3D.visible && this.ring.visible ? this.bars.count : 0;
  },

  createBars(capacity) {
    if (this.bars) {
      this.ring.remove(this.bars);
      this.bars.dispose();
    }
    this.bars = instancedMesh(this.barGeometry, this.material, capacity, { colors: true });
    this.ring.add(this.bars);
  },

  /** Memory gauge: a circle of floor tiles inside the bars, lit clockwise from the front. */
  placeGauge() {
    const r = this.data.radius * 0.62;
    const tile = ((2 * Math.PI * r) / MEMORY_SEGMENTS) * 0.75;
    for (let i = 0; i < MEMORY_SEGMENTS; i++) {
      this.placeAround(this.gauge, i, (2 * Math.PI * i) / MEMORY_SEGMENTS, r, tile, 0.015, 0.14);
    }
  },

  /** Instance `i` of `mesh` at `angle` clockwise from straight ahead (−z), facing the centre. */
  placeAround(mesh, i, angle, radius, width, height, depth) {
    this.matrix.makeScale(width, height, depth);
    this.matrix.premultiply(this.rotation.makeRotationY(-angle));
    this.matrix.setPosition(radius * Math.sin(angle), 0, -radius * Math.cos(angle));
    mesh.setMatrixAt(i, this.matrix);
  },

  show(metrics) {
    const { cpu } = metrics;
    if (cpu.length > this.bars.instanceMatrix.count) this.createBars(cpu.length);
    const { radius, maxHeight } = this.data;
    const arc = 2 * Math.PI; // all the way round the feet
    const width = Math.min(0.2, ((arc * radius) / Math.max(cpu.length, 1)) * 0.6);
    let total = 0;
    for (let i = 0; i < cpu.length; i++) {
      const busy = Math.min(100, Math.max(0, cpu[i] || 0));
      total += busy;
      const angle = (arc * (i + 0.5)) / cpu.length;
      this.placeAround(this.bars, i, angle, radius, width, Math.max(0.02, (busy / 100) * maxHeight), width);
      this.bars.setColorAt(i, loadColor(busy / 100, this.color));
    }
    this.bars.count = cpu.length;
    this.bars.instanceMatrix.needsUpdate = true;
    if (this.bars.instanceColor) this.bars.instanceColor.needsUpdate = true;
    this.bars.computeBoundingSphere();

    const memory = metrics.mem_total > 0 ? metrics.mem_used / metrics.mem_total : 0;
    const lit = Math.round(memory * MEMORY_SEGMENTS);
    for (let i = 0; i < MEMORY_SEGMENTS; i++) this.gauge.setColorAt(i, i < lit ? MEMORY_ON : MEMORY_OFF);
    this.gauge.instanceColor.needsUpdate = true;

    this.drawLabel(cpu.length ? total / cpu.length : 0, metrics, memory);
    this.ring.visible = cpu.length > 0 && this.inHeadset(); // on a screen: the #host-gauge
    this.syncButton();
  },

  inHeadset() {
    return Boolean(this.el.sceneEl.renderer?.xr.isPresenting);
  },

  drawLabel(averageBusy, metrics, memory) {
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, LABEL_WIDTH_PX, LABEL_HEIGHT_PX);
    ctx.fillStyle = "rgba(10, 13, 20, 0.78)";
    ctx.beginPath();
    ctx.roundRect(2, 2, LABEL_WIDTH_PX - 4, LABEL_HEIGHT_PX - 4, 18);
    ctx.fill();
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = "600 34px system-ui, sans-serif";
    ctx.fillStyle = "#e6edf3";
    const load = metrics.load.slice(0, 3).map((v) => Number(v).toFixed(2)).join(" ");
    ctx.fillText(`${metrics.recorded ? "recorded · " : ""}CPU ${averageBusy.toFixed(0)}% · load ${load}`, LABEL_WIDTH_PX / 2, 36);
    ctx.font = "500 30px system-ui, sans-serif";
    ctx.fillStyle = "#9ecbff";
    ctx.fillText(`memory ${(metrics.mem_used / GIB).toFixed(1)} / ${(metrics.mem_total / GIB).toFixed(1)} GiB (${(memory * 100).toFixed(0)}%)`,
      LABEL_WIDTH_PX / 2, 80);
    this.texture.needsUpdate = true;
  },

  tick() {
    if (!this.ring.visible) return;
    // Stay with the viewer: on the floor right under the head.
    const camera = this.el.sceneEl.camera;
    if (!camera) return;
    camera.getWorldPosition(this.eye);
    this.el.object3D.position.set(this.eye.x, 0, this.eye.z);
  },
});

/** Colour of a core `fraction` busy (0..1): green, amber from 60 %, red at 90 %; written into `target`. */
export function loadColor(fraction, target = new THREE.Color()) {
  return fraction < 0.6
    ? target.copy(IDLE).lerp(BUSY, fraction / 0.6)
    : target.copy(BUSY).lerp(SATURATED, Math.min(1, (fraction - 0.6) / 0.3));
}
