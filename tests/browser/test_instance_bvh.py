"""The instance BVH (static/js/scene/instance-bvh.js) in headless Chromium, checked against three.js's
own brute-force InstancedMesh.raycast on random rays: the same hits, nearest first, while
testing only a small fraction of the instances."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"

# Random boxes (some turned about y and x), the mesh itself moved and scaled like a grabbed
# scene; rays from in front towards random points of the volume, so that many of them hit.
COMPARE_WITH_BRUTE_FORCE = """
async ({n, added, rays, seed, clustered}) => {
  const { installInstanceBVH } = await import("/static/js/scene/instance-bvh.js");
  const THREE = AFRAME.THREE;
  let state = seed;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const mesh = new THREE.InstancedMesh(new THREE.BoxGeometry(1, 1, 1), new THREE.MeshBasicMaterial(), n + added);
  const matrix = new THREE.Matrix4(), at = new THREE.Vector3(), turn = new THREE.Quaternion(), scale = new THREE.Vector3();
  const euler = new THREE.Euler();
  const place = (i) => {
    at.set(random() * 40 - 20, random() * 10, -random() * 20);
    // clustered: x crowds towards -20 on a log scale, and every fifth box is one and the same
    if (clustered) at.x = 2 ** (random() * 5.3) - 21;
    if (clustered && i % 5 === 0) at.set(0, 5, 5);  // in front of the rest, so rays reach it
    turn.setFromEuler(euler.set(random() < 0.3 ? random() : 0, random() < 0.5 ? random() * 6.28 : 0, 0));
    scale.set(0.03 + random() * 3, 0.3, 0.3);
    if (clustered && i % 5 === 0) turn.identity(), scale.set(2, 0.3, 0.3);
    mesh.setMatrixAt(i, matrix.compose(at, turn, scale));
  };
  mesh.count = n;
  for (let i = 0; i < n; i++) place(i);
  mesh.position.set(1, -2, 3);
  mesh.scale.setScalar(1.5);
  mesh.updateMatrixWorld();
  const bvh = installInstanceBVH(mesh);
  const raycaster = new THREE.Raycaster();
  const order = (a, b) => a.distance - b.distance || a.instanceId - b.instanceId;
  const cast = (method, firstHitOnly) => {
    raycaster.firstHitOnly = firstHitOnly;
    const hits = [];
    method.call(mesh, raycaster, hits);
    return hits.sort(order);
  };
  const compare = () => {
    const result = {rays, hitRays: 0, nearestDiffer: 0, allDiffer: 0, tested: 0};
    for (let k = 0; k < rays; k++) {
      const origin = new THREE.Vector3(random() * 30 - 15, 2 + random() * 12, 20);
      const aim = clustered ? random() : 1;  // clustered: a third of the rays at the crowd, a third at the shared box
    const target = (aim < 0.33 ? new THREE.Vector3(-19, random() * 10, -random() * 20)
      : aim < 0.66 ? new THREE.Vector3(random() - 0.5, 5, 5)
      : new THREE.Vector3(random() * 40 - 20, random() * 10, -random() * 20)).applyMatrix4(mesh.matrixWorld);
      raycaster.set(origin, target.sub(origin).normalize());
      mesh.computeBoundingSphere();
      const expected = cast(THREE.InstancedMesh.prototype.raycast, false);
      const nearest = cast(mesh.raycast, true);
      result.tested += bvh.stats.instancesTested;
      const all = cast(mesh.raycast, false);
      if (expected.length) result.hitRays++;
      const e = expected[0], f = nearest[0];
      if (nearest.length > 1 || Boolean(e) !== Boolean(f) || (e && (e.instanceId !== f.instanceId || e.distance !== f.distance || f.object !== mesh))) {
        result.nearestDiffer++;
      }
      if (all.length !== expected.length || all.some((h, i) => h.instanceId !== expected[i].instanceId
          || h.distance !== expected[i].distance || !h.point.equals(expected[i].point) || h.faceIndex !== expected[i].faceIndex)) {
        result.allDiffer++;
      }
    }
    result.meanTested = result.tested / rays;
    return result;
  };
  const built = compare();
  // A delta: some instances move, the last ones go, new rows arrive (refit + rows outside the tree).
  const changed = [];
  for (let k = 0; k < 300; k++) { const i = Math.floor(random() * (n - 100)); place(i); changed.push(i); }
  for (let i = n; i < n + added; i++) { place(i); changed.push(i); }
  mesh.count = n + added - 60;
  bvh.update(changed);
  const updated = compare();
  return {built, updated, depth: bvh.depth()};
}
"""


@pytest.mark.parametrize("clustered", [False, True], ids=["spread", "clustered"])
def test_bvh_picks_the_same_spans_as_brute_force_on_random_rays(vrmon_server, open_app, page, clustered):
    open_app(vrmon_server([HOTROD], scene="waterfall"))
    n = 20_000
    result = page.evaluate(COMPARE_WITH_BRUTE_FORCE, {"n": n, "added": 400, "rays": 300, "seed": 12345, "clustered": clustered})
    assert result["depth"] <= 2.41 * np.log2(n / 4) + 1  # never lopsided, even for clustered or identical boxes
    for stage in ("built", "updated"):
        r = result[stage]
        assert r["hitRays"] > r["rays"] // 3, f"{stage}: too few rays hit anything to prove much: {r}"
        assert r["nearestDiffer"] == 0, f"{stage}: {r}"
        assert r["allDiffer"] == 0, f"{stage}: {r}"
    # O(log n) in practice: a nearest pick tests a few instances, not a loop over all of them
    # (the update leaves 400 rows outside the tree, each checked against its box only).
    # A ray through the box shared by a fifth of the instances (clustered) must test them all.
    limit = n / 200 + (n / 5 / 2 if clustered else 0)
    assert result["built"]["meanTested"] < limit
    assert result["updated"]["meanTested"] < limit
    assert page.errors == []


# Rays from the desktop camera through every span's centre on screen, raycast both ways.
PICK_EVERY_SPAN = """
() => {
  const THREE = AFRAME.THREE;
  const mesh = document.querySelector("[span-instances]").components["span-instances"].spans;
  const camera = document.querySelector("a-scene").camera;
  const raycaster = new THREE.Raycaster(), ndc = new THREE.Vector3();
  const picked = {viaMesh: [], bruteForce: [], ownRaycast: mesh.raycast !== THREE.InstancedMesh.prototype.raycast};
  const nodes = window.vrmon.system.nodes;
  for (let row = 0; row < nodes.count; row++) {
    ndc.fromArray(nodes.pos, row * 3).project(camera);
    raycaster.setFromCamera(ndc, camera);
    const viaMesh = raycaster.intersectObject(mesh, false);  // what any raycaster (laser-controls) gets
    const brute = [];
    THREE.InstancedMesh.prototype.raycast.call(mesh, raycaster, brute);
    brute.sort((a, b) => a.distance - b.distance);
    picked.viaMesh.push(viaMesh.map((h) => [h.instanceId, h.distance]));
    picked.bruteForce.push(brute.map((h) => [h.instanceId, h.distance]));
  }
  return picked;
}
"""


def test_the_span_mesh_raycasts_through_its_bvh(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall"))
    picked = page.evaluate(PICK_EVERY_SPAN)
    assert picked["ownRaycast"] is True
    assert len(picked["viaMesh"]) == 40
    assert picked["viaMesh"] == picked["bruteForce"]
    assert sum(1 for hits in picked["viaMesh"] if hits) >= 30  # most centres are on screen and unhidden
    assert page.errors == []
