// The wire decoding of static/js/data/protocol.js, on frames built here with the same msgpack
// library the browser uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encode } from "/vendor/msgpack/index.mjs";
import { NODE_COLUMNS, PROTOCOL_VERSION, decodeNodeBlock, decodeServerFrame, durationCode } from "../../static/js/data/protocol.js";

const bin = (array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

function nodeBlock(ids) {
  const n = ids.length;
  return {
    count: n, ids: bin(Uint32Array.from(ids)), pos: bin(new Float32Array(n * 3).fill(1.5)), size: bin(new Float32Array(n * 3).fill(0.25)),
    color: bin(new Uint8Array(n * 3).fill(7)), service: bin(new Uint16Array(n).fill(2)), operation: bin(new Uint16Array(n).fill(3)),
    flags: bin(new Uint8Array(n).fill(1)), yaw: bin(new Int16Array(n).fill(-5)), duration: bin(new Uint8Array(n).fill(9)),
  };
}

test("a snapshot's node columns become typed arrays of the declared types", () => {
  const frame = decodeServerFrame(encode({ type: "snapshot", version: PROTOCOL_VERSION, seq: 0, nodes: nodeBlock([4, 5]) }));
  for (const [name, [Type, width]] of Object.entries(NODE_COLUMNS)) {
    assert.ok(frame.nodes[name] instanceof Type, name);
    assert.equal(frame.nodes[name].length, 2 * width, name);
  }
  assert.deepEqual([...frame.nodes.ids], [4, 5]);
  assert.deepEqual([...frame.nodes.yaw], [-5, -5]);
  assert.equal(frame.edges.count, 0); // no edges: an empty block, not undefined
});

test("a column whose offset is not aligned for its type is copied, not misread", () => {
  const block = nodeBlock([1, 2, 3]);
  const shifted = new Uint8Array(block.pos.byteLength + 1);
  shifted.set(block.pos, 1);
  block.pos = shifted.subarray(1);
  assert.deepEqual([...decodeNodeBlock(block).pos], new Array(9).fill(1.5));
});

test("a snapshot of another protocol version is refused with both versions named", () => {
  assert.throws(() => decodeServerFrame(encode({ type: "snapshot", version: 1, nodes: nodeBlock([]) })),
    /server speaks protocol version 1, this viewer speaks 2/);
});

test("a column of the wrong size, a missing count or a frame without a type is an error", () => {
  const block = nodeBlock([1]);
  block.size = block.size.subarray(0, 4);
  assert.throws(() => decodeNodeBlock(block), /node column has 4 bytes, expected 12/);
  assert.throws(() => decodeNodeBlock({ ...nodeBlock([1]), count: -1 }), /non-negative integer count/);
  assert.throws(() => decodeServerFrame(encode([1, 2])), /not a msgpack map with a type/);
});

test("a delta's removed ids and a metrics frame's CPU column are typed arrays", () => {
  const delta = decodeServerFrame(encode({
    type: "delta", seq: 3, added: nodeBlock([9]), updated: nodeBlock([]), removed: bin(Uint32Array.from([1, 70000])),
  }));
  assert.deepEqual([...delta.removed], [1, 70000]);
  assert.equal(delta.added.count, 1);
  const metrics = decodeServerFrame(encode({ type: "metrics", cpu: bin(Float32Array.from([12.5, 50])), load: null }));
  assert.deepEqual([...metrics.cpu], [12.5, 50]);
  assert.deepEqual(metrics.load, []);
  assert.throws(() => decodeServerFrame(encode({ type: "metrics", cpu: new Uint8Array(3) })), /float32 binary/);
});

test("duration codes: eighths of an octave from 1 µs, 0 for nothing, capped at 255", () => {
  assert.equal(durationCode(0), 0);
  assert.equal(durationCode(Number.NaN), 0);
  assert.equal(durationCode(1), 1);
  assert.equal(durationCode(2), 9);
  assert.equal(durationCode(1e30), 255);
});
