"""OTLP protobuf read in bulk: the store's columns straight from the wire format (proto_wire.py),
a numpy step per field of all spans at once rather than Python per span.

Each span keeps only where its bytes (and its resource's and scope's) are, through a keeper: in
the trace file (file_details.FileSlices) or copied into its details entry (raw_details.InMemory);
they are decoded by the protobuf package when a viewer opens the span. What the store needs of
the tags is read here too: the service name of each resource and the peer each span calls
(call_peers.py), decoding each distinct value once.

Anything unusual (an invalid id, a parent id of another length, a field repeated where one is
expected, bytes that are not well formed) raises `Unusual` or `Malformed`, and the general reader
(otlp_proto.py) reads the message, with its messages and partial success.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from vrmon.formats.call_peers import PEER_KEYS, peer_of
from vrmon.formats.proto_wire import I64, LEN, VARINT, Fields, Wire, byte_at, fields, last_of_each, varints
from vrmon.formats.typed_checks import Unusual
from vrmon.model.otlp_proto_details import plain_value
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

# field numbers (opentelemetry/proto/trace/v1/trace.proto, common.proto, resource.proto)
RESOURCE_SPANS = 1  # of TracesData (and of ExportTraceServiceRequest: the same bytes)
RESOURCE, SCOPE_SPANS = 1, 2  # of ResourceSpans
SCOPE, SPANS = 1, 2  # of ScopeSpans
TRACE_ID, SPAN_ID, PARENT_SPAN_ID, NAME, KIND, START, END, ATTRIBUTES, STATUS = 1, 2, 4, 5, 6, 7, 8, 9, 15
STATUS_CODE = 3
RESOURCE_ATTRIBUTES = 1
KEY, VALUE = 1, 2  # of KeyValue
_STATUS_CODE_ERROR = 2
_SERVICE_NAME = b"service.name"
_PEER_KEYS = tuple(sorted(PEER_KEYS))


class ProtoKeeper(Protocol):
    """How the reader keeps each span's details: its bytes, its resource's and its scope's, by
    (start, end) offsets in `data` (a part that is absent has start == end)."""

    def otlp_proto(self, data: bytes, span: tuple[np.ndarray, np.ndarray], resource: tuple[np.ndarray, np.ndarray],
                   scope: tuple[np.ndarray, np.ndarray]) -> list[bytes]: ...


_SPAN_FIELDS = {TRACE_ID: LEN, SPAN_ID: LEN, PARENT_SPAN_ID: LEN, NAME: LEN, KIND: VARINT, START: I64, END: I64,
                ATTRIBUTES: LEN, STATUS: LEN}


def read_columns(data: bytes, keep: ProtoKeeper, empty_groups: list[str] | None = None) -> SpanBatch:
    """Every span of a serialized TracesData; `empty_groups` hears of each resourceSpans without
    scopeSpans and each scopeSpans without spans."""
    wire = Wire(data)
    groups = _in_byte_order(fields(wire, np.zeros(1, np.int64), np.full(1, len(data), np.int64),
                                   {RESOURCE_SPANS: LEN})[RESOURCE_SPANS])
    inside = fields(wire, groups.start, groups.end, {RESOURCE: LEN, SCOPE_SPANS: LEN})
    resources = _at_most_one(inside[RESOURCE], len(groups))
    scope_groups = _in_byte_order(inside[SCOPE_SPANS])
    inside = fields(wire, scope_groups.start, scope_groups.end, {SCOPE: LEN, SPANS: LEN})
    scopes = _at_most_one(inside[SCOPE], len(scope_groups))
    spans = _in_byte_order(inside[SPANS])
    if empty_groups is not None:
        empty_groups += _empty_groups(groups, scope_groups, spans)
    batch = SpanBatch()
    n = len(spans)
    if not n:
        return batch
    span_fields = fields(wire, spans.start, spans.end, _SPAN_FIELDS)
    scope_of = spans.message
    group_of = scope_groups.message[scope_of]

    batch.trace_id = _trace_ids(wire, span_fields[TRACE_ID], n)
    batch.span_id = _span_ids(wire, span_fields[SPAN_ID], n, "spanId", absent_ok=False).tolist()
    batch.parent_id = _span_ids(wire, span_fields[PARENT_SPAN_ID], n, "parentSpanId", absent_ok=True).tolist()
    start_ns = _fixed64(wire, span_fields[START], n)
    end_ns = _fixed64(wire, span_fields[END], n)
    end_ns = np.where(end_ns == 0, start_ns, end_ns)
    start_us = (start_ns // 1000).astype(np.int64)  # ≤ 2^64 / 1000: well inside the store's ±2^62
    # (end - start) // 1000, floored, without leaving int64: end or start may be above 2^63 ns
    duration_us = (end_ns // 1000).astype(np.int64) - start_us - (end_ns % 1000 < start_ns % 1000)
    batch.start_us, batch.duration_us = start_us.tolist(), duration_us.tolist()
    kind = _varint_field(wire, span_fields[KIND], n)
    batch.kind = np.where(kind < len(SPAN_KINDS), kind, 0).tolist()
    batch.error = (_status_codes(wire, span_fields[STATUS], n) == _STATUS_CODE_ERROR).tolist()
    batch.follows_from = [False] * n
    batch.operation = _strings(wire, span_fields[NAME], n)
    services = _service_names(wire, resources, len(groups))
    batch.service = np.array(services, dtype=object)[group_of].tolist()
    batch.callee = _callees(wire, span_fields[ATTRIBUTES])
    batch.details = keep.otlp_proto(data, (spans.start, spans.end), (resources.start[group_of], resources.end[group_of]),
                                    (scopes.start[scope_of], scopes.end[scope_of]))
    return batch


def _in_byte_order(rows: Fields) -> Fields:
    order = np.argsort(rows.start)
    return Fields(rows.message[order], rows.start[order], rows.end[order])


def _at_most_one(rows: Fields, count: int) -> Fields:
    """Where a field that protobuf would merge if repeated is in each of `count` messages (start ==
    end: absent); Unusual if one has it twice."""
    if len(rows) and np.bincount(rows.message, minlength=count).max() > 1:
        raise Unusual("a resource or scope given twice in one group")
    start = np.zeros(count, np.int64)
    end = np.zeros(count, np.int64)
    start[rows.message], end[rows.message] = rows.start, rows.end
    return Fields(np.arange(count, dtype=np.int64), start, end)


def _empty_groups(groups: Fields, scope_groups: Fields, spans: Fields) -> list[str]:
    """The resourceSpans without scopeSpans and the scopeSpans without spans, in the order of the bytes."""
    scopes_per_group = np.bincount(scope_groups.message, minlength=len(groups))
    spans_per_scope = np.bincount(spans.message, minlength=len(scope_groups))
    first_scope = np.concatenate([[0], np.cumsum(scopes_per_group)[:-1]])
    notes = [(int(groups.start[g]), f"resourceSpans[{g}] has no scopeSpans")
             for g in np.flatnonzero(scopes_per_group == 0).tolist()]
    for scope in np.flatnonzero(spans_per_scope == 0).tolist():
        group = int(scope_groups.message[scope])
        notes.append((int(scope_groups.start[scope]),
                      f"resourceSpans[{group}].scopeSpans[{scope - int(first_scope[group])}] has no spans"))
    return [note for _, note in sorted(notes)]


def _each(rows: Fields, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, present) of a field in each of n messages (the last one where it is repeated)."""
    chosen = last_of_each(rows.message, rows.start, n)
    present = chosen >= 0
    if not len(rows):
        return np.zeros(n, np.int64), np.zeros(n, np.int64), present
    return np.where(present, rows.start[chosen], 0), np.where(present, rows.end[chosen], 0), present


