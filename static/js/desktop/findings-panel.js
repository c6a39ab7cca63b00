// The Findings list: a button in the top bar with the number of findings, and a panel listing
// them in the server's order (by trace, most telling kinds first): what kind, where, and the
// server's one-line reason.
// Clicking one jumps to it (switches trace, opens the folds hiding its spans, selects and frames
// them). The list follows the server's findings live; the one jumped to stays marked.
import { h, releaseFocusAfterClick } from "../data/format.js";
import { findingKey, findingKind } from "../data/findings.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("findings-panel", {
  schema: {
    button: { type: "selector", default: "#findings-toggle" },
    panel: { type: "selector", default: "#findings-panel" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.findings = this.el.sceneEl.systems["vrmon-findings"];
    const { button, panel } = this.data;
    this.count = button.querySelector(".count");
    this.heading = panel.querySelector(".panel-title");
    this.list = panel.querySelector("ol");
    button.addEventListener("click", (event) => {
      releaseFocusAfterClick(event);
      this.setOpen(panel.hidden);
    });
    panel.querySelector(".close").addEventListener("click", () => this.setOpen(false));
    this.render = this.render.bind(this);
    this.unlistenScene = listen(this.el.sceneEl, {
      "vrmon-findings-changed": this.render,
      "vrmon-scene": this.render,
      "vrmon-traces": this.render,
    });
    this.render();
  },

  remove() {
    this.unlistenScene();
  },

  setOpen(open) {
    this.data.panel.hidden = !open;
    this.data.button.setAttribute("aria-expanded", String(open));
    if (open) this.render();
  },

  render() {
    const { findings, total, received } = this.findings;
    this.count.textContent = received ? String(total) : "";
    if (this.data.panel.hidden) return;
    const shown = findings.length < total ? `${findings.length} of ${total}` : String(total);
    this.heading.textContent = received ? `Findings (${shown})` : "Findings";
    const current = this.system.scene?.trace ?? null;
    const entries = findings.map((finding) => this.entry(finding, finding.trace === current));
    this.list.replaceChildren(...(entries.length ? entries : [h("li", { class: "muted" }, received ? "Nothing found: no N+1 calls, errors, slow spans or flagged spans." : "Looking…")]));
    this.list.querySelector("[aria-current]")?.scrollIntoView({ block: "nearest" });
  },

  entry(finding, inShownTrace) {
    const kind = findingKind(finding);
    const trace = this.system.traces.get(finding.trace);
    const id = finding.trace.slice(0, 8);
    const where = inShownTrace ? `this trace · ${id}` : trace ? `trace ${trace.service}: ${trace.operation} · ${id}` : `trace ${id}`;
    const name = [finding.service, finding.operation].filter(Boolean).join(": ");
    return h("li", {}, h("button", {
      type: "button",
      class: "finding",
      "data-kind": finding.kind,
      "data-key": findingKey(finding),
      "aria-current": this.findings.isActive(finding) ? "true" : null,
      title: finding.reason,
      onclick: (event) => {
        releaseFocusAfterClick(event);
        this.findings.jump(finding);
      },
    },
    h("span", { class: "finding-kind" }, h("span", { class: "swatch", style: { background: kind.color } }), kind.label),
    h("span", { class: "finding-name" }, name || "—"),
    h("span", { class: "finding-reason" }, finding.reason ?? ""),
    h("span", { class: "finding-where" }, where)));
  },
});
