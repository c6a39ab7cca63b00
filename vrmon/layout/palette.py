"""Colours: a categorical palette for services, parsed once from hex strings."""

from __future__ import annotations

import functools

import numpy as np

from vrmon.errors import ConfigError

# 40 colours for services, perceptually spaced: derived by scripts/derive_palette.py (farthest-point
# selection by CIEDE2000 among sRGB colours that read as text on the dark background, lightness
# 60–90). Smallest pairwise ΔE00: 12.8 over all 40, 24.6 over the first 10. Services take them in
# order of first appearance in the store (service code % 40), so the same service has the same colour
# in every scene and on every reload of the same data, and a small system gets the most distinct ones.
DEFAULT_SERVICE_COLORS = (
    "#0098e8", "#f0e800", "#ff5800", "#ff38d0", "#00a880", "#ffd0ff", "#98f0ff", "#ffd0b0",
    "#00ff50", "#a89038", "#d08080", "#c0c898", "#a088c8", "#78a028", "#ffa858", "#00a0b8",
    "#00f8e8", "#90c0ff", "#c88058", "#f098ff", "#00c8ff", "#70c0b8", "#f8d888", "#80a078",
    "#00e098", "#c8f078", "#ff5850", "#d088b0", "#b8b838", "#ff5088", "#ffa088", "#c068ff",
    "#ffb0c0", "#d08000", "#b0e8c8", "#c8a880", "#7088ff", "#c0c0f0", "#00c038", "#e0a800",
)


def parse_color(text: str, where: str = "colour") -> tuple[int, int, int]:
    """'#rrggbb' → (r, g, b). Drawn nodes are opaque, so the wire carries no alpha for them."""
    value = text.lstrip("#")
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ConfigError(f"{where}: {text!r} is not a colour; use #rrggbb")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def palette_array(colors: tuple[str, ...] | list[str], where: str = "palette") -> np.ndarray:
    """(k, 3) uint8, read-only: parsed once per palette (every layout asks for it)."""
    return _parsed(tuple(colors), where)


@functools.lru_cache(maxsize=64)
def _parsed(colors: tuple[str, ...], where: str) -> np.ndarray:
    if not colors:
        raise ConfigError(f"{where}: needs at least one colour")
    palette = np.array([parse_color(c, where) for c in colors], dtype=np.uint8)
    palette.flags.writeable = False
    return palette
