// Fades for live updates, so that spans arriving and leaving are seen rather than popping:
// new instances fade in from the background colour, removed ones stay a moment as "ghosts"
// (a small InstancedMesh of their own, never picked) that fade out and flatten. Each tick
// touches only the instances that are animating, and allocates nothing.
import { instancedMesh } from "./instanced-mesh.js";

const THREE = AFRAME.THREE;

// Caps on what animates at once, so a huge delta costs no more per frame than a large one:
// beyond them, spans simply appear or vanish.
const MAX_GHOSTS = 4096;
const MAX_FADE_INS = 4096;
const INITIAL_FADES = 256;

export class InstanceFades {
  /**
   * @param spans the InstancedMesh whose instances fade in
   * @param colorOf (row) => THREE.Color: the colour a row shows when not fading (reused object is fine)
   * @param background THREE.Color faded from and to
   */
  constructor({ spans, colorOf, background, durationMs = 300 }) {
    this.colorOf = colorOf;
    this.background = background;
    this.durationMs = durationMs;
    this.color = new THREE.Color();
    this.matrix = new THREE.Matrix4();
    this.fadeIds = new Uint32Array(INITIAL_FADES); // node ids fading in, and since when
    this.fadeStart = new Float64Array(INITIAL_FADES);
    this.fading = 0;
    this.ghostMatrix = new Float32Array(MAX_GHOSTS * 16); // removed instances: matrix and colour as last drawn
    this.ghostColor = new Float32Array(MAX_GHOSTS * 3);
    this.ghostStart = new Float64Array(MAX_GHOSTS);
    this.setSpans(spans);
    this.ghosts = instancedMesh(spans.geometry, spans.material, MAX_GHOSTS, { colors: true });
    this.ghosts.visible = false;
    this.ghosts.frustumCulled = false; // few, short-lived instances: not worth a bounding sphere per frame
    this.ghosts.raycast = () => {}; // a span that left cannot be picked
  }

  setSpans(spans) {
    this.spans = spans;
  }

  get animating() {
    return this.fading > 0 || this.ghosts.count > 0;
  }

  /** Stop every fade (a new scene is drawn as it is). */
  clear() {
    this.fading = 0;
    this.ghosts.count = 0;
    this.ghosts.visible = false;
  }

  /** The instances at these rows are new nodes with these ids: fade them in from now. */
  fadeIn(rows, ids, now) {
    const room = Math.min(rows.length, MAX_FADE_INS - this.fading);
    if (this.fading + room > this.fadeIds.length) this.growFades(this.fading + room);
    for (let k = 0; k < room; k++) {
      const row = rows[k];
      this.fadeIds[this.fading] = ids[row];
      this.fadeStart[this.fading++] = now;
      this.spans.setColorAt(row, this.color.copy(this.background));
    }
  }

  growFades(minimum) {
    let capacity = this.fadeIds.length * 2;
    while (capacity < minimum) capacity *= 2;
    const ids = new Uint32Array(capacity), start = new Float64Array(capacity);
    ids.set(this.fadeIds);
    start.set(this.fadeStart);
    this.fadeIds = ids;
    this.fadeStart = start;
  }

  /** The instances at these rows (as still drawn) were removed: keep them as fading ghosts. */
  fadeOut(rows, now) {
    this.ghosts.geometry = this.spans.geometry; // ghosts look like what left
    const matrices = this.spans.instanceMatrix.array;
    const colors = this.spans.instanceColor.array;
    for (const row of rows) {
      if (this.ghosts.count >= MAX_GHOSTS) break;
      const g = this.ghosts.count++;
      this.ghostMatrix.set(matrices.subarray(row * 16, row * 16 + 16), g * 16);
      this.ghostColor.set(colors.subarray(row * 3, row * 3 + 3), g * 3);
      this.ghostStart[g] = now;
    }
    this.ghosts.visible = this.ghosts.count > 0;
  }

  /** Advance every fade to `now`; rowOf maps node id → row of the spans mesh. */
  tick(now, rowOf) {
    if (this.fading) this.tickFadeIns(now, rowOf);
    if (this.ghosts.count) this.tickGhosts(now);
  }

  tickFadeIns(now, rowOf) {
    for (let k = 0; k < this.fading; k++) {
      const row = rowOf.get(this.fadeIds[k]);
      const t = (now - this.fadeStart[k]) / this.durationMs;
      if (row !== undefined) {
        this.color.copy(this.background).lerp(this.colorOf(row), t >= 1 ? 1 : easeOut(t));
        this.spans.setColorAt(row, this.color);
      }
      if (row === undefined || t >= 1) {
        // done (or the node left): the last fade takes this slot
        this.fading--;
        this.fadeIds[k] = this.fadeIds[this.fading];
        this.fadeStart[k] = this.fadeStart[this.fading];
        k--;
      }
    }
    this.spans.instanceColor.needsUpdate = true;
  }

  tickGhosts(now) {
    const ghosts = this.ghosts;
    for (let g = 0; g < ghosts.count; g++) {
      const t = (now - this.ghostStart[g]) / this.durationMs;
      if (t >= 1) {
        const last = --ghosts.count;
        this.ghostMatrix.copyWithin(g * 16, last * 16, last * 16 + 16);
        this.ghostColor.copyWithin(g * 3, last * 3, last * 3 + 3);
        this.ghostStart[g] = this.ghostStart[last];
        g--;
        continue;
      }
      // flatten (scale the box's y and z axes) and fade to the background
      const shrink = 1 - easeOut(t);
      const e = this.matrix.fromArray(this.ghostMatrix, g * 16).elements;
      for (let k = 4; k < 11; k++) if (k !== 7) e[k] *= shrink;
      ghosts.setMatrixAt(g, this.matrix);
      this.color.fromArray(this.ghostColor, g * 3).lerp(this.background, easeOut(t));
      ghosts.setColorAt(g, this.color);
    }
    ghosts.visible = ghosts.count > 0;
    ghosts.instanceMatrix.needsUpdate = true;
    ghosts.instanceColor.needsUpdate = true;
  }

  dispose() {
    this.ghosts.dispose();
  }
}

function easeOut(t) {
  return 1 - (1 - t) * (1 - t);
}
