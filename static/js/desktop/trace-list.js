// The collapsible list of traces from the summaries (its button or T folds it; it starts folded on
// a narrow page; it folds itself while the wall, a list of traces of its own, is up, and while a
// span's panel opened on a page too narrow for both leaves the scene less than half the width):
// newest first, filterable by text;
// clicking one asks the server to show it (in the waterfall, from the other scenes). The trace
// on show is highlighted; the "A" beside another trace compares the trace on show against it
// (data/trace-compare.js).
import { formatClock, formatDuration, h, releaseFocusAfterClick } from "../data/format.js";
import { openTrace } from "../data/scene-catalog.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

// Of the page's width, the least the open list leaves the scene at the first view: at 1280 px it
// leaves 75 %; at 1024 px 68 % framed a 40-span waterfall at 28 % of the canvas, its lane names 11 px
// tall, and 23 services at 22 %; at 800 px (60 %) the waterfall's names were 9 px.
const SCENE_LEAST_SHARE = 0.7;

AFRAME.registerComponent("trace-list", {
  schema: { panel: { type: "selector", default: "#trace-list" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    const panel = this.data.panel;
    this.list = panel.querySelector("ol");
    this.count = panel.querySelector(".count");
    this.filter = panel.querySelector("input[type=search]");
    this.toggle = panel.querySelector(".toggle");

    this.toggle.addEventListener("click", (event) => {
      releaseFocusAfterClick(event);
      this.setCollapsed(!panel.classList.contains("collapsed"));
    });
    this.autoCollapsed = false;
    this.layout = null; // the layout on show, to fold the list while the wall is up
    this.items = new Map(); // trace id → {summary, current, item, bar}: what each item was written from
    this.longest = 1; // µs that a full duration bar stands for
    this.foldedForWall = false;
    this.foldedForPanel = false;
    this.openRight = panel.getBoundingClientRect().right; // the open list's right edge (it starts open)
    this.filter.addEventListener("input", () => this.render());
    this.unbindKeys = bindKeys({ traceList: () => this.setCollapsed(!panel.classList.contains("collapsed")) });
    this.onChange = () => this.render();
    this.onScene = () => {
      this.render();
      this.list.querySelector("[aria-current]")?.scrollIntoView({ block: "nearest" });
    };
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-traces": this.onChange, "vrmon-scene": this.onScene });
    this.render();
  },

  remove() {
    this.unbindKeys();
    this.unlistenScene();
  },

  setCollapsed(collapsed) {
    // the viewer's own choice (or a new one) stands from now on
    this.foldedForWall = false;
    this.foldedForPanel = false;
    this.data.panel.classList.toggle("collapsed", collapsed);
    this.toggle.setAttribute("aria-expanded", String(!collapsed));
  },

  /**
   * A panel opened on the right, its left edge at `panelLeft` (CSS px): on a page too narrow for
   * both (the scene would keep less than half the canvas between them) the list folds until the
   * panel closes. Returns whether it folded.
   */
  foldForPanel(panelLeft, canvasWidth) {
    const panel = this.data.panel;
    if (panel.classList.contains("collapsed")) return false;
    if (panelLeft - panel.getBoundingClientRect().right >= canvasWidth / 2) return false;
    this.setCollapsed(true);
    this.foldedForPanel = true;
    return true;
  },

  /** The panel closed: the list comes back if it folded for it. */
  unfoldAfterPanel() {
    if (this.foldedForPanel) this.setCollapsed(false);
  },

  /** Whether the open list would leave the scene less than SCENE_LEAST_SHARE of the page's width. */
  crampsTheScene() {
    const page = document.documentElement.clientWidth;
    return page - this.openRight < SCENE_LEAST_SHARE * page;
  },

  /** The wall is itself a list of traces: the list folds while it is up and opens again after. */
  followLayout() {
    const layout = this.system.scene?.layout ?? null;
    if (layout === this.layout) return;
    const open = !this.data.panel.classList.contains("collapsed");
    if (layout === "wall" && open) {
      this.setCollapsed(true);
      this.foldedForWall = true;
    } else if (this.layout === "wall" && this.foldedForWall) {
      this.setCollapsed(this.crampsTheScene()); // as it would have started on this page
      this.foldedForWall = false;
    }
    this.layout = layout;
  },

  render() {
    this.followLayout();
    const traces = this.system.traceList();
    if (!this.autoCollapsed && traces.length) {
      // A list of one is no use on screen, and on a narrow page (1024 px and less) the open list
      // leaves the scene too little room: fold it once, the viewer can open it again.
      this.autoCollapsed = true;
      if (traces.length === 1 || this.crampsTheScene()) this.setCollapsed(true);
    }
    const query = this.filter.value.trim().toLowerCase();
    const shown = query
      ? traces.filter((t) => `${t.service} ${t.operation} ${t.id}`.toLowerCase().includes(query))
      : traces;
    this.count.textContent = query ? `${shown.length} of ${traces.length}` : String(traces.length);
    const longest = shown.reduce((max, t) => Math.max(max, t.duration_us), 1);
    const rescaled = longest !== this.longest;
    this.longest = longest;
    const current = this.system.scene?.trace;
    const wanted = shown.map((trace) => {
      let entry = this.items.get(trace.id);
      // written again only when its summary changed (the system replaces changed ones) or another trace is on show
      if (entry?.summary !== trace || entry.current !== current) {
        entry = this.item(trace, current);
        this.items.set(trace.id, entry);
      } else if (rescaled) {
        entry.bar.style.width = this.barWidth(trace);
      }
      return entry.item;
    });
    placeChildren(this.list, wanted);
    for (const id of this.items.keys()) if (!this.system.traces.has(id)) this.items.delete(id);
  },

  barWidth(trace) {
    return `${(100 * trace.duration_us) / this.longest}%`;
  },

  item(trace, current) {
    const compare = this.el.sceneEl.systems["vrmon-compare"];
    const bar = h("span", { class: "bar", style: { width: this.barWidth(trace) } });
    const item = h("li", {},
      current && trace.id !== current ? h("button", {
        type: "button",
        class: "baseline",
        "data-baseline": trace.id,
        title: "Compare the trace on show (B) against this one (baseline A)",
        onclick: (event) => {
          releaseFocusAfterClick(event);
          compare.start(trace.id, current);
        },
      }, "A") : null,
      h("button", {
        class: "trace",
        "data-trace-id": trace.id,
        "aria-current": trace.id === current ? "true" : null,
        title: `trace ${trace.id}`,
        onclick: (event) => {
          releaseFocusAfterClick(event);
          openTrace(this.system, trace.id);
        },
      },
      h("span", { class: "trace-name" }, h("strong", {}, trace.service), `: ${trace.operation}`),
      h("span", { class: "trace-meta" },
        `${trace.spans} spans`,
        trace.errors ? h("span", { class: "errors" }, ` · ${trace.errors} error${trace.errors > 1 ? "s" : ""}`) : null,
        ` · ${formatClock(trace.start_us)}`),
      h("span", { class: "trace-duration" }, bar, h("span", { class: "value" }, formatDuration(trace.duration_us)))));
    return { summary: trace, current, item, bar };
  },
});

/** Make `wanted` the children of `parent`, in order, moving only what is out of place (a new
 * trace at the top is one insert) and dropping the rest. */
function placeChildren(parent, wanted) {
  let next = parent.firstChild;
  for (const child of wanted) {
    if (child === next) next = next.nextSibling;
    else parent.insertBefore(child, next);
  }
  while (next) {
    const after = next.nextSibling;
    next.remove();
    next = after;
  }
}
