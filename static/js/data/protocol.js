// The vrmon wire protocol on the browser side (docs/protocol.md): bytes ↔ frames, no socket.
// Mirrors vrmon/protocol.py. Node columns arrive as msgpack bin and become typed arrays without
// per-element decoding.
import { decode } from "/vendor/msgpack/decode.mjs";
import { encode } from "/vendor/msgpack/encode.mjs";

export const PROTOCOL_VERSION = 2;
export const NO_STRING = 65535; // service/operation index meaning "none"

export const FLAG = Object.freeze({
  error: 1, orphan: 2, clockSkew: 4, duplicateId: 8, badDuration: 16,
  cycleCut: 32, followsFrom: 64, criticalPath: 128,
});

// column name → [typed array type, values per node]; the order of the protocol table
export const NODE_COLUMNS = Object.freeze({
  ids: [Uint32Array, 1],
  pos: [Float32Array, 3],
  size: [Float32Array, 3],
  color: [Uint8Array, 3],
  service: [Uint16Array, 1],
  operation: [Uint16Array, 1],
  flags: [Uint8Array, 1],
  yaw: [Int16Array, 1], // rotation about +y: radians = yaw × π / 32767
  duration: [Uint8Array, 1], // log-scale span duration, see durationCode
});

const DURATION_STEPS_PER_OCTAVE = 8;

/** µs → the node `duration` code (as vrmon.layout.nodes.duration_code): code c ≥ 1 holds [2^((c-1)/8), 2^(c/8)) µs. */
export function durationCode(us) {
  if (!(us >= 1)) return 0;
  return Math.min(255, Math.floor(Math.log2(us) * DURATION_STEPS_PER_OCTAVE) + 1);
}

// Edge blocks (the services scene): caller → callee links between nodes.
export const EDGE_COLUMNS = Object.freeze({
  ids: [Uint32Array, 1],
  source: [Uint32Array, 1],
  target: [Uint32Array, 1],
  width: [Float32Array, 1], // tube width in metres
  rate: [Float32Array, 1], // calls per second
  color: [Uint8Array, 4],
});

/** A typed view of a msgpack bin; copied first when its offset is not aligned for the type. */
function typedColumn(bin, Type, length, what = "node") {
  if (!(bin instanceof Uint8Array) || bin.byteLength !== length * Type.BYTES_PER_ELEMENT) {
    throw new Error(`${what} column has ${bin?.byteLength} bytes, expected ${length * Type.BYTES_PER_ELEMENT}`);
  }
  const source = bin.byteOffset % Type.BYTES_PER_ELEMENT === 0 ? bin : bin.slice();
  return new Type(source.buffer, source.byteOffset, length);
}

function decodeBlock(block, columns, what) {
  const count = block?.count;
  if (!Number.isInteger(count) || count < 0) throw new Error(`${what} block needs a non-negative integer count`);
  const decoded = { count };
  for (const [name, [Type, width]] of Object.entries(columns)) {
    decoded[name] = typedColumn(block[name], Type, count * width, what);
  }
  return decoded;
}

/** A node block as {count, ids, pos, size, color, service, operation, flags, yaw, duration} of typed arrays. */
export const decodeNodeBlock = (block) => decodeBlock(block, NODE_COLUMNS, "node");

/** An edge block as {count, ids, source, target, width, rate, color} of typed arrays. */
export const decodeEdgeBlock = (block) => decodeBlock(block, EDGE_COLUMNS, "edge");

export const emptyEdgeBlock = () => decodeEdgeBlock({
  count: 0, ...Object.fromEntries(Object.keys(EDGE_COLUMNS).map((name) => [name, new Uint8Array(0)])),
});

/** A metrics frame's per-core CPU busy percentages as a Float32Array. */
function decodeMetrics(frame) {
  const bytes = frame.cpu instanceof Uint8Array ? frame.cpu.byteLength : -1;
  if (bytes < 0 || bytes % 4) throw new Error("metrics 'cpu' must be float32 binary");
  frame.cpu = typedColumn(frame.cpu, Float32Array, bytes / 4, "metrics");
  if (!Array.isArray(frame.load)) frame.load = [];
  return frame;
}