def _trace_ids(wire: Wire, rows: Fields, n: int) -> list[int]:
    start, end, _ = _each(rows, n)
    if ((end - start) != 16).any():
        raise Unusual("a traceId that is not 16 bytes")
    high, low = wire.u64_at(start).byteswap(), wire.u64_at(start + 8).byteswap()  # ids are big-endian bytes
    if not (high | low).all():
        raise Unusual("an all-zero traceId")
    return ((high.astype(object) << 64) | low.astype(object)).tolist()


def _span_ids(wire: Wire, rows: Fields, n: int, name: str, absent_ok: bool) -> np.ndarray:
    start, end, _ = _each(rows, n)
    length = end - start
    if ((length != 8) & ((length != 0) | (not absent_ok))).any():
        raise Unusual(f"a {name} that is not 8 bytes")
    ids = wire.u64_at(start).byteswap()
    ids[length == 0] = 0
    if not absent_ok and not ids.all():
        raise Unusual(f"an all-zero {name}")
    return ids


def _fixed64(wire: Wire, rows: Fields, n: int) -> np.ndarray:
    start, _, present = _each(rows, n)
    values = wire.u64_at(start)
    values[~present] = 0
    return values


def _varint_field(wire: Wire, rows: Fields, n: int) -> np.ndarray:
    start, end, present = _each(rows, n)
    values = np.zeros(n, np.uint64)
    if present.any():
        values[present] = varints(wire.buf, start[present], end[present])[0]
    return values


