"""Scene arrays: what a layout produces and the protocol sends, one row per drawn node."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NO_STRING = 0xFFFF  # service/operation code of a node that is not a span
CRITICAL = 128  # scene flag bit on top of SpanFlag: on the trace's critical path


@dataclass
class Nodes:
    """Columns of drawn nodes. `pos` is the box centre, `size` its extent, both in metres."""

    ids: np.ndarray  # uint32
    pos: np.ndarray  # float32 (n, 3)
    size: np.ndarray  # float32 (n, 3)
    color: np.ndarray  # uint8 (n, 4) RGBA
    service: np.ndarray  # uint16
    operation: np.ndarray  # uint16
    flags: np.ndarray  # uint8

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> "Nodes":
        return cls(
            ids=np.empty(0, np.uint32),
            pos=np.empty((0, 3), np.float32),
            size=np.empty((0, 3), np.float32),
            color=np.empty((0, 4), np.uint8),
            service=np.empty(0, np.uint16),
            operation=np.empty(0, np.uint16),
            flags=np.empty(0, np.uint8),
        )

    def take(self, index: np.ndarray) -> "Nodes":
        return Nodes(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})


@dataclass
class Label:
    text: str
    pos: tuple[float, float, float]
    kind: str  # "lane", "tick", "title"

    def to_wire(self) -> dict:
        return {"text": self.text, "pos": [round(float(v), 3) for v in self.pos], "kind": self.kind}


@dataclass
class Layout:
    nodes: Nodes
    labels: list[Label] = field(default_factory=list)
    bounds: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # min xyz, max xyz


def bounds_of(nodes: Nodes) -> tuple[float, ...]:
    if not len(nodes):
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    lo = (nodes.pos - nodes.size / 2).min(axis=0)
    hi = (nodes.pos + nodes.size / 2).max(axis=0)
    return tuple(float(v) for v in (*lo, *hi))
