// The scenes the server offers (the snapshot's `scene.scenes`) and opening one trace among them.

/** Name of the first waterfall scene in the catalogue, or null when the server offers none. */
export function waterfallSceneName(scene) {
  const scenes = Array.isArray(scene?.scenes) ? scene.scenes : [];
  return scenes.find((entry) => entry.layout === "waterfall")?.name ?? null;
}

/** Show one trace: in the current scene if it is a waterfall, else pulled out into a waterfall. */
export function openTrace(system, traceId) {
  const scene = system.scene;
  system.switchScene({ scene: scene?.layout === "waterfall" ? null : waterfallSceneName(scene), trace: traceId });
}
