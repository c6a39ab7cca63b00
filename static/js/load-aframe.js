// A-Frame (its ES module build, 0.6 MB, and the three.js it imports, 0.75 MB in two files) is
// fetched as the page starts (modulepreload links, after the first picture's code) and evaluated
// when main.js asks, after the first picture of the trace is on screen: a file a task, so no task
// runs all 1.3 MB (the classic build was one task of 0.16–0.5 s on two cores). A-Frame is told not
// to initialise <a-scene> until the page's systems and components are registered (app.js calls
// AFRAME.emitReady()).

const nextTask = () => new Promise((resolve) => setTimeout(resolve));

/** Evaluate three.js and A-Frame; resolves once A-Frame has run. */
export async function loadAFrame() {
  window.AFRAME_ASYNC = true;
  await import("/vendor/three/three.core.min.js");
  await nextTask();
  await import("three");
  await nextTask();
  await import("/vendor/aframe/aframe-master.module.min.js");
}
