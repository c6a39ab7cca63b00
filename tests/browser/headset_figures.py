"""What a headset viewer sees, in degrees, from the three.js scene graph (issue 8, part 8).

Everything is measured from the XR camera's pose (the emulated head) in its own view: a point's
azimuth (right of straight ahead, +) and elevation (above the eyes' level, +). A box is
{x0, y0, x1, y1} in those degrees.
- the content: every span's box (its 8 corners through the spans' world matrix) and every lane
  name's and ruler tick's quad (billboards: their corners offset in view space, as the shader does);
- lane names, the ruler's labels (ticks, idle breaks' lengths) and the wall's panel titles: the
  letters' visual angle (quad height × the letters' share × scale, over distance) and their
  letters' box; the services graph's names (service-labels, placed on the view's plane): their
  box and letters' angle (both in the content);
- marks: each one's width and height in degrees, for those whose centre is within 45° of straight
  ahead (in view);
- span names (vr-span-labels): each shown name's typeset box and letter angle, the bars it lies
  across (other than its own) and whether its own bar hides any of it. A name written on its own
  bar's front face lies across another bar where it meets that bar's front face (the faces are
  one plane, which hides the top and bottom faces going back from it); a name beside a bar, where
  it meets any of another bar's box as seen;
- overlays: the wrist menu's and the span panel's backing plates, the share of the content's box
  each covers, the share of the selected span's box the panel covers, and the names (lane names,
  titles, service names) whose letters the menu hides.
"""

from __future__ import annotations

from typing import Any

