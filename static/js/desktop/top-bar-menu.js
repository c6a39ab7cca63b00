// The top bar's "⋯" menu, so the bar never wraps or runs off the edge: groups of controls marked
// data-overflow="N" in the bar move into the menu's panel, lowest N first, while the bar is wider
// than the window, and move back to their place when there is room again (a resize, a group
// shown or hidden, a button added). The panel also lists the keyboard shortcuts, written from the
// keymap's table. It opens with a click or Enter/Space on "⋯" (a disclosure button: Tab walks
// through what it shows) or the ? key, and closes with Escape (focus goes back to "⋯"), ? again,
// a click outside it, or when one of its buttons is used.
//
// A new control for the bar goes into #topbar-actions (its own overflow group), or gets
// data-overflow itself if it is a group of its own.
import { h } from "../data/format.js";
import { bindKeys, SHORTCUTS, whileOpen } from "./keymap.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("top-bar-menu", {
  schema: {
    bar: { type: "selector", default: "#topbar" },
    button: { type: "selector", default: "#view-menu-button" },
    panel: { type: "selector", default: "#view-menu-panel" },
    moved: { type: "selector", default: "#view-menu-panel .overflowed" },
    keys: { type: "selector", default: "#view-menu-panel .shortcuts dl" },
  },

  init() {
    const { bar, button, panel } = this.data;
    // Each group's home in the bar: a marker node it goes back in front of.
    this.groups = [...bar.querySelectorAll(":scope > [data-overflow]")]
      .sort((a, b) => Number(a.dataset.overflow) - Number(b.dataset.overflow));
    this.homes = new Map(this.groups.map((group) => {
      const marker = document.createComment(`${group.id || "group"} goes here`);
      group.before(marker);
      return [group, marker];
    }));
    this.data.keys.replaceChildren(...SHORTCUTS.flatMap(({ label, help }) => [h("dt", {}, label), h("dd", {}, help)]));
    this.onToggle = () => this.setOpen(panel.hidden);
    this.unbindKeys = bindKeys({ keyHelp: () => this.setOpen(panel.hidden) });
    this.onPointer = (event) => {
      if (!panel.hidden && !panel.contains(event.target) && !button.contains(event.target)) this.setOpen(false);
    };
    // A button in the panel did its job (reset the view, toggled host load): the panel closes.
    this.onPanelClick = (event) => {
      if (event.target.closest("button")) this.setOpen(false, event.detail === 0);
    };
    this.relayout = () => this.fit();
    button.addEventListener("click", this.onToggle);
    panel.addEventListener("click", this.onPanelClick);
    window.addEventListener("pointerdown", this.onPointer, true);
    this.unlistenWindow = listen(window, { resize: this.relayout });
    this.resizeWatch = new ResizeObserver(this.relayout);
    this.resizeWatch.observe(bar);
    // A group shown or hidden (the waterfall's detail controls), or a control added to one.
    this.changeWatch = new MutationObserver(this.relayout);
    for (const group of this.groups) this.changeWatch.observe(group, { attributes: true, attributeFilter: ["hidden"], childList: true, subtree: true });
    this.fit();
  },

  remove() {
    const { button, panel } = this.data;
    button.removeEventListener("click", this.onToggle);
    panel.removeEventListener("click", this.onPanelClick);
    this.unbindKeys();
    this.releaseEscape?.();
    window.removeEventListener("pointerdown", this.onPointer, true);
    this.unlistenWindow();
    this.resizeWatch.disconnect();
    this.changeWatch.disconnect();
  },

  setOpen(open, keyboard = false) {
    const { button, panel } = this.data;
    if (open === !panel.hidden) return;
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    this.releaseEscape?.();
    // while open, Escape closes the menu (focus back on "⋯") and does nothing else
    this.releaseEscape = open ? whileOpen(() => this.setOpen(false, true)) : null;
    if (!open && keyboard) button.focus(); // used from the keyboard: the keys stay in the bar
  },

  /** Every group back home, then into the menu, lowest priority first, until the bar fits. */
  fit() {
    const { bar, moved } = this.data;
    for (const group of this.groups) {
      if (moved.contains(group)) this.homes.get(group).after(group);
    }
    for (const group of this.groups) {
      if (bar.scrollWidth <= bar.clientWidth) break;
      if (group.hidden) continue; // takes no room
      moved.append(group);
    }
    moved.hidden = !moved.children.length;
  },

  /** The groups now in the menu (ids), for tests and the console. */
  overflowed() {
    return [...this.data.moved.children].map((group) => group.id);
  },
});
