"""The protobuf wire format read in bulk with numpy: the fields of many messages at once.

A message is a run of fields, each a tag (a varint: field number << 3 | wire type) then a value:
a varint, 8 or 4 bytes, or a varint length and that many bytes (a string, bytes or an embedded
message). `fields` walks many messages side by side, one field of each per numpy step, so the
200k spans of a file cost a few dozen numpy steps instead of a Python loop per field. Once few
messages are left (a TracesData has one message with thousands of fields), a plain loop
finishes them. Anything not well formed raises `Malformed`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

VARINT, I64, LEN, I32 = 0, 1, 2, 5
_VECTOR_ABOVE = 32  # messages still being walked: below this many, a Python loop is quicker than numpy steps
_MAX_VARINT = 10
_SHIFTS = (7 * np.arange(_MAX_VARINT)).astype(np.uint64)


class Malformed(ValueError):
    """The bytes are not a well-formed protobuf message (the message says where)."""


class Wire:
    """A message's bytes, with the views the bulk readers read them through: bytes, 8 bytes from
    any offset at once, or rows of bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.buf = np.frombuffer(data, np.uint8)
        # overlapping little-endian words, one starting at each byte (the last 7 bytes start none)
        self._u64 = np.ndarray((max(len(data) - 7, 0),), "<u8", data, strides=(1,))

    def u64_at(self, offsets: np.ndarray) -> np.ndarray:
        """The 8 bytes from each offset as a little-endian number (bytes past the end read as 0)."""
        words = self._u64
        value = words[np.minimum(offsets, len(words) - 1)] if len(words) else np.zeros(len(offsets), np.uint64)
        near_end = np.flatnonzero(offsets >= len(words))
        if near_end.size:  # the last bytes of the message: put together a byte at a time
            value[near_end] = 0
            for i in range(8):
                at = offsets[near_end] + i
                inside = at < len(self.buf)
                value[near_end[inside]] |= self.buf[at[inside]].astype(np.uint64) << np.uint64(8 * i)
        return value

    def rows(self, offsets: np.ndarray, width: int) -> np.ndarray:
        """The `width` bytes from each offset, a row each; a row reaching past the end holds other
        bytes of the message there (callers mask what is past each value's end)."""
        padded = self.buf if len(self.buf) >= width else np.concatenate([self.buf, np.zeros(width, np.uint8)])
        windows = np.lib.stride_tricks.sliding_window_view(padded, width)
        return windows[np.minimum(offsets, len(windows) - 1)]

    def words(self, offsets: np.ndarray, length: int) -> tuple[np.ndarray, ...]:
        """The `length` bytes from each offset, as `equal` compares them with a text of that length:
        up to 16 bytes as two overlapping 8-byte words (the first masked to `length` when shorter),
        longer ones as rows of bytes."""
        if length > 16:
            return (self.rows(offsets, length),)
        if length < 8:
            return (self.u64_at(offsets) & np.uint64((1 << 8 * length) - 1),)
        return self.u64_at(offsets), self.u64_at(offsets + length - 8)

    @staticmethod
    def equal(words: tuple[np.ndarray, ...], text: bytes) -> np.ndarray:
        """Whether each of `words` (from `words`, of this text's length) holds `text`."""
        if len(text) > 16:
            return (words[0] == np.frombuffer(text, np.uint8)).all(axis=1)
        if len(text) < 8:
            return words[0] == np.uint64(int.from_bytes(text, "little"))
        head, tail = (np.uint64(int.from_bytes(part, "little")) for part in (text[:8], text[-8:]))
        return (words[0] == head) & (words[1] == tail)


@dataclass
class Fields:
    """The fields of one number found in the messages walked: which message each is in and where its
    value is (a LEN value without its length). In no particular order: `start` tells which of a
    message's fields comes first."""

    message: np.ndarray  # int64: index into the messages walked
    start: np.ndarray  # int64: offset of the value
    end: np.ndarray  # int64: offset just after it

    def __len__(self) -> int:
        return len(self.message)


def last_of_each(targets: np.ndarray, positions: np.ndarray, count: int) -> np.ndarray:
    """For each target 0..count-1, the index of its row with the greatest position (what protobuf
    keeps when a field is repeated), or -1 for a target without rows."""
    chosen = np.full(count, -1, np.int64)
    if not len(targets):
        return chosen
    if np.bincount(targets, minlength=count).max() > 1:  # rare: sort so that the later rows are written last
        order = np.lexsort((positions, targets))
        keep = np.ones(len(order), bool)
        keep[:-1] = targets[order][1:] != targets[order][:-1]
        chosen[targets[order][keep]] = order[keep]
    else:
        chosen[targets] = np.arange(len(targets))
    return chosen


