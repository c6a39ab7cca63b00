// The client's node table (static/js/data/node-table.js): rows stay dense and id → row stays
// right through snapshots, inserts, overwrites and removals; changes say which rows moved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { NodeTable, indexRows } from "../../static/js/data/node-table.js";
import { NODE_COLUMNS } from "../../static/js/data/protocol.js";

/** A decoded node block whose every value derives from the node id (so a row shows whose it is). */
function block(ids) {
  const out = { count: ids.length };
  for (const [name, [Type, width]] of Object.entries(NODE_COLUMNS)) {
    out[name] = new Type(ids.length * width);
    ids.forEach((id, i) => { for (let k = 0; k < width; k++) out[name][i * width + k] = name === "ids" ? id : (id * 10 + k) % 251; });
  }
  return out;
}

function assertConsistent(table) {
  assert.equal(table.rowOf.size, table.count);
  for (const [id, row] of table.rowOf) {
    assert.ok(row < table.count);
    assert.equal(table.ids[row], id);
    assert.equal(table.pos[row * 3 + 2], (id * 10 + 2) % 251, `pos of ${id}`);
    assert.equal(table.duration[row], (id * 10) % 251, `duration of ${id}`);
  }
}

test("a snapshot replaces everything and reports a reset", () => {
  const table = new NodeTable();
  table.replace(block([1, 2, 3]));
  assertConsistent(table);
  assert.deepEqual(table.takeChanges(), { reset: true, rows: null, added: null, removed: null });
  table.replace(block([7]));
  assert.deepEqual([...table.rowOf.keys()], [7]);
});

test("new nodes are appended, known ones overwritten in place", () => {
  const table = new NodeTable();
  table.replace(block([1, 2]));
  table.takeChanges();
  table.upsert(block([3, 4]));
  let changes = table.takeChanges();
  assert.deepEqual([...changes.added], [2, 3]);
  table.upsert(block([2, 5]));
  changes = table.takeChanges();
  assert.deepEqual([...changes.added], [4]);
  assert.deepEqual([...changes.rows].sort(), [1, 4]);
  assertConsistent(table);
});

test("removing a node moves the last row into its place and says where the removed one was", () => {
  const table = new NodeTable();
  table.replace(block([1, 2, 3, 4]));
  table.takeChanges();
  table.remove([2, 99]); // an unknown id is ignored
  const changes = table.takeChanges();
  assert.equal(table.count, 3);
  assert.deepEqual([...changes.removed], [1]);
  assert.deepEqual([...changes.rows], [1]); // node 4 moved from row 3 to row 1
  assert.equal(table.rowOf.get(4), 1);
  assertConsistent(table);
});

test("the table grows past its first capacity and keeps every row", () => {
  const table = new NodeTable();
  const ids = Array.from({ length: 3000 }, (_, i) => i + 1);
  table.replace(block(ids.slice(0, 1000)));
  table.upsert(block(ids.slice(1000)));
  assert.equal(table.count, 3000);
  assert.ok(table.capacity >= 3000);
  assertConsistent(table);
});

test("a snapshot whose id index was built ahead in steps gives the same table", () => {
  const ids = Array.from({ length: 40000 }, (_, i) => 7 + i * 3);
  const rowOf = new Map();
  let steps = 0;
  for (const _ of indexRows(block(ids), rowOf)) steps++;
  assert.equal(steps, 2); // 40,000 ids: three steps of at most 16,384, a pause between each
  const ahead = new NodeTable();
  ahead.replace(block(ids), rowOf);
  const atOnce = new NodeTable();
  atOnce.replace(block(ids));
  assert.deepEqual([...ahead.rowOf], [...atOnce.rowOf]);
  assert.deepEqual(ahead.ids.subarray(0, ahead.count), atOnce.ids.subarray(0, atOnce.count));
  assertConsistent(ahead);
});
