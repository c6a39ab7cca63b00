// A small menu riding on the left controller, pressed with the right laser: switch scene, pick
// a trace (a page at a time) and compare one against a baseline, jump to a finding (a page at a time), turn the wall's pages, filter
// (errors only, minimum duration, one service), show or hide the host-load ring and colour spans
// by duration percentile. It opens when you look at it (glance down at the wrist) and folds away
// when you look back at the scene, so a hand raised in front (IWER's default pose, the wrist at eye
// height 40 cm ahead) never stands across the picture's lane names; X on the left controller
// turns it off and back on.
import { findingKind } from "../data/findings.js";
import { formatDuration } from "../data/format.js";
import { offsetText, speedText } from "../data/replay-clock.js";
import { openTrace } from "../data/scene-catalog.js";
import { turnWallPage, wallPageText } from "../data/wall-pages.js";
import { listen } from "../listen.js";
import { PanelSurface, setText } from "./panel-kit.js";

const THREE = AFRAME.THREE;
const WIDTH = 0.34;
const PAD = 0.015;
const ROW = 0.03; // button height
const STEP = 0.034;
const SCENE_BUTTONS = 4;
const TRACE_ROWS = 3;
const FINDING_ROWS = 2;
const MIN_DURATIONS_US = [0, 1000, 10_000, 100_000, 1_000_000]; // the min-duration button cycles through these
const INNER = WIDTH - 2 * PAD;
// The menu is drawn at this scale (its letters 11 mm tall: 1.6° at 40 cm, where a hand brings
// it to be read), hanging from just above the wrist, tilted back towards the eyes: held out at
// chest height, it stays below the picture ahead instead of standing up across it.
const SCALE = 0.7;
const TILT_DEGREES = -35;
const TOP_ABOVE_WRIST = 0.05; // metres
// Degrees between the head's gaze and the nearest point of the menu within which it opens, and
// beyond which it folds again (further: a gaze along its edge does not make it flicker).
const OPEN_DEGREES = 8;
const FOLD_DEGREES = 15;

