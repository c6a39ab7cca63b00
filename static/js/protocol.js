// The vrmon wire protocol on the browser side (docs/protocol.md): bytes ↔ frames, no socket.
// Mirrors vrmon/protocol.py. Node columns arrive as msgpack bin and become typed arrays without
// per-element decoding.
import { decode, encode } from "/vendor/msgpack/index.mjs";

export const PROTOCOL_VERSION = 1;
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
  color: [Uint8Array, 4],
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

/** A typed view of a msgpack bin; copied first when its offset is not aligned for the type. */
function typedColumn(bin, Type, length) {
  if (!(bin instanceof Uint8Array) || bin.byteLength !== length * Type.BYTES_PER_ELEMENT) {
    throw new Error(`node column has ${bin?.byteLength} bytes, expected ${length * Type.BYTES_PER_ELEMENT}`);
  }
  const source = bin.byteOffset % Type.BYTES_PER_ELEMENT === 0 ? bin : bin.slice();
  return new Type(source.buffer, source.byteOffset, length);
}

/** A node block as {count, ids, pos, size, color, service, operation, flags, yaw, duration} of typed arrays. */
export function decodeNodeBlock(block) {
  const count = block?.count;
  if (!Number.isInteger(count) || count < 0) throw new Error("node block needs a non-negative integer count");
  const nodes = { count };
  for (const [name, [Type, width]] of Object.entries(NODE_COLUMNS)) {
    nodes[name] = typedColumn(block[name], Type, count * width);
  }
  return nodes;
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
  } else if (frame.type === "delta") {
    frame.added = decodeNodeBlock(frame.added);
    frame.updated = decodeNodeBlock(frame.updated);
    frame.removed = typedColumn(frame.removed, Uint32Array, Math.floor((frame.removed?.byteLength ?? 0) / 4));
  }
  return frame;
}

export const selectRequest = (id) => encode({ type: "select", id });
export const resyncRequest = () => encode({ type: "resync" });
export const sceneRequest = ({ scene = null, trace = null }) => encode({ type: "scene", scene, trace });
