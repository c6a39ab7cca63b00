// Desktop navigation on top of look-controls and wasd-controls: frames the scene's bounds when
// a new view arrives (in front, slightly above, looking at the centre), resets to that view on
// R / Home or the reset button, frames the selected span on F, and moves forward/back with the
// mouse wheel. Deltas never move the camera. In VR the parent rig stands the viewer in front of
// the scene instead (the headset owns the camera pose; F does nothing there).
const THREE = AFRAME.THREE;
const FRAME_MARGIN = 0.6; // metres of empty space around the bounds
const LABEL_ROOM = 2.2; // metres left of the bounds for lane names
// Steep enough that lanes (z) and call depths (y) of the waterfall do not hide each other.
const PITCH_DEGREES = 48;
const VR_STANDOFF = 4; // metres between the viewer and the front of the scene in VR
const FOCUS_MIN_WIDTH = 3; // metres framed around a selected span at least, so short spans keep some context

AFRAME.registerComponent("camera-navigation", {
  dependencies: ["camera", "look-controls"],
  schema: {
    resetButton: { type: "selector" },
    leftPanel: { type: "selector" }, // overlays on the left and right edges: frame the scene between them
    rightPanel: { type: "selector" },
    wheelSpeed: { default: 0.01 }, // metres per wheel delta pixel
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.rig = this.el.parentEl.object3D;
    this.direction = new THREE.Vector3();
    this.viewKey = null;

    this.onScene = (event) => {
      const { scene, snapshot } = event.detail;
      const key = `${scene.name}|${scene.trace}`;
      // A resync of the same view keeps the viewer where they are.
      if (snapshot && key !== this.viewKey) {
        this.viewKey = key;
        this.reset();
      }
    };
    this.onKey = (event) => {
      if (!AFRAME.utils.shouldCaptureKeyEvent(event)) return;
      if (event.key === "r" || event.key === "R" || event.key === "Home") this.reset();
      if (event.key === "f" || event.key === "F") this.focusSelection();
    };
    this.onWheel = (event) => {
      event.preventDefault();
      this.el.getObject3D("camera").getWorldDirection(this.direction);
      const step = Math.max(-2, Math.min(2, -event.deltaY * this.data.wheelSpeed));
      this.el.object3D.position.addScaledVector(this.direction, step);
    };
    this.onVR = () => this.reset();

    const sceneEl = this.el.sceneEl;
    sceneEl.addEventListener("vrmon-scene", this.onScene);
    sceneEl.addEventListener("enter-vr", this.onVR);
    sceneEl.addEventListener("exit-vr", this.onVR);
    window.addEventListener("keydown", this.onKey);
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
    window.removeEventListener("keydown", this.onKey);
    sceneEl.canvas?.removeEventListener("wheel", this.onWheel);
  },

  /** Back to the framing view of the current scene. */
  reset() {
    const bounds = this.system.scene?.bounds;
    if (!bounds) return;
    if (this.inHeadset()) {
      const [minx, , , maxx, , maxz] = bounds;
      this.rig.position.set((minx + maxx) / 2, 0, maxz + VR_STANDOFF);
      return;
    }
    this.frame(bounds, LABEL_ROOM);
  },

  inHeadset() {
    return this.el.sceneEl.is("vr-mode") && this.el.sceneEl.renderer.xr.isPresenting;
  },

  /** Frame the selected node, from the same angle as the overview. */
  focusSelection() {
    const { nodes, selectedId } = this.system;
    const row = selectedId === null ? undefined : nodes.rowOf.get(selectedId);
    if (row === undefined || this.inHeadset()) return;
    const i = row * 3;
    const half = [Math.max(nodes.size[i], FOCUS_MIN_WIDTH) / 2, nodes.size[i + 1] / 2, nodes.size[i + 2] / 2];
    this.frame([0, 1, 2].map((a) => nodes.pos[i + a] - half[a]).concat([0, 1, 2].map((a) => nodes.pos[i + a] + half[a])), 0);
  },

  /** Put the desktop camera where `bounds` fill the part of the view the side panels leave free. */
  frame([minx, miny, minz, maxx, maxy, maxz], labelRoom) {
    const cx = (minx + maxx) / 2;
    const cy = (miny + maxy) / 2;
    const cz = (minz + maxz) / 2;
    this.rig.position.set(0, 0, 0);
    const camera = this.el.getObject3D("camera");
    const tanHalfV = Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2);
    const tanHalfH = tanHalfV * camera.aspect;
    // The part of the canvas not covered by the side panels (those that run down most of an
    // edge; a folded or hidden panel does not count), as a fraction of the canvas width.
    const canvas = this.el.sceneEl.canvas;
    const canvasWidth = canvas.clientWidth || 1;
    const tall = (box) => box && box.height > canvas.clientHeight / 2;
    const leftBox = this.data.leftPanel?.getBoundingClientRect();
    const rightBox = this.data.rightPanel?.getBoundingClientRect();
    const insetLeft = tall(leftBox) ? Math.min(leftBox.right, canvasWidth / 3) : 0;
    const insetRight = tall(rightBox) ? Math.min(canvasWidth - rightBox.left, canvasWidth / 3) : 0;
    const free = 1 - (insetLeft + insetRight) / canvasWidth;
    // Look down at the centre from PITCH above the horizon, far enough back for the bounds
    // (plus room for lane names left of them) to fill the free part of the view.
    const pitch = THREE.MathUtils.degToRad(PITCH_DEGREES);
    const halfWidth = (maxx - minx) / 2 + labelRoom + FRAME_MARGIN;
    const halfDepth = (maxz - minz) / 2;
    const halfHeight = halfDepth * Math.sin(pitch) + ((maxy - miny) / 2) * Math.cos(pitch) + FRAME_MARGIN;
    const range = halfDepth + Math.max(halfWidth / (tanHalfH * free), halfHeight / tanHalfV);
    // Slide sideways so the centre lands in the middle of the free part.
    const eyeX = cx - ((insetLeft - insetRight) / canvasWidth) * range * tanHalfH;
    this.el.object3D.position.set(eyeX, cy + range * Math.sin(pitch), cz + range * Math.cos(pitch));
    const look = this.el.components["look-controls"];
    look.yawObject.rotation.y = 0;
    look.pitchObject.rotation.x = -pitch;
  },
});
