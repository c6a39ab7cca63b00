// The overview strip in a headset: while the waterfall is shown, the whole trace (a row per
// service, more opaque where more of its spans run) with the time the picture shows framed, as the
// desktop's bottom bar has it (data/strip-image.js draws both). It rides the rig below and in
// front of the eyes, tilted up to face them, like a sheet on a lectern: the waterfall fills the
// wall ahead from the floor up, so under it there is no room; at the viewer's hands, lower than
// the wall's foot is seen from the eyes, it hides none of the wall and is read with a glance down.
// It follows each zoom and pan
// (vrmon-time-window: the window asked for, at once; vrmon-scene: the window the server laid out).
// The trigger on it (vr-laser) centres the window on the time pointed at, first narrowing it to a
// quarter of the trace if it showed all of it. One mesh and one text: two draw calls.
import { paintDensity, paintStrip, stripCaption } from "../data/strip-image.js";
import { listen } from "../listen.js";
import { levelGaze } from "./panel-kit.js";
import { createText, setText } from "./text.js";

const THREE = AFRAME.THREE;
const WIDTH = 0.6; // metres
const HEIGHT = 0.12; // metres: up to 40 service rows, 3 mm each
const DISTANCE = 0.75; // metres from the eyes
const LEAST_DOWN = 35; // degrees below the horizon the strip's top edge is at least
const CLEARANCE = 1.5; // degrees between the waterfall's foot, as the eyes see it, and the strip's top edge
const CAPTION_SIZE = 0.022; // metres: about 1.5° at the strip's distance
const PIXELS = [1024, 192]; // the texture: 1.7 px per mm across, 1.6 down
const LINE = 6; // px: the window's frame
const FIRST_ZOOM = 0.25; // of the whole trace, the window a trigger on the unzoomed strip opens
const PLACE_AFTER_FRAMES = 3; // entering VR, the headset's pose reaches the camera a frame or two late

AFRAME.registerComponent("vr-time-strip", {
  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.window = this.el.sceneEl.systems["time-window"];
    this.density = document.createElement("canvas");
    this.drawnStrip = null;
    this.canvas = document.createElement("canvas");
    [this.canvas.width, this.canvas.height] = PIXELS;
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.mesh = new THREE.Mesh(new THREE.PlaneGeometry(WIDTH, HEIGHT),
      new THREE.MeshBasicMaterial({ map: this.texture, transparent: true, side: THREE.DoubleSide }));
    this.caption = createText({ size: CAPTION_SIZE, anchorX: "center", anchorY: "top" });
    this.caption.position.set(0, -HEIGHT / 2 - 0.008, 0);
    this.mesh.userData.pressAt = (uv) => this.pressAt(uv.x);
    this.el.setObject3D("mesh", this.mesh);
    this.el.object3D.add(this.caption);
    this.el.object3D.visible = false;
    this.frame = null; // [left, right] of the window's frame, as shares of the strip's width
    this.head = new THREE.Vector3();
    this.forward = new THREE.Vector3();
    this.point = new THREE.Vector3();
    this.placeInFrames = 0;
    const render = () => this.render();
    this.unlisten = listen(this.el.sceneEl, {
      "vrmon-scene": render,
      "vrmon-time-window": render,
      "enter-vr": render,
      "exit-vr": render,
    });
    render();
  },

  remove() {
    this.unlisten();
    this.el.removeObject3D("mesh");
    this.el.object3D.remove(this.caption);
    this.mesh.geometry.dispose();
    this.mesh.material.dispose();
    this.texture.dispose();
    this.caption.dispose();
  },

  render() {
    const axis = this.window.axis();
    const strip = axis && this.el.sceneEl.is("vr-mode") ? this.system.scene.strip : null;
    if (strip && !this.el.object3D.visible) this.placeInFrames = PLACE_AFTER_FRAMES; // under the waterfall as it stands now
    this.el.object3D.visible = Boolean(strip);
    if (!strip) return;
    if (this.drawnStrip !== strip) {
      paintDensity(this.density, strip, (code) => this.system.serviceColor(code));
      this.drawnStrip = strip;
    }
    const [width, height] = PIXELS;
    const ctx = this.canvas.getContext("2d");
    ctx.fillStyle = "#0d1117"; // a plate behind the rows, as the headset's panels have
    ctx.fillRect(0, 0, width, height);
    const shown = this.window.shown();
    const [x0, x1] = paintStrip(ctx, this.density, axis, shown, { width, height, line: LINE });
    this.frame = [x0 / width, x1 / width];
    this.texture.needsUpdate = true;
    const caption = stripCaption(axis, shown, this.window.zoomed(), strip.instant);
    setText(this.caption, strip.instant ? `Whole trace: ${caption}` : `Whole trace: ${caption} shown`);
  },

  /** The trigger at share `f` across the strip: the window centred on that time. */
  pressAt(f) {
    const axis = this.window.axis();
    if (!axis) return;
    const u = f * axis.whole;
    if (this.window.zoomed()) this.window.panTo(u, 0.5);
    else this.window.show(u - (FIRST_ZOOM / 2) * axis.whole, u + (FIRST_ZOOM / 2) * axis.whole);
  },

  tick() {
    if (this.placeInFrames > 0 && --this.placeInFrames === 0) this.place();
  },

  /**
   * Ahead of the eyes where they look, DISTANCE away and turned to face them, just low enough that
   * the eyes see it below the waterfall's foot (the wall ahead reaches down to near the floor).
   */
  place() {
    levelGaze(this.el.sceneEl.camera, this.head, this.forward);
    const halfHeight = THREE.MathUtils.radToDeg(Math.atan(HEIGHT / 2 / DISTANCE));
    const down = THREE.MathUtils.degToRad(Math.max(this.footDown() + CLEARANCE, LEAST_DOWN) + halfHeight);
    const object = this.el.object3D;
    this.point.copy(this.head).addScaledVector(this.forward, Math.cos(down) * DISTANCE);
    this.point.y -= Math.sin(down) * DISTANCE;
    object.parent.worldToLocal(object.position.copy(this.point));
    object.lookAt(this.head); // a plane faces +z: towards the eyes
  },

  /** Degrees below the horizon the eyes see the waterfall's foot: the lowest front edge of its frame, where it comes nearest. */
  footDown() {
    const frame = this.system.scene?.frame;
    const spans = this.el.sceneEl.querySelector("[span-instances]")?.object3D;
    if (!frame || !spans) return 0;
    const [minx, miny, , maxx, , maxz] = frame;
    spans.updateMatrixWorld();
    const eye = spans.worldToLocal(this.point.copy(this.head));
    const foot = this.point.set(THREE.MathUtils.clamp(eye.x, minx, maxx), miny, maxz).applyMatrix4(spans.matrixWorld);
    return THREE.MathUtils.radToDeg(Math.atan2(this.head.y - foot.y, Math.hypot(foot.x - this.head.x, foot.z - this.head.z)));
  },
});
