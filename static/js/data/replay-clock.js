// The replay clock of a recording the server plays (docs/protocol.md#replay), run on between the
// server's `replay` frames, and the requests that drive it. The desktop timeline and the wrist
// menu read `active`, `playing`, `speed`, `durationUs`, `loadedUs`, `marks`, position() and
// filesSwitch() (trace files a viewer may switch between whole and in time), and listen to
// `vrmon-replay-changed` (the state changed) and `vrmon-replay-tick` (4 times a second while
// playing, to move a clock on screen).
import { replayRequest } from "./protocol.js";

export const SPEEDS = Object.freeze([0.25, 0.5, 1, 2, 4, 8, 16, 32]);
const TICK_MS = 250;

/** "¼×", "2×": how a speed factor is shown. */
export function speedText(speed) {
  const fractions = { 0.25: "¼", 0.5: "½" };
  return `${fractions[speed] ?? Number(speed.toFixed(2))}×`;
}

/** "12:30" or "1:02:03" into the recording. */
export function offsetText(us) {
  const total = Math.max(0, Math.floor(us / 1e6));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

AFRAME.registerSystem("vrmon-replay", {
  init() {
    this.active = false; // true once the server says it replays a recording
    this.playing = false;
    this.ended = false;
    this.speed = 1;
    this.durationUs = 0;
    this.loadedUs = 0; // how far the server has read the recording: the scene waits there
    this.files = false; // the clock plays trace files in time (a viewer may switch them to whole)
    this.startUs = 0; // wall clock at the recording's start, µs since the epoch
    this.timeScale = 1; // recording µs per real µs (a trace file played in time is stretched)
    this.name = "";
    this.marks = []; // [{t_us, kind, label}] in time order
    this.anchorUs = 0; // position at anchorMs
    this.anchorMs = 0;
    this.soughtUs = null;
    this.el.addEventListener("vrmon-replay", (event) => this.receive(event.detail.frame));
    this.timer = null;
  },

  receive(frame) {
    this.files = Boolean(frame.files);
    if (frame.whole) { // trace files shown whole: no clock runs (the switch can play them in time)
      this.active = false;
      this.playing = false;
      this.runTimer();
      this.el.emit("vrmon-replay-changed", {}, false);
      return;
    }
    this.active = true;
    this.playing = Boolean(frame.playing);
    this.ended = Boolean(frame.ended);
    this.speed = Number(frame.speed) || 1;
    this.durationUs = Math.max(0, Number(frame.duration_us) || 0);
    this.loadedUs = Math.min(this.durationUs, Math.max(0, Number(frame.loaded_us ?? frame.duration_us) || 0));
    this.startUs = Number(frame.start_us) || 0;
    this.timeScale = Number(frame.time_scale) || 1;
    this.name = String(frame.name ?? "");
    if (Array.isArray(frame.marks)) this.marks = frame.marks.filter((m) => Number.isFinite(m?.t_us));
    this.anchorUs = Number(frame.position_us) || 0;
    this.anchorMs = performance.now();
    this.runTimer();
    this.el.emit("vrmon-replay-changed", {}, false);
  },

  /** µs into the recording now: the last frame's position, run on at the clock's speed. */
  position() {
    if (!this.playing || this.ended) return this.anchorUs;
    const run = (performance.now() - this.anchorMs) * 1000 * this.speed;
    return Math.min(Math.max(this.anchorUs, this.loadedUs), this.anchorUs + run);
  },

  /** The recorded wall-clock time at `us` into the recording (a Date). */
  recordedDate(us) {
    return new Date((this.startUs + us / this.timeScale) / 1000);
  },

  runTimer() {
    const wanted = this.playing && !this.ended;
    if (wanted && this.timer === null) {
      this.timer = setInterval(() => this.el.emit("vrmon-replay-tick", {}, false), TICK_MS);
    } else if (!wanted && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  },

  send(request) {
    this.el.systems["vrmon-data"].send(replayRequest(request));
  },

  togglePlay() {
    this.send({ action: this.playing && !this.ended ? "pause" : "play" });
  },

  seek(us) {
    const positionUs = Math.max(0, Math.min(this.durationUs, us));
    this.anchorUs = positionUs; // shown at once; the server's answer confirms it
    this.anchorMs = performance.now();
    this.soughtUs = Math.round(positionUs); // the last seek asked for (the server rounds it so too)
    this.send({ action: "seek", positionUs });
  },

  /** Whether the server serves trace files alone, which any viewer switches between shown whole
   * and played in time: said by the replay frames while they play, by their `file:` statuses
   * (and no live source's) while they are whole. */
  filesSwitch() {
    if (this.files) return true;
    if (this.active) return false; // a recording
    const sources = [...this.el.systems["vrmon-data"].sourceStatus.keys()];
    return sources.some((s) => s.startsWith("file:")) && sources.every((s) => s.startsWith("file:") || s === "replay");
  },

  /** Play the trace files in time (true) or show them whole (false), for every viewer. */
  setInTime(inTime) {
    this.send({ action: inTime ? "in_time" : "whole" });
  },

  setSpeed(speed) {
    this.send({ action: "speed", speed });
  },

  /** The next speed of SPEEDS after the current one, wrapping round. */
  nextSpeed() {
    const at = SPEEDS.findIndex((s) => s > this.speed + 1e-9);
    return SPEEDS[at < 0 ? 0 : at];
  },

  /** The first error mark after the current position (a little past it, so pressing again moves on). */
  nextError() {
    const now = this.position();
    return this.marks.find((m) => m.kind === "error" && m.t_us > now + 1000) ?? null;
  },

  seekNextError() {
    const mark = this.nextError();
    if (mark) this.seek(mark.t_us);
    return mark;
  },
});
