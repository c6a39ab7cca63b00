// Owns the websocket and the decoded scene. Components never touch the socket: they read the
// state kept here and listen to the events emitted on the scene element:
//   vrmon-connection {connected}     vrmon-scene {scene, snapshot}   vrmon-nodes {reset, rows}
//   vrmon-services                   vrmon-labels {labels}           vrmon-traces
//   vrmon-selection {id}             vrmon-details {span}            vrmon-status {status}
//   vrmon-error {message, request}   vrmon-edges {edges}             vrmon-metrics {metrics}
import { decodeServerFrame, emptyEdgeBlock, resyncRequest, sceneRequest, selectRequest } from "../protocol.js";
import { NodeTable } from "../node-table.js";

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10000;

AFRAME.registerSystem("vrmon-data", {
  schema: {
    url: { default: "" }, // websocket URL; empty means /ws on the page's own host
  },

  init() {
    this.nodes = new NodeTable();
    this.services = [];
    this.operations = [];
    this.serviceColors = []; // service index → "#rrggbb", from the first node seen of that service
    this.traces = new Map(); // trace id → summary
    this.labels = [];
    this.edges = emptyEdgeBlock(); // the scene's edges (services scene), replaced whole
    this.metrics = null; // the latest host metrics frame; null until the server sends one
    this.scene = null; // the snapshot's scene map: {name, layout, trace, title, bounds}
    this.seq = -1;
    this.awaitingSnapshot = true;
    this.connected = false;
    this.selectedId = null;
    this.sourceStatus = new Map(); // source name → latest status frame
    this.reconnectDelay = RECONNECT_FIRST_MS;
    this.connect();
  },

  // -- connection ------------------------------------------------------------------------

  connect() {
    const url = this.data.url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      this.reconnectDelay = RECONNECT_FIRST_MS;
      this.setConnected(true);
      // A new connection starts on the server's default view: ask for the one we were showing.
      if (this.scene) this.switchScene({ scene: this.scene.name, trace: this.scene.trace });
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.awaitingSnapshot = true; // the server sends a fresh snapshot on the next connection
      this.setConnected(false);
      // Jitter keeps many viewers from reconnecting in lockstep after a server restart.
      const delay = this.reconnectDelay * (0.75 + Math.random() * 0.5);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    };
    this.socket = socket;
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

  emit(name, detail) {
    this.el.emit(name, detail, false);
  },

  // -- requests --------------------------------------------------------------------------

  select(id) {
    this.selectedId = id;
    this.send(selectRequest(id));
    this.emit("vrmon-selection", { id });
  },

  clearSelection() {
    if (this.selectedId === null) return;
    this.selectedId = null;
    this.emit("vrmon-selection", { id: null });
  },

  switchScene({ scene = null, trace = null }) {
    this.send(sceneRequest({ scene, trace }));
  },

  /** Trace summaries, newest first. */
  traceList() {
    return [...this.traces.values()].sort((a, b) => b.start_us - a.start_us);
  },

  // -- frames ----------------------------------------------------------------------------

  receive(data) {
    if (typeof data === "string") return; // the protocol is binary only
    let frame;
    try {
      frame = decodeServerFrame(data);
    } catch (error) {
      console.warn("vrmon: unreadable frame from the server", error);
      this.emit("vrmon-error", { message: `Could not read a frame from the server (${error.message}); reloading the scene`, request: null });
      this.resync();
      return;
    }
    switch (frame.type) {
      case "snapshot": return this.applySnapshot(frame);
      case "delta": return this.applyDelta(frame);
      case "status":
        this.sourceStatus.set(frame.source, frame);
        return this.emit("vrmon-status", { status: frame });
      case "details":
        if (frame.span?.id === this.selectedId) this.emit("vrmon-details", { span: frame.span });
        return;
      case "error":
        return this.emit("vrmon-error", { message: frame.message, request: frame.request });
      case "metrics":
        this.metrics = frame;
        return this.emit("vrmon-metrics", { metrics: frame });
      default:
        return; // frame types from newer servers (replay) are not drawn yet
    }
  },

  resync() {
    this.awaitingSnapshot = true;
    this.send(resyncRequest());
  },

  applySnapshot(frame) {
    this.seq = frame.seq;
    this.awaitingSnapshot = false;
    this.scene = frame.scene;
    this.services = frame.services.slice();
    this.operations = frame.operations.slice();
    this.serviceColors = [];
    this.traces = new Map(frame.traces.map((summary) => [summary.id, summary]));
    this.labels = frame.labels;
    this.nodes.replace(frame.nodes);
    if (this.selectedId !== null && !this.nodes.rowOf.has(this.selectedId)) this.clearSelection();
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
    if (this.selectedId !== null && !this.nodes.rowOf.has(this.selectedId)) this.clearSelection();
  },

  setEdges(edges) {
    this.edges = edges;
    this.emit("vrmon-edges", { edges });
  },

  /** Emit the node changes, and vrmon-services when names or colours of services changed. */
  publishNodes(servicesChanged = false) {
    const changes = this.nodes.takeChanges();
    const colorsChanged = this.learnServiceColors(changes);
    this.emit("vrmon-nodes", changes);
    if (changes.reset || servicesChanged || colorsChanged) this.emit("vrmon-services", {});
  },

  learnServiceColors({ reset, rows }) {
    const { service, color, count } = this.nodes;
    let learned = false;
    const learn = (row) => {
      const s = service[row];
      if (s >= this.services.length || this.serviceColors[s]) return;
      this.serviceColors[s] = rgbHex(color, row * 4);
      learned = true;
    };
    if (reset) for (let row = 0; row < count; row++) learn(row);
    else for (const row of rows) learn(row);
    return learned;
  },
});

function appendNames(table, appended) {
  if (!appended?.names) return;
  appended.names.forEach((name, i) => { table[appended.from + i] = name; });
}

function rgbHex(bytes, offset) {
  let hex = "#";
  for (let k = 0; k < 3; k++) hex += bytes[offset + k].toString(16).padStart(2, "0");
  return hex;
}
