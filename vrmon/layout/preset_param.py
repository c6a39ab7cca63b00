"""A scene preset's parameter, declared once in its layout's dataclass: its type (the annotation),
its default and what it means. Presets are checked against the type, and docs/scenes.md's table of
keys is generated from these (vrmon.settings_docs)."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def param(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})
