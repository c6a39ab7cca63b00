// window.vrmon: numbers about the running view (stats), helpers for tests and the console, and
// the optional on-screen stats panel (?stats=1, refreshed twice a second).
const THREE = AFRAME.THREE;
const STATS_INTERVAL_MS = 500;

AFRAME.registerComponent("vrmon-api", {
  schema: { statsPanel: { type: "selector", default: "#stats" } },

  init() {
    this.system = this.el.sceneEl.systems["vrmon-data"];
    this.point = new THREE.Vector3();
    this.frames = 0;
    this.fps = 0;
    this.fpsSince = performance.now();
    const api = {
      ready: false, // true once the first snapshot is applied, drawn, and that frame committed (shown)
      stats: () => this.stats(),
      // The view is drawn on demand (scene/render-on-demand.js): a script that changes it directly asks for a frame.
      requestFrame: () => this.el.sceneEl.systems["render-on-demand"].requestFrame(),
      nodeIds: () => Array.from(this.system.nodes.ids.subarray(0, this.system.nodes.count)),
      screenPositionOf: (id) => this.screenPositionOf(id),
      select: (id) => this.system.select(id),
      system: this.system,
    };
    window.vrmon = api;
    // ready: the frame that drew the first snapshot has been committed (scene/first-frame.js)
    this.el.sceneEl.systems["first-frame"].afterFirstFrameShown(() => { api.ready = true; });

    if (new URLSearchParams(location.search).get("stats") === "1") {
      this.data.statsPanel.hidden = false;
      this.statsTimer = setInterval(() => {
        this.data.statsPanel.textContent = Object.entries(this.stats()).map(([k, v]) => `${k.padEnd(10)} ${v}`).join("\n");
      }, STATS_INTERVAL_MS);
    }
  },

  remove() {
    clearInterval(this.statsTimer);
    delete window.vrmon;
  },

  tick(time) {
    this.frames++;
    const elapsed = time - this.fpsSince;
    if (elapsed >= 500) {
      this.fps = Math.round((this.frames * 1000) / elapsed * 10) / 10;
      this.frames = 0;
      this.fpsSince = time;
    }
  },

  stats() {
    const instances = document.querySelector("[span-instances]")?.components["span-instances"];
    const edges = document.querySelector("[service-edges]")?.components["service-edges"];
    const critical = document.querySelector("[critical-path-highlight]")?.components["critical-path-highlight"];
    const hostRing = document.querySelector("[host-load-ring]")?.components["host-load-ring"];
    const hostGauge = this.el.sceneEl.components["host-gauge"];
    const renderer = this.el.sceneEl.renderer;
    return {
      spans: this.system.nodes.count,
      instances: instances?.spans.count ?? 0,
      errors: instances?.markers.count ?? 0,
      critical: critical?.strips.count ?? 0,
      edges: edges?.tubes.count ?? 0,
      particles: edges?.particles.count ?? 0,
      hostBars: hostRing?.barsShown() ?? 0, // the headset's ring
      hostGauge: hostGauge?.barsShown() ?? 0, // the screen's gauge
      drawCalls: renderer?.info.render.calls ?? 0,
      triangles: renderer?.info.render.triangles ?? 0,
      fps: this.fps, // over the last frames drawn: a view at rest draws none
      frames: this.el.sceneEl.systems["render-on-demand"].frames,
      seq: this.system.seq,
      connected: this.system.connected,
      scene: this.system.scene?.name ?? null,
      trace: this.system.scene?.trace ?? null,
      worldScale: document.querySelector("[world-grab]")?.components["world-grab"]?.scale() ?? 1,
    };
  },

  /** CSS pixel position of a node's centre, or null when it is not in view. */
  screenPositionOf(id) {
    const { nodes } = this.system;
    const row = nodes.rowOf.get(id);
    if (row === undefined) return null;
    const camera = this.el.sceneEl.camera;
    camera.updateMatrixWorld();
    const spans = document.querySelector("[span-instances]").object3D; // placed inside the grabbable world
    this.point.fromArray(nodes.pos, row * 3).applyMatrix4(spans.matrixWorld).project(camera);
    if (Math.abs(this.point.x) > 1 || Math.abs(this.point.y) > 1 || this.point.z > 1) return null;
    const rect = this.el.sceneEl.canvas.getBoundingClientRect();
    return {
      x: rect.left + ((this.point.x + 1) / 2) * rect.width,
      y: rect.top + ((1 - this.point.y) / 2) * rect.height,
    };
  },
});
