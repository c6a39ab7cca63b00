// The page changed shape (a window resized, a tablet turned): the server lays the scene out again
// for the new shape (vrmon/layout/page_shape.py: a tall page gets a narrower waterfall, fewer wall
// columns) and answers with a snapshot. Only a view still where its framing put it is framed
// again, at that snapshot, for the new page: a view the viewer moved stays where they put it.
import { pageAspect } from "../data/page-aspect.js";
import { shapeRequest } from "../data/protocol.js";
import { listen } from "../listen.js";

const SETTLE_MS = 150; // a window dragged to a new size sends one request, once it stops

AFRAME.registerComponent("page-shape", {
  schema: {
    camera: { type: "selector", default: "#camera" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.sent = pageAspect(); // what the socket was opened with
    this.reframe = false; // frame the view at the snapshot the request brings
    this.timer = null;
    this.onResize = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.changed(), SETTLE_MS);
    };
    this.onScene = (event) => {
      if (!event.detail.snapshot || !this.reframe) return;
      this.reframe = false;
      // a frame later, as camera-navigation frames a new view: the overlays it changes are laid out by then
      requestAnimationFrame(() => {
        this.navigation()?.frameView();
        this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
      });
    };
    this.unlisten = [listen(window, { resize: this.onResize }), listen(this.el.sceneEl, { "vrmon-scene": this.onScene })];
  },

  remove() {
    clearTimeout(this.timer);
    for (const unlisten of this.unlisten) unlisten();
  },

  navigation() {
    return this.data.camera?.components["camera-navigation"];
  },

  /** The page's shape now: said to the server if it changed; the framed view is framed again when the answer comes. */
  changed() {
    const aspect = pageAspect();
    if (aspect === this.sent || this.el.sceneEl.renderer?.xr.isPresenting) return;
    const framed = this.navigation()?.atFramedView() ?? false; // asked before the answer replaces the scene
    if (this.system.send(shapeRequest(aspect))) {
      this.sent = aspect;
      this.reframe = framed;
    }
  },
});