def varints(buf: np.ndarray, at: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The varints starting at offsets `at` (uint64 values), and the offsets just after them;
    Malformed if one does not end before its `limit`."""
    if (at >= limit).any():
        raise Malformed(f"a field at byte {int(at[at >= limit][0])} ends before its value")
    first = buf[at]
    value = first.astype(np.uint64)
    after = at + 1
    long = np.flatnonzero(first >= 0x80)
    if long.size:
        where = at[long, None] + np.arange(_MAX_VARINT)
        raw = buf[np.minimum(where, len(buf) - 1)]
        going_on = raw >= 0x80
        stop = np.argmin(going_on, axis=1)  # the first byte without the continuation bit
        rows = np.arange(long.size)
        if going_on[rows, stop].any() or (where[rows, stop] >= limit[long]).any():
            raise Malformed(f"a varint at byte {int(at[long][0])} does not end within its message")
        used = np.arange(_MAX_VARINT) <= stop[:, None]
        value[long] = np.bitwise_or.reduce(((raw & 0x7F).astype(np.uint64) << _SHIFTS) * used, axis=1)
        after[long] = at[long] + stop + 1
    return value, after


def fields(wire: Wire, starts: np.ndarray, ends: np.ndarray, wanted: Mapping[int, int]) -> dict[int, Fields]:
    """The fields numbered as `wanted`'s keys in the messages wire.data[starts[i]:ends[i]], by
    number; Malformed if one has another wire type than `wanted` says."""
    tags = _tag_tables(tuple(wanted.items()))
    message = np.arange(len(starts), dtype=np.int64)
    pos, limit = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    going = pos < limit
    message, pos, limit = message[going], pos[going], limit[going]
    found: list[list[tuple[np.ndarray, ...]]] = [[] for _ in wanted]
    while len(message) >= _VECTOR_ABOVE:
        slot, start, end = tags.step(wire, pos, limit)
        _sort_out(found, slot, message, start, end)
        going = np.flatnonzero(end < limit)
        message, pos, limit = message[going], end[going], limit[going]
    if len(message):
        message, number, wire_type, start, end = _walk_each(wire.data, message, pos, limit)
        _sort_out(found, tags.slots(number, wire_type, start), message, start, end)
    empty = np.empty(0, np.int64)
    return {number: Fields(*(np.concatenate(column) for column in zip(*parts))) if parts else Fields(empty, empty, empty)
            for number, parts in zip(wanted, found)}


def _sort_out(found: list[list[tuple[np.ndarray, ...]]], slot: np.ndarray, *columns: np.ndarray) -> None:
    """Add each row to the fields of its slot (-1: a field not wanted)."""
    counts = np.bincount(slot + 1, minlength=len(found) + 1)
    for index in np.flatnonzero(counts[1:]).tolist():
        if counts[index + 1] == len(slot):  # every row is of this field (a step through attributes, say)
            found[index].append(columns)
        else:
            rows = np.flatnonzero(slot == index)
            found[index].append(tuple(column[rows] for column in columns))


@functools.lru_cache(maxsize=32)
def _tag_tables(wanted: tuple[tuple[int, int], ...]) -> "_TagTables":
    return _TagTables(dict(wanted))


class _TagTables:
    """What each one-byte tag means for a walk that keeps the fields `wanted` (number: wire type),
    as tables indexed by the tag byte, so that a step reads every message's field with a few
    numpy operations."""

    def __init__(self, wanted: Mapping[int, int]) -> None:
        self.wanted = dict(wanted)
        tag = np.arange(256)
        wire, number = tag & 7, tag >> 3
        sized, plain = wire == LEN, wire == VARINT
        wanted_number = np.isin(number, list(wanted))
        slot = np.full(256, -1, np.int64)
        for index, (field, field_wire) in enumerate(wanted.items()):
            slot[(number == field) & (wire == field_wire)] = index
        fast = (tag < 0x80) & (number > 0) & np.isin(wire, (VARINT, I64, LEN, I32)) & (~wanted_number | (slot >= 0))
        self.slot = slot
        # the byte after the tag: a length or a varint's first byte, one byte only below 0x80;
        # a tag that is not simple (two bytes, no wire type OTLP uses, a wanted field of another wire type) is never
        self.simple_below = np.where(fast, np.where(sized | plain, 0x80, 256), 0)
        self.value_at = np.where(sized, 2, 1)  # from the tag
        self.end_at = np.select([sized | plain, wire == I64, wire == I32], [2, 9, 5], 0)  # from the tag, plus...
        self.plus_length = sized.astype(np.int64)  # ...the length byte for LEN

    def step(self, wire: Wire, pos: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(slot in `wanted` or -1, value start, value end) of the field at each `pos`."""
        tag = byte_at(wire.buf, pos)
        following = byte_at(wire.buf, pos + 1).astype(np.int64)
        start = pos + self.value_at[tag]
        end = pos + self.end_at[tag] + self.plus_length[tag] * following
        slot = self.slot[tag]
        other = np.flatnonzero(following >= self.simple_below[tag])
        if other.size:
            # lengths of two bytes (128 bytes to 16 KiB: spans, events) are read here too
            second = byte_at(wire.buf, pos[other] + 2).astype(np.int64)
            two = (self.simple_below[tag[other]] == 0x80) & self.plus_length[tag[other]].astype(bool) & (second < 0x80)
            sized = other[two]
            start[sized] = pos[sized] + 3
            end[sized] = start[sized] + (following[sized] & 0x7F) + (second[two] << 7)
            other = other[~two]
        if other.size:  # two-byte tags (a span's flags), longer lengths, varints of several bytes
            start_, end_, wire_type, number = _step(wire.buf, pos[other], limit[other])
            start[other], end[other] = start_, end_
            slot[other] = self.slots(number, wire_type, start_)
        if (end > limit).any():
            raise Malformed(f"the field at byte {int(pos[end > limit][0])} runs past its message's end")
        return slot, start, end

    def slots(self, number: np.ndarray, wire: np.ndarray, start: np.ndarray) -> np.ndarray:
        slot = np.full(len(number), -1, np.int64)
        for index, (field, field_wire) in enumerate(self.wanted.items()):
            rows = number == field
            if (wire[rows] != field_wire).any():
                raise Malformed(f"field {field} at byte {int(start[rows][wire[rows] != field_wire][0])} has "
                                f"another wire type than {field_wire}")
            slot[rows] = index
        return slot


# bytes after the tag that a value of each wire type takes, its own varints aside (-1: not a wire type OTLP uses)
_WIDTH = np.array([0, 8, 0, -1, -1, 4, -1, -1], np.int64)


def _step(buf: np.ndarray, pos: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, ...]:
    """(value start, value end, wire type, field number) of the field at each `pos`, whatever the
    length of its varints."""
    tag, after = varints(buf, pos, limit)
    tag = tag.astype(np.int64)  # a tag beyond 2^63 is no field number: caught below as a wrong one
    wire, number = tag & 7, tag >> 3
    width = _WIDTH[wire]
    sized, plain = wire == LEN, wire == VARINT
    start, end = after.copy(), after + np.maximum(width, 0)
    if plain.any():
        end[plain] = varints(buf, after[plain], limit[plain])[1]
    if sized.any():
        length, start[sized] = varints(buf, after[sized], limit[sized])
        room = (limit[sized] - start[sized]).astype(np.uint64)
        if (length > room).any():
            raise Malformed(f"the length at byte {int(after[sized][length > room][0])} runs past its message's end")
        end[sized] = start[sized] + length.astype(np.int64)
    bad = (width < 0) | (number <= 0) | (end > limit)
    if bad.any():
        raise Malformed(f"the field at byte {int(pos[bad][0])} has no valid tag or runs past its message's end")
    return start, end, wire, number


def byte_at(buf: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """buf[offsets], the last byte for an offset past the end (callers check ends against their limits)."""
    return buf.take(offsets, mode="clip")


def _walk_each(data: bytes, messages: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, ...]:
    """The fields of a few messages, one Python step per field (from `starts`, which may be past
    their first fields)."""
    rows: list[tuple[int, int, int, int, int]] = []
    for message, pos, end in zip(messages.tolist(), starts.tolist(), ends.tolist()):
        while pos < end:
            tag = data[pos]
            if tag < 0x80:
                pos += 1
            else:
                tag, pos = _varint(data, pos, end)
            wire, number = tag & 7, tag >> 3
            start = pos
            if wire == LEN:
                if pos < end and data[pos] < 0x80:
                    start = pos + 1
                    pos = start + data[pos]
                elif pos + 1 < end and data[pos + 1] < 0x80:  # 128 bytes to 16 KiB: a resourceSpans, say
                    start = pos + 2
                    pos = start + (data[pos] & 0x7F) + (data[pos + 1] << 7)
                else:
                    length, start = _varint(data, pos, end)
                    pos = start + length
            elif wire == VARINT:
                pos = _varint(data, pos, end)[1]
            elif wire == I64:
                pos += 8
            elif wire == I32:
                pos += 4
            else:
                raise Malformed(f"the field at byte {start} has wire type {wire}, which OTLP never uses")
            if number == 0 or pos > end:
                raise Malformed(f"the field at byte {start} has no valid tag or runs past its message's end")
            rows.append((message, number, wire, start, pos))
    table = np.array(rows, np.int64).reshape(-1, 5)
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3], table[:, 4]


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value, shift = 0, 0
    while pos < end and shift < 7 * _MAX_VARINT:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value & 0xFFFF_FFFF_FFFF_FFFF, pos
        shift += 7
    raise Malformed(f"a varint at byte {pos} does not end within its message")
