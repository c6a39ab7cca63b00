// In a headset, the empty-state message (see data/empty-message.js) as text standing in front
// of the viewer at eye level, placed where they look when it appears or when they enter VR.
import { emptyMessage, emptyMessageText } from "../data/empty-message.js";
import { createText, setText } from "./text.js";
import { listen } from "../listen.js";
import { faceTowards, levelGaze } from "./panel-kit.js";

const THREE = AFRAME.THREE;
const DISTANCE = 2.5; // metres in front of the eyes
const SIZE = 0.07; // metres: about 1.6° at that distance
const PLACE_AFTER_FRAMES = 3; // entering VR, the headset's pose reaches the camera a frame or two late

AFRAME.registerComponent("vr-empty-message", {
  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.head = new THREE.Vector3();
    this.forward = new THREE.Vector3();
    this.text = createText({ size: SIZE, maxWidth: 1.6, anchorX: "center", anchorY: "middle" });
    this.el.setObject3D("text", this.text);
    this.el.object3D.visible = false;
    this.placeInFrames = 0;
    const render = () => this.render();
    this.unlisten = listen(this.el.sceneEl, { "vrmon-scene": render, "vrmon-status": render, "enter-vr": render, "exit-vr": render });
  },

  remove() {
    this.unlisten();
    this.el.removeObject3D("text");
    this.text.dispose();
  },

  render() {
    const message = this.el.sceneEl.is("vr-mode") ? emptyMessage(this.system) : null;
    const wasShown = this.el.object3D.visible;
    this.el.object3D.visible = Boolean(message);
    if (!message) return;
    setText(this.text, emptyMessageText(message));
    if (!wasShown) this.placeInFrames = PLACE_AFTER_FRAMES;
  },

  tick() {
    if (this.placeInFrames > 0 && --this.placeInFrames === 0) this.place();
  },

  /** Straight ahead of the viewer's eyes, level, turned to face them. */
  place() {
    levelGaze(this.el.sceneEl.camera, this.head, this.forward);
    const object = this.el.object3D;
    object.position.copy(this.head).addScaledVector(this.forward, DISTANCE);
    faceTowards(object, this.head);
  },
});
