// The top bar's title: what the scene shows (title, node count — spans, or services in the graph —, trace id).
import { listen } from "../listen.js";

AFRAME.registerComponent("view-header", {
  schema: {
    title: { type: "selector", default: "#view-title" },
    detail: { type: "selector", default: "#view-detail" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.onChange = () => this.render();
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-scene": this.onChange, "vrmon-nodes": this.onChange });
  },

  remove() {
    this.unlistenScene();
  },

  render() {
    const scene = this.system.scene;
    if (!scene) return;
    this.data.title.textContent = scene.title || scene.name;
    const detail = scene.detail; // the waterfall: some spans may be folded into summary marks
    const parts = [detail?.folded
      ? `${scene.name} · ${detail.spans.toLocaleString("en")} spans, ${detail.folded.toLocaleString("en")} folded into ${detail.summaries} marks`
      : `${scene.name} · ${this.system.nodes.count} ${scene.layout === "services" ? "services" : "spans"}`];
    if (scene.trace) parts.push(`trace ${scene.trace}`);
    this.data.detail.textContent = parts.join(" · ");
    document.title = `${scene.title || scene.name} — vrmon`;
  },
});
