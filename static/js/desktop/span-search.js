// The search bar: text, service, minimum duration and errors-only become the data system's
// filter (matching spans stay bright, the others dim), with the number of matches. Its keys
// (/ to search, N and Enter for the next match, Esc to clear) are in keymap.js. The bar also
// shows a filter set by someone else (e.g. the VR wrist menu) through system.setFilter.
import { formatDuration, parseDuration } from "../data/format.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("span-search", {
  schema: { form: { type: "selector", default: "#span-search" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    const form = this.data.form;
    this.fields = {
      text: form.querySelector("[name=text]"),
      service: form.querySelector("[name=service]"),
      minDuration: form.querySelector("[name=minDuration]"),
      errorsOnly: form.querySelector("[name=errorsOnly]"),
    };
    this.matches = form.querySelector(".matches");
    this.applying = false; // true while this bar sets the filter: no need to copy it back

    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("input", () => this.apply());
    form.addEventListener("change", () => this.apply());
    form.querySelector(".next").addEventListener("click", () => this.step(1));
    form.querySelector(".previous").addEventListener("click", () => this.step(-1));
    this.unbindKeys = bindKeys({
      search: () => {
        this.fields.text.focus();
        this.fields.text.select();
      },
      nextMatch: () => this.step(1),
      previousMatch: () => this.step(-1),
      escape: (event) => this.escape(event.target),
    });

    this.onFilter = (event) => {
      if (event.detail.reset && !this.applying) this.showFilter();
      this.showCount();
    };
    this.onServices = () => this.listServices();
    this.unlistenScene = listen(this.el.sceneEl, {
      "vrmon-filter": this.onFilter,
      "vrmon-selection": this.onFilter,
      "vrmon-services": this.onServices,
    });
    this.listServices();
  },

  remove() {
    this.unbindKeys();
    this.unlistenScene();
  },

  /** Esc: leave another text box (back to the scene's keys); else clear the selection first, then the search. */
  escape(target) {
    const typing = target instanceof HTMLElement && target.matches("input, select, textarea");
    if (typing && !this.data.form.contains(target)) target.blur();
    else if (this.system.selectedId !== null) this.system.clearSelection();
    else if (this.system.nodeFilter.active) this.clear();
    else if (typing) target.blur();
  },

  /** The bar's fields → the system's filter. */
  apply() {
    const minDurationUs = parseDuration(this.fields.minDuration.value);
    this.fields.minDuration.setAttribute("aria-invalid", String(minDurationUs === null));
    this.applying = true;
    try {
      this.system.setFilter({
        text: this.fields.text.value,
        service: this.fields.service.value,
        minDurationUs: minDurationUs ?? 0,
        errorsOnly: this.fields.errorsOnly.checked,
      });
    } finally {
      this.applying = false;
    }
  },

  clear() {
    this.data.form.reset();
    this.fields.minDuration.setAttribute("aria-invalid", "false");
    this.apply();
  },

  /** The system's filter → the bar's fields (when someone else set it). */
  showFilter() {
    const { text, service, minDurationUs, errorsOnly } = this.system.nodeFilter.criteria;
    this.fields.text.value = text;
    this.listServices();
    this.fields.service.value = service;
    this.fields.minDuration.value = minDurationUs ? formatDuration(minDurationUs) : "";
    this.fields.errorsOnly.checked = errorsOnly;
  },

  /** Select the next (+1) or previous (-1) matching span in reading order. */
  step(direction) {
    const ids = this.system.matchingIds();
    if (!ids.length) return;
    const at = ids.indexOf(this.system.selectedId);
    const next = at === -1 ? (direction > 0 ? 0 : ids.length - 1) : (at + direction + ids.length) % ids.length;
    this.system.select(ids[next]);
  },

  showCount() {
    const { selectedId, nodeFilter: { active: filterActive, count: matchCount } } = this.system;
    this.data.form.classList.toggle("active", filterActive);
    this.data.form.classList.toggle("none", filterActive && matchCount === 0);
    if (!filterActive) {
      this.matches.textContent = "";
      return;
    }
    const plural = matchCount === 1 ? "match" : "matches";
    const at = selectedId === null ? 0 : this.system.matchNumber(selectedId);
    if (at) {
      this.matches.textContent = `${at} of ${matchCount} ${plural}`;
    } else {
      this.matches.textContent = matchCount ? `${matchCount} ${plural}` : "no matches";
    }
  },

  /** The service choices: every service of the scene, by name. */
  listServices() {
    const select = this.fields.service;
    const names = this.system.services.filter((name) => typeof name === "string").slice().sort();
    const current = select.value || this.system.nodeFilter.criteria.service;
    const options = [["", "all services"], ...names.map((name) => [name, name])];
    if (current && !names.includes(current)) options.push([current, current]);
    if (select.options.length === options.length && options.every(([value], i) => select.options[i].value === value)) return;
    select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
    select.value = current;
  },
});
