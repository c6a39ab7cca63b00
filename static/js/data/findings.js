// The server's findings (what is wrong in the held traces: N+1 calls, where an error starts, slow
// spans, flagged spans; docs/protocol.md#findings), watched from the first connection on, and the
// one the viewer jumped to. Components read `findings`, `total`, `activeKey` and listen to
// `vrmon-findings-changed`. jump(finding) shows its trace with its spans drawn (the server opens
// the folds hiding them), selects its key span and frames its spans (`vrmon-frame-nodes`).
import { findingsRequest } from "./protocol.js";

/** What each kind is called and the colour that lights its spans and marks its group. */
export const FINDING_KINDS = Object.freeze({
  "error-root-cause": { label: "error starts here", color: "#ff7a45" },
  "n-plus-one": { label: "N+1 calls", color: "#c77dff" },
  "slow-span": { label: "slow span", color: "#4cc9f0" },
  orphan: { label: "orphan spans", color: "#9aa4b5" },
  "clock-skew": { label: "clock skew", color: "#9aa4b5" },
  "duplicate-span-id": { label: "duplicate span ids", color: "#9aa4b5" },
  "bad-duration": { label: "bad durations", color: "#9aa4b5" },
  cycle: { label: "parent cycle", color: "#9aa4b5" },
});

export const findingKind = (finding) => FINDING_KINDS[finding.kind] ?? { label: finding.kind, color: "#9aa4b5" };

/** Stable across updates of the list: a finding is its kind, trace and first span. */
export const findingKey = (finding) => `${finding.kind}:${finding.trace}:${finding.nodes?.[0] ?? ""}`;

/** The span a jump selects: where an error starts (the end of its chain), else the first span named. */
export function keyNode(finding) {
  const nodes = finding.nodes ?? [];
  if (finding.kind === "error-root-cause" && Array.isArray(finding.chain) && finding.chain.length <= nodes.length) {
    return nodes[finding.chain.length - 1];
  }
  return nodes[0] ?? null;
}

/** The spans a jump frames: an error's locus and its fallout (not the chain up to the root), else all. */
export function focusNodes(finding) {
  const nodes = finding.nodes ?? [];
  const locus = keyNode(finding);
  return finding.kind === "error-root-cause" && locus !== null ? nodes.slice(nodes.indexOf(locus)) : nodes;
}

AFRAME.registerSystem("vrmon-findings", {
  init() {
    this.findings = [];
    this.total = 0;
    this.received = false; // false until the server's first answer
    this.activeKey = null;
    this.jumping = null; // the finding whose trace is on its way, framed when it is revealed
    this.el.addEventListener("vrmon-connection", (event) => {
      // asked once the trace is drawn: their frame is big, and not needed for the first picture
      if (event.detail.connected) this.el.systems["first-frame"].afterFirstFrame(() => this.dataSystem().send(findingsRequest(true)));
    });
    this.el.addEventListener("vrmon-findings", (event) => {
      const { findings, total } = event.detail.frame;
      this.findings = Array.isArray(findings) ? findings.filter((f) => f && typeof f.trace === "string" && Array.isArray(f.nodes)) : [];
      this.total = Number.isInteger(total) ? total : this.findings.length;
      this.received = true;
      this.changed();
    });
    this.el.addEventListener("vrmon-revealed", (event) => {
      const finding = this.jumping;
      if (finding === null || event.detail.trace !== finding.trace) return;
      this.jumping = null;
      this.el.emit("vrmon-frame-nodes", { ids: focusNodes(finding) }, false);
    });
  },

  dataSystem() {
    return this.el.systems["vrmon-data"];
  },

  changed() {
    this.dataSystem().emit("vrmon-findings-changed", {});
  },

  isActive(finding) {
    return this.activeKey !== null && findingKey(finding) === this.activeKey;
  },

  jump(finding) {
    this.activeKey = findingKey(finding);
    this.jumping = finding;
    this.changed();
    this.dataSystem().reveal({ trace: finding.trace, nodes: finding.nodes, select: keyNode(finding) });
  },
});
