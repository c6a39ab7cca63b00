"""Colours: a categorical palette for services, parsed once from hex strings."""

from __future__ import annotations

import numpy as np

from vrmon.errors import ConfigError

# Tableau 20 reordered so neighbouring codes contrast; readable on a dark background.
DEFAULT_SERVICE_COLORS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
    "#a0cbe8", "#ffbe7d", "#8cd17d", "#d4a6c8", "#86bcb6", "#f1ce63", "#fabfd2", "#d7b5a6",
    "#bab0ac", "#79706e", "#499894", "#d37295",
)


def parse_color(text: str, where: str = "colour") -> tuple[int, int, int]:
    """'#rrggbb' → (r, g, b). Drawn nodes are opaque, so the wire carries no alpha for them."""
    value = text.lstrip("#")
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ConfigError(f"{where}: {text!r} is not a colour; use #rrggbb")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def palette_array(colors: tuple[str, ...] | list[str], where: str = "palette") -> np.ndarray:
    if not colors:
        raise ConfigError(f"{where}: needs at least one colour")
    return np.array([parse_color(c, where) for c in colors], dtype=np.uint8)
