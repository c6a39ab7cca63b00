// The scene's nodes as growable columns (one typed array per protocol column) plus id → row.
// Rows stay dense: removing a node moves the last row into its place, so renderers can draw
// rows [0, count) and update only the rows a change touched. Changes also say which rows are
// new nodes and which rows (as drawn before) held removed ones, for fades.
import { NODE_COLUMNS } from "./protocol.js";
import { runAtOnce } from "./sliced-work.js";

const INITIAL_CAPACITY = 1024;
const INDEX_STEP = 16384; // ids put in the index per step of indexRows (~1.5 ms)
const COLUMNS = Object.entries(NODE_COLUMNS).map(([name, [Type, width]]) => ({ name, Type, width }));

export class NodeTable {
  constructor() {
    this.count = 0;
    this.capacity = 0;
    this.rowOf = new Map(); // node id → row
    this.changedRows = new Set(); // rows rewritten since the last takeChanges()
    this.addedRows = []; // rows of nodes new since the last takeChanges()
    this.removedRows = []; // rows removed nodes had before the first removal since takeChanges()
    this.reset = true; // every row changed (snapshot) since the last takeChanges()
    this.grow(INITIAL_CAPACITY);
  }

  grow(minimum) {
    if (minimum <= this.capacity) return;
    let capacity = Math.max(this.capacity * 2, INITIAL_CAPACITY);
    while (capacity < minimum) capacity *= 2;
    for (const { name, Type, width } of COLUMNS) {
      const column = new Type(capacity * width);
      if (this[name]) column.set(this[name].subarray(0, this.count * width));
      this[name] = column;
    }
    this.capacity = capacity;
  }

  /** Replace everything with a decoded node block (a snapshot); `rowOf`: its id → row, if indexRows built it. */
  replace(block, rowOf = null) {
    this.count = 0;
    this.changedRows.clear();
    this.addedRows.length = 0;
    this.removedRows.length = 0;
    this.grow(block.count);
    for (const { name, width } of COLUMNS) {
      this[name].set(block[name].subarray(0, block.count * width));
    }
    if (rowOf) {
      this.rowOf = rowOf;
    } else {
      this.rowOf.clear();
      runAtOnce(indexRows(block, this.rowOf));
    }
    this.count = block.count;
    this.reset = true;
  }

  /** Insert or overwrite every node of a decoded block (delta `added` and `updated`). */
  upsert(block) {
    this.grow(this.count + block.count);
    if (this.allNew(block)) return this.append(block);
    for (let i = 0; i < block.count; i++) {
      const id = block.ids[i];
      let row = this.rowOf.get(id);
      if (row === undefined) {
        row = this.count++;
        this.rowOf.set(id, row);
        this.addedRows.push(row);
      }
      this.copyRow(block, i, row);
      this.changedRows.add(row);
    }
  }

  allNew(block) {
    for (let i = 0; i < block.count; i++) if (this.rowOf.has(block.ids[i])) return false;
    return new Set(block.ids).size === block.count;
  }

  /** A block of nodes none of which is here yet: one copy per column (the common `added` case). */
  append(block) {
    const first = this.count;
    for (const { name, width } of COLUMNS) this[name].set(block[name].subarray(0, block.count * width), first * width);
    for (let i = 0; i < block.count; i++) {
      const row = first + i;
      this.rowOf.set(block.ids[i], row);
      this.addedRows.push(row);
      this.changedRows.add(row);
    }
    this.count += block.count;
  }

  remove(ids) {
    // Where the removed nodes were drawn: rows before this removal moves any of them.
    if (!this.reset && this.changedRows.size === 0) {
      for (const id of ids) {
        const row = this.rowOf.get(id);
        if (row !== undefined) this.removedRows.push(row);
      }
    }
    for (const id of ids) {
      const row = this.rowOf.get(id);
      if (row === undefined) continue;
      this.rowOf.delete(id);
      const last = --this.count;
      if (row !== last) {
        this.copyRow(this, last, row);
        this.rowOf.set(this.ids[row], row);
        this.changedRows.add(row);
      }
      this.changedRows.delete(last);
    }
  }

  copyRow(source, from, to) {
    for (const { name, width } of COLUMNS) {
      const src = source[name];
      const dst = this[name];
      for (let k = 0; k < width; k++) dst[to * width + k] = src[from * width + k];
    }
  }

  /**
   * What changed since the last call: {reset, rows, added, removed}. `rows` lists changed rows
   * < count; `added` the rows of new nodes; `removed` the rows removed nodes had as last drawn
   * (every list is null after a reset).
   */
  takeChanges() {
    const changes = this.reset
      ? { reset: true, rows: null, added: null, removed: null }
      : { reset: false, rows: Uint32Array.from(this.changedRows), added: Uint32Array.from(this.addedRows), removed: Uint32Array.from(this.removedRows) };
    this.reset = false;
    this.changedRows.clear();
    this.addedRows.length = 0;
    this.removedRows.length = 0;
    return changes;
  }
}

/** Put a node block's id → row into `rowOf`, INDEX_STEP ids per step (a yield between steps). */
export function* indexRows(block, rowOf) {
  for (let from = 0; from < block.count; from += INDEX_STEP) {
    const to = Math.min(block.count, from + INDEX_STEP);
    for (let row = from; row < to; row++) rowOf.set(block.ids[row], row);
    if (to < block.count) yield;
  }
}