HEADSET_FIGURES_JS = """
() => {
  const THREE = AFRAME.THREE;
  const sceneEl = document.querySelector("a-scene");
  sceneEl.object3D.updateMatrixWorld(true);
  const camera = sceneEl.renderer.xr.getCamera();
  const toView = camera.matrixWorld.clone().invert();
  const degrees = THREE.MathUtils.radToDeg;
  const empty = () => ({ x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity });
  const add = (box, p) => { // p: a point in view space
    const x = degrees(Math.atan2(p.x, -p.z)), y = degrees(Math.atan2(p.y, Math.hypot(p.x, p.z)));
    box.x0 = Math.min(box.x0, x); box.x1 = Math.max(box.x1, x); box.y0 = Math.min(box.y0, y); box.y1 = Math.max(box.y1, y);
    return box;
  };
  // Where a point lies on the display (a plane across the view), as degrees from its centre: a
  // label's quad faces the camera, so its letters are a rectangle there, where azimuth and
  // elevation would bend a quad far to the side (an overlap of boxes there would be the bend's).
  const addFlat = (box, p) => {
    const x = degrees(Math.atan(p.x / -p.z)), y = degrees(Math.atan(p.y / -p.z));
    box.x0 = Math.min(box.x0, x); box.x1 = Math.max(box.x1, x); box.y0 = Math.min(box.y0, y); box.y1 = Math.max(box.y1, y);
    return box;
  };
  const union = (a, b) => ({ x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) });
  const area = (b) => Math.max(0, b.x1 - b.x0) * Math.max(0, b.y1 - b.y0);
  const overlap = (a, b) => area({ x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0), x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1) });

  // Spans: their boxes from the node table, through the spans' entity.
  const system = window.vrmon.system, { pos, size, count, ids } = system.nodes;
  const spanMatrix = new THREE.Matrix4().multiplyMatrices(toView, document.querySelector("[span-instances]").object3D.matrixWorld);
  const p = new THREE.Vector3();
  const bars = [];
  const seenMarks = [];
  let marks = empty();
  let nearestFront = Infinity;
  for (let r = 0; r < count; r++) {
    const box = empty(), face = empty(), flat = empty();
    let front = Infinity;
    for (let c = 0; c < 8; c++) {
      p.set(pos[r * 3] + (c & 1 ? 0.5 : -0.5) * size[r * 3], pos[r * 3 + 1] + (c & 2 ? 0.5 : -0.5) * size[r * 3 + 1],
            pos[r * 3 + 2] + (c & 4 ? 0.5 : -0.5) * size[r * 3 + 2]).applyMatrix4(spanMatrix);
      add(box, p);
      addFlat(flat, p);
      if (c & 4) add(face, p);
      front = Math.min(front, p.length());
    }
    bars.push({ id: ids[r], row: r, box, face, front, flat });
    const across = (box.x0 + box.x1) / 2, up = (box.y0 + box.y1) / 2;
    if (Math.abs(across) <= 45 && Math.abs(up) <= 45) seenMarks.push([box.x1 - box.x0, box.y1 - box.y0]);
    marks = union(marks, box);
    nearestFront = Math.min(nearestFront, front);
  }

  // Lane names and ruler ticks: billboard quads.
  const labelEntity = document.querySelector("[scene-labels]");
  const mesh = labelEntity.getObject3D("labels");
  const share = labelEntity.components["scene-labels"].fontShare();
  let content = marks;
  const lanes = [], ruler = [], titles = [];
  if (mesh) {
    const { corner, growth } = mesh.geometry.attributes;
    const modelView = new THREE.Matrix4().multiplyMatrices(toView, mesh.matrixWorld);
    const scale = new THREE.Vector3().setFromMatrixColumn(mesh.matrixWorld, 0).length();
    const leastAngle = mesh.material.uniforms.leastAngle.value;
    system.labels.forEach((label, i) => {
      if (!["lane", "tick", "break", "title"].includes(label.kind)) return;
      const anchor = new THREE.Vector3(...label.pos).applyMatrix4(modelView);
      const box = empty(), flat = empty();
      // as the labels' vertex shader grows and places the quad (scene-labels.js)
      const grow = Math.min(Math.max(leastAngle * anchor.length() / (growth.getZ(i * 4) * scale), 1), growth.getW(i * 4));
      const height = growth.getZ(i * 4) * grow * scale; // the quad's, in metres
      for (let k = 0; k < 4; k++) {
        const j = i * 4 + k, v = anchor.clone();
        v.x += (growth.getX(j) + (corner.getX(j) - growth.getX(j)) * grow) * scale;
        v.y += (growth.getY(j) + (corner.getY(j) - growth.getY(j)) * grow) * scale;
        add(box, v);
        addFlat(flat, v);
      }
      content = union(content, box);
      // the letters: the quad less the atlas's padding on every side (its height's share over two),
      // as the display shows them (see addFlat)
      const inset = (flat.y1 - flat.y0) * (1 - share) / 2;
      const letters = { x0: flat.x0 + inset, y0: flat.y0 + inset, x1: flat.x1 - inset, y1: flat.y1 - inset };
      (label.kind === "lane" ? lanes : label.kind === "title" ? titles : ruler)
        .push({ kind: label.kind, text: label.text, degrees: degrees(height * share / anchor.length()), box, letters });
    });
  }

  // The services graph's names (service-labels): placed on the view's plane, in label pixels
  // from its centre (y down), each pxAngle of the plane's tangent.
  const serviceLabels = document.querySelector("[service-labels]")?.components["service-labels"];
  const serviceNames = [];
  if (serviceLabels?.mesh && system.scene?.layout === "services") {
    const tangent = serviceLabels.material.uniforms.pxAngle.value, [halfW, halfH] = serviceLabels.half;
    const flatDegrees = (px) => degrees(Math.atan(px * tangent));
    for (const label of serviceLabels.shownLabels()) {
      const box = { x0: flatDegrees(label.x0 - halfW), x1: flatDegrees(label.x1 - halfW),
                    y0: -flatDegrees(label.y1 - halfH), y1: -flatDegrees(label.y0 - halfH) };
      serviceNames.push({ text: label.text, box, degrees: degrees(Math.atan(serviceLabels.letterTangent())) });
      content = union(content, box);
    }
  }

  // Span names in the headset (one batch of troika texts).
  const labels = document.querySelector("[vr-span-labels]").components["vr-span-labels"];
  labels.group.updateWorldMatrix(true, false);
  const names = labels.texts.filter((t) => t.text && t.textRenderInfo && t.userData.row >= 0).map((t) => {
    const world = new THREE.Matrix4().compose(t.position, t.quaternion, t.scale).premultiply(labels.group.matrixWorld);
    const [x0, y0, x1, y1] = t.textRenderInfo.blockBounds;
    const box = empty();
    for (const [x, y] of [[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) add(box, new THREE.Vector3(x, y, 0).applyMatrix4(world).applyMatrix4(toView));
    // the letters' box: the block less a tenth of its height above and below (line spacing)
    const inset = (box.y1 - box.y0) * 0.1;
    const letters = { x0: box.x0, y0: box.y0 + inset, x1: box.x1, y1: box.y1 - inset };
    const at = new THREE.Vector3().setFromMatrixPosition(world).applyMatrix4(toView);
    const scale = new THREE.Vector3().setFromMatrixScale(world);
    const own = bars[t.userData.row], r = t.userData.row;
    const onOwnFace = letters.x0 >= own.face.x0 && letters.x1 <= own.face.x1 && letters.y0 >= own.face.y0 && letters.y1 <= own.face.y1;
    const across = bars.filter((b) => b.row !== r && overlap(letters, onOwnFace ? b.face : b.box) > 0)
      .map((b) => system.nodeLabel(b.row));
    // its own bar hides it where they overlap as seen and a corner of the text is behind the bar's front face
    const local = new THREE.Matrix4().compose(t.position, t.quaternion, t.scale);
    const behind = [[x0, y0], [x1, y0], [x0, y1], [x1, y1]]
      .some(([x, y]) => new THREE.Vector3(x, y, 0).applyMatrix4(local).z < pos[r * 3 + 2] + size[r * 3 + 2] / 2);
    const hidden = overlap(letters, own.box) > 0 && behind;
    return { text: t.text, box: letters, across, hidden, letterDegrees: degrees(Math.atan2(t.fontSize * scale.y, at.length())) };
  });

  // Overlays: a panel's backing plate is rectangle 0 of its surface.
  // (`onto`: add for its box in azimuth and elevation, addFlat for where it lies on the display)
  const plate = (rects, onto = add) => {
    if (!rects.parent || !rects.count) return null;
    let visible = true;
    rects.traverseAncestors((o) => { visible = visible && o.visible; });
    if (!visible) return null;
    const m = new THREE.Matrix4();
    rects.getMatrixAt(0, m);
    m.premultiply(rects.matrixWorld).premultiply(toView);
    const box = empty();
    for (const [x, y] of [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) {
      const corner = new THREE.Vector3(x, y, 0).applyMatrix4(m);
      if (onto === addFlat && corner.z >= 0) return null; // beside or behind the eyes: on no display
      onto(box, corner);
    }
    return box;
  };
  const menuRects = document.querySelector("#wrist-menu").components["vr-wrist-menu"].sceneButtons[0].surface.rects;
  const menu = plate(menuRects);
  // the names the menu hides: their letters where it lies on the display (it is nearer than any of them)
  const menuFlat = plate(menuRects, addFlat);
  const hiddenByMenu = menuFlat ? [...lanes, ...titles].filter((l) => overlap(l.letters, menuFlat) > 0).map((l) => l.text)
    .concat(serviceNames.filter((n) => overlap(n.box, menuFlat) > 0).map((n) => n.text)) : [];
  const panelComponent = document.querySelector("#vr-span-panel").components["vr-span-panel"];
  const panel = plate(panelComponent.rows[0].surface.rects);
  const selectedRow = system.selectedId === null ? undefined : system.nodes.rowOf.get(system.selectedId);
  const selected = selectedRow === undefined ? null : bars[selectedRow].box;
  const cover = (box) => (box ? overlap(box, content) / area(content) : 0);
  return {
    content: { width: content.x1 - content.x0, height: content.y1 - content.y0, left: content.x0, right: content.x1,
               top: content.y1, bottom: content.y0 },
    marks,
    mark_sizes: seenMarks,
    distance: nearestFront,
    lanes,
    ruler,
    titles,
    service_names: serviceNames,
    bars: bars.map((b) => b.flat),
    names,
    menu, menu_cover: cover(menu), hidden_by_menu: hiddenByMenu,
    panel, panel_cover: cover(panel),
    panel_on_span: panel && selected ? overlap(panel, selected) / area(selected) : 0,
  };
}
"""


