// A bounding volume hierarchy over the instances of a THREE.InstancedMesh, so that a ray finds
// the instances it hits by visiting O(log n) boxes instead of testing every instance.
//
// installInstanceBVH(mesh) replaces mesh.raycast, so every THREE.Raycaster (the desktop mouse,
// A-Frame's raycaster under laser-controls) gets the same {distance, point, face, instanceId,
// object} intersections that InstancedMesh.raycast gives: candidates found through the tree are
// tested exactly as three.js tests one instance. With `raycaster.firstHitOnly` only the nearest
// hit is reported (the lowest instanceId among equally near ones, as a sorted brute-force list
// has first), and the walk stops at boxes further away than the best hit so far.
//
// The tree is built lazily, at the first raycast after a change, never per frame; or ahead of
// it in steps (buildSteps, a huge scene's, run in slices between frames). update(rows) after
// rewriting some instances' matrices refits their leaves (rows the tree does not hold yet are
// tested one by one until there are enough of them to be worth a rebuild).
import { runAtOnce } from "../data/sliced-work.js";

const THREE = AFRAME.THREE;

const LEAF_SIZE = 4; // instances per leaf
const STACK_SIZE = 64; // grows if a tree is deeper (it is ~2.4·log2(n) deep at most: see split)
const REBUILD_LOOSE_MIN = 512; // rows outside the tree (or refits) before a rebuild: this many, or 1/8 (1/4) of the tree
const STEP_WORK = 16384; // instances boxed, or sorted into the tree, per step of buildSteps (~2–4 ms)

const scratchInverse = new THREE.Matrix4();
const scratchInstance = new THREE.Matrix4();
const scratchOrigin = new THREE.Vector3();
const scratchAhead = new THREE.Vector3();
const scratchHits = [];

export class InstanceBVH {
  constructor(mesh) {
    this.stats = { boxesVisited: 0, instancesTested: 0 }; // of the last raycast, for tests and benchmarks
    this.stack = new Int32Array(STACK_SIZE);
    this.origin = new Float64Array(3); // the ray in the mesh's local space; t is world distance
    this.inverseDirection = new Float64Array(3);
    this.builds = 0; // builds begun: one in steps goes on while no later one has begun
    this.setMesh(mesh);
  }

  /** Work on `mesh` (e.g. after it was recreated bigger); the tree is rebuilt at the next raycast. */
  setMesh(mesh) {
    this.mesh = mesh;
    this.probe = new THREE.Mesh(mesh.geometry, mesh.material); // tests one instance, as InstancedMesh does
    const capacity = mesh.instanceMatrix.count;
    this.boxes = new Float32Array(capacity * 6); // per instance: min xyz, max xyz (mesh space)
    this.order = new Uint32Array(capacity); // instances, grouped by leaf
    this.leafOf = new Int32Array(capacity);
    const maxNodes = Math.max(1, 2 * capacity); // a binary tree with at least one instance per leaf
    this.nodeBox = new Float32Array(maxNodes * 6);
    this.nodeStart = new Uint32Array(maxNodes); // leaf: first index into order; inner: left child (right is left + 1)
    this.nodeCount = new Uint32Array(maxNodes); // leaf: instances; inner: 0
    this.nodeParent = new Int32Array(maxNodes);
    this.nodes = 0;
    this.built = 0; // instances [0, built) are in the tree
    this.refitted = 0;
    this.invalidate();
  }

  /** Every instance may have changed (a new scene): rebuild at the next raycast. */
  invalidate() {
    this.stale = true;
    this.builds++; // a build in steps begun before stops at its next step
  }

  /** The matrices of these instance rows were rewritten. */
  update(rows) {
    if (this.stale) return this.invalidate(); // a build in steps may have boxed them as they were
    const geometryBox = this.geometryBox();
    for (const row of rows) {
      this.computeBox(row, geometryBox);
      if (row < this.built) this.refit(this.leafOf[row]);
    }
    // Rows outside the tree are tested one by one, and refitted leaves may have grown loose:
    // past a share of the tree, the next raycast rebuilds it.
    const loose = Math.max(0, this.mesh.count - this.built);
    if (loose > Math.max(REBUILD_LOOSE_MIN, this.built >> 3) || this.refitted > Math.max(REBUILD_LOOSE_MIN, this.built >> 2)) {
      this.stale = true;
    }
  }

  geometryBox() {
    const geometry = this.mesh.geometry;
    if (!geometry.boundingBox) geometry.computeBoundingBox();
    return geometry.boundingBox;
  }

