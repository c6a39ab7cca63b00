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


def parse_color(text: str, where: str = "colour") -> tuple[int, int, int, int]:
    value = text.lstrip("#")
    if len(value) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ConfigError(f"{where}: {text!r} is not a colour; use #rrggbb or #rrggbbaa")
    rgba = [int(value[i : i + 2], 16) for i in range(0, len(value), 2)]
    return (*rgba, 255)[:4] if len(rgba) == 3 else tuple(rgba)  # type: ignore[return-value]


def palette_array(colors: tuple[str, ...] | list[str], where: str = "palette") -> np.ndarray:
    if not colors:
        raise ConfigError(f"{where}: needs at least one colour")
    return np.array([parse_color(c, where) for c in colors], dtype=np.uint8)
