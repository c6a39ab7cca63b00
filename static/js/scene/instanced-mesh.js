// Instanced meshes made and grown the same way everywhere: room for `capacity` instances, none
// drawn yet, and when more are needed the capacity at least doubles, so instances added a delta at
// a time cost O(n) re-creation in all.
const THREE = AFRAME.THREE;

/**
 * An InstancedMesh that is not drawn while it has no instances. three.js would otherwise compile
 * its shaders and issue a draw call for it every frame: the first frame of a trace would pay for
 * the shaders of every mark that has nothing to show yet (compare marks, service edges in the
 * waterfall), which is most of that frame's cost on software GL.
 */
class CountedInstancedMesh extends THREE.InstancedMesh {
  get count() {
    return this.instances;
  }

  set count(n) {
    this.instances = n;
    this.visible = n > 0;
  }
}

/** An InstancedMesh with room for `capacity` instances and none drawn; `colors`: with a colour per instance. */
export function instancedMesh(geometry, material, capacity, { colors = false } = {}) {
  // Made empty, then given its matrices: three.js's constructor writes an identity matrix into every
  // slot through setMatrixAt (~70 ms of CPU for the spans' and markers' 200k slots each, when E
  // grows them), though only the instances below `count` are drawn and each is written before.
  const mesh = new CountedInstancedMesh(geometry, material, 0);
  mesh.instanceMatrix = new THREE.InstancedBufferAttribute(new Float32Array(capacity * 16), 16);
  if (colors) mesh.instanceColor = new THREE.InstancedBufferAttribute(new Float32Array(capacity * 3), 3);
  mesh.count = 0;
  return mesh;
}

/** The capacity to make `mesh` again with so it holds `needed` instances, or 0 if it has room. */
export function grownCapacity(mesh, needed) {
  const capacity = mesh.instanceMatrix.count;
  return needed > capacity ? Math.max(needed, capacity * 2) : 0;
}