/** One server → viewer frame; node blocks and removed ids are decoded to typed arrays. */
export function decodeServerFrame(bytes) {
  const frame = decode(new Uint8Array(bytes));
  if (frame === null || typeof frame !== "object" || typeof frame.type !== "string") {
    throw new Error("frame is not a msgpack map with a type");
  }
  if (frame.type === "snapshot") {
    if (frame.version !== PROTOCOL_VERSION) {
      throw new Error(`server speaks protocol version ${frame.version}, this viewer speaks ${PROTOCOL_VERSION}`);
    }
    frame.nodes = decodeNodeBlock(frame.nodes);
    frame.edges = frame.edges === undefined ? emptyEdgeBlock() : decodeEdgeBlock(frame.edges);
  } else if (frame.type === "delta") {
    if (frame.edges !== undefined) frame.edges = decodeEdgeBlock(frame.edges);
    frame.added = decodeNodeBlock(frame.added);
    frame.updated = decodeNodeBlock(frame.updated);
    frame.removed = typedColumn(frame.removed, Uint32Array, Math.floor((frame.removed?.byteLength ?? 0) / 4));
  } else if (frame.type === "metrics") {
    decodeMetrics(frame);
  } else if (frame.type === "matches") {
    const n = Math.floor((frame.ids?.byteLength ?? 0) / 4);
    frame.ids = typedColumn(frame.ids, Uint32Array, n, "matches");
    frame.counts = typedColumn(frame.counts, Uint32Array, n, "matches");
  } else if (frame.type === "comparison") {
    const column = (bin, Type, size) => typedColumn(bin, Type, Math.floor((bin?.byteLength ?? 0) / size), "comparison");
    frame.nodes = column(frame.nodes, Uint32Array, 4);
    frame.diff_us = column(frame.diff_us, Float32Array, 4);
    frame.ratio = column(frame.ratio, Float32Array, 4);
    frame.only_b = column(frame.only_b, Uint32Array, 4);
    const ghosts = frame.ghosts ?? {};
    frame.ghosts = {
      anchor: column(ghosts.anchor, Uint32Array, 4), from: column(ghosts.from, Float32Array, 4),
      to: column(ghosts.to, Float32Array, 4), depth: column(ghosts.depth, Uint8Array, 1),
    };
  } else if (frame.type === "ranks") {
    const n = Math.floor((frame.ids?.byteLength ?? 0) / 4);
    frame.ids = typedColumn(frame.ids, Uint32Array, n, "ranks");
    frame.ranks = typedColumn(frame.ranks, Uint8Array, n, "ranks");
  } else if (frame.type === "revealed") {
    frame.nodes = typedColumn(frame.nodes, Uint32Array, Math.floor((frame.nodes?.byteLength ?? 0) / 4), "revealed");
  }
  return frame;
}

export const selectRequest = (id) => encode({ type: "select", id });
export const resyncRequest = () => encode({ type: "resync" });
/** A view: scene preset and/or trace (null keeps the current), and the wall's `page` (omitted: keep it). */
export const sceneRequest = ({ scene = null, trace = null, page = null }) =>
  encode(page === null ? { type: "scene", scene, trace } : { type: "scene", scene, trace, page });
export const expandRequest = (id) => encode({ type: "expand", id });
export const filterRequest = ({ text, service, operation, minDurationUs, errorsOnly }) => encode({
  type: "filter", text, service, operation, min_duration_us: minDurationUs, errors_only: errorsOnly,
});
/** Show spans of a trace in the waterfall, folds opened: a linked span (hex id) and/or node ids. */
export const revealRequest = ({ trace, span = null, nodes = [], select = null }) => encode({ type: "reveal", trace, span, nodes, select });
export const findingsRequest = (watch) => encode({ type: "findings", watch });
/** Colour spans by "service" (the scene's colours) or "percentile" (the server then sends `ranks`). */
export const colourRequest = (by) => encode({ type: "colour", by });
/** Show trace `b` against baseline `a` (hex ids): the server answers with `comparison`. */
export const compareRequest = (a, b) => encode({ type: "compare", a, b });
/** Drive a replay's clock: "play", "pause", "seek" (to `positionUs`) or "speed" (to `speed`). */
export const replayRequest = ({ action, positionUs = null, speed = null }) =>
  encode({ type: "replay", action, position_us: positionUs === null ? null : Math.round(positionUs), speed });
export const detailRequest = ({ depth = null, all = false, idle = true }) => encode({ type: "detail", depth, all, idle });
/** The waterfall's time window: [from, to] µs from the trace's start, or null for the whole trace. */
export const zoomRequest = (window) => encode({ type: "zoom", window });
/** How close the viewer sees the waterfall: `steps` times twice as close as the overview's distance (0–4),
 * in front of the time `around` ([from, to] µs from the trace's start; null: all of the picture). */
export const nearerRequest = (steps, around = null) => encode({ type: "nearer", steps, around });
/** The page's shape (its width over its height): the server lays scenes out to fit it and answers with a snapshot. */
// headset: the scenes are seen in a headset (the page's aspect then says nothing): vrmon/layout/page_shape.py's HEADSET
export const shapeRequest = (aspect, headset = false) => encode({ type: "shape", aspect, headset });

// Node ids from SUMMARY_BASE up to the services' ids are the waterfall's summary marks: calls
// folded at the overview, held by the span with node id (id - SUMMARY_BASE).
export const SUMMARY_BASE = 0xE0000000;
export const SERVICE_BASE = 0xF0000000;
export const isSummary = (id) => id >= SUMMARY_BASE && id < SERVICE_BASE;
