// The top bar's "In time" switch, shown while the server serves trace files alone: pressed, the
// files play in time (spans arriving at their start times, on the replay timeline); released,
// they are shown whole. It switches every viewer of the server; P does the same. The state lives
// in the vrmon-replay system (data/replay-clock.js).
import { releaseFocusAfterClick } from "../data/format.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

AFRAME.registerComponent("files-in-time", {
  schema: { button: { type: "selector", default: "#files-in-time" } },

  init() {
    this.replay = this.el.sceneEl.systems["vrmon-replay"];
    this.onClick = (event) => { releaseFocusAfterClick(event); this.toggle(); };
    this.data.button.addEventListener("click", this.onClick);
    this.unbindKeys = bindKeys({ filesInTime: () => this.replay.filesSwitch() && (this.toggle(), true) });
    this.unlisten = listen(this.el.sceneEl, { "vrmon-replay-changed": () => this.render(), "vrmon-status": () => this.render() });
    this.render();
  },

  remove() {
    this.data.button.removeEventListener("click", this.onClick);
    this.unbindKeys();
    this.unlisten();
  },

  toggle() {
    this.replay.setInTime(!this.replay.active);
  },

  render() {
    const button = this.data.button;
    const shown = this.replay.filesSwitch();
    if (button.hidden === shown) button.hidden = !shown; // the top bar refits when a control comes or goes
    button.setAttribute("aria-pressed", String(shown && this.replay.active));
  },
});
