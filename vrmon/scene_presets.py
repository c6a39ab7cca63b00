"""Scene presets: declarative TOML files (a layout plus its visual encodings) users copy and edit."""

from __future__ import annotations

import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vrmon.errors import ConfigError
from vrmon.layout.palette import palette_array
from vrmon.layout.services import ServicesParams
from vrmon.layout.wall import WallParams
from vrmon.layout.waterfall import WaterfallParams

LAYOUT_PARAMS: dict[str, type] = {"waterfall": WaterfallParams, "wall": WallParams, "services": ServicesParams}
TOP_LEVEL_KEYS = {"name", "layout", "description", "params"}
MOST = 1_000_000  # largest number a preset may set: sizes in metres, counts, pixels


@dataclass(frozen=True)
class ScenePreset:
    name: str
    layout: str
    description: str
    params: Any
    path: Path | None = None


def load_presets(dirs: list[Path]) -> dict[str, ScenePreset]:
    """Every *.toml preset in `dirs`; later directories override earlier ones by name."""
    presets: dict[str, ScenePreset] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise ConfigError(f"scenes directory {directory} does not exist")
        for path in sorted(directory.glob("*.toml")):
            preset = load_preset(path)
            presets[preset.name] = preset
    return presets


def load_preset(path: Path) -> ScenePreset:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(data) - TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(TOP_LEVEL_KEYS))}")
    layout = data.get("layout")
    if layout not in LAYOUT_PARAMS:
        raise ConfigError(f"{path}: layout {layout!r} is not one of {', '.join(sorted(LAYOUT_PARAMS))}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"{path}: name {name!r} must be letters, digits, '-' or '_'")
    params = _params(path, LAYOUT_PARAMS[layout], data.get("params", {}))
    return ScenePreset(name, layout, str(data.get("description", "")), params, path)


def _params(path: Path, cls: type, raw: Any) -> Any:
    """The layout's parameters, each checked against the type its dataclass declares."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [params] must be a table")
    declared = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in declared:
            raise ConfigError(f"{path}: unknown key params.{key}; allowed: {', '.join(sorted(declared))}")
        values[key] = _param(f"{path}: params.{key}", declared[key], value)
    return cls(**values)


def _param(where: str, kind: Any, value: Any) -> Any:
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MOST:
            raise ConfigError(f"{where} = {value!r}; expected an integer from 0 to {MOST}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MOST:
            raise ConfigError(f"{where} = {value!r}; expected a number from 0 to {MOST}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} = {value!r}; expected a colour string like \"#59a14f\"")
        palette_array([value], where)
        return value
    if kind == tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} = {value!r}; expected a list of colours like [\"#4e79a7\", \"#f28e2b\"]")
        palette_array(value, where)
        return tuple(value)
    raise TypeError(f"{where}: presets cannot hold a {kind}")  # a new kind of parameter needs a check here
