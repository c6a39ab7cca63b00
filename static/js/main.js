// Registers vrmon's A-Frame system and components. Module scripts run before the document is
// complete, and A-Frame waits for that before it initialises <a-scene>, so the markup in
// index.html can use everything registered here.
import "./systems/vrmon-data.js";
import "./components/span-instances.js";
import "./components/span-pointer.js";
import "./components/span-tooltip.js";
import "./components/camera-navigation.js";
import "./components/scene-labels.js";
import "./components/floor-grid.js";
import "./components/span-details-panel.js";
import "./components/trace-list.js";
import "./components/service-legend.js";
import "./components/status-banner.js";
import "./components/view-header.js";
import "./components/scene-switcher.js";
import "./components/service-edges.js";
import "./components/host-load-ring.js";
import "./components/critical-path-highlight.js";
import "./components/vrmon-api.js";
import "./components/span-search.js";
// In the headset (controllers, panels, comfort).
import "./components/vr-laser.js";
import "./components/vr-span-panel.js";
import "./components/vr-span-labels.js";
import "./components/vr-locomotion.js";
import "./components/vr-wrist-menu.js";
import "./components/world-grab.js";
