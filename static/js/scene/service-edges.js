// The service graph's calls: one InstancedMesh of tubes (one per caller → callee edge, width from
// the edge block, i.e. the call rate) and one InstancedMesh of particles flowing along each tube
// from caller to callee, as Vizceral does: busier edges carry more particles, a little faster.
// Busy paths stand out: an edge's alpha (from the server, by call rate) fades its tube and its
// particles towards the background, and quiet edges carry smaller particles.
// Tubes and particle slots are rebuilt when edges or nodes change; in tick only the particles'
// positions are rewritten, in place, with no allocation.
import { grownCapacity, instancedMesh } from "./instanced-mesh.js";
import { listen } from "../listen.js";

const THREE = AFRAME.THREE;
const UP = new THREE.Vector3(0, 1, 0);
const FACING = new THREE.Vector3(0, 0, 1); // the graph lies in a plane facing +z
const QUIET = 0.4; // how much of its colour the quietest edge keeps (0.2 left a dark grey line under half-transparent tubes: unseen)
const MIN_TRAVEL = 0.05; // metres: shortest particle path, for services drawn touching each other

AFRAME.registerComponent("service-edges", {
  schema: {
    particleBudget: { type: "int", default: 3000 }, // most particles drawn, whatever the edge count
    speed: { default: 1.2 }, // metres per second on the busiest edge; quieter edges go down to half
    maxEmission: { default: 6 }, // particles per second entering the busiest edge
    minEmission: { default: 0.35 }, // particles per second on the quietest edge, so it never looks dead
    particleColor: { type: "color", default: "#d6f0ff" },
    background: { type: "color", default: "#0a0d14" }, // what quiet edges fade towards
    opacity: { default: 0.5 }, // tubes are translucent so the particles inside stay visible
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    // Scratch objects reused by every rebuild.
    this.matrix = new THREE.Matrix4();
    this.quaternion = new THREE.Quaternion();
    this.scale = new THREE.Vector3();
    this.from = new THREE.Vector3();
    this.to = new THREE.Vector3();
    this.direction = new THREE.Vector3();
    this.side = new THREE.Vector3();
    this.middle = new THREE.Vector3();
    this.color = new THREE.Color();
    this.background = new THREE.Color(this.data.background);
    this.particleColor = new THREE.Color(this.data.particleColor);

    // Unit tube along +y and unit particle; instances scale them.
    this.tubeGeometry = new THREE.CylinderGeometry(0.5, 0.5, 1, 6, 1, true); // thin: six sides look round
    this.tubeMaterial = new THREE.MeshLambertMaterial({
      color: 0xffffff, transparent: true, opacity: this.data.opacity, depthWrite: false, // seen from outside: front faces do
    });
    this.particleGeometry = new THREE.IcosahedronGeometry(0.5, 0); // a few pixels across: 20 faces do
    this.particleMaterial = new THREE.MeshBasicMaterial({ color: 0xffffff }); // per-particle colour

    const budget = this.data.particleBudget;
    this.particles = instancedMesh(this.particleGeometry, this.particleMaterial, budget, { colors: true });
    this.particles.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
    this.particles.frustumCulled = false; // they move every frame inside the tubes' bounds
    this.particleEdge = new Int32Array(budget); // particle → edge slot
    this.particlePhase = new Float32Array(budget); // particle's offset along its edge, 0..1
    this.el.setObject3D("particles", this.particles);
    this.createTubes(64);

    this.stale = true;
    this.onChange = () => { this.stale = true; };
    this.unlistenScene = listen(this.el.sceneEl, { "vrmon-edges": this.onChange, "vrmon-nodes": this.onChange });
  },

  remove() {
    this.unlistenScene();
    for (const name of ["tubes", "particles"]) this.el.removeObject3D(name);
    this.tubes.dispose();
    this.particles.dispose();
    for (const disposable of [this.tubeGeometry, this.tubeMaterial, this.particleGeometry, this.particleMaterial]) disposable.dispose();
  },

  /** (Re)create the tube mesh and the per-edge particle paths for `capacity` edges. */
  createTubes(capacity) {
    this.tubes?.dispose();
    this.tubes = instancedMesh(this.tubeGeometry, this.tubeMaterial, capacity, { colors: true });
    this.tubes.renderOrder = 2; // translucent: after the opaque nodes
    this.el.setObject3D("tubes", this.tubes);
    this.pathStart = new Float32Array(capacity * 3); // where particles leave the caller's surface
    this.pathStep = new Float32Array(capacity * 3); // caller → callee vector between the surfaces
    this.pathCycles = new Float32Array(capacity); // trips along the path per second
    this.pathSize = new Float32Array(capacity); // particle diameter, metres
    this.pathParticles = new Int32Array(capacity); // particles the edge's call rate asks for
    this.pathShade = new Float32Array(capacity); // how much the edge stands out, QUIET..1
  },

  /** Radius of a node as drawn (services are spheres of diameter size.x), 0 if it is not here. */
  nodeAt(id, point) {
    const { nodes } = this.system;
    const row = nodes.rowOf.get(id);
    if (row === undefined) return -1;
    point.fromArray(nodes.pos, row * 3);
    return nodes.size[row * 3] / 2;
  },

  rebuild() {
    const edges = this.system.edges;
    const grown = grownCapacity(this.tubes, edges.count);
    if (grown) this.createTubes(grown);
    let maxRate = 0;
    for (let e = 0; e < edges.count; e++) maxRate = Math.max(maxRate, edges.rate[e]);
    // First pass: tubes and paths; particle counts follow the call rate.
    let drawn = 0;
    let wanted = 0;
    for (let e = 0; e < edges.count; e++) {
      const fromRadius = this.nodeAt(edges.source[e], this.from);
      const toRadius = this.nodeAt(edges.target[e], this.to);
      if (fromRadius < 0 || toRadius < 0) continue; // an endpoint is not in the scene (yet)
      const length = this.direction.subVectors(this.to, this.from).length();
      if (length < 1e-6) continue;
      this.direction.divideScalar(length);
      const width = edges.width[e];
      // A → B and B → A would share one tube: shift each to its own side, in the graph's plane.
      this.side.crossVectors(this.direction, FACING);
      if (this.side.lengthSq() < 1e-6) this.side.set(1, 0, 0);
      this.side.normalize().multiplyScalar(width * 0.75 + 0.02);
      this.from.add(this.side);
      this.to.add(this.side);

      this.middle.addVectors(this.from, this.to).multiplyScalar(0.5);
      this.quaternion.setFromUnitVectors(UP, this.direction);
      this.scale.set(width, length, width);
      this.matrix.compose(this.middle, this.quaternion, this.scale);
      this.tubes.setMatrixAt(drawn, this.matrix);
      const c = edges.color;
      const level = c[e * 4 + 3] / 255;
      const shade = QUIET + (1 - QUIET) * level * level; // squared: only the busiest paths stay bright
      this.color.setRGB(c[e * 4] / 255, c[e * 4 + 1] / 255, c[e * 4 + 2] / 255, THREE.SRGBColorSpace);
      this.tubes.setColorAt(drawn, this.color.lerp(this.background, 1 - shade));
      this.pathShade[drawn] = shade;

      // Particles travel between the two spheres' surfaces.
      const travel = Math.max(MIN_TRAVEL, length - fromRadius - toRadius);
      const relative = maxRate > 0 ? Math.sqrt(edges.rate[e] / maxRate) : 0;
      const speed = this.data.speed * (0.5 + 0.5 * relative);
      const emission = maxRate > 0
        ? Math.max(this.data.minEmission, this.data.maxEmission * (edges.rate[e] / maxRate))
        : 0;
      this.pathStart[drawn * 3] = this.from.x + this.direction.x * fromRadius;
      this.pathStart[drawn * 3 + 1] = this.from.y + this.direction.y * fromRadius;
      this.pathStart[drawn * 3 + 2] = this.from.z + this.direction.z * fromRadius;
      this.pathStep[drawn * 3] = this.direction.x * travel;
      this.pathStep[drawn * 3 + 1] = this.direction.y * travel;
      this.pathStep[drawn * 3 + 2] = this.direction.z * travel;
      this.pathCycles[drawn] = speed / travel;
      // particles on the edge at once = emission rate × time to cross it
      this.pathParticles[drawn] = emission > 0 ? Math.max(1, Math.round((emission * travel) / speed)) : 0;
      this.pathSize[drawn] = width * (1.2 + 1.2 * shade);
      wanted += this.pathParticles[drawn];
      drawn++;
    }
    this.tubes.count = drawn;
    this.tubes.instanceMatrix.needsUpdate = true;
    if (this.tubes.instanceColor) this.tubes.instanceColor.needsUpdate = true;
    this.tubes.computeBoundingSphere();
    this.placeParticles(drawn, wanted);
  },

  /** Share the particle budget out in proportion to what each edge wants (at least one each). */
  placeParticles(edgeCount, wanted) {
    const budget = this.data.particleBudget;
    const share = wanted > budget ? budget / wanted : 1;
    const array = this.particles.instanceMatrix.array;
    let n = 0;
    for (let e = 0; e < edgeCount && n < budget; e++) {
      const want = this.pathParticles[e];
      const count = want ? Math.min(budget - n, Math.max(1, Math.floor(want * share))) : 0;
      // a per-edge offset keeps the particles of different edges out of step
      const offset = ((e * 0.618034) % 1) / Math.max(count, 1);
      const size = this.pathSize[e];
      this.color.copy(this.particleColor).lerp(this.background, 1 - this.pathShade[e]);
      for (let k = 0; k < count; k++, n++) {
        this.particles.setColorAt(n, this.color);
        this.particleEdge[n] = e;
        this.particlePhase[n] = k / count + offset;
        array.fill(0, n * 16, n * 16 + 16);
        array[n * 16] = size;
        array[n * 16 + 5] = size;
        array[n * 16 + 10] = size;
        array[n * 16 + 15] = 1;
      }
    }
    this.particles.count = n;
    this.particles.instanceColor.needsUpdate = true;
    this.moveParticles(this.el.sceneEl.time || 0);
  },

  moveParticles(timeMs) {
    const array = this.particles.instanceMatrix.array;
    const seconds = timeMs / 1000;
    for (let i = 0; i < this.particles.count; i++) {
      const e = this.particleEdge[i];
      let f = this.particlePhase[i] + seconds * this.pathCycles[e];
      f -= Math.floor(f);
      const p = e * 3;
      array[i * 16 + 12] = this.pathStart[p] + this.pathStep[p] * f;
      array[i * 16 + 13] = this.pathStart[p + 1] + this.pathStep[p + 1] * f;
      array[i * 16 + 14] = this.pathStart[p + 2] + this.pathStep[p + 2] * f;
    }
    this.particles.instanceMatrix.needsUpdate = true;
  },

  tick(time) {
    if (this.stale) {
      this.stale = false;
      this.rebuild();
    }
    if (this.particles.count) {
      this.moveParticles(time);
      this.el.sceneEl.systems["render-on-demand"].requestFrame(); // traffic keeps moving
    }
  },
});
