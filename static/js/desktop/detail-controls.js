// The waterfall's level of detail, in the top bar and on keys: the overview (0: spans too small to
// see fold into summary marks), collapse to call depth 1–9 (keys 1–9), expand all (E), compressed
// idle time on or off (I; on by default, where the trace has long idle stretches). A click on
// a summary mark opens it (span-pointer). The view header says how many spans the marks fold.
import { h, releaseFocusAfterClick } from "../data/format.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

const DEPTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9];

AFRAME.registerComponent("detail-controls", {
  schema: { container: { type: "selector", default: "#detail-controls" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    const container = this.data.container;
    this.depth = h("select", { "aria-label": "Collapse to call depth", title: "Collapse to call depth (keys 1–9)" },
      h("option", { value: "" }, "depth…"), DEPTHS.map((d) => h("option", { value: String(d) }, `depth ${d}`)));
    this.depth.addEventListener("change", () => {
      if (this.depth.value) this.system.setDetail({ depth: Number(this.depth.value) });
      this.depth.blur();
    });
    const button = (label, title, detail) => h("button", {
      type: "button", title, onclick: (event) => { releaseFocusAfterClick(event); this.system.setDetail(detail); },
    }, label);
    this.overview = button("overview", "Fold what is too small to see (0)", {});
    this.all = button("all", "Expand all: every span a bar (E)", { all: true });
    this.idle = h("button", {
      type: "button", title: "Compress long idle stretches to marked breaks (I)", onclick: (event) => { releaseFocusAfterClick(event); this.toggleIdle(); },
    }, "idle");
    container.replaceChildren(this.overview, this.depth, this.all, this.idle);

    this.onScene = () => this.render();
    // the waterfall's keys; in another scene they do nothing (false: the key was not used)
    const inWaterfall = (act) => (event) => this.system.scene?.layout === "waterfall" && (act(event), true);
    this.unbindKeys = bindKeys({
      overview: inWaterfall(() => this.system.setDetail({})),
      depth: inWaterfall((event) => this.system.setDetail({ depth: Number(event.key) })),
      expandAll: inWaterfall(() => this.system.setDetail({ all: true })),
      idle: inWaterfall(() => this.toggleIdle()),
    });
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-scene": this.onScene });
    this.render();
  },

  remove() {
    this.unlistenScene();
    this.unbindKeys();
  },

  /** Idle compression on or off, keeping the folds asked for. */
  toggleIdle() {
    const detail = this.system.scene?.detail;
    if (detail) this.system.setDetail({ depth: detail.depth, all: detail.all, idle: !detail.idle });
  },

  render() {
    const detail = this.system.scene?.detail;
    this.data.container.hidden = !detail;
    if (!detail) return;
    this.overview.setAttribute("aria-pressed", String(detail.depth === null && !detail.all && !detail.opened));
    this.all.setAttribute("aria-pressed", String(detail.all));
    this.idle.setAttribute("aria-pressed", String(detail.idle));
    this.idle.title = detail.breaks ? `${detail.breaks} idle stretch${detail.breaks > 1 ? "es" : ""} compressed (I)` : "Compress long idle stretches to marked breaks (I)";
    this.depth.value = detail.depth === null ? "" : String(detail.depth);
    this.overview.title = detail.folded
      ? `${detail.folded.toLocaleString("en")} of ${detail.spans.toLocaleString("en")} spans folded into ${detail.summaries} marks (0)`
      : "Fold what is too small to see (0)";
  },
});
