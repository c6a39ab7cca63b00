// The list of keyboard shortcuts, opened with ? (and closed with ? or Esc): a modal dialog
// written from keymap.js's table, so it lists exactly the keys the page answers to.
import { h } from "../data/format.js";
import { bindKeys, SHORTCUTS } from "./keymap.js";

AFRAME.registerComponent("key-help", {
  init() {
    this.dialog = h("dialog", { id: "key-help", class: "panel", "aria-labelledby": "key-help-title" },
      h("header", {},
        h("h2", { id: "key-help-title", class: "panel-title" }, "Keys"),
        h("button", { type: "button", class: "close", "aria-label": "Close (Esc)", title: "Close (Esc)", onclick: () => this.dialog.close() }, "×")),
      h("table", {}, h("tbody", {}, SHORTCUTS.map(({ label, help }) => h("tr", {}, h("th", { scope: "row" }, h("kbd", {}, label)), h("td", {}, help))))));
    document.body.append(this.dialog);
    this.unbindKeys = bindKeys({ keyHelp: () => (this.dialog.open ? this.dialog.close() : this.dialog.showModal()) });
  },

  remove() {
    this.unbindKeys();
    this.dialog.remove();
  },
});
