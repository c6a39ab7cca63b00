"""Legibility figures for a scene as a person sees it (DESIGN.md, "The picture").

Three measurements, used together by the per-scene legibility tests:
- `mark_figures(page)`: every instance of every InstancedMesh tagged
  `userData.legibilityMarks = true` projected into CSS pixels, giving the share of the canvas the
  content's box covers (framing), the share of marks on screen and the share at least 2×2 px;
- `overlay_cover(page, box)`: the share of the content's box covered by DOM overlays, sampled
  with `document.elementFromPoint`;
- `read_3d_view(page, path)`: a screenshot of the 3D view with every DOM overlay hidden
  (`screenshot_3d_view`), read by tesseract, so a name counts only if it can be read whole (not
  cut by the edge, not hidden); `ocr_boxes(path, boxes)` reads that screenshot one label's box at a time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

# Projects the marks into CSS pixels. A mark is one instance's bounding box (8 corners through
# the instance and world matrices); hidden instances (zero scale) and corners behind the camera
# are skipped. Marks are clipped to the canvas for the "visible" size: a bar running off screen is
# as big as the part a person can see.
MARK_FIGURES_JS = """
() => {
  const THREE = AFRAME.THREE;
  const sceneEl = document.querySelector("a-scene");
  const camera = sceneEl.camera;
  const canvas = sceneEl.canvas.getBoundingClientRect();
  const W = canvas.width, H = canvas.height;
  camera.updateMatrixWorld();
  sceneEl.object3D.updateMatrixWorld(true);
  const m = new THREE.Matrix4(), mw = new THREE.Matrix4(), v = new THREE.Vector3();
  const scale = new THREE.Vector3(), pos = new THREE.Vector3(), quat = new THREE.Quaternion();
  let marks = 0, onScreen = 0, big = 0;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const rects = [];
  sceneEl.object3D.traverseVisible((object) => {
    if (!object.isInstancedMesh || !object.userData.legibilityMarks) return;
    const geometry = object.geometry;
    if (!geometry.boundingBox) geometry.computeBoundingBox();
    const bb = geometry.boundingBox;
    for (let i = 0; i < object.count; i++) {
      object.getMatrixAt(i, m);
      m.decompose(pos, quat, scale);
      if (scale.x === 0 && scale.y === 0 && scale.z === 0) continue;
      mw.multiplyMatrices(object.matrixWorld, m);
      let rx0 = Infinity, ry0 = Infinity, rx1 = -Infinity, ry1 = -Infinity, corners = 0;
      for (let c = 0; c < 8; c++) {
        v.set(c & 1 ? bb.max.x : bb.min.x, c & 2 ? bb.max.y : bb.min.y, c & 4 ? bb.max.z : bb.min.z);
        v.applyMatrix4(mw).project(camera);
        if (v.z > 1) continue;
        corners++;
        const x = (v.x + 1) / 2 * W, y = (1 - v.y) / 2 * H;
        rx0 = Math.min(rx0, x); ry0 = Math.min(ry0, y); rx1 = Math.max(rx1, x); ry1 = Math.max(ry1, y);
      }
      marks++;
      if (!corners) continue;
      const cx0 = Math.max(rx0, 0), cy0 = Math.max(ry0, 0), cx1 = Math.min(rx1, W), cy1 = Math.min(ry1, H);
      if (cx1 <= cx0 || cy1 <= cy0) continue;  // entirely off screen
      onScreen++;
      if (cx1 - cx0 >= 2 && cy1 - cy0 >= 2) big++;
      x0 = Math.min(x0, cx0); y0 = Math.min(y0, cy0); x1 = Math.max(x1, cx1); y1 = Math.max(y1, cy1);
      if (rects.length < 5000) rects.push([cx0, cy0, cx1, cy1]);
    }
  });
  const box = onScreen ? {x0, y0, x1, y1} : null;
  return {
    marks, on_screen: marks ? onScreen / marks : 0, visible_2px: onScreen ? big / onScreen : 0,
    box, box_share: box ? (x1 - x0) * (y1 - y0) / (W * H) : 0, width: W, height: H, rects,
  };
}
"""

# Samples a grid of points inside the box: a point whose top element is neither the canvas nor
# part of A-Frame's own markup is covered by a DOM overlay.
OVERLAY_COVER_JS = """
({box, steps}) => {
  const canvas = document.querySelector("a-scene").canvas;
  let covered = 0, total = 0;
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      const x = box.x0 + (box.x1 - box.x0) * (i + 0.5) / steps;
      const y = box.y0 + (box.y1 - box.y0) * (j + 0.5) / steps;
      const top = document.elementFromPoint(x, y);
      total++;
      if (top && top !== canvas && !top.closest("a-scene")) covered++;
    }
  }
  return total ? covered / total : 0;
}
"""

# Hides every DOM element outside <a-scene> (and A-Frame's own buttons inside it) so a
# screenshot shows only what is drawn in 3D; returns how to undo it.
HIDE_OVERLAYS_JS = """
() => {
  const hidden = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("a-scene") && !el.matches(".a-enter-vr, .a-enter-ar, .a-orientation-modal, .a-loader-title")) continue;
    if (el.tagName === "CANVAS") continue;
    hidden.push([el, el.style.getPropertyValue("visibility"), el.style.getPropertyPriority("visibility")]);
    el.style.setProperty("visibility", "hidden", "important");
  }
  window.__legibilityHidden = hidden;
  return hidden.length;
}
"""

RESTORE_OVERLAYS_JS = """
() => {
  for (const [el, value, priority] of window.__legibilityHidden || []) {
    if (value) el.style.setProperty("visibility", value, priority); else el.style.removeProperty("visibility");
  }
  delete window.__legibilityHidden;
}
"""

# Two animation frames, so a change made in the page has been drawn before a screenshot.
# Two more frames drawn by the 3D view (it draws on demand: each animation frame asks for one), so a
# screenshot holds what the scene graph says now; a page without a scene waits two animation frames.
TWO_FRAMES_JS = """() => new Promise((done) => {
  const scene = document.querySelector('a-scene'), drawn = scene?.renderer?.info.render, start = drawn?.frame ?? 0;
  let animationFrames = 0;
  const step = () => {
    if (drawn ? drawn.frame >= start + 2 : ++animationFrames > 2) return done();
    scene?.systems['render-on-demand']?.requestFrame();
    requestAnimationFrame(step);
  };
  step();
})"""


def mark_figures(page: Any) -> dict:
    """Framing and mark-size figures of what is drawn now (see MARK_FIGURES_JS)."""
    return page.evaluate(MARK_FIGURES_JS)


def overlay_cover(page: Any, box: dict, steps: int = 24) -> float:
    """Share of `box` (CSS pixels: x0, y0, x1, y1) whose top element is a DOM overlay."""
    return page.evaluate(OVERLAY_COVER_JS, {"box": box, "steps": steps})


# One thread per tesseract run: its OpenMP threads spin while they wait for each other, which on
# 2 cores shared by pytest workers and Chromium doubled the CPU time of a read (user+sys 2.1 s
# against 0.75 s for a 1920x1080 view, the same words read).
TESSERACT_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def require_tesseract() -> str:
    found = shutil.which("tesseract")
    if not found:
        pytest.skip("tesseract is not installed (make test installs it: scripts/install-test-tools.sh)")
    return found


def _prepared_for_ocr(image):
    """Dark text on white, 3× larger: what tesseract reads best."""
    from PIL import Image, ImageChops, ImageOps

    r, g, b = image.convert("RGB").split()
    # The brightest channel keeps blue and green labels that luminance alone would lose.
    bright = ImageOps.autocontrast(ImageChops.lighter(ImageChops.lighter(r, g), b))
    ready = ImageOps.invert(bright)
    return ready.resize((ready.width * 3, ready.height * 3), Image.LANCZOS)


def _words(text: str) -> list[str]:
    words: list[str] = []
    for token in re.split(r"[\s:,;()\[\]{}\"'“”‘’]+", text.lower()):
        token = token.strip(".·•…")
        if not token:
            continue
        words.append(_normal(token))
    return words


def _normal(token: str) -> str:
    """Tesseract's usual confusions in names like svc-07 or issue115, undone alike in what it read
    and in the names looked for: o beside digits is 0, l beside digits is 1, | is l."""
    return re.sub(r"(?<=\d)l|l(?=\d)", "1", re.sub(r"(?<=\d)o|o(?=\d)", "0", token.replace("|", "l")))


def ocr_words(image_path: Path) -> set[str]:
    """Lowercase words tesseract reads in a screenshot of coloured text on a dark background."""
    from PIL import Image

    tesseract = require_tesseract()
    prepared = image_path.with_name(image_path.stem + "-ocr.png")
    _prepared_for_ocr(Image.open(image_path)).save(prepared)
    text = subprocess.run([tesseract, str(prepared), "-", "--psm", "11"], capture_output=True, text=True,
                          check=True, env=TESSERACT_ENV).stdout
    return set(_words(text))


# White between the labels' crops on the sheet ocr_boxes reads (prepared pixels: 3× the screen's).
SHEET_GAP = 40


def ocr_boxes(image_path: Path, boxes: list[dict], inset: int = 0) -> list[str]:
    """What tesseract reads as one line of text inside each box (x0, y0, x1, y1 in the
    screenshot's pixels, `inset` px in from each side: the text within a label's backing), as its
    letters and digits: a label read where it is drawn, as a person reads one name among many
    marks (a whole-view read loses names among the dots of a 200-node graph).

    The crops go one to a row, with white between, on one sheet that tesseract reads once (its
    words are sorted back to their rows by height): a run of tesseract per box took 7-14 times
    longer for the same reading (38 of 38 names of a 40-service graph, 8 of 9 of Yelp's)."""
    from PIL import Image

    tesseract = require_tesseract()
    if not boxes:
        return []
    image = Image.open(image_path)
    crops = []
    for box in boxes:
        x0, y0 = max(int(box["x0"]) + inset, 0), max(int(box["y0"]) + inset, 0)
        x1, y1 = min(int(box["x1"]) - inset, image.width), min(int(box["y1"]) - inset, image.height)
        crops.append(_prepared_for_ocr(image.crop((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)))))
    sheet = Image.new("L", (max(c.width for c in crops) + 2 * SHEET_GAP, sum(c.height + SHEET_GAP for c in crops) + SHEET_GAP), 255)
    rows, y = [], SHEET_GAP
    for crop in crops:
        sheet.paste(crop, (SHEET_GAP, y))
        rows.append((y - SHEET_GAP / 2, y + crop.height + SHEET_GAP / 2))
        y += crop.height + SHEET_GAP
    prepared = image_path.with_name(f"{image_path.stem}-boxes.png")
    sheet.save(prepared)
    tsv = subprocess.run([tesseract, str(prepared), "-", "--psm", "6", "tsv"], capture_output=True, text=True,
                         check=True, env=TESSERACT_ENV).stdout
    words: list[list[tuple[int, str]]] = [[] for _ in rows]
    for line in tsv.splitlines()[1:]:
        # level, page, block, paragraph, line, word, left, top, width, height, confidence, text
        field = line.split("\t")
        if len(field) < 12 or field[0] != "5" or not field[11].strip():
            continue
        middle = int(field[7]) + int(field[9]) / 2
        row = next((i for i, (top, bottom) in enumerate(rows) if top <= middle < bottom), None)
        if row is not None:
            words[row].append((int(field[6]), field[11]))
    return [letters_and_digits(" ".join(_words(" ".join(text for _, text in sorted(row))))) for row in words]


