"""Derive vrmon's categorical service palette (vrmon/layout/palette.py, DEFAULT_SERVICE_COLORS).

Method (deterministic; run `python scripts/derive_palette.py` to reproduce the list):
1. Candidates: the sRGB cube on a grid of 8 levels per step (33³ colours), kept if they read as
   coloured text on vrmon's dark background (#0a0d14): CIELAB lightness 60–90 and chroma ≥ 25.
2. Farthest-point order: start from the candidate nearest a mid blue (#5b8fd9), then repeatedly add
   the candidate whose smallest CIEDE2000 distance to the colours chosen so far is largest. Every
   prefix is therefore spread out too: services get colours in order of first appearance, so a
   trace with 6 services uses the 6 most distinct colours.
3. Refinement: a few passes that swap each colour for the candidate farthest from all the others,
   when that raises its own nearest distance (the order, and so the prefixes, stay as they were).
The result's smallest pairwise ΔE00 is printed and checked by tests/test_palette.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vrmon.layout.color_difference import ciede2000, min_pairwise_distance, srgb_to_lab  # noqa: E402

SIZE = 40
START = (0x5B, 0x8F, 0xD9)
L_RANGE = (60.0, 90.0)
MIN_CHROMA = 25.0


def candidates() -> tuple[np.ndarray, np.ndarray]:
    levels = np.arange(0, 256, 8).clip(0, 255)
    levels = np.unique(np.append(levels, 255))
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    lab = srgb_to_lab(rgb)
    keep = (lab[:, 0] >= L_RANGE[0]) & (lab[:, 0] <= L_RANGE[1]) & (np.hypot(lab[:, 1], lab[:, 2]) >= MIN_CHROMA)
    return rgb[keep], lab[keep]


def derive(size: int = SIZE) -> np.ndarray:
    rgb, lab = candidates()
    first = int(np.argmin(np.abs(rgb.astype(int) - START).sum(axis=1)))
    chosen = [first]
    nearest = ciede2000(lab, lab[first])
    while len(chosen) < size:
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, ciede2000(lab, lab[pick]))
    for _ in range(3):
        for slot in range(size):
            others = [c for k, c in enumerate(chosen) if k != slot]
            to_others = ciede2000(lab[:, None, :], lab[None, others, :]).min(axis=1)
            if to_others.max() > to_others[chosen[slot]] + 1e-9:
                chosen[slot] = int(np.argmax(to_others))
    return rgb[chosen]


def main() -> None:
    palette = derive()
    print(f"# {len(palette)} colours, smallest pairwise CIEDE2000 = {min_pairwise_distance(palette):.2f}")
    print(f"# first 10: smallest pairwise CIEDE2000 = {min_pairwise_distance(palette[:10]):.2f}")
    hexes = [f'"#{r:02x}{g:02x}{b:02x}"' for r, g, b in palette]
    for i in range(0, len(hexes), 8):
        print("    " + ", ".join(hexes[i:i + 8]) + ",")


if __name__ == "__main__":
    main()
