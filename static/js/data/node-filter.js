// The viewer's span filter: which node rows match {text, service, operation, minDurationUs,
// errorsOnly}. Pure (no A-Frame, no DOM): the vrmon-data system owns one, keeps it in step with
// its node table and the name tables, and tells components through vrmon-filter.
// `mask` holds one byte per node row (1 = matches), rewritten for every row a change touches.
import { durationCode, FLAG, isSummary } from "./protocol.js";

const ID_PREFIX_MIN = 4; // shorter hex text would match a trace or span id far too often
export const NO_FILTER = Object.freeze({ text: "", service: "", operation: "", minDurationUs: 0, errorsOnly: false });

export class NodeFilter {
  /** `knownIds`: node id → [span id, trace id] (lowercase hex) of the spans whose details came. */
  constructor(knownIds = new Map()) {
    this.criteria = NO_FILTER;
    this.active = false;
    this.mask = new Uint8Array(0);
    this.count = 0; // matching nodes, plus the matches the server counts inside summary marks
    this.summaryMatches = new Map(); // summary node id → how many folded spans it holds match (the server counts)
    this.knownIds = knownIds;
    this.matchNames([], [], null);
  }

  /**
   * Take new criteria, any subset of {text, service, operation, minDurationUs, errorsOnly} (the
   * others, or {}, do not filter). Checked here: the search bar and the VR wrist menu pass on what
   * the user typed. `text` matches service and operation names (any part, any case) and, with 4 or
   * more hex characters, the start of the trace id on show and of the span ids loaded; `service`
   * and `operation` are exact names. Call matchNames and matchRows after.
   */
  set(given) {
    const filter = given !== null && typeof given === "object" ? given : {};
    const minDurationUs = Number(filter.minDurationUs);
    this.criteria = Object.freeze({
      text: typeof filter.text === "string" ? filter.text.trim().toLowerCase() : "",
      service: typeof filter.service === "string" ? filter.service : "",
      operation: typeof filter.operation === "string" ? filter.operation : "",
      minDurationUs: Number.isFinite(minDurationUs) && minDurationUs > 0 ? minDurationUs : 0,
      errorsOnly: filter.errorsOnly === true,
    });
    const f = this.criteria;
    this.active = Boolean(f.text || f.service || f.operation || f.minDurationUs || f.errorsOnly);
    this.summaryMatches = new Map(); // the server answers `matches` for the new criteria
    return this.criteria;
  }

  /** Per-name tables for the criteria: names containing the text, the exact service and operation
   * asked for; `traceOnShow` is the hex id of the scene's trace (or null). */
  matchNames(services, operations, traceOnShow) {
    const { text, service, operation, minDurationUs } = this.criteria;
    const containsText = (name) => (text && String(name).toLowerCase().includes(text) ? 1 : 0);
    this.serviceText = Uint8Array.from(services, containsText);
    this.operationText = Uint8Array.from(operations, containsText);
    // An exact name not in the table matches nothing (-2); -1 means any.
    this.serviceIndex = service ? nameIndex(services, service) : -1;
    this.operationIndex = operation ? nameIndex(operations, operation) : -1;
    this.minDurationCode = durationCode(minDurationUs);
    this.idText = text.length >= ID_PREFIX_MIN && /^[0-9a-f]+$/.test(text) ? text : "";
    this.traceOnShowMatches = Boolean(this.idText && traceOnShow?.toLowerCase().startsWith(this.idText));
  }

  /** Rewrite the mask for `rows` of `nodes` (a NodeTable; all rows when null) and recount. */
  matchRows(nodes, rows) {
    if (this.mask.length < nodes.capacity) {
      const grown = new Uint8Array(nodes.capacity);
      grown.set(this.mask);
      this.mask = grown;
    }
    if (!this.active) {
      this.count = nodes.count;
      return;
    }
    if (rows === null) for (let row = 0; row < nodes.count; row++) this.mask[row] = this.matchRow(nodes, row);
    else for (const row of rows) this.mask[row] = this.matchRow(nodes, row);
    let count = 0;
    for (let row = 0; row < nodes.count; row++) count += this.mask[row];
    // a lit summary mark counts every match it holds
    for (const [id, held] of this.summaryMatches) if (nodes.rowOf.has(id)) count += held - 1;
    this.count = count;
  }

  matchRow(nodes, row) {
    const id = nodes.ids[row];
    if (isSummary(id)) return this.summaryMatches.has(id) ? 1 : 0;
    if (this.criteria.errorsOnly && !(nodes.flags[row] & FLAG.error)) return 0;
    if (nodes.duration[row] < this.minDurationCode) return 0;
    const s = nodes.service[row];
    const o = nodes.operation[row];
    if (this.serviceIndex !== -1 && s !== this.serviceIndex) return 0;
    if (this.operationIndex !== -1 && o !== this.operationIndex) return 0;
    if (!this.criteria.text || this.serviceText[s] || this.operationText[o] || this.traceOnShowMatches) return 1;
    const known = this.idText ? this.knownIds.get(id) : undefined;
    return known && (known[0].startsWith(this.idText) || known[1].startsWith(this.idText)) ? 1 : 0;
  }

  /** Whether a node row passes (every row does when nothing filters). */
  rowMatches(row) {
    return !this.active || this.mask[row] === 1;
  }

  /** The server's count of matches inside each summary mark (a `matches` frame). */
  setSummaryMatches(ids, counts) {
    this.summaryMatches = new Map(Array.from(ids, (id, i) => [id, counts[i]]));
  }

  /** Ids of the matching nodes in reading order: by the bar's left edge, then top first. */
  matchingIds(nodes) {
    const rows = [];
    for (let row = 0; row < nodes.count; row++) if (this.rowMatches(row)) rows.push(row);
    rows.sort((a, b) => readingOrder(nodes, a, b));
    return rows.map((row) => nodes.ids[row]);
  }

  /** 1-based place of node `id` among the matches in reading order, 0 if it does not match. */
  matchNumber(nodes, id) {
    const row = nodes.rowOf.get(id);
    if (row === undefined || !this.rowMatches(row)) return 0;
    let before = 0;
    for (let other = 0; other < nodes.count; other++) {
      if (this.rowMatches(other) && readingOrder(nodes, other, row) < 0) before++;
    }
    return before + 1;
  }
}

function readingOrder({ pos, size, ids }, a, b) {
  const left = (pos[a * 3] - size[a * 3] / 2) - (pos[b * 3] - size[b * 3] / 2);
  return left || pos[b * 3 + 1] - pos[a * 3 + 1] || ids[a] - ids[b];
}

function nameIndex(table, name) {
  const index = table.indexOf(name);
  return index === -1 ? -2 : index;
}