def letters_and_digits(text: str) -> str:
    """A name as its letters and digits only ("catalog-5" and tesseract's "catalog:5" alike)."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def screenshot_3d_view(page: Any, path: Path) -> Path:
    """Screenshot the 3D view alone (DOM overlays hidden) to `path`."""
    page.evaluate(HIDE_OVERLAYS_JS)
    try:
        page.evaluate(TWO_FRAMES_JS)
        page.screenshot(path=str(path))
    finally:
        page.evaluate(RESTORE_OVERLAYS_JS)
    return path


def read_3d_view(page: Any, path: Path) -> set[str]:
    """Screenshot the 3D view alone (DOM overlays hidden) to `path` and read it with OCR."""
    require_tesseract()
    return ocr_words(screenshot_3d_view(page, path))


def names_read(words: set[str], names: list[str]) -> list[str]:
    """The names that OCR read whole (a cut name such as 'frontend-prox' does not count)."""
    return [name for name in names if _normal(name.lower()) in words]


def labels_read(shot: Path, labels: list[dict], inset: int = 0, prefix: bool = False) -> list[str]:
    """The text of each label (its box and "text") that OCR reads in `shot`: where it is drawn, or
    else anywhere in the whole view. The crops are read first, in one run: the whole view's read
    (4-8 times slower, on a picture 3x the page) runs only for the labels they missed, if any.
    `prefix`: a crop may go on past the text (a wall title's service, then its operation)."""
    in_place = [text.startswith(letters_and_digits(label["text"])) if prefix else text == letters_and_digits(label["text"])
                for label, text in zip(labels, ocr_boxes(shot, labels, inset))]
    words = ocr_words(shot) if not all(in_place) else set()
    return [label["text"] for label, ok in zip(labels, in_place) if ok or names_read(words, [label["text"]])]
