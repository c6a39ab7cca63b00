// Owns the websocket and the decoded scene. Components never touch the socket: they read the
// state kept here and listen to the events emitted on the scene element:
//   vrmon-connection {connected}     vrmon-scene {scene, snapshot}   vrmon-nodes {reset, rows, added, removed}
//   vrmon-services                   vrmon-labels {labels}           vrmon-traces
//   vrmon-selection {id, gone}       vrmon-details {span}            vrmon-status {status}
//   vrmon-error {message, request}   vrmon-edges {edges}             vrmon-metrics {metrics}
//   vrmon-filter {matches, active, reset}  vrmon-hover {id, row, previousRow, x, y}
//   vrmon-findings {frame}           vrmon-revealed {trace, nodes, select}
//   vrmon-ranks {ids, ranks}             vrmon-comparison-frame {frame}
//   vrmon-replay {frame}             vrmon-lookup {trace, message}
// The filter (`nodeFilter`, see node-filter.js; changed with setFilter) is kept in step with the
// rows: every row a change touches is matched again before vrmon-nodes goes out. vrmon-filter
// gives the number of matches; `reset` says every row's match may differ.
import {
  decodeServerFrame, detailRequest, emptyEdgeBlock, expandRequest, filterRequest, isSummary, nearerRequest, resyncRequest,
  revealRequest, sceneRequest, selectRequest, zoomRequest,
} from "./protocol.js";
import { NodeFilter, NO_FILTER } from "./node-filter.js";
import { socketUrl } from "./page-aspect.js";
import { NodeTable, indexRows } from "./node-table.js";
import { HUGE_SCENE_ROWS, SlicedWork, nextRenderingOpportunity, runAtOnce } from "./sliced-work.js";

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10000;

