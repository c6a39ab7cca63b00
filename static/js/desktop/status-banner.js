// Tells the viewer when something is wrong: a banner for sources that are not "ok" and for a
// lost connection (hidden when all is well), and a short toast for refused requests and for a
// linked trace the server is asking its live sources for.
import { h } from "../data/format.js";
import { listen } from "../listen.js";

const TOAST_MS = 5000;

AFRAME.registerComponent("status-banner", {
  schema: {
    banner: { type: "selector", default: "#status-banner" },
    toast: { type: "selector", default: "#toast" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.onChange = () => this.render();
    this.onToast = (event) => this.showToast(event.detail.message);
    this.unlistenScene = listen(this.el.sceneEl, {
      "vrmon-status": this.onChange,
      "vrmon-connection": this.onChange,
      "vrmon-error": this.onToast,
      "vrmon-lookup": this.onToast,
    });
    // The first connection attempt gets a moment before "disconnected" is worth saying.
    this.startupTimer = setTimeout(() => { this.started = true; this.render(); }, 1500);
  },

  remove() {
    clearTimeout(this.startupTimer);
    clearTimeout(this.toastTimer);
    this.unlistenScene();
  },

  render() {
    const lines = [];
    if (!this.system.connected && (this.started || this.system.scene)) {
      lines.push(h("div", { class: "down" }, "Disconnected from the vrmon server — retrying…"));
    }
    for (const status of this.system.sourceStatus.values()) {
      if (status.state === "ok") continue;
      lines.push(h("div", { class: status.state }, h("strong", {}, `${status.source}: ${status.state}`), ` — ${status.message}`));
    }
    this.data.banner.replaceChildren(...lines);
    this.data.banner.hidden = lines.length === 0;
  },

  showToast(message) {
    const toast = this.data.toast;
    toast.textContent = message;
    toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { toast.hidden = true; }, TOAST_MS);
  },
});
