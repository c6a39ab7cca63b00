// The side panel for the selected node: opens at once with what the node table knows, then
// fills in from the server's `details` answer. Parent and children are links that select
// them. Outside the waterfall (the wall) a span's trace can be pulled out into the waterfall.
// Closes with Esc or the close button.
import { formatDuration, formatRate, formatTimestamp, formatValue, h, releaseFocusAfterClick } from "../data/format.js";
import { FLAG } from "../data/protocol.js";
import { openTrace, waterfallSceneName } from "../data/scene-catalog.js";
import { linkTo, viewState } from "../data/span-links.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("span-details-panel", {
  schema: { panel: { type: "selector", default: "#span-panel" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    const panel = this.data.panel;
    this.title = panel.querySelector(".panel-title");
    this.body = panel.querySelector(".panel-body");
    panel.querySelector(".close").addEventListener("click", () => this.system.clearSelection());

    this.onSelection = (event) => (event.detail.id === null ? this.hide() : this.showPending(event.detail.id));
    this.onDetails = (event) => this.show(event.detail.span);
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-selection": this.onSelection, "vrmon-details": this.onDetails });
  },

  remove() {
    this.unlistenScene();
  },

  hide() {
    this.data.panel.hidden = true;
  },

  /** Service and operation straight from the node table while the details are on their way. */
  showPending(id) {
    const { service, operation } = this.nodeNames(id);
    this.render(operation ?? service ?? `node ${id}`, [
      h("p", { class: "subtitle" }, this.serviceBadge(service)),
      h("p", { class: "muted" }, "Loading details…"),
    ]);
  },

  show(span) {
    if (span.kind === "service") return this.showService(span);
    if (span.kind === "summary") return this.showSummary(span);
    const badges = [this.serviceBadge(span.service), h("span", { class: "badge" }, span.kind)];
    if (span.error) badges.push(h("span", { class: "badge error" }, "error"));
    this.render(span.operation, [
      h("p", { class: "subtitle" }, badges),
      this.openTraceButton(span.trace_id),
      span.span_id ? copyLink(linkTo(span.trace_id, span.span_id, viewState(this.el.sceneEl, span.trace_id === this.system.scene?.trace))) : null,
      section(null, table([
        ["Duration", formatDuration(span.duration_us)],
        span.percentile?.text ? ["Percentile", span.percentile.text] : null,
        ["Start", formatTimestamp(span.start_us)],
        ["Error", span.error ? "yes" : "no"],
        ["Depth", span.depth],
        ["Trace ID", h("code", {}, span.trace_id)],
        ["Span ID", h("code", {}, span.span_id)],
      ].filter(Boolean))),
      span.warnings?.length ? section("Warnings", h("ul", { class: "warnings" }, span.warnings.map((w) => h("li", {}, w)))) : null,
      section("Parent", span.parent === null || span.parent === undefined
        ? h("p", { class: "muted" }, span.parent_span_id ? `${span.parent_span_id} (not in this trace)` : "none: this is a root span")
        : this.nodeLinks([span.parent])),
      section(`Children (${span.children.length})`, span.children.length ? this.nodeLinks(span.children) : h("p", { class: "muted" }, "none")),
      section(`Tags (${span.tags.length})`, table(span.tags)),
      section(`Logs (${span.logs.length})`, span.logs.map((log) => h("div", { class: "log" },
        h("div", { class: "log-time" }, `+${formatDuration(log.timestamp_us - span.start_us)}`, h("span", { class: "muted" }, ` ${formatTimestamp(log.timestamp_us)}`)),
        table(log.fields)))),
      section(`Process (${span.process.length})`, table(span.process)),
      span.references?.length ? section("References", table(span.references.map((r) => [r.type, `${r.trace_id} / ${r.span_id}`]))) : null,
    ]);
  },

  showService(node) {
    const perSecond = (count) => (node.window_s > 0 ? ` · ${formatRate(count / node.window_s)}` : "");
    const calls = (list) => (list.length
      ? table(list.map((c) => [c.service, `${c.calls} calls${perSecond(c.calls)}`]))
      : h("p", { class: "muted" }, "none"));
    const errorShare = node.spans > 0 ? ` (${((100 * node.errors) / node.spans).toFixed(1)} %)` : "";
    const badges = [this.serviceBadge(node.service), h("span", { class: "badge" }, "service")];
    if (node.errors) badges.push(h("span", { class: "badge error" }, "errors"));
    this.render(node.service, [
      h("p", { class: "subtitle" }, badges),
      section(null, table([
        ["Span rate", `${formatRate(node.span_rate)} over ${formatDuration(node.window_s * 1e6)}`],
        ["Spans", node.spans],
        ["Errors", `${node.errors}${errorShare}`],
      ])),
      section("Callers", calls(node.callers)),
      section("Callees", calls(node.callees)),
    ]);
  },

  /** A summary mark: how many calls it folds, their errors, time extent, services and operations. */
  showSummary(node) {
    const badges = [this.serviceBadge(node.services[0]?.service), h("span", { class: "badge" }, "folded")];
    if (node.errors) badges.push(h("span", { class: "badge error" }, `${node.errors} errors`));
    this.render(`${node.spans.toLocaleString("en")} folded calls`, [
      h("p", { class: "subtitle" }, badges),
      h("button", {
        type: "button", class: "action expand", onclick: (event) => { releaseFocusAfterClick(event); this.system.activate(node.id); },
      }, "Open: draw these calls"),
      section(null, table([
        ["Spans", node.spans],
        this.system.nodeFilter.active ? ["Search matches", this.system.nodeFilter.summaryMatches.get(node.id) ?? 0] : null,
        ["Errors", node.errors],
        ["Start", formatTimestamp(node.start_us)],
        ["Time extent", formatDuration(node.duration_us)],
        ["From depth", node.depth],
      ].filter(Boolean))),
      section("Parent", this.nodeLinks([node.holder])),
      section(`Services (${node.services.length})`, table(node.services.map((s) => [s.service, `${s.spans} spans`]))),
      section("Operations", table(node.operations.map((o) => [`${o.service}: ${o.operation}`, `${o.spans} spans`]))),
    ]);
  },

  /** "Open trace in waterfall" when the span is shown in another scene and a waterfall exists. */
  openTraceButton(traceId) {
    const scene = this.system.scene;
    if (!traceId || scene?.layout === "waterfall" || !waterfallSceneName(scene)) return null;
    return h("button", {
      type: "button",
      class: "action open-trace",
      "data-trace-id": traceId,
      onclick: (event) => {
        releaseFocusAfterClick(event);
        openTrace(this.system, traceId);
      },
    }, "Open trace in waterfall");
  },

  render(title, children) {
    this.title.textContent = title;
    this.body.replaceChildren(...children.filter(Boolean));
    this.body.scrollTop = 0;
    this.data.panel.hidden = false;
  },

  nodeNames(id) {
    const { nodes, services, operations } = this.system;
    const row = nodes.rowOf.get(id);
    if (row === undefined) return {};
    return { service: services[nodes.service[row]], operation: operations[nodes.operation[row]], error: nodes.flags[row] & FLAG.error };
  },

  nodeLinks(ids) {
    return h("ul", { class: "links" }, ids.map((id) => {
      const { service, operation, error } = this.nodeNames(id);
      const label = operation ? `${service}: ${operation}` : `span ${id} (not drawn)`;
      return h("li", {}, h("button", {
        class: error ? "link error" : "link",
        "data-node-id": id,
        onclick: (event) => { releaseFocusAfterClick(event); this.system.select(id); },
      }, label));
    }));
  },

  serviceBadge(service) {
    const index = this.system.services.indexOf(service);
    const color = this.system.serviceColors[index] ?? "#8b949e";
    return h("span", { class: "service" }, h("span", { class: "swatch", style: { background: color } }), service ?? "unknown service");
  },
});

/** The span's address, selectable, with a button that copies it (or selects it where the clipboard is refused). */
function copyLink(url) {
  const field = h("input", { class: "link-address", type: "text", readonly: true, value: url, "aria-label": "Link to this span" });
  const button = h("button", {
    type: "button",
    class: "action copy-link",
    onclick: async (event) => {
      releaseFocusAfterClick(event);
      try {
        await navigator.clipboard.writeText(url);
        button.textContent = "Link copied";
      } catch {
        field.select(); // no clipboard (an insecure page, or refused): the link is selected for Ctrl+C
        button.textContent = "Press Ctrl+C to copy";
      }
    },
  }, "Copy link");
  return h("p", { class: "span-link" }, field, button);
}

function section(heading, content) {
  return h("section", {}, heading ? h("h3", {}, heading) : null, content);
}

/** A two-column key/value table from [[key, value], ...]. */
function table(rows) {
  if (!rows.length) return h("p", { class: "muted" }, "none");
  return h("table", { class: "kv" }, h("tbody", {}, rows.map(([key, value]) =>
    h("tr", {}, h("th", {}, String(key)), h("td", {}, value instanceof Node ? value : formatValue(value))))));
}