def _status_codes(wire: Wire, statuses: Fields, n: int) -> np.ndarray:
    """Each span's status code: the last one set, over all of its status fields (protobuf merges them)."""
    if not len(statuses):
        return np.zeros(n, np.uint64)
    codes = fields(wire, statuses.start, statuses.end, {STATUS_CODE: VARINT})[STATUS_CODE]
    return _varint_field(wire, Fields(statuses.message[codes.message], codes.start, codes.end), n)


def _strings(wire: Wire, rows: Fields, n: int) -> list[str]:
    """A string field of each span ("" when absent), each distinct one decoded once."""
    start, end, _ = _each(rows, n)
    which, firsts = _distinct_slices(wire, start, end)
    try:
        texts = [wire.data[a:b].decode() for a, b in zip(start[firsts].tolist(), end[firsts].tolist())]
    except UnicodeDecodeError:
        raise Unusual("a name that is not UTF-8") from None
    return np.array(texts, dtype=object)[which].tolist()


def _distinct_slices(wire: Wire, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which distinct byte string data[start:end] each row is (0, 1, ...), and a row of each."""
    length = end - start
    if not len(start):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    width = -(-int(length.max()) // 8) * 8
    if width > _WIDEST_COMPARED:  # a few long values: compared as Python bytes
        distinct: dict[bytes, int] = {}
        firsts: list[int] = []
        which = np.empty(len(start), np.int64)
        for row, (a, b) in enumerate(zip(start.tolist(), end.tolist())):
            code = distinct.setdefault(wire.data[a:b], len(distinct))
            if code == len(firsts):
                firsts.append(row)
            which[row] = code
        return which, np.array(firsts, np.int64)
    width = max(width, 8)
    padded = wire.rows(start, width) * (np.arange(width) < length[:, None])  # bytes past each value's end as zeros
    table = np.concatenate([length[:, None].astype(np.uint64), padded.view("<u8")], axis=1)
    return _distinct_rows(table)


_WIDEST_COMPARED = 256  # bytes: values up to this long are told apart with numpy, longer ones in Python


def _key_rows(wire: Wire, attributes: Fields, keys: tuple[bytes, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Which attributes (KeyValue rows of `attributes`) have one of `keys`: their rows, and the index of
    the key in `keys`."""
    key_start, key_end = _keys(wire, attributes)
    key_length = key_end - key_start
    rows, codes = [], []
    for length in sorted({len(key) for key in keys}):
        same_length = np.flatnonzero(key_length == length)
        if not same_length.size:
            continue
        words = wire.words(key_start[same_length], length)  # read once for every key of this length
        for code, key in enumerate(keys):
            if len(key) == length:
                equal = same_length[wire.equal(words, key)]
                rows.append(equal)
                codes.append(np.full(len(equal), code, np.int64))
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(rows), np.concatenate(codes)


def _keys(wire: Wire, attributes: Fields) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of each KeyValue's key (start == end: none). Nearly every KeyValue is its key (a
    length under 128) then its value, read directly; the others are walked field by field."""
    start, end = attributes.start, attributes.end
    buf = wire.buf
    key_length = byte_at(buf, start + 1).astype(np.int64)
    key_end = start + 2 + key_length
    value_length = byte_at(buf, key_end + 1).astype(np.int64)
    plain = ((byte_at(buf, start) == 0x0A) & (key_length < 0x80) & (value_length < 0x80)
             & ((key_end == end) | ((byte_at(buf, key_end) == 0x12) & (key_end + 2 + value_length == end))))
    key_start = np.where(plain, start + 2, 0)
    key_end = np.where(plain, key_end, 0)
    other = np.flatnonzero(~plain)
    if other.size:
        keys = fields(wire, start[other], end[other], {KEY: LEN})[KEY]
        chosen = last_of_each(keys.message, keys.start, other.size)
        found = chosen >= 0
        key_start[other[found]] = keys.start[chosen[found]]
        key_end[other[found]] = keys.end[chosen[found]]
    return key_start, key_end


def _plain_values(wire: Wire, attributes: Fields, rows: np.ndarray,
                  codes: np.ndarray) -> tuple[list, np.ndarray]:
    """The distinct KeyValues among `rows` as (key, plain value) pairs (decoded by the protobuf
    package, once each), and which of them each row is. Rows of one key code are compared
    together (they are of similar lengths)."""
    start, end = attributes.start[rows], attributes.end[rows]
    which = np.empty(len(rows), np.int64)
    pairs: list[tuple[str, object]] = []
    for code in np.unique(codes).tolist():
        of_code = np.flatnonzero(codes == code)
        distinct, firsts = _distinct_slices(wire, start[of_code], end[of_code])
        which[of_code] = distinct + len(pairs)
        for a, b in zip(start[of_code][firsts].tolist(), end[of_code][firsts].tolist()):
            pair = KeyValue.FromString(wire.data[a:b])
            pairs.append((pair.key, plain_value(pair.value)))
    return pairs, which


def _service_names(wire: Wire, resources: Fields, n_groups: int) -> list[str]:
    """Each resource's first service.name attribute, as text (UNKNOWN_SERVICE when absent or empty)."""
    names = [UNKNOWN_SERVICE] * n_groups
    attributes = fields(wire, resources.start, resources.end, {RESOURCE_ATTRIBUTES: LEN})[RESOURCE_ATTRIBUTES]
    rows, codes = _key_rows(wire, attributes, (_SERVICE_NAME,))
    if not rows.size:
        return names
    order = np.argsort(attributes.start[rows])[::-1]  # the first in each resource is written last
    rows, codes = rows[order], codes[order]
    pairs, which = _plain_values(wire, attributes, rows, codes)
    for group, pair in zip(attributes.message[rows].tolist(), which.tolist()):
        value = pairs[pair][1]
        names[group] = str(value) if value not in (None, "") else UNKNOWN_SERVICE
    return names


