// Python and JavaScript read the same wire: frames encoded by vrmon/protocol.py (written by
// tests/test_client_js.py into VRMON_PARITY_DIR with what Python decodes from them) are decoded
// here by static/js/data/protocol.js, and every column must match, value for value. The
// requests this side encodes are written back for Python to parse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  EDGE_COLUMNS, NODE_COLUMNS, decodeServerFrame, nearerRequest, resyncRequest, sceneRequest, selectRequest, zoomRequest,
} from "../../static/js/data/protocol.js";

const dir = process.env.VRMON_PARITY_DIR;
const expected = dir ? JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")) : null;
const TYPES = { "<u4": Uint32Array, "<f4": Float32Array, "<u2": Uint16Array, "<i2": Int16Array, "u1": Uint8Array, "|u1": Uint8Array };

test("the column tables are the same: names, order, types and widths", { skip: !dir }, () => {
  for (const [table, columns] of [["nodes", NODE_COLUMNS], ["edges", EDGE_COLUMNS]]) {
    const python = expected.columns[table];
    assert.deepEqual(Object.keys(columns), Object.keys(python), table);
    for (const [name, [dtype, width]] of Object.entries(python)) {
      assert.equal(columns[name][0], TYPES[dtype], `${table}.${name} is ${dtype}`);
      assert.equal(columns[name][1], width, `${table}.${name} width`);
    }
  }
});

test("every frame decodes to Python's values, column by column", { skip: !dir }, () => {
  const names = Object.keys(expected.frames);
  assert.ok(names.length >= 5, names.join());
  for (const name of names) {
    const want = expected.frames[name];
    const frame = decodeServerFrame(readFileSync(path.join(dir, `${name}.msgpack`)));
    assert.equal(frame.type, want.type, name);
    for (const [key, columns] of Object.entries(want.blocks)) {
      assert.equal(frame[key].count, want.counts[key], `${name}.${key}.count`);
      for (const [column, values] of Object.entries(columns)) {
        assert.deepEqual(Array.from(frame[key][column]), values, `${name}.${key}.${column}`);
      }
    }
    for (const [key, values] of Object.entries(want.arrays)) {
      assert.deepEqual(Array.from(frame[key]), values, `${name}.${key}`);
    }
    for (const [key, value] of Object.entries(want.fields)) {
      assert.deepEqual(frame[key], value, `${name}.${key}`);
    }
  }
});

test("requests encoded here are written for Python to parse", { skip: !dir }, () => {
  writeFileSync(path.join(dir, "request-select.msgpack"), selectRequest(4242));
  writeFileSync(path.join(dir, "request-resync.msgpack"), resyncRequest());
  writeFileSync(path.join(dir, "request-scene.msgpack"), sceneRequest({ scene: "wall", trace: "00ab" }));
  writeFileSync(path.join(dir, "request-zoom.msgpack"), zoomRequest([1500.25, 90_000]));
  writeFileSync(path.join(dir, "request-nearer.msgpack"), nearerRequest(3, [2000, 64_000.5]));
});
