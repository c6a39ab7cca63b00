// Desktop navigation on top of look-controls and wasd-controls: frames the scene's bounds when
// a new view arrives (in front, slightly above, looking at the centre; for the wall, from inside
// the room looking at the newest panel), resets to that view on R / Home or the reset button
// (a waterfall zoomed in time goes back to the whole trace first, framed once it arrives),
// frames the selected span on F (and the nodes a `vrmon-frame-nodes {ids}` event names), and moves toward the pointer (or back
// from it) with the mouse wheel, a share of the way to the scene per notch. Deltas never move
// the camera. Entering VR, the parent rig stands the viewer in front of the scene once (inside the
// wall's room); the headset owns the camera pose, during the session only the viewer's own
// locomotion moves the rig, and F does nothing there: a new view (another trace or scene) is
// brought to the viewer instead, placed around them as entering VR would have placed it.
import { bindKeys } from "./keymap.js";
import { viewInsets } from "./view-insets.js";
import { frameServices } from "./services-framing.js";
import { FRAME_MARGIN, NO_PAD, PITCH_DEGREES, WALL_MARGIN, framedPose, nearestFramedPose, waterfallFraming } from "../scene/framing.js";
import { HEADSET_DEGREES, nameColumn } from "../scene/scene-labels.js";

const THREE = AFRAME.THREE;
// In a headset the service graph is seen whole from where it spans this much of the view, but
// from no closer than arm's length and no further than across a room.
const VR_GRAPH_DEGREES = 70;
const VR_GRAPH_DISTANCE = [0.8, 6];
const VR_STANDOFF = 4; // metres between the viewer and the front of the scene in VR
// In a headset the waterfall is scaled to a picture whose front stands VR_DISTANCE ahead, seen
// VR_WIDTH_DEGREES wide (names and ruler included) with its centre a little below the eyes' level,
// where eyes rest: the size of a room's wall seen from its middle. The names keep their angle by
// growing (scene-labels); where they have no room to (many lanes), the picture is brought wider,
// up to VR_MOST_DEGREES (wider, it is more than a glance takes in), for its names to need less.
// (The server lays the waterfall out narrower for a headset, vrmon/layout/page_shape.py's
// HEADSET, so that a trace of 40 services keeps its names' angle within that.)
const VR_DISTANCE = 2.2; // metres
export const VR_WIDTH_DEGREES = 60;
const VR_MOST_DEGREES = 70;
const VR_CENTRE_DEGREES = -6; // below the horizon
const VR_EYE_HEIGHT = 1.6;
const VR_LEAST_FOOT = 0.1; // metres above the floor
const FOCUS_MIN_WIDTH = 3; // metres framed around a selected span at least, so short spans keep some context
const WALL_FOCUS_DISTANCE = 2.5; // metres in front of a wall panel's span, towards the room's centre
const WHEEL_MOST = 0.5; // of the distance to the scene, the most one wheel event moves the camera
// The services graph is seen through a narrower lens on a screen (degrees, vertical; the other
// scenes keep the camera's own, 55°): through 55° (86° across a 16:9 view) a sphere near the view's
// edge was drawn 1.33 times as wide as tall, an egg rather than a ball.
const SERVICES_FOV = 30;