  /** The mesh-space box of instance `i`: the geometry's box through the instance matrix. */
  computeBox(i, geometryBox) {
    const e = this.mesh.instanceMatrix.array;
    const o = i * 16;
    const { min, max } = geometryBox;
    const cx = (min.x + max.x) / 2, cy = (min.y + max.y) / 2, cz = (min.z + max.z) / 2;
    const hx = (max.x - min.x) / 2, hy = (max.y - min.y) / 2, hz = (max.z - min.z) / 2;
    const b = this.boxes;
    for (let axis = 0; axis < 3; axis++) {
      const centre = e[o + axis] * cx + e[o + 4 + axis] * cy + e[o + 8 + axis] * cz + e[o + 12 + axis];
      const half = Math.abs(e[o + axis]) * hx + Math.abs(e[o + 4 + axis]) * hy + Math.abs(e[o + 8 + axis]) * hz;
      b[i * 6 + axis] = centre - half;
      b[i * 6 + 3 + axis] = centre + half;
    }
  }

  build() {
    runAtOnce(this.buildSteps());
  }

  /**
   * Build the tree over the instances drawn now, in steps (a yield between them): at once in
   * build(), or ahead of the first raycast in a huge scene's slices. Until it is done the tree
   * is stale, and a raycast builds it at once; a build begun earlier stops at its next step.
   */
  *buildSteps() {
    const build = ++this.builds;
    const count = this.mesh.count;
    const geometryBox = this.geometryBox();
    for (let from = 0; from < count; from += STEP_WORK) {
      for (let i = from; i < Math.min(count, from + STEP_WORK); i++) {
        this.computeBox(i, geometryBox);
        this.order[i] = i;
      }
      yield;
      if (build !== this.builds) return;
    }
    this.nodes = 1;
    this.nodeParent[0] = -1;
    this.nodeCount[0] = 0;
    for (const _ of count ? this.split(0, 0, count) : []) {
      yield;
      if (build !== this.builds) return;
    }
    for (const _ of this.setNodeBoxes()) {
      yield;
      if (build !== this.builds) return;
    }
    this.built = count;
    this.refitted = 0;
    this.stale = false;
  }

  /**
   * Make node `node` hold order[start, end): a leaf, or two children split at the middle of the
   * longest axis. Yields after every STEP_WORK instances sorted; boxes come after (setNodeBoxes).
   */
  *split(node, start, end) {
    const b = this.boxes;
    const order = this.order;
    const work = [node, start, end]; // pending (node, start, end) triples
    let done = 0;
    while (work.length) {
      end = work.pop(); start = work.pop(); node = work.pop();
      if (end - start <= LEAF_SIZE) {
        this.makeLeaf(node, start, end);
        continue;
      }
      done += end - start;
      if (done >= STEP_WORK) {
        done = 0;
        yield;
      }
      // centroid bounds choose the axis and the cut
      let lo0 = Infinity, lo1 = Infinity, lo2 = Infinity, hi0 = -Infinity, hi1 = -Infinity, hi2 = -Infinity;
      for (let k = start; k < end; k++) {
        const o = order[k] * 6;
        const c0 = b[o] + b[o + 3], c1 = b[o + 1] + b[o + 4], c2 = b[o + 2] + b[o + 5];
        if (c0 < lo0) lo0 = c0; if (c0 > hi0) hi0 = c0;
        if (c1 < lo1) lo1 = c1; if (c1 > hi1) hi1 = c1;
        if (c2 < lo2) lo2 = c2; if (c2 > hi2) hi2 = c2;
      }
      const e0 = hi0 - lo0, e1 = hi1 - lo1, e2 = hi2 - lo2;
      const axis = e0 >= e1 && e0 >= e2 ? 0 : e1 >= e2 ? 1 : 2;
      const cut = axis === 0 ? (lo0 + hi0) / 2 : axis === 1 ? (lo1 + hi1) / 2 : (lo2 + hi2) / 2;
      let mid = start;
      for (let k = start; k < end; k++) {
        const o = order[k] * 6 + axis;
        if (b[o] + b[o + 3] < cut) {
          const swap = order[k]; order[k] = order[mid]; order[mid] = swap;
          mid++;
        }
      }
      // A lopsided cut (clustered or identical boxes) would make the tree deep: cut at the
      // median instead, so each side keeps at least a quarter and the depth stays logarithmic.
      const quarter = (end - start) >> 2;
      if (mid - start < quarter || end - mid < quarter) {
        mid = (start + end) >> 1;
        this.selectMedian(start, end, mid, axis);
      }
      const left = this.nodes;
      this.nodes += 2;
      this.nodeStart[node] = left;
      this.nodeCount[node] = 0;
      this.nodeParent[left] = node;
      this.nodeParent[left + 1] = node;
      work.push(left, start, mid, left + 1, mid, end);
    }
  }

