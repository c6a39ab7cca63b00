// The geometry of camera-facing text quads, shared by the scene's labels and the service
// graph's names: four vertices a quad, each with its anchor in the scene, its corner offset and
// its place in the text atlas; the labels' vertex shader turns anchor + corner into a position.
const THREE = AFRAME.THREE;

/** A BufferGeometry of quads from per-vertex anchors (xyz), corners (xy) and uvs, and their indices. */
export function billboardGeometry(anchors, corners, uvs, indices) {
  const geometry = new THREE.BufferGeometry();
  // `position` is there for three.js bookkeeping only (bounds); the shader places the vertices.
  geometry.setAttribute("position", new THREE.BufferAttribute(anchors, 3));
  geometry.setAttribute("anchor", new THREE.BufferAttribute(anchors, 3));
  geometry.setAttribute("corner", new THREE.BufferAttribute(corners, 2));
  geometry.setAttribute("uv", new THREE.BufferAttribute(uvs, 2));
  geometry.setIndex(new THREE.BufferAttribute(indices, 1));
  return geometry;
}