AFRAME.registerComponent("vr-wrist-menu", {
  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.findings = this.el.sceneEl.systems["vrmon-findings"];
    this.tracePage = 0;
    this.findingPage = 0;
    this.baseline = null; // hex id of the trace chosen as baseline A for a compare
    const height = this.build();
    this.halfSize = [WIDTH / 2, height / 2]; // the plate about the entity's origin, unscaled metres
    // Its top edge just above the wrist: its centre half its height down the tilted menu.
    const tilt = THREE.MathUtils.degToRad(TILT_DEGREES), hang = (height * SCALE) / 2 - TOP_ABOVE_WRIST;
    this.el.object3D.position.set(0, 0.09 - Math.cos(tilt) * hang, 0.03 - Math.sin(tilt) * hang);
    this.el.object3D.rotation.set(tilt, 0, 0);
    this.el.object3D.scale.setScalar(SCALE);
    this.el.object3D.visible = false;
    this.inSession = false;
    this.switchedOn = true; // X turns it off
    this.stale = true; // something changed outside a session: drawn when one starts
    this.head = new THREE.Vector3();
    this.gaze = new THREE.Vector3();
    this.nearest = new THREE.Vector3();

    // kept up to date while folded, so that it opens as it is; outside a session (on the desktop), drawn when one starts
    const render = () => { if (this.inSession) this.render(); else this.stale = true; };
    const unlistenScene = listen(this.el.sceneEl, {
      "vrmon-scene": render,
      "vrmon-traces": render,
      "vrmon-filter": render, // the desktop search bar sets the same filter
      "vrmon-replay-changed": render,
      "vrmon-status": render, // trace files' statuses offer the switch to play them in time
      "vrmon-replay-tick": () => { if (this.inSession) this.renderReplay(); else this.stale = true; }, // the clock, 4 times a second
      "vrmon-findings-changed": render,
      "vrmon-colours": render,
      "vrmon-comparison": render,
      "enter-vr": () => {
        this.inSession = true;
        if (this.stale) this.render();
        this.stale = false;
      },
      "exit-vr": () => { this.inSession = false; this.el.object3D.visible = false; },
    });
    const unlistenHand = listen(this.el.parentEl, { xbuttondown: () => { this.switchedOn = !this.switchedOn; } });
    // The ring's desktop button and the H key flip its `visible` too.
    const ring = document.querySelector("#host-ring");
    const unlistenRing = ring ? listen(ring, { componentchanged: (event) => { if (event.detail.name === "visible") render(); } }) : () => {};
    this.unlisten = () => { unlistenScene(); unlistenHand(); unlistenRing(); };
  },

  remove() {
    this.unlisten();
    this.el.removeObject3D("menu");
  },

  /** Open while looked at (and switched on), folded otherwise. */
  tick() {
    if (!this.inSession) return;
    const menu = this.el.object3D;
    const open = this.switchedOn && this.gazeDegrees() <= (menu.visible ? FOLD_DEGREES : OPEN_DEGREES);
    menu.visible = open;
  },

  /**
   * Degrees between the head's gaze and the point of the menu's plate nearest where the gaze meets
   * its plane (0: the gaze is on the menu). Reckoned in the menu's own space (its plate is the
   * rectangle halfSize about the origin at z = 0; its scale is uniform, so angles are kept).
   */
  gazeDegrees() {
    const camera = this.el.sceneEl.renderer.xr.getCamera();
    const menu = this.el.object3D;
    const head = this.head.setFromMatrixPosition(camera.matrixWorld);
    const gaze = this.gaze.set(0, 0, -1).transformDirection(camera.matrixWorld).add(head); // a point a metre ahead
    menu.worldToLocal(head);
    menu.worldToLocal(gaze).sub(head);
    // where the gaze meets the plate's plane (looking away from it: the head's foot on it)
    const t = gaze.z * head.z < 0 ? -head.z / gaze.z : 0;
    const w = this.halfSize[0], h = this.halfSize[1];
    this.nearest.set(THREE.MathUtils.clamp(head.x + t * gaze.x, -w, w), THREE.MathUtils.clamp(head.y + t * gaze.y, -h, h), 0).sub(head);
    return THREE.MathUtils.radToDeg(gaze.angleTo(this.nearest));
  },

  /** The menu's plate, headings and buttons; returns its height (metres, unscaled). */
  build() {
    const surface = new PanelSurface(1 + SCENE_BUTTONS + TRACE_ROWS + 2 + 2 + FINDING_ROWS + 2 + 2 + 3 + 2 + 4 + 1);
    const plate = surface.addRect(0, 0, WIDTH, 1); // sized below, once the rows are laid out
    let y = -PAD;
    const heading = (text) => {
      const shown = surface.addText(PAD, y, { size: 0.018, color: "#9aa4b5" });
      setText(shown, text);
      y -= 0.024;
      return shown;
    };
    const row = (count) => {
      const width = (INNER - (count - 1) * 0.006) / count;
      const buttons = Array.from({ length: count }, (_, i) =>
        surface.addButton({ x: PAD + i * (width + 0.006), y, width, height: ROW, size: 0.016 }));
      y -= STEP;
      return buttons;
    };

    heading("Scene");
    this.sceneButtons = [...row(2), ...row(2)];
    heading("Trace");
    this.traceButtons = Array.from({ length: TRACE_ROWS }, () => row(1)[0]);
    [this.newerButton, this.olderButton] = row(2);
    this.newerButton.set("↑ newer", () => this.turnTracePage(-1));
    this.olderButton.set("↓ older", () => this.turnTracePage(1));
    [this.baselineButton, this.compareButton] = row(2);
    this.findingsHeading = heading("Findings");
    this.findingButtons = Array.from({ length: FINDING_ROWS }, () => row(1)[0]);
    [this.previousFindingsButton, this.nextFindingsButton] = row(2);
    this.wallHeading = heading("Wall");
    [this.newerPageButton, this.olderPageButton] = row(2);
    heading("Filter");
    [this.errorsButton, this.durationButton] = row(2);
    [this.serviceButton] = row(1);
    heading("Show");
    [this.hostRingButton, this.colourButton] = row(2);
    this.replayHeading = heading("Replay");
    [this.playButton, this.speedButton, this.nextErrorButton] = row(3);
    [this.filesInTimeButton] = row(1);

    const height = -y + PAD - (STEP - ROW);
    surface.boxes[plate][3] = height;
    surface.setRectShown(plate, true);
    surface.group.position.set(-WIDTH / 2, height / 2, 0); // the entity's origin is the menu's centre
    this.el.setObject3D("menu", surface.group);
    this.render();
    return height;
  },

  render() {
    const system = this.system;
    const scenes = system.scene?.scenes ?? [];
    this.sceneButtons.forEach((button, i) => {
      const scene = scenes[i];
      button.set(scene?.name ?? "", scene ? () => system.switchScene({ scene: scene.name }) : null);
      button.setActive(Boolean(scene) && scene.name === system.scene?.name);
    });

    const traces = system.traceList();
    const pages = Math.max(1, Math.ceil(traces.length / TRACE_ROWS));
    this.tracePage = Math.min(this.tracePage, pages - 1);
    this.traceButtons.forEach((button, i) => {
      const trace = traces[this.tracePage * TRACE_ROWS + i];
      const label = trace ? `${trace.service}: ${trace.operation} · ${trace.spans} spans · ${formatDuration(trace.duration_us)}` : "";
      button.set(trace?.errors ? `${label} · errors` : label, trace ? () => openTrace(system, trace.id) : null);
      button.setActive(Boolean(trace) && trace.id === system.scene?.trace);
    });

    this.renderCompare();
    this.renderFindings();

    // The wall's pages of traces (blank in the other scenes)
    const wall = system.scene?.layout === "wall";
    setText(this.wallHeading, wall ? `Wall: ${wallPageText(system.scene)}` : "Wall");
    this.newerPageButton.set(wall ? "‹ newer page" : "", wall && system.scene.page > 0 ? () => turnWallPage(system, -1) : null);
    this.olderPageButton.set(wall ? "older page ›" : "", wall && system.scene.page < system.scene.pages - 1 ? () => turnWallPage(system, 1) : null);

    const { errorsOnly, minDurationUs, service } = system.nodeFilter.criteria; // "" = every service
    this.errorsButton.set("Errors only", () => this.setFilter({ errorsOnly: !errorsOnly }));
    this.errorsButton.setActive(errorsOnly);
    this.durationButton.set(minDurationUs ? `Min ${formatDuration(minDurationUs)}` : "Any duration",
      () => this.setFilter({ minDurationUs: nextOf(MIN_DURATIONS_US, minDurationUs) }));
    this.durationButton.setActive(minDurationUs > 0);
    this.serviceButton.set(service || "All services", () => this.setFilter({ service: nextOf(["", ...system.services], service) }));
    this.serviceButton.setActive(service !== "");

    // The ring's own `visible` is the switch (its desktop button and the H key flip it too).
    const ring = document.querySelector("#host-ring");
    this.hostRingButton.set("Host load ring", ring ? () => this.toggleHostRing(ring) : null);
    this.hostRingButton.setActive(Boolean(ring?.getAttribute("visible")));
    const colours = this.el.sceneEl.systems["vrmon-colour"];
    this.colourButton.set("Percentile colours", () => colours.toggle());
    this.colourButton.setActive(colours.mode === "percentile");
    this.renderReplay();
  },

  /** The replay row (blank unless the server plays a recording): play/pause, speed, next error, the
   * clock; under it, for trace files alone, the switch between whole and played in time. */
  renderReplay() {
    const replay = this.el.sceneEl.systems["vrmon-replay"];
    const on = replay.active;
    const playing = replay.playing && !replay.ended;
    const at = replay.position();
    setText(this.replayHeading, on ? `Replay ${offsetText(at)} / ${offsetText(replay.durationUs)} · recorded ${
      replay.recordedDate(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })}` : "Replay");
    this.playButton.set(on ? (playing ? "Pause" : "Play") : "", on ? () => replay.togglePlay() : null);
    this.speedButton.set(on ? `Speed ${speedText(replay.speed)}` : "", on ? () => replay.setSpeed(replay.nextSpeed()) : null);
    const next = on ? replay.nextError() : null;
    this.nextErrorButton.set(on ? "Next error" : "", next ? () => replay.seekNextError() : null);
    const files = replay.filesSwitch(); // trace files alone: shown whole or played in time, for every viewer
    this.filesInTimeButton.set(files ? (on ? "Show the files whole" : "Play the files in time") : "",
      files ? () => replay.setInTime(!on) : null);
  },

  /** Trace compare: the trace on show becomes baseline A; later, the trace then on show (B) is compared against it. */
  renderCompare() {
    const compare = this.el.sceneEl.systems["vrmon-compare"];
    const shown = this.system.scene?.layout === "waterfall" ? this.system.scene.trace : null;
    this.baselineButton.set(shown ? "Baseline A: this trace" : "", shown ? () => { this.baseline = shown; this.render(); } : null);
    this.baselineButton.setActive(Boolean(shown) && shown === this.baseline);
    const ready = Boolean(this.baseline && shown && shown !== this.baseline);
    const comparing = compare.showing();
    this.compareButton.set(comparing ? "Stop comparing" : this.baseline ? `Compare with A ${this.baseline.slice(0, 6)}` : "",
      comparing ? () => compare.stop() : ready ? () => compare.start(this.baseline, shown) : null);
    this.compareButton.setActive(comparing);
  },

  /** A page of findings: kind, service and operation; pressing one jumps to it. */
  renderFindings() {
    const { findings, total, received } = this.findings;
    const pages = Math.max(1, Math.ceil(findings.length / FINDING_ROWS));
    this.findingPage = Math.min(this.findingPage, pages - 1);
    setText(this.findingsHeading, received ? `Findings: ${total}${pages > 1 ? ` · page ${this.findingPage + 1} of ${pages}` : ""}` : "Findings");
    this.findingButtons.forEach((button, i) => {
      const finding = findings[this.findingPage * FINDING_ROWS + i];
      const label = finding ? `${findingKind(finding).label}: ${[finding.service, finding.operation].filter(Boolean).join(" ")}` : "";
      button.set(label, finding ? () => this.findings.jump(finding) : null);
      button.setActive(Boolean(finding) && this.findings.isActive(finding));
    });
    this.previousFindingsButton.set(pages > 1 ? "↑ previous" : "", this.findingPage > 0 ? () => this.turnFindingPage(-1) : null);
    this.nextFindingsButton.set(pages > 1 ? "↓ more" : "", this.findingPage < pages - 1 ? () => this.turnFindingPage(1) : null);
  },

  turnFindingPage(step) {
    this.findingPage = Math.max(0, this.findingPage + step);
    this.render();
  },

  turnTracePage(step) {
    this.tracePage = Math.max(0, this.tracePage + step);
    this.render();
  },

  /** Change part of the shared filter, keeping the rest (e.g. the text typed on the desktop). */
  setFilter(change) {
    this.system.setFilter({ ...this.system.nodeFilter.criteria, ...change }); // its vrmon-filter event re-renders
  },

  toggleHostRing(ring) {
    ring.setAttribute("visible", !ring.getAttribute("visible"));
    this.render(); // componentchanged is throttled: show it at once
  },
});

/** The value after `current` in `values`, wrapping round. */
function nextOf(values, current) {
  return values[(values.indexOf(current) + 1) % values.length];
}
