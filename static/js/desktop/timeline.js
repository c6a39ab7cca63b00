// The replay timeline along the bottom (desktop), shown while the server plays a recording:
// play/pause (Space), speed ¼×–32×, a track to click or drag to seek with marks where errors,
// new services and source outages happened, the recorded time as a clock, and a jump to the
// next error (J). The state lives in the vrmon-replay system (data/replay-clock.js).
import { formatDuration, releaseFocusAfterClick } from "../data/format.js";
import { SPEEDS, offsetText, speedText } from "../data/replay-clock.js";
import { bindKeys } from "./keymap.js";
import { listen } from "../listen.js";

const SEEK_EVERY_MS = 200; // while dragging: a seek rebuilds the scene, a few a second are enough
const MARK_TITLES = { error: "errors", service: "new service", outage: "source outage" };

AFRAME.registerComponent("replay-timeline", {
  schema: { container: { type: "selector", default: "#timeline" } },

  init() {
    const root = this.data.container;
    this.replay = this.el.sceneEl.systems["vrmon-replay"];
    this.playButton = root.querySelector(".play");
    this.speedSelect = root.querySelector(".speed");
    this.nextErrorButton = root.querySelector(".next-error");
    this.track = root.querySelector(".track");
    this.marksEl = root.querySelector(".marks");
    this.read = root.querySelector(".read");
    this.played = root.querySelector(".played");
    this.head = root.querySelector(".head");
    this.clock = root.querySelector(".clock");
    for (const speed of SPEEDS) this.speedSelect.append(new Option(speedText(speed), String(speed)));
    this.markedFor = null; // the marks array drawn (drawn again only when the server sends others)
    this.dragging = false;
    this.lastSeekMs = 0;

    // A mouse click leaves the keys to the scene (Space, J, WASD), as the top bar's buttons do.
    this.playButton.addEventListener("click", (event) => { releaseFocusAfterClick(event); this.replay.togglePlay(); });
    this.speedSelect.addEventListener("change", () => { this.speedSelect.blur(); this.replay.setSpeed(Number(this.speedSelect.value)); });
    this.nextErrorButton.addEventListener("click", (event) => { releaseFocusAfterClick(event); this.replay.seekNextError(); });
    this.marksEl.addEventListener("click", (event) => {
      const at = Number(event.target.dataset?.t);
      if (Number.isFinite(at)) this.replay.seek(at);
    });
    this.track.addEventListener("pointerdown", (event) => this.startDrag(event));
    this.track.addEventListener("pointermove", (event) => this.drag(event));
    this.track.addEventListener("pointerup", (event) => this.endDrag(event));
    this.track.addEventListener("keydown", (event) => this.stepKey(event));
    // false: no recording is playing, the key was not used
    this.unbindKeys = bindKeys({
      playPause: () => this.replay.active && (this.replay.togglePlay(), true),
      nextError: () => this.replay.active && (this.replay.seekNextError(), true),
    });
    this.onChange = () => this.render();
    this.onTick = () => this.renderPosition();
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-replay-changed": this.onChange, "vrmon-replay-tick": this.onTick });
    this.render();
  },

  remove() {
    this.unbindKeys();
    this.unlistenScene();
  },

  render() {
    const replay = this.replay;
    this.data.container.hidden = !replay.active;
    if (!replay.active) return;
    const playing = replay.playing && !replay.ended;
    this.playButton.textContent = playing ? "❚❚" : "▶";
    this.playButton.setAttribute("aria-label", playing ? "Pause" : "Play");
    if (!SPEEDS.includes(replay.speed)) this.speedSelect.append(new Option(speedText(replay.speed), String(replay.speed)));
    this.speedSelect.value = String(replay.speed);
    this.nextErrorButton.disabled = !replay.marks.some((m) => m.kind === "error");
    if (this.markedFor !== replay.marks) this.drawMarks();
    this.renderPosition();
  },

  drawMarks() {
    const replay = this.replay;
    this.markedFor = replay.marks;
    const span = Math.max(1, replay.durationUs);
    this.marksEl.replaceChildren(...replay.marks.map((mark) => {
      const tick = document.createElement("span");
      tick.className = `mark ${mark.kind}`;
      tick.style.left = `${(100 * mark.t_us) / span}%`;
      tick.dataset.t = String(mark.t_us);
      tick.title = `${this.timeText(mark.t_us)} · ${MARK_TITLES[mark.kind] ?? mark.kind}: ${mark.label}`;
      return tick;
    }));
  },

  renderPosition(us = this.replay.position()) {
    const replay = this.replay;
    const share = replay.durationUs ? Math.min(1, us / replay.durationUs) : 0;
    this.played.style.width = `${share * 100}%`;
    this.read.style.width = `${(replay.durationUs ? Math.min(1, replay.loadedUs / replay.durationUs) : 1) * 100}%`;
    this.head.style.left = `${share * 100}%`;
    this.track.setAttribute("aria-valuemax", String(replay.durationUs));
    this.track.setAttribute("aria-valuenow", String(Math.round(us)));
    this.track.setAttribute("aria-valuetext", this.timeText(us));
    const reading = replay.loadedUs < replay.durationUs ? ` · read to ${offsetText(replay.loadedUs)}` : "";
    this.clock.textContent = `${this.timeText(us)}${replay.ended ? " · end" : ""}${reading}`;
  },

  /** The recorded time at `us` (local time of day), and how far into the recording that is. */
  timeText(us) {
    const replay = this.replay;
    if (replay.timeScale !== 1) { // a trace file played in time: its own clock, stretched
      return `+${formatDuration(us / replay.timeScale)} of ${formatDuration(replay.durationUs / replay.timeScale)}`;
    }
    const recorded = replay.recordedDate(us).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    return `recorded ${recorded} · ${offsetText(us)} / ${offsetText(replay.durationUs)}`;
  },

  positionAt(event) {
    const box = this.track.getBoundingClientRect();
    const share = Math.min(1, Math.max(0, (event.clientX - box.left) / Math.max(1, box.width)));
    return share * this.replay.durationUs;
  },

  startDrag(event) {
    if (event.button !== 0 || event.target.classList.contains("mark")) return;
    this.dragging = true;
    this.track.setPointerCapture(event.pointerId);
    this.drag(event);
  },

  drag(event) {
    if (!this.dragging) return;
    const us = this.positionAt(event);
    this.renderPosition(us);
    const now = performance.now();
    if (now - this.lastSeekMs >= SEEK_EVERY_MS) {
      this.lastSeekMs = now;
      this.replay.seek(us);
    }
  },

  endDrag(event) {
    if (!this.dragging) return;
    this.dragging = false;
    this.track.blur();
    this.replay.seek(this.positionAt(event)); // where the pointer let go, whatever was sent while dragging
  },

  /** Arrow keys on the focused track: 5 s back or forward (a minute with Shift). */
  stepKey(event) {
    const step = (event.shiftKey ? 60 : 5) * 1e6;
    if (event.key === "ArrowLeft") this.replay.seek(this.replay.position() - step);
    else if (event.key === "ArrowRight") this.replay.seek(this.replay.position() + step);
    else return;
    event.preventDefault();
  },
});
