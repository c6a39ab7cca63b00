// Grab the scene with the controllers' grips: one grip drags it along with the hand; both
// grips scale it by how far the hands move apart and turn it about the vertical as the hands
// turn, about the point between them (a 100 m trace can be brought to the size of a desk).
// Leaving VR puts the scene back as it was, so the desktop view frames it again.
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;

AFRAME.registerComponent("world-grab", {
  schema: {
    leftHand: { type: "selector" },
    rightHand: { type: "selector" },
    minScale: { default: 0.002 },
    maxScale: { default: 50 },
  },

  init() {
    this.holding = []; // hand entities whose grip is down, in the order they closed
    this.startMatrix = new THREE.Matrix4(); // the scene's matrix when the grab (re)started
    this.startPoint = new THREE.Vector3(); // one hand: where it was; two: the midpoint
    this.startDistance = 1;
    this.startAngle = 0;
    this.startScale = 1;
    this.left = new THREE.Vector3();
    this.right = new THREE.Vector3();
    this.midpoint = new THREE.Vector3();
    this.grab = new THREE.Matrix4();
    this.step = new THREE.Matrix4();

    this.onGripDown = (event) => {
      if (!this.holding.includes(event.currentTarget)) this.holding.push(event.currentTarget);
      this.begin();
    };
    this.onGripUp = (event) => {
      this.holding = this.holding.filter((hand) => hand !== event.currentTarget);
      this.begin();
    };
    this.onExitVR = () => {
      this.holding = [];
      this.el.object3D.position.set(0, 0, 0);
      this.el.object3D.quaternion.identity();
      this.el.object3D.scale.set(1, 1, 1);
    };
    for (const hand of this.hands()) {
      hand.addEventListener("gripdown", this.onGripDown);
      hand.addEventListener("gripup", this.onGripUp);
    }
    this.unlistenScene = listen(this.el.sceneEl, { "exit-vr": this.onExitVR });
  },

  remove() {
    for (const hand of this.hands()) {
      hand.removeEventListener("gripdown", this.onGripDown);
      hand.removeEventListener("gripup", this.onGripUp);
    }
    this.unlistenScene();
  },

  hands() {
    return [this.data.leftHand, this.data.rightHand].filter(Boolean);
  },

  /** The scene's scale (uniform). */
  scale() {
    return this.el.object3D.scale.x;
  },

  /** A hand closed or opened: the grab goes on from the scene's pose of this moment. */
  begin() {
    const object = this.el.object3D;
    object.updateMatrix();
    this.startMatrix.copy(object.matrix);
    this.startScale = object.scale.x;
    if (this.holding.length === 1) {
      this.holding[0].object3D.getWorldPosition(this.startPoint);
    } else if (this.holding.length >= 2) {
      this.measureHands();
      this.startPoint.copy(this.midpoint);
      this.startDistance = Math.max(this.left.distanceTo(this.right), 0.01);
      this.startAngle = this.handsAngle();
    }
  },

  measureHands() {
    this.holding[0].object3D.getWorldPosition(this.left);
    this.holding[1].object3D.getWorldPosition(this.right);
    this.midpoint.addVectors(this.left, this.right).multiplyScalar(0.5);
  },

  /** Heading of the line between the hands, in the horizontal plane. */
  handsAngle() {
    return Math.atan2(this.right.z - this.left.z, this.right.x - this.left.x);
  },

  tick() {
    if (!this.holding.length) return;
    const object = this.el.object3D;
    if (this.holding.length === 1) {
      this.holding[0].object3D.getWorldPosition(this.midpoint);
      // The scene's parent is the scene root, so world and parent space are the same.
      this.grab.makeTranslation(this.midpoint.x - this.startPoint.x, this.midpoint.y - this.startPoint.y, this.midpoint.z - this.startPoint.z);
    } else {
      this.measureHands();
      const wanted = this.startScale * (this.left.distanceTo(this.right) / this.startDistance);
      const factor = THREE.MathUtils.clamp(wanted, this.data.minScale, this.data.maxScale) / this.startScale;
      // A turn of the hands' line by +a about y is a rotation of -a (x towards -z is positive).
      const turn = this.startAngle - this.handsAngle();
      // Move the start midpoint to the origin, scale and turn there, then out to the new midpoint.
      this.grab.makeTranslation(-this.startPoint.x, -this.startPoint.y, -this.startPoint.z);
      this.grab.premultiply(this.step.makeScale(factor, factor, factor));
      this.grab.premultiply(this.step.makeRotationY(turn));
      this.grab.premultiply(this.step.makeTranslation(this.midpoint.x, this.midpoint.y, this.midpoint.z));
    }
    this.grab.multiply(this.startMatrix);
    this.grab.decompose(object.position, object.quaternion, object.scale);
  },
});
