"""SpanBatch: spans as parsed from one document, before they join the store.

Parsers append plain Python values to the lists (the only per-span Python work on the load
path); `to_arrays` turns them into numpy columns in one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UNKNOWN_SERVICE = "(unknown service)"

# OTLP SpanKind numbering, shared by both formats.
SPAN_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")


_SPARSE = ("unknown_ref_types", "incomplete", "peer_service", "callee")  # not one entry per span


@dataclass
class SpanBatch:
    trace_id: list[int] = field(default_factory=list)  # up to 128 bits
    span_id: list[int] = field(default_factory=list)  # 64 bits
    parent_id: list[int] = field(default_factory=list)  # 0 when the span names no parent
    service: list[str] = field(default_factory=list)
    operation: list[str] = field(default_factory=list)
    start_us: list[int] = field(default_factory=list)
    duration_us: list[int] = field(default_factory=list)
    error: list[bool] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    follows_from: list[bool] = field(default_factory=list)  # parent link is FOLLOWS_FROM
    # msgpack bytes of the raw span plus its process/resource, decoded only on demand
    details: list[bytes] = field(default_factory=list)
    unknown_ref_types: set[str] = field(default_factory=set)
    # Sparse extras, by position in this batch: few formats set them, so the others need not.
    # no start time or no duration in the document (the span's details say so; recordings keep it)
    incomplete: set[int] = field(default_factory=set)
    peer_service: dict[int, str] = field(default_factory=dict)  # the remote service a span names (Zipkin)
    # what a span calls, read from its tags (formats/call_peers.py): another service, host:port, a database
    callee: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.span_id)

    def extend(self, other: "SpanBatch") -> None:
        """Append `other`'s spans (`batch.extend(other)` n times repeats them)."""
        offset = len(self)
        for name in self.__dataclass_fields__:
            if name == "unknown_ref_types":
                self.unknown_ref_types |= other.unknown_ref_types
            elif name == "incomplete":
                self.incomplete.update(i + offset for i in other.incomplete)
            elif name in ("peer_service", "callee"):
                getattr(self, name).update((i + offset, peer) for i, peer in getattr(other, name).items())
            else:
                getattr(self, name).extend(getattr(other, name))

    def take(self, positions: "list[int] | range") -> "SpanBatch":
        """The spans at `positions`, in that order, as a batch of their own (sparse extras follow)."""
        part = SpanBatch(unknown_ref_types=set(self.unknown_ref_types))
        at = {int(i): n for n, i in enumerate(positions)}
        for name in self.__dataclass_fields__:
            if name not in _SPARSE:
                values = getattr(self, name)
                setattr(part, name, [values[i] for i in at])
        part.incomplete = {at[i] for i in self.incomplete if i in at}
        part.peer_service = {at[i]: peer for i, peer in self.peer_service.items() if i in at}
        part.callee = {at[i]: peer for i, peer in self.callee.items() if i in at}
        return part

    def to_arrays(self) -> dict[str, np.ndarray]:
        n = len(self)
        # np.fromiter reads a list of small ints or bools faster than np.array; 64-bit ids the other way round
        return {
            "span_id": np.array(self.span_id, dtype=np.uint64),
            "parent_id": np.array(self.parent_id, dtype=np.uint64),
            "start_us": np.fromiter(self.start_us, dtype=np.int64, count=n),
            "duration_us": np.fromiter(self.duration_us, dtype=np.int64, count=n),
            "error": np.fromiter(self.error, dtype=bool, count=n),
            "kind": np.fromiter(self.kind, dtype=np.int8, count=n),
            "follows_from": np.fromiter(self.follows_from, dtype=bool, count=n),
        }
