// A link to every span: the page's address says what is on show (`#trace=<id>&span=<id>`, or
// `#scene=<name>` outside the waterfall, with `&compare=<baseline A's id>` while the trace is
// compared and `&search=<text>` while the search has text), kept up to date as the viewer selects
// (replaceState: no history entry per click). Opening such an address — a pasted link, a reload,
// a hashchange — shows that trace in the waterfall and selects that span (the server opens the
// folds hiding it), compares it with A and searches for the text.
// A trace that is not loaded yet (files load in the background) is asked for again when it appears
// in the trace list; until then the server's refusal says why in the toast. With a live source the
// server asks it for the trace (a `lookup` frame says so) and reveals it when it comes.
import { listen } from "../listen.js";

const HEX_ID = /^[0-9a-f]{1,32}$/;
const SCENE_NAME = /^[\w.-]{1,64}$/;
const MAX_SEARCH = 200; // characters of search text a link carries

/** {trace, span, scene, compare, search} from "#trace=…&span=…&scene=…&compare=…&search=…" (ids
 * lowercased); null when it names nothing valid. */
export function parseLink(hash) {
  const params = new URLSearchParams(String(hash).replace(/^#/, ""));
  const hex = (name) => {
    const id = params.get(name)?.toLowerCase() ?? null;
    return id !== null && HEX_ID.test(id) ? id : null;
  };
  const scene = params.get("scene");
  const search = params.get("search");
  const link = {
    trace: hex("trace"),
    span: hex("span"),
    scene: scene !== null && SCENE_NAME.test(scene) ? scene : null,
    compare: hex("compare"),
    search: search !== null && search.trim() && search.length <= MAX_SEARCH ? search : null,
  };
  if (link.trace === null) link.span = link.compare = null; // a span or a baseline means something only with its trace
  return link.trace !== null || link.scene !== null ? link : null;
}

/** The address of a span (or a trace, with span null) on this vrmon, followed by `state`
 * (`viewState`: the comparison and search a link carries). */
export function linkTo(trace, span = null, state = "") {
  const hash = span ? `#trace=${trace}&span=${span}` : `#trace=${trace}`;
  return `${location.origin}${location.pathname}${location.search}${hash}${state}`;
}

/** `&compare=<A>&search=<text>`: the baseline the trace on show is compared with (when `ofTrace`),
 * and the search text, as a link carries them. */
export function viewState(sceneEl, ofTrace) {
  let state = "";
  const compare = sceneEl.systems["vrmon-compare"];
  if (ofTrace && compare?.showing()) state += `&compare=${compare.comparison.summary.a.trace}`;
  const text = sceneEl.systems["vrmon-data"].nodeFilter.criteria.text;
  if (text && text.length <= MAX_SEARCH) state += `&search=${encodeURIComponent(text)}`;
  return state;
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
        if (this.pending.compare) this.el.sceneEl.systems["vrmon-compare"].start(this.pending.compare, this.pending.trace);
        this.pending = null;
        this.writeAddress();
      },
      "vrmon-details": () => { if (!this.pending) this.writeAddress(); },
      "vrmon-selection": () => { if (!this.pending) this.writeAddress(); },
      "vrmon-comparison": () => { if (!this.pending) this.writeAddress(); },
      "vrmon-filter": (event) => { if (!this.pending && event.detail.reset) this.writeAddress(); },
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
    if (link.search !== null) this.system.setFilter({ ...this.system.nodeFilter.criteria, text: link.search });
    if (link.trace) {
      this.system.reveal({ trace: link.trace, span: link.span });
    } else {
      this.system.switchScene({ scene: link.scene });
      this.pending = null;
    }
  },

  /** The address of what is on show: the selected span, else the waterfall's trace, else the
   * scene; then the baseline it is compared with and the search text. */
  address() {
    const { scene, selectedId, knownIds } = this.system;
    const known = selectedId === null ? undefined : knownIds.get(selectedId); // [span id, trace id] once its details came
    let hash = "";
    if (known) hash = `#trace=${known[1]}&span=${known[0]}`;
    else if (scene?.trace) hash = `#trace=${scene.trace}`;
    else if (scene?.name) hash = `#scene=${encodeURIComponent(scene.name)}`;
    return hash && hash + viewState(this.el.sceneEl, hash.startsWith("#trace="));
  },

  writeAddress() {
    const hash = this.address();
    if (hash && hash !== location.hash) history.replaceState(history.state, "", hash);
  },
});
