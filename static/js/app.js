// Registers vrmon's A-Frame systems and components, then lets A-Frame initialise <a-scene>.
// main.js imports this once A-Frame has run; A-Frame was told to wait (window.AFRAME_ASYNC,
// load-aframe.js) until this module calls AFRAME.emitReady() below, so the markup in index.html
// can use everything registered here.
import "./data/vrmon-data.js";
import "./data/findings.js";
import "./data/colour-mode.js";
import "./data/trace-compare.js";
import "./data/span-links.js";
import "./scene/span-instances.js";
import "./desktop/span-pointer.js";
import "./desktop/span-tooltip.js";
import "./desktop/camera-navigation.js";
import "./scene/scene-labels.js";
import "./scene/floor-grid.js";
import "./desktop/span-details-panel.js";
import "./desktop/trace-list.js";
import "./desktop/service-legend.js";
import "./desktop/error-scale-key.js";
import "./desktop/status-banner.js";
import "./desktop/view-header.js";
import "./desktop/scene-switcher.js";
import "./scene/service-edges.js";
import "./scene/service-labels.js";
import "./scene/host-load-ring.js";
import "./scene/critical-path-highlight.js";
import "./scene/finding-marks.js";
import "./scene/compare-marks.js";
import "./scene/fold-histograms.js";
import "./data/vrmon-api.js";
import "./desktop/top-bar-menu.js";
import "./desktop/span-search.js";
import "./desktop/wall-pager.js";
import "./desktop/host-gauge.js";
import "./data/replay-clock.js";
import "./desktop/timeline.js";
import "./desktop/files-in-time.js";
import "./desktop/empty-state.js";
import "./desktop/selection-clearance.js";
import "./desktop/page-shape.js";
import "./desktop/detail-controls.js";
import "./desktop/findings-panel.js";
import "./desktop/colour-key.js";
import "./desktop/compare-panel.js";
// The waterfall's time zoom: the shared window, the wheel and drag, the overview strip.
import "./data/time-window.js";
import "./desktop/time-zoom.js";
import "./desktop/time-strip.js";
import "./desktop/off-view-hint.js";
// The 3D view's pixel ratio: the screen's, within a 4K frame's pixels.
import "./scene/pixel-budget.js";
// Draw only when something changed (a headset session draws every frame).
import "./scene/render-on-demand.js";
// The trace's first frame draws the spans and labels; the floor grid and the marks join a frame later.
import "./scene/first-frame.js";
// The headset's code loads on demand: where immersive sessions are supported, or on Enter VR.
import "./xr/xr-on-demand.js";

AFRAME.emitReady(); // everything is registered: A-Frame may initialise the scene
