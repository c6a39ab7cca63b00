// Where the trace's picture is as the headset viewer sees it: the box its frame (marks, lane names
// and ruler) takes around the viewer's level gaze, in degrees right of straight ahead and above the
// horizon. In-world panels use it to stand beside the picture rather than in front of it.
const THREE = AFRAME.THREE;
const UP = new THREE.Vector3(0, 1, 0);
const corner = new THREE.Vector3();
const offset = new THREE.Vector3();
const seen = [0, 0];

/**
 * Where a world point is as seen from `head` looking level along `forward`, into `out`: degrees
 * right of straight ahead and above the horizon. False when it is more than ~73° aside or behind.
 */
export function anglesOf(point, head, forward, out) {
  offset.copy(point).sub(head).applyAxisAngle(UP, -Math.atan2(-forward.x, -forward.z)); // the gaze looks down -z
  out[0] = THREE.MathUtils.radToDeg(Math.atan2(offset.x, -offset.z));
  out[1] = THREE.MathUtils.radToDeg(Math.atan2(offset.y, Math.hypot(offset.x, offset.z)));
  return -offset.z >= 0.3 * Math.abs(offset.x);
}

/**
 * The picture's box [left, bottom, right, top] in degrees into `box`, seen from `head` looking
 * level along `forward`; false when part of it is beside or behind the viewer (the viewer walked
 * into it, or the scene surrounds them, as the wall's room does).
 */
export function pictureBox(sceneEl, system, head, forward, box) {
  const frame = system.scene?.frame ?? system.scene?.bounds;
  const spans = sceneEl.querySelector("[span-instances]")?.object3D;
  if (!frame || !spans) return false;
  spans.updateMatrixWorld();
  box[0] = box[1] = Infinity;
  box[2] = box[3] = -Infinity;
  for (let c = 0; c < 8; c++) {
    corner.set(frame[c & 1 ? 3 : 0], frame[c & 2 ? 4 : 1], frame[c & 4 ? 5 : 2]).applyMatrix4(spans.matrixWorld);
    if (!anglesOf(corner, head, forward, seen)) return false;
    box[0] = Math.min(box[0], seen[0]); box[2] = Math.max(box[2], seen[0]);
    box[1] = Math.min(box[1], seen[1]); box[3] = Math.max(box[3], seen[1]);
  }
  return true;
}

/** The world point `distance` from `head` in the direction `right` and `up` degrees from the level gaze `forward`. */
export function pointAt(head, forward, right, up, distance, out) {
  const yaw = Math.atan2(-forward.x, -forward.z);
  const r = THREE.MathUtils.degToRad(right), u = THREE.MathUtils.degToRad(up);
  out.set(Math.sin(r) * Math.cos(u), Math.sin(u), -Math.cos(r) * Math.cos(u)).applyAxisAngle(UP, yaw);
  return out.multiplyScalar(distance).add(head);
}