def _callees(wire: Wire, attributes: Fields) -> dict[int, str]:
    """What each span calls (call_peers.peer_of on its peer tags, the later of a repeated key),
    by position; spans that name no peer are left out."""
    rows, codes = _key_rows(wire, attributes, tuple(key.encode() for key in _PEER_KEYS))
    if not rows.size:
        return {}
    pairs, which = _plain_values(wire, attributes, rows, codes)
    # a row per span naming a peer: the distinct KeyValue each peer key has there (-1: none)
    spans, slot = np.unique(attributes.message[rows], return_inverse=True)
    width = len(_PEER_KEYS)
    chosen = last_of_each(slot * width + codes, attributes.start[rows], len(spans) * width)
    table = np.where(chosen >= 0, which[chosen], -1).reshape(len(spans), width)
    combination_of, firsts = _distinct_rows(table)
    names = [peer_of({pairs[p][0]: pairs[p][1] for p in combination.tolist() if p >= 0}) for combination in table[firsts]]
    named = np.array([name != "" for name in names], bool)[combination_of]
    return dict(zip(spans[named].tolist(), np.array(names, dtype=object)[combination_of[named]].tolist()))


_WEIGHTS = np.random.default_rng(0).integers(1, 2**63, 2 + _WIDEST_COMPARED // 8, dtype=np.uint64)


def _distinct_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which distinct row each row of an integer table is (0, 1, ...), and a row of each. A random
    64-bit weighing of each row groups them with one sort of integers; the grouping is then checked."""
    weights = _WEIGHTS[: table.shape[1]] if table.shape[1] <= len(_WEIGHTS) else \
        np.random.default_rng(0).integers(1, 2**63, table.shape[1], dtype=np.uint64)
    hashes = (table.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    _, firsts, which = np.unique(hashes, return_index=True, return_inverse=True)
    if not (table[firsts][which] == table).all():  # two different rows weighed the same
        _, firsts, which = np.unique(table, axis=0, return_index=True, return_inverse=True)
    return which.reshape(-1), firsts
