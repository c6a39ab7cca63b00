// Names of the spans the viewer looks at, and of the selected one, in the headset's waterfall only
// (service-labels names the services in their scene; on the wall each panel's title names its trace).
// A fixed pool of SDF texts, batched into one draw call, is reassigned a few times a second,
// so the cost stays the same whatever the number of spans. Each name keeps the same visual
// angle (TEXT_DEGREES) however far it is and however the scene is scaled, and names never
// overlap as the viewer sees them, nor lie across a bar: the selected span's name first
// ("service: operation"), then the operations of the bars nearest where the head looks (their
// colour and lane say their service; summary marks are not named), each written on its bar where
// the bar's front face holds it as seen (the fronts are one plane, which hides the top and bottom
// faces going back from it), else above it, after its end or before its start, wherever its box
// (in degrees around the head) is clear of the other names, of its bar's face and of every other
// bar's whole box, within the picture's frame (what lies beside it, the span panel, is kept clear
// of that) and right of where the time axis starts (left of that is the lane names' column); a
// name with no clear place is not shown.
import { BatchedText } from "troika-three-text";
import { createText, setText } from "./text.js";
import { overlapsAny } from "../scene/label-placement.js";
import { listen } from "../listen.js";
import { isSummary } from "../data/protocol.js";

const THREE = AFRAME.THREE;
const SHOWN_COUNT = 16; // names at most besides the selected span's
const CANDIDATE_COUNT = 96; // the spans nearest where the head looks tried for them
const VIEW_DEGREES = [50, 40]; // the part of the view, right or left and up or down of straight ahead, whose bars are named
const REFRESH_MS = 300;
const TEXT_METRES = 0.05; // the texts' font size before scaling to their distance
const TEXT_DEGREES = 1.4; // letter height as seen (≥ 1.2°: about 2.4 cm at 1 m)
const CHAR_EM = 0.62; // a generous average glyph width, in font sizes (Inter), for the boxes
const LINE_EM = 1.25; // a line's height, in font sizes
const MARGIN_DEGREES = 0.3; // kept free around each name
const GAP_DEGREES = 0.35; // between a name beside its bar and the bar
const FACE_METRES = 0.004; // a name written on its bar stands this far off the bar's face, as seen
// Where a name goes, in order of preference: the point of its bar it hangs from (x: -1 start,
// 0 middle, 1 end; y: 0 middle, 1 top), its text's anchor there, and which way the gap goes.
const PLACES = [
  { at: [0, 0], anchorX: "center", anchorY: "middle", gap: [0, 0], onBar: true },
  { at: [0, 1], anchorX: "center", anchorY: "bottom", gap: [0, 1] },
  { at: [1, 0], anchorX: "left", anchorY: "middle", gap: [1, 0] },
  { at: [-1, 0], anchorX: "right", anchorY: "middle", gap: [-1, 0] },
];

const seen = new Float32Array(2); // scratch: where `look` saw a point

/** Widen box `i` (x0, y0, x1, y1 from index i of `boxes`) to hold the point last `look`ed at. */
function grow(boxes, i) {
  boxes[i] = Math.min(boxes[i], seen[0]); boxes[i + 2] = Math.max(boxes[i + 2], seen[0]);
  boxes[i + 1] = Math.min(boxes[i + 1], seen[1]); boxes[i + 3] = Math.max(boxes[i + 3], seen[1]);
}

/** A point in view space as seen from the head, into `seen`: degrees right of and below straight ahead. */
function look(p) {
  seen[0] = THREE.MathUtils.radToDeg(Math.atan2(p.x, -p.z));
  seen[1] = -THREE.MathUtils.radToDeg(Math.atan2(p.y, Math.hypot(p.x, p.z)));
  return seen;
}

