"""Every setting once: name, default, help. Feeds the CLI flags, VRMON_* variables and the docs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrmon.errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the checkout: static/, scenes/, node_modules/


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str

    @property
    def env(self) -> str:
        return "VRMON_" + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def resolve_default(self) -> Any:
        """The default, unless its VRMON_* variable is set."""
        raw = os.environ.get(self.env)
        if raw is None:
            return self.default
        if self.type is bool:
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ConfigError(f"{self.env}={raw!r}: use 1 or 0")
            return raw.lower() in ("1", "true", "yes", "on")
        try:
            return self.type(raw)
        except ValueError:
            raise ConfigError(f"{self.env}={raw!r} is not a valid {self.type.__name__}") from None


SERVE_SETTINGS = (
    Setting("host", "127.0.0.1", "address to bind; anything but loopback exposes your traces to the network"),
    Setting("port", 8080, "port to listen on", int),
    Setting("scene", "waterfall", "scene to start in (a preset name from scenes/ or --scenes-dir)"),
    Setting("scenes_dir", "", "extra directory of scene presets (*.toml); they override built-ins of the same name"),
    Setting("tick", 0.1, "seconds between scene updates sent to viewers", float),
    Setting("viewer_queue", 64, "frames queued per viewer before a slow viewer is resynced with a snapshot", int),
    Setting("host_metrics", True, "stream this host's CPU, load and memory (the ring around your feet)", bool),
)


@dataclass
class ServeConfig:
    replay: list[Path] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8080
    scene: str = "waterfall"
    scenes_dir: str = ""
    tick: float = 0.1
    viewer_queue: int = 64
    host_metrics: bool = True
    static_dir: Path = PACKAGE_ROOT / "static"
    node_modules: Path = PACKAGE_ROOT / "node_modules"
    builtin_scenes: Path = PACKAGE_ROOT / "scenes"

    def scene_dirs(self) -> list[Path]:
        dirs = [self.builtin_scenes]
        if self.scenes_dir:
            dirs.append(Path(self.scenes_dir))
        return dirs
