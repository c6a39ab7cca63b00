// The page changed shape (a window resized, a tablet turned): the server lays the scene out again
// for the new shape (vrmon/layout/page_shape.py: a tall page gets a narrower waterfall, fewer wall
// columns) and answers with a snapshot. Only a view still where its framing put it is framed
// again, at that snapshot, for the new page: a view the viewer moved stays where they put it.
// A headset's view is no page: entering one asks for the headset's layouts (the presets' own, wide
// ones, but for a narrower waterfall: its many lanes' names keep their angle in a picture that
// is not too wide to take in), and leaving it for the page's shape again; both are framed when
// they come (before, a headset entered from a portrait page kept the page's upright graph and
// narrow waterfall).
import { pageAspect } from "../data/page-aspect.js";
import { shapeRequest } from "../data/protocol.js";
import { listen } from "../listen.js";

const SETTLE_MS = 150; // a window dragged to a new size sends one request, once it stops
const HEADSET = "headset";

AFRAME.registerComponent("page-shape", {
  schema: {
    camera: { type: "selector", default: "#camera" },
  },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.sent = pageAspect(); // what the socket was opened with (HEADSET: the headset's shape was asked for)
    this.reframe = false; // frame the view at the snapshot the request brings
    this.timer = null;
    this.onResize = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.changed(), SETTLE_MS);
    };
    this.onScene = (event) => {
      if (!event.detail.snapshot || !this.reframe) return;
      this.reframe = false;
      const frame = () => {
        this.navigation()?.frameView();
        this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
      };
      // on a page a frame later, as camera-navigation frames a new view: the overlays it changes are
      // laid out by then; in a headset (no overlays, and a page's animation frames may not come) at once
      if (this.el.sceneEl.is("vr-mode")) frame();
      else requestAnimationFrame(frame);
    };
    this.onVR = () => this.tell(this.el.sceneEl.is("vr-mode") ? HEADSET : pageAspect(), true);
    this.unlisten = [
      listen(window, { resize: this.onResize }),
      listen(this.el.sceneEl, { "vrmon-scene": this.onScene, "enter-vr": this.onVR, "exit-vr": this.onVR }),
    ];
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
    if (this.el.sceneEl.is("vr-mode")) return; // the page's shape says nothing of a headset's view
    this.tell(pageAspect(), this.navigation()?.atFramedView() ?? false); // (asked before the answer replaces the scene)
  },

  /** Say `aspect` (or HEADSET) to the server if it is news; `reframe`: frame the view at the snapshot that answers. */
  tell(aspect, reframe) {
    if (aspect === this.sent) return;
    if (this.system.send(aspect === HEADSET ? shapeRequest(pageAspect(), true) : shapeRequest(aspect))) {
      this.sent = aspect;
      this.reframe = reframe;
    }
  },
});
