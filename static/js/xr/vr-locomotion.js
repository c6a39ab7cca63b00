// Moving the viewer in the headset, comfort first: the left thumbstick walks smoothly where the
// head looks (level, no vertical drift), the right thumbstick turns in snaps left/right, and
// pushing it forward aims a teleport at the floor along the right laser; letting go jumps
// there. Nothing moves the rig but these; a stick whose laser is on a panel scrolls instead, and
// one whose laser is on the waterfall's bars zooms and pans its time (vr-time-zoom).
const THREE = AFRAME.THREE;
const DEADZONE = 0.2;
const SNAP_PRESS = 0.7; // stick deflection that turns / starts aiming
const SNAP_RELEASE = 0.3; // back under this before the next snap
const MAX_TELEPORT_METRES = 40;

AFRAME.registerComponent("vr-locomotion", {
  schema: {
    leftHand: { type: "selector" },
    rightHand: { type: "selector" },
    speed: { default: 2 }, // metres per second at full deflection
    snapDegrees: { default: 30 },
  },

  init() {
    this.walk = { x: 0, y: 0 };
    this.turnArmed = true;
    this.aiming = false;
    this.head = new THREE.Vector3();
    this.forward = new THREE.Vector3();
    this.offset = new THREE.Vector3();
    this.target = new THREE.Vector3();
    this.hasTarget = false;
    this.marker = new THREE.Mesh(
      new THREE.RingGeometry(0.18, 0.25, 32).rotateX(-Math.PI / 2),
      new THREE.MeshBasicMaterial({ color: "#58a6ff", transparent: true, opacity: 0.85, depthTest: false }),
    );
    this.marker.visible = false;
    this.marker.renderOrder = 10;
    this.el.sceneEl.object3D.add(this.marker);

    this.onWalk = (event) => {
      this.walk.x = event.detail.x;
      this.walk.y = event.detail.y;
    };
    this.onTurnStick = (event) => this.turnStick(event.detail);
    this.data.leftHand?.addEventListener("thumbstickmoved", this.onWalk);
    this.data.rightHand?.addEventListener("thumbstickmoved", this.onTurnStick);
  },

  remove() {
    this.data.leftHand?.removeEventListener("thumbstickmoved", this.onWalk);
    this.data.rightHand?.removeEventListener("thumbstickmoved", this.onTurnStick);
    this.el.sceneEl.object3D.remove(this.marker);
    this.marker.geometry.dispose();
    this.marker.material.dispose();
  },

  /** Whether a hand's stick is scrolling a panel or zooming the waterfall under its laser right now. */
  scrolling(hand) {
    return Boolean(hand?.components["vr-laser"]?.isScrolling() || hand?.components["vr-time-zoom"]?.isZooming());
  },

  turnStick({ x, y }) {
    if (this.aiming) {
      if (y > -SNAP_RELEASE) this.finishTeleport();
      return;
    }
    if (this.scrolling(this.data.rightHand)) return;
    if (y < -SNAP_PRESS && Math.abs(x) < SNAP_PRESS) {
      this.aiming = true; // pushed forward: aim until released
      return;
    }
    if (Math.abs(x) < SNAP_RELEASE) this.turnArmed = true;
    else if (this.turnArmed && Math.abs(x) > SNAP_PRESS) {
      this.turnArmed = false;
      this.snapTurn(x > 0 ? -1 : 1); // right turns clockwise seen from above: negative yaw
    }
  },

  /** Turn the rig by one step about the head (the viewer stays where they stand). */
  snapTurn(direction) {
    const angle = THREE.MathUtils.degToRad(this.data.snapDegrees) * direction;
    const rig = this.el.object3D;
    this.headPosition();
    this.offset.subVectors(rig.position, this.head).applyAxisAngle(THREE.Object3D.DEFAULT_UP, angle);
    rig.position.copy(this.head).add(this.offset);
    rig.rotation.y += angle;
  },

  /** Where the right laser meets the floor (y = 0), if it does within reach. */
  aim() {
    const raycaster = this.data.rightHand?.components.raycaster;
    this.hasTarget = false;
    if (!raycaster) return;
    raycaster.updateOriginDirection();
    const { origin, direction } = raycaster.raycaster.ray;
    if (direction.y > -0.02) return; // level or upwards: never reaches the floor
    const distance = -origin.y / direction.y;
    if (distance > MAX_TELEPORT_METRES) return;
    this.target.copy(origin).addScaledVector(direction, distance);
    this.hasTarget = true;
  },

  finishTeleport() {
    this.aiming = false;
    this.marker.visible = false;
    if (!this.hasTarget) return;
    // Move the rig so the head (not the rig's origin) lands on the marker.
    this.headPosition();
    this.el.object3D.position.x += this.target.x - this.head.x;
    this.el.object3D.position.z += this.target.z - this.head.z;
  },

  headPosition() {
    this.el.sceneEl.camera.getWorldPosition(this.head);
  },

  tick(time, delta) {
    if (!this.el.sceneEl.renderer?.xr.isPresenting) return;
    if (this.aiming) {
      this.aim();
      this.marker.visible = this.hasTarget;
      if (this.hasTarget) this.marker.position.set(this.target.x, 0.01, this.target.z);
    }
    const { x, y } = this.walk;
    if (Math.hypot(x, y) < DEADZONE || this.scrolling(this.data.leftHand)) return;
    const step = (this.data.speed * Math.min(delta, 100)) / 1000;
    this.el.sceneEl.camera.getWorldDirection(this.forward);
    this.forward.y = 0;
    if (this.forward.lengthSq() < 1e-6) return; // looking straight up or down: no heading
    this.forward.normalize();
    // Stick y is negative when pushed forward; x strafes to the right of the heading.
    const rig = this.el.object3D.position;
    rig.x += (-y * this.forward.x - x * this.forward.z) * step;
    rig.z += (-y * this.forward.z + x * this.forward.x) * step;
  },
});