def headset_figures(page: Any) -> dict:
    """The figures above, for what the emulated headset shows now."""
    return page.evaluate(HEADSET_FIGURES_JS)


def visible_share(figures: dict, degrees: float) -> float:
    """The share of the marks in view at least `degrees` wide and tall."""
    sizes = figures["mark_sizes"]
    return sum(w >= degrees and h >= degrees for w, h in sizes) / max(len(sizes), 1)


def summary(figures: dict) -> str:
    """One line of the figures that matter, for a test's output."""
    c = figures["content"]
    names = figures["names"]

    def least(kind: str) -> float:
        return min((label["degrees"] for label in figures[kind]), default=0)

    return (f"content {c['width']:.0f}°×{c['height']:.0f}° (top {c['top']:+.0f}°, bottom {c['bottom']:+.0f}°), "
            f"nearest mark {figures['distance']:.2f} m; lane names ≥ {least('lanes'):.2f}°, titles ≥ {least('titles'):.2f}°, "
            f"service names {len(figures['service_names'])} ≥ {least('service_names'):.2f}°; "
            f"span names {len(names)} ≥ {min((n['letterDegrees'] for n in names), default=0):.2f}°, "
            f"across bars {sum(bool(n['across']) for n in names)}, hidden {sum(n['hidden'] for n in names)}; "
            f"menu covers {figures['menu_cover']:.0%} and names {figures['hidden_by_menu']}, panel covers {figures['panel_cover']:.0%} "
            f"and {figures['panel_on_span']:.0%} of its span")