  /** Reorder order[start, end) so that order[mid] has the median centroid on `axis`, smaller ones before it. */
  selectMedian(start, end, mid, axis) {
    const b = this.boxes, order = this.order;
    const key = (k) => b[order[k] * 6 + axis] + b[order[k] * 6 + 3 + axis];
    let lo = start, hi = end - 1;
    while (lo < hi) {
      const pivot = key((lo + hi) >> 1);
      let i = lo, j = hi;
      while (i <= j) {
        while (key(i) < pivot) i++;
        while (key(j) > pivot) j--;
        if (i <= j) {
          const swap = order[i]; order[i] = order[j]; order[j] = swap;
          i++; j--;
        }
      }
      if (mid <= j) hi = j;
      else if (mid >= i) lo = i;
      else return;
    }
  }

  /** Every node's box, children first: a leaf's from its instances, an inner node's from its two children. */
  *setNodeBoxes() {
    const n = this.nodeBox;
    for (let node = this.nodes - 1; node >= 0; node--) {
      if (node % STEP_WORK === 0) yield;
      const count = this.nodeCount[node];
      if (count || node === 0 && this.nodes === 1) {
        this.setNodeBox(node, this.nodeStart[node], this.nodeStart[node] + count);
        continue;
      }
      const o = node * 6, l = this.nodeStart[node] * 6, r = l + 6; // children come after their parent
      for (let a = 0; a < 3; a++) {
        n[o + a] = Math.min(n[l + a], n[r + a]);
        n[o + 3 + a] = Math.max(n[l + 3 + a], n[r + 3 + a]);
      }
    }
  }

  makeLeaf(node, start, end) {
    this.nodeStart[node] = start;
    this.nodeCount[node] = end - start;
    for (let k = start; k < end; k++) this.leafOf[this.order[k]] = node;
  }

  setNodeBox(node, start, end) {
    const b = this.boxes;
    const n = this.nodeBox;
    const o = node * 6;
    n[o] = n[o + 1] = n[o + 2] = Infinity;
    n[o + 3] = n[o + 4] = n[o + 5] = -Infinity;
    for (let k = start; k < end; k++) {
      const i = this.order[k] * 6;
      for (let a = 0; a < 3; a++) {
        if (b[i + a] < n[o + a]) n[o + a] = b[i + a];
        if (b[i + 3 + a] > n[o + 3 + a]) n[o + 3 + a] = b[i + 3 + a];
      }
    }
  }

  /** A leaf's instances moved: recompute its box and its ancestors'. */
  refit(leaf) {
    this.setNodeBox(leaf, this.nodeStart[leaf], this.nodeStart[leaf] + this.nodeCount[leaf]);
    const n = this.nodeBox;
    for (let node = this.nodeParent[leaf]; node >= 0; node = this.nodeParent[node]) {
      const o = node * 6, l = this.nodeStart[node] * 6, r = l + 6;
      for (let a = 0; a < 3; a++) {
        n[o + a] = Math.min(n[l + a], n[r + a]);
        n[o + 3 + a] = Math.max(n[l + 3 + a], n[r + 3 + a]);
      }
    }
    this.refitted++;
  }

  /** Entry distance of the ray into box `o` of `boxes`, or Infinity if it misses it within [near, far]. */
  entry(boxes, o, near, far) {
    let tmin = near, tmax = far;
    for (let a = 0; a < 3; a++) {
      const inv = this.inverseDirection[a];
      let t0 = (boxes[o + a] - this.origin[a]) * inv;
      let t1 = (boxes[o + 3 + a] - this.origin[a]) * inv;
      if (t0 > t1) { const swap = t0; t0 = t1; t1 = swap; }
      if (t0 > tmin) tmin = t0;
      if (t1 < tmax) tmax = t1;
      if (tmin > tmax) return Infinity; // NaN (ray in a face's plane) compares false: treated as inside
    }
    return tmin;
  }

