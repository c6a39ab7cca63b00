"""The .vrrec file format, sans-I/O: frames ↔ bytes. docs/recording.md is the reference.

A file is MAGIC, then frames. Each frame is an 8-byte prefix — body length and CRC-32 of the
body, both uint32 little-endian — then the msgpack body `[kind, t_us, payload]`, `t_us` being the
arrival time in µs since the recording started.

The first frame is the header. A frame is appended whole with one write, so a recorder killed
mid-write leaves at most one torn frame, at the end: its length points past the end of the
file, or its checksum fails with nothing but it (or zeros) after it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from vrmon.formats.values import pack_untrusted
from vrmon.model.dependencies import DependencyLink
from vrmon.model.raw_details import materialized
from vrmon.model.span_batch import SpanBatch

MAGIC = b"\x89VRREC\r\n"  # PNG-style: a high byte and CRLF show a file mangled as text
FORMAT_VERSION = 1
PREFIX = struct.Struct("<II")  # body length, CRC-32 of the body
MAX_BODY = 256 * 1024 * 1024  # a longer length field is corruption, not a frame

KINDS = ("header", "spans", "status", "metrics", "dependencies", "index", "end")


def encode_frame(kind: str, t_us: int, payload: dict[str, Any]) -> bytes:
    """One frame, prefix included, ready to append."""
    body = pack_untrusted(lambda obj: msgpack.packb(obj, use_bin_type=True), [kind, t_us, payload])
    return PREFIX.pack(len(body), zlib.crc32(body)) + body


@dataclass(frozen=True)
class Frame:
    kind: str
    t_us: int  # arrival, µs since the recording started
    payload: dict[str, Any]
    offset: int  # where the frame starts in the file


def encode_spans(source: str, batch: SpanBatch, keep: np.ndarray | None = None) -> dict[str, Any]:
    """The spans of a batch (those where `keep` is True) as typed columns; names as a per-frame
    table plus uint32 codes; the sparse extras as positions in the frame."""
    if keep is not None and not keep.all():
        batch = batch.take(np.flatnonzero(keep).tolist())
    services, service_codes = _table(batch.service)
    operations, operation_codes = _table(batch.operation)
    peers = sorted(batch.peer_service.items())
    callees = sorted(batch.callee.items())
    return {
        "source": source,
        "trace_hi": np.array([t >> 64 for t in batch.trace_id], np.uint64).astype("<u8").tobytes(),
        "trace_lo": np.array([t & 0xFFFF_FFFF_FFFF_FFFF for t in batch.trace_id], np.uint64).astype("<u8").tobytes(),
        "span_id": np.array(batch.span_id, np.uint64).astype("<u8").tobytes(),
        "parent_id": np.array(batch.parent_id, np.uint64).astype("<u8").tobytes(),
        "services": services,
        "service": service_codes,
        "operations": operations,
        "operation": operation_codes,
        "start_us": np.array(batch.start_us, np.int64).astype("<i8").tobytes(),
        "duration_us": np.array(batch.duration_us, np.int64).astype("<i8").tobytes(),
        "error": np.array(batch.error, np.uint8).tobytes(),
        "kind": np.array(batch.kind, np.int8).tobytes(),
        "follows_from": np.array(batch.follows_from, np.uint8).tobytes(),
        "details": [materialized(d) for d in batch.details],  # the text of spans whose details stayed in their file
        "unknown_ref_types": sorted(batch.unknown_ref_types),
        "incomplete": np.array(sorted(batch.incomplete), np.uint32).astype("<u4").tobytes(),
        "peer_at": np.array([i for i, _ in peers], np.uint32).astype("<u4").tobytes(),
        "peers": [peer for _, peer in peers],
        "callee_at": np.array([i for i, _ in callees], np.uint32).astype("<u4").tobytes(),
        "callees": [callee for _, callee in callees],
    }


def _table(names: list[str]) -> tuple[list[str], bytes]:
    codes: dict[str, int] = {}
    column = np.fromiter((codes.setdefault(n, len(codes)) for n in names), np.uint32, count=len(names))
    return list(codes), column.astype("<u4").tobytes()


@dataclass(frozen=True)
class SpanColumns:
    """A recorded span batch decoded as numpy columns (names resolved through the batch's tables)."""

    trace_hi: np.ndarray
    trace_lo: np.ndarray
    span_id: np.ndarray
    parent_id: np.ndarray
    service: list[str]
    operation: list[str]
    start_us: np.ndarray
    duration_us: np.ndarray
    error: np.ndarray
    kind: np.ndarray
    follows_from: np.ndarray
    details: list[bytes]
    unknown_ref_types: frozenset[str]
    incomplete: np.ndarray  # positions of spans with no start time or no duration in their document
    peer_service: dict[int, str]  # position → the remote service a span names (Zipkin)
    callee: dict[int, str]  # position → what a span calls, read from its tags (absent in older recordings)

    def __len__(self) -> int:
        return len(self.span_id)


def decode_spans(payload: dict[str, Any]) -> SpanColumns:
    """Raises ValueError naming what is wrong (the reader adds the file and offset)."""
    n = len(_column(payload, "span_id", "<u8", None))
    services, operations = payload.get("services"), payload.get("operations")
    details = payload.get("details")
    if not (isinstance(services, list) and isinstance(operations, list) and isinstance(details, list)
            and len(details) == n and all(isinstance(d, bytes) for d in details)
            and all(isinstance(s, str) for s in services + operations)):
        raise ValueError("span frame has malformed name tables or details")
    service_codes = _column(payload, "service", "<u4", n)
    operation_codes = _column(payload, "operation", "<u4", n)
    if n and (service_codes.max() >= len(services) or operation_codes.max() >= len(operations)):
        raise ValueError("span frame names a service or operation outside its table")
    return SpanColumns(
        trace_hi=_column(payload, "trace_hi", "<u8", n),
        trace_lo=_column(payload, "trace_lo", "<u8", n),
        span_id=_column(payload, "span_id", "<u8", n),
        parent_id=_column(payload, "parent_id", "<u8", n),
        service=[services[c] for c in service_codes.tolist()],
        operation=[operations[c] for c in operation_codes.tolist()],
        start_us=_column(payload, "start_us", "<i8", n),
        duration_us=_column(payload, "duration_us", "<i8", n),
        error=_column(payload, "error", "u1", n).astype(bool),
        kind=_column(payload, "kind", "i1", n),
        follows_from=_column(payload, "follows_from", "u1", n).astype(bool),
        details=details,
        unknown_ref_types=frozenset(str(t) for t in payload.get("unknown_ref_types") or ()),
        incomplete=_positions(payload, "incomplete", n),
        peer_service=_named_positions(payload, "peer_at", "peers", n),
        callee=_named_positions(payload, "callee_at", "callees", n),
    )


def _positions(payload: dict[str, Any], name: str, n: int) -> np.ndarray:
    if name not in payload:
        return np.empty(0, np.int64)
    at = _column(payload, name, "<u4", None).astype(np.int64)
    if len(at) and at.max() >= n:
        raise ValueError(f"span frame column {name!r} names a span it does not hold")
    return at


def _named_positions(payload: dict[str, Any], at_name: str, names_name: str, n: int) -> dict[int, str]:
    at = _positions(payload, at_name, n)
    names = payload.get(names_name, [])
    if not isinstance(names, list) or len(names) != len(at) or not all(isinstance(p, str) for p in names):
        raise ValueError(f"span frame has malformed {names_name}")
    return dict(zip(at.tolist(), names))


def _column(payload: dict[str, Any], name: str, dtype: str, n: int | None) -> np.ndarray:
    raw = payload.get(name)
    size = np.dtype(dtype).itemsize
    if not isinstance(raw, bytes) or len(raw) % size or (n is not None and len(raw) != n * size):
        raise ValueError(f"span frame column {name!r} is missing or of the wrong length")
    return np.frombuffer(raw, dtype)


def encode_links(source: str, links: list[DependencyLink]) -> dict[str, Any]:
    return {"source": source, "links": [[link.parent, link.child, link.call_count] for link in links]}


def decode_links(payload: dict[str, Any]) -> list[DependencyLink]:
    links = payload.get("links")
    if not isinstance(links, list) or not all(isinstance(l, list) and len(l) == 3 for l in links):
        raise ValueError("dependencies frame has malformed links")
    return [DependencyLink(str(p), str(c), int(n)) for p, c, n in links]
