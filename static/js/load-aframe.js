// A-Frame (1.3 MB, one script evaluated in one task of 0.1–0.5 s) is fetched as the page starts
// (index.html's `<link rel="preload" as="script">`) but evaluated only when main.js asks: after
// the first picture of the trace is on screen. It is told not to initialise <a-scene> until the
// page's systems and components are registered (app.js calls AFRAME.emitReady()).

/** Evaluate A-Frame (the preloaded file); resolves once it has run. */
export function loadAFrame() {
  if (window.AFRAME) return Promise.resolve();
  const preload = document.querySelector('link[rel="preload"][as="script"][href*="/aframe/"]');
  if (!preload) return Promise.reject(new Error("index.html names no A-Frame script to preload"));
  window.AFRAME_ASYNC = true;
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = preload.href;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`A-Frame did not load from ${preload.href}`));
    document.head.append(script);
  });
}
