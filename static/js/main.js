// The page's entry. First the trace's first picture, drawn from the early socket's snapshot
// without A-Frame (scene/first-picture.js); then A-Frame is evaluated (load-aframe.js) and the
// app's systems and components registered (app.js), behind that picture; the 3D view replaces it
// once it draws the same view (scene/first-frame.js).
//
// The folders say who owns what:
//   data/     the vrmon-data system (socket, node table, filter), protocol decoding, formatting
//   scene/    what is drawn in 3D in every mode (spans, labels, edges, host ring), and the first picture
//   desktop/  DOM overlays, mouse and keyboard
//   xr/       controllers, wrist menu, in-world panels and text (headset only, loaded on demand)
import { firstPicture } from "./scene/first-picture.js";
import { loadAFrame } from "./load-aframe.js";

firstPicture(window.vrmonEarlySocket)
  .then(loadAFrame)
  .then(() => import("./app.js"))
  .catch((error) => {
    console.error("vrmon: the page's code did not load", error);
    const status = document.getElementById("status-banner");
    status.textContent = `The page's code did not load (${error.message}): reload the page.`;
    status.hidden = false;
  });
