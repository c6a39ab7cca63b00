// A link to every span: the page's address says what is on show (`#trace=<id>&span=<id>`, or
// `#scene=<name>` outside the waterfall), kept up to date as the viewer selects (replaceState: no
// history entry per click). Opening such an address — a pasted link, a reload, a hashchange —
// shows that trace in the waterfall and selects that span (the server opens the folds hiding it).
// A trace that is not loaded yet (files load in the background) is asked for again when it appears
// in the trace list; until then the server's refusal says why in the toast. With a live source the
// server asks it for the trace (a `lookup` frame says so) and reveals it when it comes.
import { listen } from "../listen.js";

const HEX_ID = /^[0-9a-f]{1,32}$/;
const SCENE_NAME = /^[\w.-]{1,64}$/;

/** {trace, span, scene} from "#trace=…&span=…&scene=…" (ids lowercased); null when it names nothing valid. */
export function parseLink(hash) {
  const params = new URLSearchParams(String(hash).replace(/^#/, ""));
  const trace = params.get("trace")?.toLowerCase() ?? null;
  const span = params.get("span")?.toLowerCase() ?? null;
  const scene = params.get("scene");
  const link = {
    trace: trace !== null && HEX_ID.test(trace) ? trace : null,
    span: span !== null && HEX_ID.test(span) ? span : null,
    scene: scene !== null && SCENE_NAME.test(scene) ? scene : null,
  };
  if (link.trace === null) link.span = null; // a span id means something only within its trace
  return link.trace !== null || link.scene !== null ? link : null;
}

/** The address of a span (or a trace, with span null) on this vrmon. */
export function linkTo(trace, span = null) {
  const hash = span ? `#trace=${trace}&span=${span}` : `#trace=${trace}`;
  return `${location.origin}${location.pathname}${location.search}${hash}`;
}

AFRAME.registerComponent("span-links", {
  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.pending = parseLink(location.hash); // what the address asks for, until it is shown
    this.askedWhileListed = false; // asked again once its trace reached the trace list
    this.sent = false; // the address's link was asked for (at the first snapshot)
    this.listeners = {
      "vrmon-scene": (event) => {
        if (event.detail.snapshot && this.pending && !this.sent) this.open();
        else if (!this.pending) this.writeAddress();
      },
      "vrmon-traces": () => {
        if (this.pending?.trace && !this.askedWhileListed && this.system.traces.has(this.pending.trace)) {
          this.askedWhileListed = true;
          this.open();
        }
      },
      "vrmon-revealed": (event) => {
        if (event.detail.trace !== this.pending?.trace) return;
        if (this.pending.span && event.detail.select !== null) {
          this.el.sceneEl.emit("vrmon-frame-nodes", { ids: [event.detail.select] }, false);
        }
        this.pending = null;
        this.writeAddress();
      },
      "vrmon-details": () => { if (!this.pending) this.writeAddress(); },
      "vrmon-selection": () => { if (!this.pending) this.writeAddress(); },
    };
    for (const [name, listener] of Object.entries(this.listeners)) this.el.sceneEl.addEventListener(name, listener);
    this.onHashChange = () => {
      const link = parseLink(location.hash);
      if (link === null) return;
      this.pending = link;
      this.askedWhileListed = false;
      this.open();
    };
    this.unlistenWindow = listen(window, { hashchange: this.onHashChange });
  },

  remove() {
    for (const [name, listener] of Object.entries(this.listeners)) this.el.sceneEl.removeEventListener(name, listener);
    this.unlistenWindow();
  },

  open() {
    const link = this.pending;
    this.sent = true;
    if (link.trace) {
      this.system.reveal({ trace: link.trace, span: link.span });
    } else {
      this.system.switchScene({ scene: link.scene });
      this.pending = null;
    }
  },

  /** The address of what is on show: the selected span, else the waterfall's trace, else the scene. */
  address() {
    const { scene, selectedId, knownIds } = this.system;
    const known = selectedId === null ? undefined : knownIds.get(selectedId); // [span id, trace id] once its details came
    if (known) return `#trace=${known[1]}&span=${known[0]}`;
    if (scene?.trace) return `#trace=${scene.trace}`;
    return scene?.name ? `#scene=${encodeURIComponent(scene.name)}` : "";
  },

  writeAddress() {
    const hash = this.address();
    if (hash && hash !== location.hash) history.replaceState(history.state, "", hash);
  },
});
