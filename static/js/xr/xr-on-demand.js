// The headset's code (controllers, wrist menu, in-world panels, and troika's SDF text stack:
// about 400 KB) loads only where it can be used: in the background once the first scene is
// drawn, when the browser says it can run an immersive session, and at the latest when a
// session is asked for (entering VR waits for it). index.html already names these components on
// their entities; A-Frame leaves names it does not know alone, so once they are registered each
// entity is given its component again, from the attribute written there.
// Written out (not built from names) so that the client's bundle (scripts/build-client.mjs) sees
// them and makes them chunks of their own.
const importXrModules = () => [import("./vr-laser.js"), import("./vr-span-panel.js"), import("./vr-span-labels.js"),
  import("./vr-locomotion.js"), import("./vr-wrist-menu.js"), import("./world-grab.js"), import("./vr-empty-message.js"),
  import("./vr-time-zoom.js"), import("./vr-time-strip.js"), import("./vr-detail-distance.js")];
const XR_COMPONENTS = ["vr-laser", "vr-span-panel", "vr-span-labels", "vr-locomotion", "vr-wrist-menu", "world-grab", "vr-empty-message",
  "vr-time-zoom", "vr-time-strip", "vr-detail-distance"];
const IDLE_TIMEOUT_MS = 2000;

AFRAME.registerSystem("xr-on-demand", {
  init() {
    this.loading = null;
    const enterVR = this.el.enterVR.bind(this.el);
    // The Enter VR button, A-Frame's own calls and scripts all go through the scene's enterVR.
    // A-Frame also calls it at start to offer a session (enterVR(useAR, true)); a browser that
    // cannot offer one answers at once, and that is no reason to load anything.
    this.el.enterVR = (useAR, useOfferSession) => (useOfferSession && !navigator.xr?.offerSession
      ? enterVR(useAR, useOfferSession)
      : this.load().then(() => enterVR(useAR, useOfferSession)));
    // F frames the selection here; A-Frame's own F shortcut would also enter VR (fullscreen on a
    // desktop), and its exit-vr then framed the whole view again. index.html cannot turn it off:
    // A-Frame 1.8 sets the scene's keyboard-shortcuts to its defaults while it sets up the
    // renderer, over the page's value. Esc still leaves VR.
    this.el.setAttribute("keyboard-shortcuts", "enterVR", false);
    this.el.addEventListener("vrmon-nodes", () => {
      if (!navigator.xr) return;
      const check = () => navigator.xr.isSessionSupported("immersive-vr").then((yes) => yes && this.load(), () => {});
      if (window.requestIdleCallback) requestIdleCallback(check, { timeout: IDLE_TIMEOUT_MS });
      else setTimeout(check, 0);
    }, { once: true });
  },

  /** Load and attach the headset components (once); resolves when they are in place. */
  load() {
    this.loading ??= Promise.all(importXrModules()).then(() => this.attach());
    return this.loading;
  },

  attach() {
    for (const name of XR_COMPONENTS) {
      for (const el of this.el.querySelectorAll(`[${name}]`)) {
        if (!el.components[name]) el.setAttribute(name, el.getAttribute(name) ?? "");
      }
    }
  },
});
