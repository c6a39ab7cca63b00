// Instanced meshes made and grown the same way everywhere: room for `capacity` instances, none
// drawn yet, and when more are needed the capacity at least doubles, so instances added a delta at
// a time cost O(n) re-creation in all.
const THREE = AFRAME.THREE;

/** An InstancedMesh with room for `capacity` instances and none drawn; `colors`: with a colour per instance. */
export function instancedMesh(geometry, material, capacity, { colors = false } = {}) {
  const mesh = new THREE.InstancedMesh(geometry, material, capacity);
  if (colors) mesh.instanceColor = new THREE.InstancedBufferAttribute(new Float32Array(capacity * 3), 3);
  mesh.count = 0;
  return mesh;
}

/** The capacity to make `mesh` again with so it holds `needed` instances, or 0 if it has room. */
export function grownCapacity(mesh, needed) {
  const capacity = mesh.instanceMatrix.count;
  return needed > capacity ? Math.max(needed, capacity * 2) : 0;
}
