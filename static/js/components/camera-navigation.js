// Desktop navigation on top of look-controls and wasd-controls: frames the scene's bounds when
// a new view arrives (in front, slightly above, looking at the centre; for the wall, from inside
// the room looking at the newest panel), resets to that view on R / Home or the reset button,
// and moves forward/back with the mouse wheel. Entering VR, the parent rig stands the viewer in
// front of the scene once (inside the wall's room); the headset owns the camera pose, and during
// the session only the viewer's own locomotion moves the rig.
const THREE = AFRAME.THREE;
const FRAME_MARGIN = 0.6; // metres of empty space around the bounds
const LABEL_ROOM = 1.5; // metres left of the bounds for lane names
// Looking down, per layout: steep enough in the waterfall that lanes (z) and call depths (y) do
// not hide each other; nearly level for the 3D service graph.
const PITCH_DEGREES = { waterfall: 48, services: 16 };
const VR_STANDOFF = 4; // metres between the viewer and the front of the scene in VR
// The wall is built around the room's centre (the origin): stand there, a step back from the
// middle so the newest panel (straight ahead, −z) and its neighbours fit the screen.
const WALL_STEP_BACK = 1.5; // metres
const WALL_EYE_RANGE = [1.2, 2.2]; // metres: eye height, level with the middle row of panels

AFRAME.registerComponent("camera-navigation", {
  dependencies: ["camera", "look-controls"],
  schema: {
    resetButton: { type: "selector" },
    leftPanel: { type: "selector" }, // an overlay on the left edge: frame the scene beside it
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
      // A resync of the same view keeps the viewer where they are, and in a headset nothing
      // moves the viewer but the viewer (a new view is reached with the controllers).
      if (snapshot && key !== this.viewKey) {
        this.viewKey = key;
        if (!this.el.sceneEl.renderer?.xr.isPresenting) this.reset();
      }
    };
    this.onKey = (event) => {
      if (!AFRAME.utils.shouldCaptureKeyEvent(event)) return;
      if (event.key === "r" || event.key === "R" || event.key === "Home") this.reset();
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
    const [minx, miny, minz, maxx, maxy, maxz] = bounds;
    const cx = (minx + maxx) / 2;
    const cy = (miny + maxy) / 2;
    const cz = (minz + maxz) / 2;
    const layout = this.system.scene.layout;
    if (this.el.sceneEl.is("vr-mode") && this.el.sceneEl.renderer.xr.isPresenting) {
      if (layout === "wall") this.rig.position.set(0, 0, 0);
      else this.rig.position.set(cx, 0, maxz + VR_STANDOFF);
      return;
    }
    this.rig.position.set(0, 0, 0);
    const look = this.el.components["look-controls"];
    if (layout === "wall") {
      const eye = Math.min(WALL_EYE_RANGE[1], Math.max(WALL_EYE_RANGE[0], cy));
      this.el.object3D.position.set(0, eye, WALL_STEP_BACK);
      look.yawObject.rotation.y = 0;
      look.pitchObject.rotation.x = 0;
      return;
    }
    const camera = this.el.getObject3D("camera");
    const tanHalfV = Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2);
    const tanHalfH = tanHalfV * camera.aspect;
    // The part of the canvas not covered by the left panel (when it runs down most of the
    // left edge; a folded panel does not count), as a fraction of the canvas width.
    const canvas = this.el.sceneEl.canvas;
    const canvasWidth = canvas.clientWidth || 1;
    const panelBox = this.data.leftPanel?.getBoundingClientRect();
    const inset = panelBox && panelBox.height > canvas.clientHeight / 2 ? Math.min(panelBox.right, canvasWidth / 2) : 0;
    const free = 1 - inset / canvasWidth;
    // Look down at the centre from PITCH above the horizon, far enough back for the bounds
    // (plus room for lane names left of them) to fill the free part of the view.
    const pitch = THREE.MathUtils.degToRad(PITCH_DEGREES[layout] ?? PITCH_DEGREES.waterfall);
    const halfWidth = (maxx - minx) / 2 + LABEL_ROOM + FRAME_MARGIN;
    const halfDepth = (maxz - minz) / 2;
    const halfHeight = halfDepth * Math.sin(pitch) + ((maxy - miny) / 2) * Math.cos(pitch) + FRAME_MARGIN;
    const range = halfDepth + Math.max(halfWidth / (tanHalfH * free), halfHeight / tanHalfV);
    // Slide left so the scene's centre lands in the middle of the free part.
    const eyeX = cx - (inset / canvasWidth) * range * tanHalfH;
    this.el.object3D.position.set(eyeX, cy + range * Math.sin(pitch), cz + range * Math.cos(pitch));
    look.yawObject.rotation.y = 0;
    look.pitchObject.rotation.x = -pitch;
  },
});