AFRAME.registerComponent("camera-navigation", {
  dependencies: ["camera", "look-controls"],
  schema: {
    resetButton: { type: "selector" },
    leftPanel: { type: "selector" }, // overlays on the edges: frame the scene in the space they leave
    rightPanel: { type: "selector" },
    world: { type: "selector" }, // the entity holding the scene, scaled to fit a headset
    topBar: { type: "selector" },
    bottomBar: { type: "selector" },
    labels: { type: "selector" }, // the service graph's names (service-labels), framed with the graph
    // share of the distance to the scene's centre moved per wheel delta pixel (a notch is 100):
    // the scene comes closer in steps that shrink as it nears, and never passes behind the camera
    wheelSpeed: { default: 0.0025 },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.rig = this.el.parentEl.object3D;
    this.direction = new THREE.Vector3();
    this.eye = new THREE.Vector3();
    this.centre = new THREE.Vector3();
    this.viewKey = null;
    this.poseNow = []; // atFramedView's scratch
    this.sceneFov = this.el.getAttribute("camera").fov; // the lens of every scene but the services graph

    this.onScene = (event) => {
      const { scene, snapshot } = event.detail;
      const key = `${scene.name}|${scene.trace}|${scene.page ?? 0}`;
      // A resync of the same view keeps the viewer where they are, and in a headset nothing
      // moves the viewer but the viewer (a new view is reached with the controllers).
      const reframe = this.reframe && !this.system.zoomPending(); // the whole trace asked for by a reset is here
      if (snapshot && (key !== this.viewKey || reframe)) {
        this.viewKey = key;
        this.reframe = false;
        // A frame later: the overlays this snapshot changes (legend, pager) are laid out by then.
        if (!this.el.sceneEl.renderer?.xr.isPresenting) {
          requestAnimationFrame(() => {
            this.reset();
            this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
          });
        } else if (this.inHeadset() && !key.startsWith(`${this.headsetView}|`)) {
          this.bringToViewer(); // another scene or trace in a headset comes to the viewer, who stays where they are (a wall's page turns in place)
        }
        this.headsetView = `${scene.name}|${scene.trace}`;
      }
    };
    this.unbindKeys = bindKeys({ resetView: () => this.reset(), focusSelection: () => this.focusSelection() });
    this.onWheel = (event) => {
      if (event.defaultPrevented) return; // time-zoom took it: the waterfall zooms its time axis
      event.preventDefault();
      this.wheelToward(event);
    };
    this.onVR = () => this.reset();
    // Someone asks for nodes to be framed (a link, a finding): a frame later, after the reset a new view gets.
    this.onFrameNodes = (event) => requestAnimationFrame(() => {
      this.frameNodes(Array.from(event.detail.ids));
      this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
    });

    const sceneEl = this.el.sceneEl;
    sceneEl.addEventListener("vrmon-scene", this.onScene);
    sceneEl.addEventListener("enter-vr", this.onVR);
    sceneEl.addEventListener("exit-vr", this.onVR);
    sceneEl.addEventListener("vrmon-frame-nodes", this.onFrameNodes);
    this.data.resetButton?.addEventListener("click", () => this.reset());
    if (sceneEl.canvas) sceneEl.canvas.addEventListener("wheel", this.onWheel, { passive: false });
    else sceneEl.addEventListener("render-target-loaded", () => sceneEl.canvas.addEventListener("wheel", this.onWheel, { passive: false }), { once: true });
    if (this.system.scene) this.onScene({ detail: { scene: this.system.scene, snapshot: true } });
  },

  remove() {
    const sceneEl = this.el.sceneEl;
    sceneEl.removeEventListener("vrmon-scene", this.onScene);
    sceneEl.removeEventListener("enter-vr", this.onVR);
    sceneEl.removeEventListener("exit-vr", this.onVR);
    sceneEl.removeEventListener("vrmon-frame-nodes", this.onFrameNodes);
    this.unbindKeys();
    sceneEl.canvas?.removeEventListener("wheel", this.onWheel);
  },

  /**
   * Move along the ray through the pointer: toward what is under it (wheel up) or back (down), by
   * WHEEL_MOST of the distance to the scene's centre at most. Before, the wheel moved 1 m per
   * notch along the view's axis: a graph of 200 services came closer only around the middle of the
   * view, and three notches took the camera through it.
   */
  wheelToward(event) {
    const camera = this.el.getObject3D("camera");
    const box = this.el.sceneEl.canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * 2 - 1, y = 1 - ((event.clientY - box.top) / box.height) * 2;
    camera.getWorldPosition(this.eye);
    this.direction.set(x, y, 0.5).unproject(camera).sub(this.eye).normalize();
    const [minx, miny, minz, maxx, maxy, maxz] = this.system.scene?.bounds ?? [0, 0, 0, 0, 0, 0];
    const distance = Math.max(this.eye.distanceTo(this.centre.set((minx + maxx) / 2, (miny + maxy) / 2, (minz + maxz) / 2)), 0.5);
    const share = THREE.MathUtils.clamp(-event.deltaY * this.data.wheelSpeed, -WHEEL_MOST, WHEEL_MOST);
    this.el.object3D.position.addScaledVector(this.direction, share * distance);
  },

  /** Back to the framing view of the current scene. */
  reset() {
    if (!this.system.scene?.bounds) return;
    const timeWindow = this.el.sceneEl.systems["time-window"];
    if (timeWindow?.zoomed()) { // the whole trace first; its snapshot is framed when it comes
      this.reframe = true;
      timeWindow.reset();
      return;
    }
    this.frameView();
  },

  /**
   * Whether the desktop view is still where the last framing of this scene put it (the viewer has
   * not moved it since): a side panel opening or closing may then frame it again in the space left.
   */
  atFramedView() {
    const framed = this.framed;
    if (!framed || framed.scene !== this.system.scene || this.inHeadset()) return false;
    const pose = this.pose(this.poseNow);
    return pose.every((value, i) => Math.abs(value - framed.pose[i]) < 1e-6);
  },

  /** The desktop camera's pose as numbers: its position, the rig's, yaw and pitch. */
  pose(into) {
    const look = this.el.components["look-controls"];
    this.el.object3D.position.toArray(into, 0);
    this.rig.position.toArray(into, 3);
    into[6] = look.yawObject.rotation.y;
    into[7] = look.pitchObject.rotation.x;
    return into;
  },

  /** The framing view of the current scene, in the space the overlays open now leave free. */
  frameView() {
    const bounds = this.system.scene?.bounds;
    if (!bounds) return;
    const wall = this.system.scene.layout === "wall";
    const frame = this.system.scene.frame;
    if (this.inHeadset()) {
      // Only the waterfall is scaled into a wall; every other scene is seen at its own size,
      // so a scale left by the waterfall (or by the grips) goes back to 1 on a reset.
      if (this.system.scene.layout === "waterfall" && frame && this.data.world) {
        this.fitHeadset(frame);
        return;
      }
      if (this.data.world) {
        const world = this.data.world.object3D;
        world.scale.setScalar(1);
        world.quaternion.identity();
        world.position.set(0, 0, 0);
      }
      const [left, , , right, , front] = wall ? frame ?? bounds : bounds;
      const standoff = this.standoff(left, right);
      // the wall's room is seen from its centre, unless its page is narrower than the waterfall's
      // picture from there (a trace or a few): then from where it is seen as wide
      if (wall && standoff >= -front) this.rig.position.set(0, 0, 0);
      else this.rig.position.set((left + right) / 2, 0, front + standoff);
      return;
    }
    const fov = this.system.scene.layout === "services" ? SERVICES_FOV : this.sceneFov;
    if (this.el.getAttribute("camera").fov !== fov) this.el.setAttribute("camera", "fov", fov);
    if (this.system.scene.layout === "services") {
      // the spheres with their error markers, and the names where they are placed beside them
      frameServices(this.system.nodes, (box, pad, cornerAbove) => this.frameNow(box, pad, cornerAbove), this.serviceLabels());
    } else if (!wall) {
      // the waterfall says what to frame: its marks with lane names and ruler
      this.frame(...waterfallFraming(this.system.scene, this.system.nodes));
    } else {
      // The wall's page stands on the far side of the room: framed like the rest, from inside the
      // room; its frame holds the panels' titles, so a narrow margin is enough.
      this.frame(frame ?? bounds, 0, frame ? WALL_MARGIN : FRAME_MARGIN);
    }
    this.framed = { scene: this.system.scene, pose: this.pose([]) };
    this.el.sceneEl.emit("vrmon-view-framed", { scene: this.system.scene }, false); // (the first picture waits for it: scene/first-frame.js)
  },

  /**
   * The waterfall ahead of the viewer at its angular size: VR_WIDTH_DEGREES wide (more, up to
   * VR_MOST_DEGREES, if its names could not grow enough to keep their angle), its front
   * VR_DISTANCE away, its centre VR_CENTRE_DEGREES from the horizon.
   */
  fitHeadset([minx, miny, , maxx, maxy, maxz]) {
    const labels = this.system.labels;
    const { room, letters } = nameColumn(labels);
    const namesEnd = Math.max(minx, ...labels.filter((l) => l.kind === "lane").map((l) => l.pos[0])); // their right end
    const leastAngle = Math.tan(THREE.MathUtils.degToRad(HEADSET_DEGREES));
    let scale = 1, left = minx;
    for (let degrees = VR_WIDTH_DEGREES; degrees <= VR_MOST_DEGREES; degrees += 5) {
      const half = THREE.MathUtils.degToRad(degrees / 2);
      // the names grow leftwards, so the picture is wider than the frame by as much: settle both
      let grow = 1;
      for (let i = 0; i < 4; i++) {
        left = namesEnd - grow * (namesEnd - minx);
        scale = (2 * VR_DISTANCE * Math.tan(half)) / Math.max(maxx - left, 1e-3);
        // at the left edge, the farthest names: VR_DISTANCE / cos(half) away at most
        grow = Math.max(1, (leastAngle * VR_DISTANCE) / Math.cos(half) / (letters * scale));
      }
      if (grow <= room || !Number.isFinite(letters)) break;
    }
    const world = this.data.world.object3D;
    const height = (maxy - miny) * scale;
    const centre = Math.max(VR_EYE_HEIGHT + VR_DISTANCE * Math.tan(THREE.MathUtils.degToRad(VR_CENTRE_DEGREES)), VR_LEAST_FOOT + height / 2);
    world.scale.setScalar(scale);
    world.quaternion.identity();
    world.position.set(-((left + maxx) / 2) * scale, centre - ((miny + maxy) / 2) * scale, -maxz * scale);
    this.rig.position.set(0, 0, VR_DISTANCE);
    this.rig.rotation.set(0, 0, 0);
  },

  /**
   * In a headset, the current view placed as entering VR places it, but around the viewer where
   * they stand and face now: the scene moves (and scales) instead of the viewer. Entering VR puts
   * the rig at R and the scene at W; seen from the rig where it is now (N), the same picture is
   * the scene at N·R⁻¹·W.
   */
  bringToViewer() {
    const world = this.data.world?.object3D;
    if (!world) return;
    const rig = this.rig;
    rig.updateMatrix();
    const now = rig.matrix.clone();
    this.reset();
    rig.updateMatrix();
    world.updateMatrix();
    now.clone().multiply(rig.matrix.clone().invert()).multiply(world.matrix).decompose(world.position, world.quaternion, world.scale);
    now.decompose(rig.position, rig.quaternion, rig.scale);
  },

  /**
   * Metres between a headset viewer and the front of the scene, whose width runs from `left` to
   * `right`: the service graph is seen VR_GRAPH_DEGREES wide, the wall's page as wide as the
   * waterfall's picture (VR_WIDTH_DEGREES).
   */
  standoff(left, right) {
    const layout = this.system.scene.layout;
    if (layout !== "services" && layout !== "wall") return VR_STANDOFF;
    const degrees = layout === "wall" ? VR_WIDTH_DEGREES : VR_GRAPH_DEGREES;
    const fit = (right - left) / 2 / Math.tan(THREE.MathUtils.degToRad(degrees / 2));
    return layout === "wall" ? fit : THREE.MathUtils.clamp(fit, ...VR_GRAPH_DISTANCE);
  },

  inHeadset() {
    return this.el.sceneEl.is("vr-mode") && this.el.sceneEl.renderer.xr.isPresenting;
  },

  /** Frame the selected node (F). */
  focusSelection() {
    if (this.system.selectedId !== null) this.frameNodes([this.system.selectedId]);
  },

  /**
   * Frame these nodes from the overview's angle, at least FOCUS_MIN_WIDTH wide so short spans keep
   * some context; on the wall, from in front of the first one's panel.
   */
  frameNodes(ids) {
    const { nodes, scene } = this.system;
    const rows = ids.map((id) => nodes.rowOf.get(id)).filter((row) => row !== undefined);
    if (!rows.length || this.inHeadset()) return;
    const { pos, size } = nodes;
    if (scene?.layout === "wall") {
      const i = rows[0] * 3;
      const [x, y, z] = [pos[i], pos[i + 1], pos[i + 2]];
      // Panels face the room's centre: stand between it and the span, looking straight at it.
      const r = Math.hypot(x, z) || 1;
      const [fx, fz] = [x / r, z / r]; // horizontal direction from the centre to the span
      // look-controls' camera looks along −z turned by yaw: (−sin yaw, −cos yaw) = (fx, fz)
      this.look([x - fx * WALL_FOCUS_DISTANCE, y, z - fz * WALL_FOCUS_DISTANCE], Math.atan2(-fx, -fz), 0);
      return;
    }
    const box = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
    for (const row of rows) {
      for (let k = 0; k < 3; k++) {
        box[k] = Math.min(box[k], pos[row * 3 + k] - size[row * 3 + k] / 2);
        box[k + 3] = Math.max(box[k + 3], pos[row * 3 + k] + size[row * 3 + k] / 2);
      }
    }
    const widen = Math.max(0, FOCUS_MIN_WIDTH - (box[3] - box[0])) / 2;
    box[0] -= widen;
    box[3] += widen;
    this.frame(box, 0);
  },

  /** Put the desktop camera at `eye`, turned by yaw and pitch (radians). */
  look(eye, yaw, pitch) {
    // WASD's glide stops here: a key let go just before R kept moving the camera after the reset
    // (the services view went 96 px aside, a sphere under the trace list).
    this.el.components["wasd-controls"]?.velocity.set(0, 0, 0);
    this.rig.position.set(0, 0, 0);
    this.el.object3D.position.fromArray(eye);
    const look = this.el.components["look-controls"];
    look.yawObject.rotation.y = yaw;
    look.pitchObject.rotation.x = pitch;
  },

  /** The service-labels component, if there is one. */
  serviceLabels() {
    return this.data.labels?.components["service-labels"];
  },

  /** frame(), then the camera's matrices brought up to date at once (the names placed next use them). */
  frameNow(bounds, pad, cornerAbove) {
    const framed = this.frame(bounds, 0, 0, pad, cornerAbove);
    this.el.components["look-controls"].updateOrientation();
    this.rig.updateMatrixWorld(true);
    const labels = this.serviceLabels();
    if (labels) labels.fitArea = framed.free;
    return framed;
  },

  /**
   * Put the desktop camera where `bounds` fill the part of the view the side panels leave free,
   * with `labelRoom` metres more on each side, `margin` metres all round, and `pad` CSS pixels
   * ({left, top, right, bottom}) inside the free part's edges; `cornerAbove`: a folded trace list
   * keeps the strip above it free, not the column beside it (view-insets.js); null: whichever
   * frames the bounds larger. Returns {range} (the camera's distance from the bounds' centre) and
   * {free} (the free part's width and height, CSS pixels).
   */
  frame(bounds, labelRoom, margin = FRAME_MARGIN, pad = NO_PAD, cornerAbove = null) {
    const camera = this.el.getObject3D("camera");
    // The part of the canvas the overlays leave free.
    const canvas = this.el.sceneEl.canvas;
    const { leftPanel, rightPanel, topBar, bottomBar } = this.data;
    const insetsFor = (above) => viewInsets(canvas, { left: leftPanel, right: rightPanel, top: topBar, bottom: bottomBar }, { cornerAbove: above });
    const options = {
      bounds, labelRoom, margin, pad, fov: camera.fov, aspect: camera.aspect, width: canvas.clientWidth, height: canvas.clientHeight,
      pitchDegrees: PITCH_DEGREES[this.system.scene?.layout] ?? PITCH_DEGREES.waterfall,
    };
    const { eye, pitch, range, free } = cornerAbove === null ? nearestFramedPose(options, insetsFor)
      : framedPose({ ...options, insets: insetsFor(cornerAbove) });
    this.look(eye, 0, -pitch);
    return { range, free };
  },
});
