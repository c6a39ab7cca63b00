// Trace compare on the desktop: the trace list's "A" button on a trace makes it the baseline for
// the trace on show (B); this panel (at the top of the trace list, which stays usable to pick
// another baseline) then says how B differs: the total
// difference, how much span self time explains, the five spans that contribute most (click one
// to select it in B), what is only in A or B, and the colour scale of the spans. × stops comparing.
import { formatDuration, h, releaseFocusAfterClick } from "../data/format.js";
import { CHANGE_SCALE } from "../data/trace-compare.js";
import { listen } from "../listen.js";

const GRADIENT = `linear-gradient(to right, ${CHANGE_SCALE.map(([change, colour]) => `${colour} ${(change + 1) * 50}%`).join(", ")})`;

AFRAME.registerComponent("compare-panel", {
  schema: { panel: { type: "selector", default: "#compare-panel" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.compare = this.el.sceneEl.systems["vrmon-compare"];
    const panel = this.data.panel;
    this.body = panel.querySelector(".compare-body");
    panel.querySelector(".close").addEventListener("click", () => this.compare.stop());
    this.render = this.render.bind(this);
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-comparison": this.render, "vrmon-scene": this.render });
  },

  remove() {
    this.unlistenScene();
  },

  render() {
    const { comparison, asked } = this.compare;
    this.data.panel.hidden = comparison === null && asked === null;
    if (this.data.panel.hidden) return;
    if (comparison === null) {
      this.body.replaceChildren(h("p", { class: "muted" }, `Comparing ${asked.b.slice(0, 8)} against ${asked.a.slice(0, 8)}…`));
      return;
    }
    const s = comparison.summary;
    const sign = (ms) => `${ms > 0 ? "+" : ms < 0 ? "−" : "±"}${formatDuration(Math.abs(ms) * 1000)}`;
    const percent = s.a.duration_ms > 0 ? ` (${s.total_diff_ms > 0 ? "+" : ""}${((100 * s.total_diff_ms) / s.a.duration_ms).toFixed(1)} %)` : "";
    this.body.replaceChildren(
      h("dl", { class: "sides" },
        h("dt", {}, "A"), h("dd", {}, `${s.a.root} · ${s.a.spans} spans · ${formatDuration(s.a.duration_ms * 1000)}`, h("code", {}, ` ${s.a.trace.slice(0, 8)}`)),
        h("dt", {}, "B"), h("dd", {}, `${s.b.root} · ${s.b.spans} spans · ${formatDuration(s.b.duration_ms * 1000)}`, h("code", {}, ` ${s.b.trace.slice(0, 8)}`))),
      h("p", { class: "total" }, h("strong", {}, `B − A: ${sign(s.total_diff_ms)}${percent}`)),
      h("p", { class: "muted" }, `${sign(s.self_time_diff_ms)} of span self time, ${sign(s.overlap_ms)} from calls overlapping more or less`),
      h("p", { class: "muted" }, `${s.matched} spans matched · ${s.only_in_a_total} only in A (ghosts) · ${s.only_in_b_total} only in B (framed)`),
      h("div", { class: "scale" }, h("span", { class: "bar", style: { background: GRADIENT } }),
        h("span", { class: "ticks" }, h("span", {}, "faster"), h("span", {}, "as in A"), h("span", {}, "2× slower"))),
      h("h3", {}, "Contributing most (self time)"),
      h("ol", { class: "contributors" }, s.top.map((entry) => h("li", {}, this.contributor(entry, s.b.trace)))),
    );
  },

  contributor(entry, traceB) {
    const span = entry.span_b ?? (entry.change === "only in B" ? entry.span : null);
    const text = [h("span", { class: "diff" }, `${entry.self_diff_ms > 0 ? "+" : "−"}${formatDuration(Math.abs(entry.self_diff_ms) * 1000)}`),
      h("span", { class: "path" }, entry.path), entry.change === "matched" ? null : h("span", { class: "muted" }, ` (${entry.change})`)];
    if (span === null) return h("span", { class: "contributor" }, ...text);
    return h("button", {
      type: "button", class: "contributor", "data-span": span,
      onclick: (event) => {
        releaseFocusAfterClick(event);
        this.system.reveal({ trace: traceB, span });
      },
    }, ...text);
  },
});