  raycast(raycaster, intersects) {
    const mesh = this.mesh;
    if (!mesh.count || mesh.material === undefined) return;
    if (this.stale || this.boxes.length < mesh.count * 6) this.build();
    this.localRay(raycaster.ray, mesh.matrixWorld);
    // State of this walk, kept in fields so that nothing is allocated per raycast.
    this.raycaster = raycaster;
    this.intersects = intersects;
    this.best = null;
    this.far = raycaster.far;
    this.stats.boxesVisited = 0;
    this.stats.instancesTested = 0;
    for (let i = this.built; i < mesh.count; i++) this.test(i); // rows added since the build
    const { nodeBox } = this;
    const near = raycaster.near;
    let top = 0;
    this.stack[top++] = 0;
    while (top > 0) {
      const node = this.stack[--top];
      this.stats.boxesVisited++;
      if (this.entry(nodeBox, node * 6, near, this.far) === Infinity) continue;
      const count = this.nodeCount[node];
      if (count) {
        const start = this.nodeStart[node];
        for (let k = start; k < start + count; k++) this.test(this.order[k]);
        continue;
      }
      // the nearer child goes on top of the stack, so the best hit tightens `far` early
      const left = this.nodeStart[node];
      const tl = this.entry(nodeBox, left * 6, near, this.far);
      const tr = this.entry(nodeBox, (left + 1) * 6, near, this.far);
      if (top + 2 > this.stack.length) this.growStack();
      const nearer = tl <= tr ? left : left + 1;
      if (Math.max(tl, tr) !== Infinity) this.stack[top++] = nearer === left ? left + 1 : left;
      if (Math.min(tl, tr) !== Infinity) this.stack[top++] = nearer;
    }
    if (this.best) intersects.push(this.best);
    this.raycaster = this.intersects = this.best = null;
  }

  /** Levels of the tree (1 for a single leaf), after a build. */
  depth(node = 0) {
    if (this.nodeCount[node] || !this.nodes) return 1;
    const left = this.nodeStart[node];
    return 1 + Math.max(this.depth(left), this.depth(left + 1));
  }

  growStack() {
    const stack = new Int32Array(this.stack.length * 2);
    stack.set(this.stack);
    this.stack = stack;
  }

  /** Test instance `i` exactly if the ray meets its box; collect its hits. */
  test(i) {
    const raycaster = this.raycaster;
    if (i >= this.mesh.count || this.entry(this.boxes, i * 6, raycaster.near, this.far) === Infinity) return;
    this.stats.instancesTested++;
    this.testInstance(raycaster, i);
    for (let k = 0; k < scratchHits.length; k++) {
      const hit = scratchHits[k];
      if (raycaster.firstHitOnly !== true) this.intersects.push(hit);
      else if (!this.best || hit.distance < this.best.distance || (hit.distance === this.best.distance && hit.instanceId < this.best.instanceId)) {
        this.best = hit;
        this.far = hit.distance;
      }
    }
    scratchHits.length = 0;
  }

  /** The ray in mesh space, keeping its length so that t along it is the world distance. */
  localRay(ray, matrixWorld) {
    scratchInverse.copy(matrixWorld).invert();
    scratchOrigin.copy(ray.origin).applyMatrix4(scratchInverse);
    scratchAhead.copy(ray.origin).add(ray.direction).applyMatrix4(scratchInverse).sub(scratchOrigin);
    for (let a = 0; a < 3; a++) {
      this.origin[a] = scratchOrigin.getComponent(a);
      this.inverseDirection[a] = 1 / scratchAhead.getComponent(a);
    }
  }

  /** Hits of instance `i` into scratchHits, exactly as InstancedMesh.raycast finds them. */
  testInstance(raycaster, i) {
    const mesh = this.mesh;
    this.probe.geometry = mesh.geometry; // the mesh may have swapped them since (spheres for services)
    this.probe.material = mesh.material;
    mesh.getMatrixAt(i, scratchInstance);
    this.probe.matrixWorld.multiplyMatrices(mesh.matrixWorld, scratchInstance);
    const before = scratchHits.length;
    this.probe.raycast(raycaster, scratchHits);
    for (let k = before; k < scratchHits.length; k++) {
      scratchHits[k].instanceId = i;
      scratchHits[k].object = mesh;
    }
  }
}

/** Give `mesh` a BVH and make it the mesh's raycast; returns the BVH (call update/invalidate on it). */
export function installInstanceBVH(mesh) {
  const bvh = new InstanceBVH(mesh);
  mesh.raycast = (raycaster, intersects) => bvh.raycast(raycaster, intersects);
  return bvh;
}
