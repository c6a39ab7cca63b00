// The viewer's span filter (static/js/data/node-filter.js) over a real node table: which rows
// match each criterion, how matches are counted and ordered, and that bad input filters nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { NodeFilter, NO_FILTER } from "../../static/js/data/node-filter.js";
import { NodeTable } from "../../static/js/data/node-table.js";
import { durationCode, FLAG, NODE_COLUMNS, SUMMARY_BASE } from "../../static/js/data/protocol.js";

const SERVICES = ["frontend", "driver", "redis"];
const OPERATIONS = ["GET /dispatch", "FindDriverIDs", "GetDriver"];

/** Nodes as {id, service, operation, us, error, x, y}: a decoded node block for a NodeTable. */
function table(nodes) {
  const block = { count: nodes.length };
  for (const [name, [Type, width]] of Object.entries(NODE_COLUMNS)) block[name] = new Type(nodes.length * width);
  nodes.forEach((n, i) => {
    block.ids[i] = n.id;
    block.service[i] = n.service;
    block.operation[i] = n.operation;
    block.duration[i] = durationCode(n.us);
    block.flags[i] = n.error ? FLAG.error : 0;
    block.pos.set([n.x ?? i, n.y ?? 0, 0], i * 3);
    block.size.set([1, 0.3, 0.3], i * 3);
  });
  const nodeTable = new NodeTable();
  nodeTable.replace(block);
  return nodeTable;
}

const NODES = [
  { id: 1, service: 0, operation: 0, us: 700_000, x: 0, y: 3 },
  { id: 2, service: 1, operation: 1, us: 20_000, error: true, x: 1, y: 2 },
  { id: 3, service: 2, operation: 2, us: 300, x: 2, y: 1 },
  { id: 4, service: 2, operation: 2, us: 250, error: true, x: 2, y: 0.5 },
];

function filtered(criteria, nodes = table(NODES), traceOnShow = null) {
  const filter = new NodeFilter();
  filter.set(criteria);
  filter.matchNames(SERVICES, OPERATIONS, traceOnShow);
  filter.matchRows(nodes, null);
  return { filter, nodes, ids: filter.matchingIds(nodes) };
}

test("with no criteria every row matches and nothing is active", () => {
  const { filter, ids } = filtered({});
  assert.equal(filter.active, false);
  assert.equal(filter.count, 4);
  assert.deepEqual(ids, [1, 2, 3, 4]);
});

test("each criterion filters on its own and together they all must hold", () => {
  assert.deepEqual(filtered({ text: "DRIVER" }).ids, [2, 3, 4]); // service "driver", operations *Driver*
  assert.deepEqual(filtered({ service: "redis" }).ids, [3, 4]);
  assert.deepEqual(filtered({ operation: "FindDriverIDs" }).ids, [2]);
  assert.deepEqual(filtered({ errorsOnly: true }).ids, [2, 4]);
  assert.deepEqual(filtered({ minDurationUs: 10_000 }).ids, [1, 2]);
  assert.deepEqual(filtered({ service: "redis", errorsOnly: true }).ids, [4]);
  assert.deepEqual(filtered({ service: "no-such-service" }).ids, []);
});

test("matches are in reading order (left edge, then top first) and numbered from 1", () => {
  const { filter, nodes, ids } = filtered({ service: "redis" });
  assert.deepEqual(ids, [3, 4]); // same left edge: the higher bar first
  assert.equal(filter.matchNumber(nodes, 4), 2);
  assert.equal(filter.matchNumber(nodes, 1), 0); // not a match
});

test("hex text of 4 or more characters matches the trace on show and span ids learned from details", () => {
  assert.equal(filtered({ text: "abcd" }, table(NODES), "ABCD1234").filter.count, 4);
  const { filter, nodes } = filtered({ text: "beef" });
  assert.equal(filter.count, 0);
  assert.equal(filter.idText, "beef"); // an id search: spans whose ids arrive may match now
  filter.knownIds.set(3, ["beef0001", "ffff"]);
  filter.matchRows(nodes, null);
  assert.deepEqual(filter.matchingIds(nodes), [3]);
  assert.equal(filtered({ text: "bee" }).filter.idText, ""); // too short to be an id
});

test("summary marks match when the server counts matches inside them, and count each one", () => {
  const summary = SUMMARY_BASE + 1;
  const nodes = table([...NODES, { id: summary, service: 0, operation: 0, us: 1, x: 9 }]);
  const { filter } = filtered({ service: "redis" }, nodes);
  assert.equal(filter.count, 2);
  filter.setSummaryMatches([summary], [5]);
  filter.matchRows(nodes, null);
  assert.equal(filter.count, 7);
  filter.set({ service: "redis" }); // new criteria: the old counts are void until the server answers
  assert.equal(filter.summaryMatches.size, 0);
});

test("rows a change touches are matched again; the mask grows with the table", () => {
  const { filter, nodes } = filtered({ errorsOnly: true });
  const more = table(Array.from({ length: 300 }, (_, i) => ({ id: 100 + i, service: 0, operation: 0, us: 5, error: i % 3 === 0 })));
  filter.matchRows(more, null);
  assert.ok(filter.mask.length >= more.capacity);
  assert.equal(filter.count, 100);
  assert.equal(nodes.count, 4);
});

test("what a user typed is checked: nonsense filters nothing", () => {
  for (const nonsense of [null, 42, "text", { minDurationUs: "soon", service: 7, errorsOnly: "yes", text: ["x"] }]) {
    const filter = new NodeFilter();
    assert.deepEqual(filter.set(nonsense), NO_FILTER);
    assert.equal(filter.active, false);
  }
});
