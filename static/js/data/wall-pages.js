// The wall shows one page of traces at a time: the snapshot's `scene.page` of `scene.pages`
// (0 = the newest traces). The desktop pager and the wrist menu turn pages through here.

/** Ask for the wall page `step` pages older (negative: newer) than the one on show. */
export function turnWallPage(system, step) {
  const scene = system.scene;
  if (scene?.layout !== "wall") return;
  const page = Math.min(Math.max(0, (scene.page ?? 0) + step), (scene.pages ?? 1) - 1);
  if (page !== scene.page) system.switchScene({ page });
}

/** "page 2 of 25", or "" outside the wall. */
export function wallPageText(scene) {
  return scene?.layout === "wall" ? `page ${(scene.page ?? 0) + 1} of ${scene.pages ?? 1}` : "";
}
