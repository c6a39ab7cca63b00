// Panels in the headset (the span panel, the wrist menu) cost two draw calls each, whatever
// they hold: every rectangle (the backing plate, button plates) is an instance of one
// InstancedMesh, and every text is a member of one troika BatchedText. Coordinates are metres
// from the panel's top-left corner, x right, y up (so rows go to negative y), facing +z.
// The lasers find a button from the rectangle instance they hit (PanelSurface.buttonAt).
import { BatchedText } from "troika-three-text";
import { createText, setText } from "./text.js";

const THREE = AFRAME.THREE;
const PLATE_COLOR = new THREE.Color("#0d1117");
const BUTTON_COLOR = new THREE.Color("#243044");
const BUTTON_HOVER_COLOR = new THREE.Color("#3b5378");
const BUTTON_ACTIVE_COLOR = new THREE.Color("#1f6feb");
const BUTTON_Z = 0.002; // button plates in front of the backing plate
const TEXT_Z = 0.004; // text in front of both

export class PanelSurface {
  constructor(maxRects) {
    this.group = new THREE.Group();
    this.rects = new THREE.InstancedMesh(new THREE.PlaneGeometry(1, 1), new THREE.MeshBasicMaterial({ side: THREE.DoubleSide }), maxRects);
    this.rects.count = 0;
    this.rects.userData.surface = this;
    this.texts = new BatchedText();
    this.texts.position.z = TEXT_Z;
    this.texts.raycast = () => {}; // the plates behind the texts are what the lasers hit
    // troika typesets a batch just before drawing it; culled on its empty first bounds, it never would.
    this.texts.frustumCulled = false;
    this.group.add(this.rects, this.texts);
    this.buttons = []; // rectangle index → Button (undefined for plain plates)
    this.matrix = new THREE.Matrix4();
    this.boxes = []; // rectangle index → [x, y, width, height, z]: kept to hide and show them
  }

  /** A rectangle with its top-left corner at (x, y); returns its index. */
  addRect(x, y, width, height, color = PLATE_COLOR, z = 0) {
    const index = this.rects.count++;
    this.boxes[index] = [x, y, width, height, z];
    this.setRectShown(index, true);
    this.rects.setColorAt(index, color);
    this.rects.instanceColor.needsUpdate = true;
    return index;
  }

  setRectShown(index, shown) {
    const [x, y, width, height, z] = this.boxes[index];
    this.matrix.makeScale(shown ? width : 0, shown ? height : 0, 1).setPosition(x + width / 2, y - height / 2, z);
    this.rects.setMatrixAt(index, this.matrix);
    this.rects.instanceMatrix.needsUpdate = true;
    this.rects.computeBoundingSphere();
  }

  setRectColor(index, color) {
    this.rects.setColorAt(index, color);
    this.rects.instanceColor.needsUpdate = true;
  }

  /** A text whose top-left corner is at (x, y), drawn in this panel's batch. */
  addText(x, y, options = {}) {
    const text = createText(options);
    text.position.set(x, y, 0);
    this.texts.add(text);
    return text;
  }

  addButton({ x, y, width, height, label = "", size = 0.02, press = null, plainWhenInert = false }) {
    const index = this.addRect(x, y, width, height, BUTTON_COLOR, BUTTON_Z);
    const text = this.addText(x + 0.01, y - height / 2, { size, anchorY: "middle" });
    text.whiteSpace = "nowrap";
    text.clipRect = [0, -height / 2, width - 0.02, height / 2]; // long names stop at the edge
    const button = new Button(this, index, text, plainWhenInert);
    this.buttons[index] = button;
    button.set(label, press);
    return button;
  }

  /** The pressable button drawn by a rectangle instance, or null. */
  buttonAt(index) {
    const button = this.buttons[index];
    return button?.press ? button : null;
  }
}

class Button {
  constructor(surface, index, label, plainWhenInert) {
    this.surface = surface;
    this.index = index;
    this.label = label; // the troika Text
    this.plainWhenInert = plainWhenInert; // text rows: only links look like buttons
    this.press = null;
    this.hovered = false;
    this.active = false;
  }

  /** What the button says and what the trigger does on it (null: nothing, an inert row). */
  set(label, press) {
    this.press = press;
    setText(this.label, label);
    this.surface.setRectShown(this.index, press !== null || (!this.plainWhenInert && label !== ""));
    this.paint();
  }

  /** Shown as switched on (the current scene, an active filter). */
  setActive(active) {
    if (this.active === active) return;
    this.active = active;
    this.paint();
  }

  setHovered(hovered) {
    if (this.hovered === hovered) return;
    this.hovered = hovered;
    this.paint();
  }

  paint() {
    const color = this.hovered && this.press ? BUTTON_HOVER_COLOR : this.active ? BUTTON_ACTIVE_COLOR : BUTTON_COLOR;
    this.surface.setRectColor(this.index, color);
  }
}

/** Turn an object so its +z faces a point, about the vertical axis only (panels stay upright). */
export function faceTowards(object, point) {
  object.rotation.set(0, Math.atan2(point.x - object.position.x, point.z - object.position.z), 0);
}

/** The viewer's eyes into `head` and where they look, level (straight ahead when they look
 * straight up or down), into `forward`: where a panel put before them goes. */
export function levelGaze(camera, head, forward) {
  camera.getWorldPosition(head);
  camera.getWorldDirection(forward);
  forward.y = 0;
  if (forward.lengthSq() < 1e-6) forward.set(0, 0, -1);
  forward.normalize();
}

export { setText };
