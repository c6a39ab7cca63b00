// Host load on a screen: a compact gauge in the bottom bar (a bar per CPU core, then average
// CPU, load and memory), from the same 1 Hz `metrics` frames as the headset's ring. The ring
// entity's `visible` attribute is the one switch for both (H, the Host load button, the wrist
// menu); the gauge hides in a headset, where the ring at the viewer's feet shows the load.
import { loadColor } from "../scene/host-load-ring.js";

const GIB = 2 ** 30;

AFRAME.registerComponent("host-gauge", {
  schema: {
    gauge: { type: "selector", default: "#host-gauge" },
    ring: { type: "selector", default: "#host-ring" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.canvas = this.data.gauge.querySelector("canvas");
    this.text = this.data.gauge.querySelector(".text");
    this.cores = 0;
    this.onChange = () => this.render();
    this.onRingChange = (event) => { if (event.detail.name === "visible") this.render(); };
    for (const name of ["vrmon-metrics", "enter-vr", "exit-vr"]) this.el.sceneEl.addEventListener(name, this.onChange);
    this.data.ring?.addEventListener("componentchanged", this.onRingChange);
    this.data.ring?.addEventListener("host-load-toggled", this.onChange); // at once; componentchanged is throttled
    this.render();
  },

  remove() {
    for (const name of ["vrmon-metrics", "enter-vr", "exit-vr"]) this.el.sceneEl.removeEventListener(name, this.onChange);
    this.data.ring?.removeEventListener("componentchanged", this.onRingChange);
    this.data.ring?.removeEventListener("host-load-toggled", this.onChange);
  },

  /** Core bars shown now: 0 when hidden, in a headset, or before metrics arrive. */
  barsShown() {
    return this.data.gauge.hidden ? 0 : this.cores;
  },

  /** The canvas's pixels: its CSS size at the screen's ratio, so the bars stay sharp-edged on a HiDPI screen. */
  sizeCanvas() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(this.canvas.clientWidth * ratio), height = Math.round(this.canvas.clientHeight * ratio);
    if (width > 0 && (this.canvas.width !== width || this.canvas.height !== height)) Object.assign(this.canvas, { width, height });
    return this.canvas;
  },

  render() {
    const metrics = this.system.metrics;
    const inHeadset = Boolean(this.el.sceneEl.renderer?.xr.isPresenting);
    const wanted = this.data.ring ? this.data.ring.getAttribute("visible") !== false : true;
    this.data.gauge.hidden = !metrics?.cpu.length || inHeadset || !wanted;
    if (this.data.gauge.hidden) return;
    const cpu = metrics.cpu;
    this.cores = cpu.length;
    const { width, height } = this.sizeCanvas();
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    const slot = width / cpu.length;
    let total = 0;
    for (let i = 0; i < cpu.length; i++) {
      const busy = Math.min(100, Math.max(0, cpu[i] || 0));
      total += busy;
      ctx.fillStyle = "#1e2636";
      ctx.fillRect(i * slot + slot * 0.15, 0, slot * 0.7, height);
      ctx.fillStyle = `#${loadColor(busy / 100).getHexString()}`;
      const bar = Math.max(1, (busy / 100) * height);
      ctx.fillRect(i * slot + slot * 0.15, height - bar, slot * 0.7, bar);
    }
    const memory = metrics.mem_total > 0 ? metrics.mem_used / metrics.mem_total : 0;
    this.text.textContent = `${metrics.recorded ? "recorded · " : ""}CPU ${(total / cpu.length).toFixed(0)}% · load ${Number(metrics.load[0]).toFixed(2)} · mem ${(memory * 100).toFixed(0)}%`;
    this.data.gauge.title = `${metrics.recorded ? "the recorded host's load at this moment of the recording; " : ""}${cpu.length} cores; load ${metrics.load.map((v) => Number(v).toFixed(2)).join(" ")}; ` +
      `memory ${(metrics.mem_used / GIB).toFixed(1)} of ${(metrics.mem_total / GIB).toFixed(1)} GiB (H hides it)`;
  },
});