AFRAME.registerSystem("vrmon-data", {
  schema: {
    url: { default: "" }, // websocket URL; empty means /ws on the page's own host
  },

  init() {
    this.nodes = new NodeTable();
    // Frames are applied in order, one at a time; what a huge snapshot makes the scene do (writing
    // 200k instances) is done in slices, and frames arriving meanwhile wait their turn.
    this.work = new SlicedWork({ pause: nextRenderingOpportunity(this.el) });
    // Work a huge scene can do after it is drawn (the spans' picking tree), between frames; frames
    // and what they cause do not wait for it.
    this.background = new SlicedWork({ pause: nextRenderingOpportunity(this.el), eager: false });
    this.services = [];
    this.operations = [];
    this.serviceColors = []; // service index → "#rrggbb", for the services seen in this scene's nodes
    this.traces = new Map(); // trace id → summary
    this.labels = [];
    this.edges = emptyEdgeBlock(); // the scene's edges (services scene), replaced whole
    this.metrics = null; // the latest host metrics frame; null until the server sends one
    this.findingsBytes = null; // the latest findings frame as received
    this.scene = null; // the snapshot's scene map: {name, layout, trace, title, bounds}
    this.seq = -1;
    this.awaitingSnapshot = true;
    this.connected = false;
    this.selectedId = null;
    this.hoveredId = null; // the node under the mouse or a laser (null: none), and its row (-1: none)
    this.hoveredRow = -1;
    this.sourceStatus = new Map(); // source name → latest status frame
    this.knownIds = new Map(); // node id → [span id, trace id] (hex), from details answers
    this.nodeFilter = new NodeFilter(this.knownIds); // what the search and the wrist menu filter by, and which rows match
    this.zoomInFlight = false; // a zoom request is waiting for its snapshot
    this.zoomWanted = undefined; // the newest window asked for meanwhile (undefined: none)
    this.reconnectDelay = RECONNECT_FIRST_MS;
    this.connect();
  },

  // -- connection ------------------------------------------------------------------------

  connect() {
    const url = this.data.url || socketUrl();
    const early = takeEarlySocket(this.data.url); // the page's first socket, opened before A-Frame loaded
    const socket = early?.socket ?? new WebSocket(url);
    const handlers = {
      onopen: () => {
        this.reconnectDelay = RECONNECT_FIRST_MS;
        this.setConnected(true);
        // A new connection starts on the server's default view: ask for the one we were showing.
        if (this.scene) this.switchScene({ scene: this.scene.name, trace: this.scene.trace, page: this.scene.page ?? null });
        if (this.scene?.detail?.window) this.zoomTime(this.scene.detail.window); // and the time it was zoomed into
      },
      onmessage: (event) => this.receive(event.data),
      onclose: () => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.awaitingSnapshot = true; // the server sends a fresh snapshot on the next connection
        this.zoomInFlight = false;
        this.setConnected(false);
        // Jitter keeps many viewers from reconnecting in lockstep after a server restart.
        const delay = this.reconnectDelay * (0.75 + Math.random() * 0.5);
        this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
        this.reconnectTimer = setTimeout(() => this.connect(), delay);
      },
    };
    this.socket = socket;
    if (!early) {
      socket.binaryType = "arraybuffer";
      Object.assign(socket, handlers);
      return;
    }
    // What came early is handed over once every component listens (they initialise before `loaded`).
    const handOver = () => early.handOver(handlers);
    if (this.el.hasLoaded) handOver();
    else this.el.addEventListener("loaded", handOver, { once: true });
  },

  setConnected(connected) {
    if (this.connected === connected) return;
    this.connected = connected;
    this.emit("vrmon-connection", { connected });
  },

  send(bytes) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(bytes);
    return true;
  },

  /**
   * What a change of the nodes costs a component (`job`: a function, or an iterator whose yields
   * are where it may pause): done at once in a scene of up to HUGE_SCENE_ROWS nodes, else in the
   * system's work slices, after the change and before the next frame is applied.
   */
  sceneWork(job) {
    if (this.nodes.count > HUGE_SCENE_ROWS) this.work.run(job);
    else runAtOnce(job);
  },

  emit(name, detail) {
    // What listeners change gets drawn. Host metrics (1 Hz) are drawn in 3D only in a headset,
    // which draws every frame anyway; on a screen the DOM gauge shows them: a view at rest stays so.
    if (name !== "vrmon-metrics") this.el.systems["render-on-demand"]?.requestFrame();
    this.el.emit(name, detail, false);
  },

  // -- requests --------------------------------------------------------------------------

  select(id) {
    this.selectedId = id;
    this.send(selectRequest(id));
    this.emit("vrmon-selection", { id });
  },

  /** What a click or trigger on a node does: a summary mark opens, anything else is selected. */
  activate(id) {
    if (isSummary(id)) this.send(expandRequest(id));
    else this.select(id);
  },

  /**
   * The waterfall's level of detail: {depth: null} the overview, {depth: N} down to call depth N,
   * {all: true} every span; `idle` (default: as now) compresses long idle stretches to breaks.
   */
  setDetail({ depth = null, all = false, idle = this.scene?.detail?.idle ?? true } = {}) {
    this.send(detailRequest({ depth, all, idle }));
  },

  /**
   * The node pointed at: under the desktop mouse (`x`, `y`: where on the page, for the tooltip)
   * or a headset's laser; null for none. Rows move with node changes: the system keeps the row.
   */
  setHover(id, x = 0, y = 0) {
    const row = id === null ? -1 : this.nodes.rowOf.get(id) ?? -1;
    const previousRow = this.hoveredRow;
    if (row === -1 && previousRow === -1) return;
    this.hoveredId = row === -1 ? null : id;
    this.hoveredRow = row;
    this.emit("vrmon-hover", { id: this.hoveredId, row, previousRow, x, y });
  },

  /**
   * The waterfall's time window: [from, to] µs from the trace's start, or null for the whole
   * trace. One request at a time: a wheel or a drag asks for many windows, and while one is laid
   * out only the newest of the others waits (each answer is a snapshot of the new window).
   */
  zoomTime(timeWindow) {
    this.zoomWanted = timeWindow;
    if (!this.zoomInFlight) this.sendZoom();
  },

  /**
   * The waterfall seen `steps` times twice as close as the overview's distance (a headset viewer
   * walking up to it), standing in front of the time `around` ([from, to] true µs; null: all of
   * the picture): the server folds that much finer there and answers with a snapshot.
   */
  seeNearer(steps, around = null) {
    this.send(nearerRequest(steps, around));
  },

  /** Whether a zoom is on its way or waiting: the view shown is not yet the window asked for. */
  zoomPending() {
    return this.zoomInFlight || this.zoomWanted !== undefined;
  },

  sendZoom() {
    const timeWindow = this.zoomWanted;
    this.zoomInFlight = false;
    if (timeWindow === undefined) return;
    this.zoomWanted = undefined;
    this.zoomInFlight = this.send(zoomRequest(timeWindow));
  },

  /** No node selected; `gone`: the selected node left the scene (a live update, not the user). */
  clearSelection({ gone = false } = {}) {
    if (this.selectedId === null) return;
    this.selectedId = null;
    this.emit("vrmon-selection", { id: null, gone });
  },

  switchScene({ scene = null, trace = null, page = null }) {
    this.send(sceneRequest({ scene, trace, page }));
  },

  /**
   * Show spans of trace `trace` (hex) in the waterfall with the folds above them opened: a span
   * by hex id (a link) and/or node ids (a finding's spans); the server answers `revealed` after
   * the snapshot, and the linked span (or `select`) is then selected.
   */
  reveal({ trace, span = null, nodes = [], select = null }) {
    this.send(revealRequest({ trace, span, nodes: Array.from(nodes), select }));
  },

  /** "service: operation" of the node in `row`; just the service for a service-graph node. */
  nodeLabel(row) {
    const service = this.services[this.nodes.service[row]] ?? "?";
    const id = this.nodes.ids[row];
    if (isSummary(id)) {
      const held = this.nodeFilter.active ? ` · ${this.nodeFilter.summaryMatches.get(id) ?? 0} matches inside` : "";
      return `folded calls, mostly ${service}${held} (click to open)`;
    }
    const operation = this.operations[this.nodes.operation[row]]; // none (NO_STRING) for a service node
    return operation === undefined ? service : `${service}: ${operation}`;
  },

  /** A service's colour, the same in every scene: the scene's palette by service index (as the
   * server's layouts colour spans); undefined before a scene arrives. */
  serviceColor(index) {
    const palette = this.scene?.palette;
    return palette?.length ? palette[index % palette.length] : undefined;
  },

  /** Trace summaries, newest first. */
  traceList() {
    return [...this.traces.values()].sort((a, b) => b.start_us - a.start_us);
  },

  // -- frames ----------------------------------------------------------------------------

  /** A frame from the server: applied now, or after the work of the frames before it. */
  receive(data) {
    if (typeof data === "string") return; // the protocol is binary only
    this.work.run(this.frameSteps(data));
  },

  /**
   * Decode and apply a frame. A huge snapshot's id → row index is built first, in steps (the
   * scene before it stays whole meanwhile, for the pointer and the panels), then put in at once.
   */
  *frameSteps(data) {
    let frame;
    try {
      frame = decodeServerFrame(data);
    } catch (error) {
      console.warn("vrmon: unreadable frame from the server", error);
      this.emit("vrmon-error", { message: `Could not read a frame from the server (${error.message}); reloading the scene`, request: null });
      this.resync();
      return;
    }
    let rowOf = null;
    if (frame.type === "snapshot" && frame.nodes.count > HUGE_SCENE_ROWS) {
      rowOf = new Map();
      yield* indexRows(frame.nodes, rowOf);
    }
    this.applyFrame(frame, data, rowOf);
  },

  applyFrame(frame, data, rowOf) {
    switch (frame.type) {
      case "snapshot": return this.applySnapshot(frame, rowOf);
      case "delta": return this.applyDelta(frame);
      case "status":
        this.sourceStatus.set(frame.source, frame);
        return this.emit("vrmon-status", { status: frame });
      case "details":
        if (typeof frame.span?.span_id === "string") {
          this.knownIds.set(frame.span.id, [frame.span.span_id.toLowerCase(), String(frame.span.trace_id).toLowerCase()]);
          if (this.nodeFilter.idText) this.setFilter(this.nodeFilter.criteria); // an id search may match this span now
        }
        if (frame.span?.id === this.selectedId) this.emit("vrmon-details", { span: frame.span });
        return;
      case "error":
        if (this.zoomInFlight) this.sendZoom(); // a refused zoom gets no snapshot
        return this.emit("vrmon-error", { message: frame.message, request: frame.request });
      case "metrics":
        this.metrics = frame;
        return this.emit("vrmon-metrics", { metrics: frame });
      case "findings":
        // The server sends them again after every snapshot: the same bytes change nothing, and would
        // cost a frame of their own (3.5 s after E on a 200k-span trace with software GL).
        if (sameBytes(data, this.findingsBytes)) return;
        this.findingsBytes = new Uint8Array(data.slice(0));
        return this.emit("vrmon-findings", { frame });
      case "comparison":
        return this.emit("vrmon-comparison-frame", { frame });
      case "ranks":
        return this.emit("vrmon-ranks", { ids: frame.ids, ranks: frame.ranks });
      case "lookup": // a link named a trace the server lacks: it is asking its live sources for it
        return this.emit("vrmon-lookup", { trace: frame.trace, message: frame.message });
      case "revealed":
        if (frame.select !== null && frame.select !== undefined && this.nodes.rowOf.has(frame.select)) this.select(frame.select);
        return this.emit("vrmon-revealed", { trace: frame.trace, nodes: frame.nodes, select: frame.select ?? null });
      case "matches":
        this.nodeFilter.setSummaryMatches(frame.ids, frame.counts);
        if (!this.nodeFilter.active) return;
        this.nodeFilter.matchRows(this.nodes, null);
        return this.emit("vrmon-filter", { matches: this.nodeFilter.count, active: true, reset: true });
      case "replay": // the replay clock (data/replay-clock.js keeps it)
        return this.emit("vrmon-replay", { frame });
      default:
        return; // frame types from newer servers are ignored
    }
  },

  resync() {
    this.awaitingSnapshot = true;
    this.send(resyncRequest());
  },

  /** A snapshot replaces the scene; `rowOf`: its nodes' id → row, if built already (else built here). */
  applySnapshot(frame, rowOf = null) {
    this.seq = frame.seq;
    this.awaitingSnapshot = false;
    this.scene = frame.scene;
    this.services = frame.services.slice();
    this.operations = frame.operations.slice();
    this.serviceColors = [];
    this.traces = new Map(frame.traces.map((summary) => [summary.id, summary]));
    this.labels = frame.labels;
    this.nodes.replace(frame.nodes, rowOf);
    if (this.zoomInFlight) this.sendZoom(); // the window asked for is here: the next may go
    if (this.nodeFilter.active) this.matchNames(); // new name tables and maybe another trace
    if (this.selectedId !== null && !this.nodes.rowOf.has(this.selectedId)) this.clearSelection({ gone: true });
    // Traces first: the trace list may fold away, and the camera frames the space left over.
    this.emit("vrmon-traces", {});
    this.emit("vrmon-scene", { scene: this.scene, snapshot: true });
    this.publishNodes();
    this.emit("vrmon-labels", { labels: this.labels });
    this.setEdges(frame.edges);
  },

  applyDelta(frame) {
    if (this.awaitingSnapshot) return; // a resync is on its way; this delta is already stale
    if (frame.seq !== this.seq + 1) {
      console.info(`vrmon: delta ${frame.seq} after ${this.seq}; asking for a snapshot`);
      this.resync();
      return;
    }
    this.seq = frame.seq;
    appendNames(this.services, frame.services);
    appendNames(this.operations, frame.operations);
    if (this.nodeFilter.active && (frame.services?.names?.length || frame.operations?.names?.length)) this.matchNames();
    this.nodes.remove(frame.removed);
    this.nodes.upsert(frame.added);
    this.nodes.upsert(frame.updated);
    for (const summary of frame.traces ?? []) this.traces.set(summary.id, summary);
    if (frame.scene) {
      this.scene = frame.scene;
      this.emit("vrmon-scene", { scene: this.scene, snapshot: false });
    }
    this.publishNodes(frame.services?.names?.length > 0);
    if (frame.labels) {
      this.labels = frame.labels;
      this.emit("vrmon-labels", { labels: this.labels });
    }
    if (frame.traces?.length) this.emit("vrmon-traces", {});
    if (frame.edges) this.setEdges(frame.edges);
    if (this.selectedId !== null && !this.nodes.rowOf.has(this.selectedId)) this.clearSelection({ gone: true });
  },

  setEdges(edges) {
    this.edges = edges;
    this.emit("vrmon-edges", { edges });
  },

  /** Emit the node changes, and vrmon-services when names or colours of services changed. */
  publishNodes(servicesChanged = false) {
    const changes = this.nodes.takeChanges();
    this.hoveredRow = this.hoveredId === null ? -1 : this.nodes.rowOf.get(this.hoveredId) ?? -1;
    if (this.hoveredRow === -1) this.hoveredId = null;
    const colorsChanged = this.learnServiceColors(changes);
    const filter = this.nodeFilter;
    if (filter.active) filter.matchRows(this.nodes, changes.rows);
    this.emit("vrmon-nodes", changes);
    if (changes.reset || servicesChanged || colorsChanged) this.emit("vrmon-services", {});
    if (filter.active) this.emit("vrmon-filter", { matches: filter.count, active: true, reset: false });
  },

  // -- filter ----------------------------------------------------------------------------

  /** Show only what matches (see NodeFilter.set); the server is asked to count inside summaries. */
  setFilter(given) {
    const filter = this.nodeFilter;
    this.send(filterRequest(filter.set(given)));
    this.matchNames();
    filter.matchRows(this.nodes, null);
    this.emit("vrmon-filter", { matches: filter.count, active: filter.active, reset: true });
  },

  clearFilter() {
    this.setFilter(NO_FILTER);
  },

  /** Whether a node row passes the filter (every row does when there is none). */
  rowMatches(row) {
    return this.nodeFilter.rowMatches(row);
  },

  /** Ids of the matching nodes in reading order: by the bar's left edge, then top first. */
  matchingIds() {
    return this.nodeFilter.matchingIds(this.nodes);
  },

  /** 1-based place of node `id` among the matches in reading order, 0 if it does not match. */
  matchNumber(id) {
    return this.nodeFilter.matchNumber(this.nodes, id);
  },

  matchNames() {
    this.nodeFilter.matchNames(this.services, this.operations, this.scene?.trace ?? null);
  },

  learnServiceColors({ reset, rows }) {
    const { service, color, count } = this.nodes;
    let learned = false;
    const learn = (row) => {
      const s = service[row];
      if (s >= this.services.length || this.serviceColors[s]) return;
      // the services scene colours its nodes by error ratio: the palette says the service's colour
      this.serviceColors[s] = this.serviceColor(s) ?? rgbHex(color, row * 3);
      learned = true;
    };
    if (reset) for (let row = 0; row < count; row++) learn(row);
    else for (const row of rows) learn(row);
    return learned;
  },
});

/** The socket static/js/data/early-socket.js opened (once; null after, or for another server URL). */
function takeEarlySocket(url) {
  const early = window.vrmonEarlySocket;
  delete window.vrmonEarlySocket;
  if (early && url) early.socket.close();
  return early && !url ? early : null;
}

/** Whether an ArrayBuffer holds exactly these bytes (a Uint8Array, or null). */
function sameBytes(buffer, bytes) {
  if (bytes === null || buffer.byteLength !== bytes.length) return false;
  const view = new Uint8Array(buffer);
  for (let i = 0; i < view.length; i++) if (view[i] !== bytes[i]) return false;
  return true;
}

function appendNames(table, appended) {
  if (!appended?.names) return;
  appended.names.forEach((name, i) => { table[appended.from + i] = name; });
}

function rgbHex(bytes, offset) {
  let hex = "#";
  for (let k = 0; k < 3; k++) hex += bytes[offset + k].toString(16).padStart(2, "0");
  return hex;
}