AFRAME.registerComponent("vr-span-labels", {
  dependencies: ["span-instances"],

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.group = new BatchedText();
    this.group.raycast = () => {}; // labels are not for pointing at: the span under them is
    this.group.frustumCulled = false; // troika typesets the batch just before it is drawn
    this.texts = Array.from({ length: SHOWN_COUNT + 1 }, () => {
      const text = createText({ size: TEXT_METRES, anchorX: "center", anchorY: "bottom", color: "#e6edf3" });
      text.userData.row = -1;
      text.userData.at = new THREE.Vector3(); // where it hangs from, in the spans' coordinates
      text.userData.chars = 0;
      this.group.add(text);
      return text;
    });
    this.group.visible = false;
    this.el.setObject3D("vr-labels", this.group);
    // Scratch state reused every refresh.
    this.head = new THREE.Vector3();
    this.inverse = new THREE.Matrix4();
    this.worldScale = new THREE.Vector3();
    this.toView = new THREE.Matrix4();
    this.point = new THREE.Vector3();
    this.candidateRows = new Int32Array(CANDIDATE_COUNT);
    this.candidateOffsets = new Float64Array(CANDIDATE_COUNT);
    this.boxes = new Float32Array((SHOWN_COUNT + 1) * 4); // the shown names' boxes, degrees around the head
    this.box = new Float32Array(4);
    this.barBoxes = new Float32Array(0); // every bar's whole box as seen, degrees around the head (grown as needed)
    this.barFaces = new Float32Array(0); // and its front face
    this.frameBox = new Float32Array(4); // the picture's frame as seen, degrees around the head
    this.barsLeft = -180; // where the leftmost bar starts as seen, degrees
    this.place = PLACES[0]; // where the last placeOf put the name
    this.anchor = new THREE.Vector3(); // and its point, in the spans' coordinates
    this.toHead = new THREE.Vector3();
    this.edge = new THREE.Vector3();
    this.nextRefresh = 0;
    // Names are placed again at the next frame, not at the next refresh, when what they name
    // changes: a selection, another trace or fold (its rows are other spans: a name left on a row
    // for up to REFRESH_MS would name the wrong bar), or rows removed (the rows after them move).
    const refreshNow = () => { this.nextRefresh = 0; };
    this.unlistenScene = listen(this.el.sceneEl, {
      "vrmon-selection": refreshNow,
      "vrmon-scene": refreshNow,
      "vrmon-nodes": (event) => { if (event.detail.reset || event.detail.removed?.length) refreshNow(); },
    });
  },

  remove() {
    this.unlistenScene();
    this.el.removeObject3D("vr-labels");
    for (const text of this.texts) text.dispose();
    this.group.dispose();
  },

  tick(time) {
    // The waterfall only: the services scene names every service it can itself (service-labels),
    // and on the wall a panel's title names its trace (span names lay across the titles there).
    const presenting = (this.el.sceneEl.renderer?.xr.isPresenting ?? false) && this.system.scene?.layout === "waterfall";
    this.group.visible = presenting;
    if (!presenting) return;
    this.el.sceneEl.camera.getWorldPosition(this.head);
    this.inverse.copy(this.el.object3D.matrixWorld).invert();
    this.head.applyMatrix4(this.inverse); // the head in the spans' own coordinates
    if (time >= this.nextRefresh) {
      this.nextRefresh = time + REFRESH_MS;
      this.assign();
    }
    this.el.object3D.getWorldScale(this.worldScale);
    const perMetre = Math.tan(THREE.MathUtils.degToRad(TEXT_DEGREES)) / TEXT_METRES / Math.max(this.worldScale.x, 1e-6);
    for (const text of this.texts) {
      if (text.userData.row < 0) continue;
      const at = text.userData.at;
      // the same angle at any distance: letters TEXT_DEGREES tall as seen from the head
      const distance = at.distanceTo(this.head) * this.worldScale.x;
      text.scale.setScalar(distance * perMetre);
      const yaw = Math.atan2(this.head.x - at.x, this.head.z - at.z);
      text.rotation.set(0, yaw, 0);
      // Turned to face the head, a name keeps all of it in front of its bar's face (or of the bar
      // beside it): it is brought towards the eyes by as much as its end turns back behind where
      // it is anchored, along the line of sight, so it is still seen where it was placed.
      const width = text.userData.chars * CHAR_EM * TEXT_METRES * text.scale.x, turn = Math.sin(yaw);
      const back = text.anchorX === "center" ? (width / 2) * Math.abs(turn) : Math.max(0, (text.anchorX === "right" ? -width : width) * turn);
      const toHead = this.toHead.copy(this.head).sub(at).normalize();
      text.position.copy(at).addScaledVector(toHead, (back + FACE_METRES / Math.max(this.worldScale.x, 1e-6)) / Math.max(toHead.z, 0.2));
    }
  },

  /** Label the selected span, then the others nearest where the head looks whose names find room. */
  assign() {
    const { nodes, selectedId } = this.system;
    const selectedRow = selectedId === null ? -1 : nodes.rowOf.get(selectedId) ?? -1;
    const camera = this.el.sceneEl.renderer.xr.getCamera();
    this.toView.multiplyMatrices(camera.matrixWorldInverse, this.el.object3D.matrixWorld);
    this.measureBars();
    this.measureFrame();
    const found = this.findLookedAt(selectedRow);
    let placed = 0;
    const selectedName = selectedRow >= 0 ? this.system.nodeLabel(selectedRow) : "";
    if (selectedRow >= 0) {
      if (this.placeOf(selectedRow, selectedName, placed)) this.boxes.set(this.box, placed++ * 4);
      else this.above(selectedRow); // the selected span is named even where nothing is clear
    }
    this.label(this.texts[0], selectedRow, selectedName);
    let next = 1;
    for (let i = 0; i < found && next <= SHOWN_COUNT; i++) {
      const row = this.candidateRows[i];
      const name = this.shortName(row);
      if (!name || !this.placeOf(row, name, placed)) continue;
      this.boxes.set(this.box, placed++ * 4);
      this.label(this.texts[next++], row, name);
    }
    for (; next <= SHOWN_COUNT; next++) this.label(this.texts[next], -1, "");
  },

  /**
   * Every bar as the head sees it, in degrees right of and below straight ahead (x0, y0, x1, y1):
   * its front face into barFaces, its whole box into barBoxes (seen from above or below, a bar's
   * top or bottom face takes room beside it too); where the first starts into barsLeft.
   */
  measureBars() {
    const { pos, size, count } = this.system.nodes;
    if (this.barBoxes.length < count * 4) {
      this.barBoxes = new Float32Array(Math.ceil(count * 1.5) * 4);
      this.barFaces = new Float32Array(this.barBoxes.length);
    }
    const boxes = this.barBoxes, faces = this.barFaces, p = this.point;
    this.barsLeft = Infinity;
    for (let row = 0; row < count; row++) {
      const i = row * 4;
      let behind = false;
      boxes[i] = boxes[i + 1] = faces[i] = faces[i + 1] = Infinity;
      boxes[i + 2] = boxes[i + 3] = faces[i + 2] = faces[i + 3] = -Infinity;
      for (let c = 0; c < 8; c++) {
        p.set(pos[row * 3] + (c & 1 ? 0.5 : -0.5) * size[row * 3], pos[row * 3 + 1] + (c & 2 ? 0.5 : -0.5) * size[row * 3 + 1],
          pos[row * 3 + 2] + (c & 4 ? 0.5 : -0.5) * size[row * 3 + 2]).applyMatrix4(this.toView);
        behind ||= p.z > -0.05;
        look(p);
        grow(boxes, i);
        if (c & 4) grow(faces, i);
      }
      if (behind) { // (partly) behind the head: in nobody's way
        boxes.fill(NaN, i, i + 4);
        faces.fill(NaN, i, i + 4);
      } else this.barsLeft = Math.min(this.barsLeft, boxes[i]);
    }
  },

  /** The picture's frame as the head sees it, into frameBox (all the view when the scene gives none, or it is beside or behind the head). */
  measureFrame() {
    const frame = this.system.scene?.frame, box = this.frameBox, p = this.point;
    box[0] = box[1] = Infinity;
    box[2] = box[3] = -Infinity;
    for (let c = 0; frame && c < 8; c++) {
      p.set(frame[c & 1 ? 3 : 0], frame[c & 2 ? 4 : 1], frame[c & 4 ? 5 : 2]).applyMatrix4(this.toView);
      if (p.z > -0.05) break;
      look(p);
      box[0] = Math.min(box[0], seen[0]); box[2] = Math.max(box[2], seen[0]);
      box[1] = Math.min(box[1], seen[1]); box[3] = Math.max(box[3], seen[1]);
      if (c === 7) return;
    }
    box[0] = -180; box[1] = -90; box[2] = 180; box[3] = 90;
  },

  /**
   * What a bar other than the selected one is called: its operation (the bar's colour and lane
   * say its service, as on a screen), about half as wide as "service: operation", so names fit
   * where bars are dense. A summary mark is not named (its panel says what it holds).
   */
  shortName(row) {
    const { nodes, operations } = this.system;
    return isSummary(nodes.ids[row]) ? null : operations[nodes.operation[row]] ?? null;
  },

  /**
   * The first of PLACES where a row's `name` is clear of the first `placed` names and of every bar
   * (on its own bar: inside it): its box into this.box (with a margin), where it goes into
   * this.place and this.anchor. False when there is no such place.
   */
  placeOf(row, name, placed) {
    const { pos, size, count } = this.system.nodes;
    const box = this.box, faces = this.barFaces;
    const width = name.length * CHAR_EM * TEXT_DEGREES, height = LINE_EM * TEXT_DEGREES;
    const own = row * 4;
    for (const place of PLACES) {
      const [ax, ay] = place.at;
      const p = this.anchor.set(pos[row * 3] + (ax * size[row * 3]) / 2, pos[row * 3 + 1] + (ay * size[row * 3 + 1]) / 2, pos[row * 3 + 2] + size[row * 3 + 2] / 2);
      const inView = this.point.copy(p).applyMatrix4(this.toView);
      if (inView.z > -0.05) return false; // behind the head
      const across = look(inView)[0] + place.gap[0] * GAP_DEGREES, down = seen[1] - place.gap[1] * GAP_DEGREES;
      const left = place.anchorX === "left" ? across : place.anchorX === "right" ? across - width : across - width / 2;
      const top = place.anchorY === "bottom" ? down - height : down - height / 2;
      box[0] = left - MARGIN_DEGREES; box[1] = top - MARGIN_DEGREES;
      box[2] = left + width + MARGIN_DEGREES; box[3] = top + height + MARGIN_DEGREES;
      if (overlapsAny(box, this.boxes, placed) || box[0] < Math.max(this.frameBox[0], this.namesEnd(p)) || box[2] > this.frameBox[2]) continue;
      if (place.onBar) {
        // inside its own bar's front face, which hides what lies behind it (the fronts of the bars
        // are one plane; their top and bottom faces go back from it), and on no other bar's face
        if (!(box[0] >= faces[own] && box[2] <= faces[own + 2] && box[1] >= faces[own + 1] && box[3] <= faces[own + 3])) continue;
        if (this.crossesBars(box, row, count, faces)) continue;
      } else if (this.crossesBars(box, row, count, this.barBoxes)
        || (box[0] < faces[own + 2] && box[2] > faces[own] && box[1] < faces[own + 3] && box[3] > faces[own + 1])) {
        // beside its bar: clear of every other bar's box and of its own bar's face (in front of its
        // own bar's end or top face, seen aside, which goes back from where it hangs)
        continue;
      }
      // the gap, in the spans' coordinates, at this distance
      const gap = Math.tan(THREE.MathUtils.degToRad(GAP_DEGREES)) * inView.length() / Math.max(this.worldScale.x, 1e-6);
      p.x += place.gap[0] * gap;
      p.y += place.gap[1] * gap;
      this.place = place;
      return true;
    }
    return false;
  },

  /**
   * Degrees right of straight ahead where the lane names' column ends, level with point `p` (the
   * spans' coordinates): the waterfall's time axis starts there (names beside the bars stay right
   * of it, however far left of the bars in view that is), elsewhere where the first bar starts.
   */
  namesEnd(p) {
    const axis = this.system.scene?.axis;
    if (!axis) return this.barsLeft;
    const edge = this.edge.set(axis.x[0], p.y, p.z).applyMatrix4(this.toView);
    return edge.z < -0.05 ? look(edge)[0] : -180; // the column is behind the head: anywhere ahead is right of it
  },

  /** Put the next name just above a row's bar, whatever is there. */
  above(row) {
    const { pos, size } = this.system.nodes;
    this.place = PLACES[1];
    this.anchor.set(pos[row * 3], pos[row * 3 + 1] + size[row * 3 + 1] / 2, pos[row * 3 + 2] + size[row * 3 + 2] / 2);
  },

  /** Whether a box overlaps any of `bars` (barBoxes or barFaces) but `skip`'s, as seen. */
  crossesBars(box, skip, count, bars) {
    for (let row = 0; row < count; row++) {
      if (row === skip) continue;
      const i = row * 4;
      if (box[0] < bars[i + 2] && box[2] > bars[i] && box[1] < bars[i + 3] && box[3] > bars[i + 1]) return true;
    }
    return false;
  },

  /**
   * Fill candidateRows with the rows whose bars' front faces lie nearest where the head looks
   * (degrees from straight ahead to the face; 0 for the faces it looks at), within VIEW_DEGREES
   * of it, skipping one row; returns how many. After measureBars.
   */
  findLookedAt(skipRow) {
    const count = this.system.nodes.count, faces = this.barFaces;
    const rows = this.candidateRows, offsets = this.candidateOffsets;
    let found = 0;
    for (let row = 0; row < count; row++) {
      const i4 = row * 4;
      // behind the head (NaN) or out of view: not a candidate
      if (row === skipRow || !(faces[i4] <= VIEW_DEGREES[0] && faces[i4 + 2] >= -VIEW_DEGREES[0]
        && faces[i4 + 1] <= VIEW_DEGREES[1] && faces[i4 + 3] >= -VIEW_DEGREES[1])) continue;
      const offset = Math.hypot(Math.max(faces[i4], -faces[i4 + 2], 0), Math.max(faces[i4 + 1], -faces[i4 + 3], 0));
      if (found === CANDIDATE_COUNT && offset >= offsets[found - 1]) continue;
      // Insertion into the short sorted list, nearest the gaze first.
      let i = found < CANDIDATE_COUNT ? found++ : found - 1;
      while (i > 0 && offsets[i - 1] > offset) {
        offsets[i] = offsets[i - 1];
        rows[i] = rows[i - 1];
        i--;
      }
      offsets[i] = offset;
      rows[i] = row;
    }
    return found;
  },

  /** Show a row's `name` where placeOf (or above) last put it (typeset again only when it changed), or hide the text (row -1). */
  label(text, row, name) {
    if (row < 0) {
      text.userData.row = -1;
      setText(text, ""); // members of a batch are always drawn: an unused one says nothing
      return;
    }
    text.userData.at.copy(this.anchor);
    text.anchorX = this.place.anchorX;
    text.anchorY = this.place.anchorY;
    text.userData.row = row;
    text.userData.id = this.system.nodes.ids[row];
    text.userData.chars = name.length;
    setText(text, name);
  },
});
