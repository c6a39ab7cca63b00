// The page changed shape (a window resized, a tablet turned): the server lays the scene out again
// for the new shape (vrmon/layout/page_shape.py: a tall page gets a narrower waterfall, fewer wall
// columns) and answers with a snapshot. Only a view still where its framing put it is framed
// again, at that snapshot, for the new page: a view the viewer moved stays where they put it.
// A headset's view is no page: entering one asks for the presets' own (wide) layouts, and leaving
// it for the page's shape again; both are framed when they come (before, a headset entered from a
// portrait page kept the page's upright graph and narrow waterfall).
import { pageAspect } from "../data/page-aspect.js";
import { shapeRequest } from "../data/protocol.js";
import { listen } from "../listen.js";

const SETTLE_MS = 150; // a window dragged to a new size sends one request, once it stops
// Shapes at least this wide get the presets' layouts as they are (vrmon/layout/page_shape.py's WIDE):
// going into a headset from such a page, or back, changes no layout and asks for none.
const WIDE = 1.2;
const HEADSET_ASPECT = 2;

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
      const frame = () => {
        this.navigation()?.frameView();
        this.el.sceneEl.systems["render-on-demand"]?.requestFrame();
      };
      // on a page a frame later, as camera-navigation frames a new view: the overlays it changes are
      // laid out by then; in a headset (no overlays, and a page's animation frames may not come) at once
      if (this.el.sceneEl.is("vr-mode")) frame();
      else requestAnimationFrame(frame);
    };
    this.onVR = () => {
      const aspect = this.el.sceneEl.is("vr-mode") ? HEADSET_ASPECT : pageAspect();
      if (Math.min(aspect, this.sent) >= WIDE) this.sent = aspect; // laid out alike: camera-navigation frames it
      else this.tell(aspect, true);
    };
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

  /** Say `aspect` to the server if it is news; `reframe`: frame the view at the snapshot that answers. */
  tell(aspect, reframe) {
    if (aspect === this.sent) return;
    if (this.system.send(shapeRequest(aspect))) {
      this.sent = aspect;
      this.reframe = reframe;
    }
  },
});
