// Level of detail that follows a headset viewer's distance from the waterfall. A desktop's time
// zoom refines the fold by showing less time across the same picture; in a headset the viewer
// walks up to the picture instead. A few times a second this measures how far the head is from
// where its gaze meets the picture (or from the picture's nearest point when it looks away), in
// the picture's own metres, so scaling the scene with both grips counts as coming nearer too,
// against the distance the overview's fold is made for: its time axis seen VR_WIDTH_DEGREES wide.
// Each halving of that distance asks the server for a fold twice as fine (vrmon-data seeNearer;
// vrmon/layout/waterfall_overview.py seen_nearer, focus_of), only in front of the viewer: the time
// around that point that the step's distance sees VR_WIDTH_DEGREES wide (as much of the picture as
// the overview's fold is made for), so marks there keep the angle the overview gives them and the
// rest stays folded as at the overview. Walking back folds them again. A step back is taken only
// some way beyond the step's distance, so standing on its edge does not toggle it, and the time in
// front is asked again only when the gaze has moved a quarter of it. Outside a session (or a
// waterfall) the overview's fold is asked back, at the first frame after the session ends. Nothing is allocated per frame but the time asked
// for when it changes: the vectors are reused, and a request is sent only when the view changes.
import { VR_WIDTH_DEGREES } from "../desktop/camera-navigation.js";
import { listen } from "../listen.js";
import { requestOf, shareOfX, timeAt, windowAround } from "../data/time-axis.js";

const THREE = AFRAME.THREE;
const REFRESH_MS = 300;
const MOST_STEPS = 4; // vrmon/protocol.py MAX_NEARER
const STEP_BACK = 0.3; // of a step (log2 of the distance): a step back only 23 % beyond its distance
const LEAST_DISTANCE = 1e-3; // picture metres: standing inside the picture is standing very close
const MOVE_SHARE = 0.25; // of the time in front of the viewer: how far the gaze moves before it is asked again

AFRAME.registerComponent("vr-detail-distance", {
  dependencies: ["span-instances"],

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.head = new THREE.Vector3();
    this.gaze = new THREE.Vector3();
    this.target = new THREE.Vector3();
    this.inverse = new THREE.Matrix4();
    // the last request (the time in front: compressed µs [lo, hi], or null for all of the
    // picture), until the scene shows another trace
    this.asked = { trace: null, steps: 0, around: null };
    this.nextCheck = 0;
    // another trace starts at the overview's fold: what was asked for the one before does not hold
    this.unlisten = listen(this.el.sceneEl, {
      "vrmon-scene": () => {
        if (this.system.scene?.trace !== this.asked.trace) this.asked.trace = null;
      },
      // Out of the headset a screen draws frames only on demand: the few drawn as the session ends
      // may all fall within REFRESH_MS of the last check, and then none would ask the overview's
      // fold back. Check at the next frame, and ask for one.
      "exit-vr": () => {
        this.nextCheck = 0;
        this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
      },
    });
  },

  remove() {
    this.unlisten();
  },

  tick(time) {
    if (time < this.nextCheck) return;
    this.nextCheck = time + REFRESH_MS;
    const scene = this.system.scene;
    if (scene?.layout !== "waterfall" || !scene.detail || !scene.axis || !scene.frame) return;
    const presenting = this.el.sceneEl.renderer?.xr.isPresenting ?? false;
    const ours = this.asked.trace === scene.trace;
    const shown = ours ? this.asked.steps : scene.detail.nearer ?? 0;
    const wanted = presenting ? this.stepsFor(shown, scene) : 0;
    const around = wanted ? this.aroundOf(scene.axis, wanted) : null;
    if (wanted === shown && (wanted === 0 || (ours && !this.moved(this.asked.around, around)))) return;
    this.asked = { trace: scene.trace, steps: wanted, around };
    this.system.seeNearer(wanted, requestOf(scene.axis, around));
  },

  /** The steps nearer than the overview the viewer stands now, from `shown` (a step back only past
   * its margin); measuring the distance also finds the point looked at (`target`). */
  stepsFor(shown, scene) {
    const ratio = Math.log2(this.referenceDistance(scene.axis) / Math.max(this.distance(scene.frame), LEAST_DISTANCE));
    const steps = Math.min(Math.max(Math.floor(ratio), 0), MOST_STEPS);
    return steps < shown && ratio > shown - STEP_BACK ? shown : steps;
  },

  /** The time in front of the viewer `steps` nearer (compressed µs [lo, hi], null when that is
   * all of the trace): centred where the gaze meets the picture, 2^-steps of the time shown. */
  aroundOf(axis, steps) {
    const centre = timeAt(axis, shareOfX(axis, this.target.x));
    return windowAround(axis, centre, 0.5, (axis.hi - axis.lo) / 2 ** steps);
  },

  /** Whether the time in front changed enough to ask again: the gaze moved a quarter of it, or it is another width. */
  moved(asked, around) {
    if (!asked || !around) return asked !== around;
    const width = around[1] - around[0];
    return Math.abs(around[0] - asked[0]) > MOVE_SHARE * width || Math.abs(asked[1] - asked[0] - width) > 1e-6 * width;
  },

  /** Picture metres from which the overview's fold is made to be seen: its time axis VR_WIDTH_DEGREES wide. */
  referenceDistance(axis) {
    return (axis.x[1] - axis.x[0]) / (2 * Math.tan(THREE.MathUtils.degToRad(VR_WIDTH_DEGREES / 2)));
  },

  /** Picture metres from the head to where its gaze meets the picture's front, kept inside the frame [min xyz, max xyz]. */
  distance(frame) {
    const camera = this.el.sceneEl.renderer.xr.getCamera();
    this.inverse.copy(this.el.object3D.matrixWorld).invert();
    this.head.setFromMatrixPosition(camera.matrixWorld).applyMatrix4(this.inverse);
    this.gaze.set(0, 0, -1).transformDirection(camera.matrixWorld).transformDirection(this.inverse);
    const along = this.gaze.z < 0 ? (frame[5] - this.head.z) / this.gaze.z : -1;
    if (along > 0) this.target.copy(this.head).addScaledVector(this.gaze, along);
    else this.target.copy(this.head); // looking away: the picture's point nearest the head
    this.target.set(
      THREE.MathUtils.clamp(this.target.x, frame[0], frame[3]),
      THREE.MathUtils.clamp(this.target.y, frame[1], frame[4]),
      THREE.MathUtils.clamp(this.target.z, frame[2], frame[5]),
    );
    return this.target.distanceTo(this.head);
  },
});
