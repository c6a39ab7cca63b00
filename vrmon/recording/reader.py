"""Read a .vrrec file back: every complete frame, a torn last frame skipped with a warning.

A file that is not a recording, whose header is cut short, or with a corrupted frame before its
end gets one RecordingError line saying which and where; nothing is half-loaded.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from vrmon.errors import TraceFormatError
from vrmon.recording.format import FORMAT_VERSION, KINDS, MAGIC, MAX_BODY, PREFIX, Frame


class RecordingError(TraceFormatError):
    """A file that cannot be read as a recording (one line: what and where)."""


@dataclass
class RecordingFile:
    path: Path
    header: dict[str, Any]
    frames: list[Frame]  # after the header, in file (= arrival) order
    torn_frames: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def start_us(self) -> int:
        return int(self.header["start_us"])

    @property
    def duration_us(self) -> int:
        return self.frames[-1].t_us if self.frames else 0


def is_recording(path: Path) -> bool:
    """Is the file meant as a recording: named .vrrec, or starting like one? (A .vrrec that is not
    one then gets the recording reader's error, not a trace reader's.)"""
    if path.suffix.lower() == ".vrrec":
        return True
    if not path.is_file():  # a FIFO or a device would block or never end: the trace reader refuses those
        return False
    try:
        with path.open("rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def read_header(path: Path) -> dict[str, Any]:
    """Only the header (cheap, for a check before the whole file is read)."""
    try:
        with path.open("rb") as f:
            data = f.read(len(MAGIC) + PREFIX.size)
            if len(data) == len(MAGIC) + PREFIX.size and data.startswith(MAGIC):
                data += f.read(min(PREFIX.unpack_from(data, len(MAGIC))[0], MAX_BODY))
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read it ({exc.strerror})") from None
    return _parse(path, data, header_only=True).header


def read_recording(path: Path) -> RecordingFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read it ({exc.strerror})") from None
    return _parse(path, data)


@dataclass(frozen=True)
class FrameTable:
    """Where a recording's frames are and when each arrived, found by reading only each frame's
    prefix and the start of its body: what a replay needs to start, and to read the file in parts."""

    path: Path
    header: dict[str, Any]
    offsets: list[int]  # where each frame after the header starts; offsets[-1] is where the last one ends
    times_us: list[int]  # each frame's arrival time
    size: int  # of the file when it was scanned

    @property
    def duration_us(self) -> int:
        return self.times_us[-1] if self.times_us else 0

    @property
    def start_us(self) -> int:
        return int(self.header["start_us"])


SCAN_READ = PREFIX.size + 40  # a frame's prefix and the start of its body: [kind, t_us, …


def scan_frames(path: Path) -> FrameTable:
    """The frame table of a recording, reading a few bytes per frame. Checksums are not checked
    here: `read_frames` checks each frame when it reads the part it is in, and the scan stops at
    a frame that does not look whole, leaving the last part to say whether it is torn or corrupted."""
    header = read_header(path)
    offsets, times = [], []
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(len(MAGIC))
            at = len(MAGIC) + PREFIX.size + PREFIX.unpack(f.read(PREFIX.size))[0]  # after the header frame
            while at + PREFIX.size <= size:
                f.seek(at)
                data = f.read(SCAN_READ)
                length = PREFIX.unpack_from(data)[0]
                t_us = _time_of(data[PREFIX.size:])
                if length == 0 or length > MAX_BODY or at + PREFIX.size + length > size or t_us is None:
                    break
                offsets.append(at)
                times.append(t_us)
                at += PREFIX.size + length
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read it ({exc.strerror})") from None
    return FrameTable(path, header, offsets + [at], times, size)


def _time_of(body_start: bytes) -> int | None:
    """t_us from the start of a frame body, or None where it does not look like one."""
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(body_start)
    try:
        if unpacker.read_array_header() != 3 or not isinstance(unpacker.unpack(), str):
            return None
        t_us = unpacker.unpack()
    except (ValueError, TypeError, msgpack.UnpackException, msgpack.OutOfData):
        return None
    return t_us if isinstance(t_us, int) else None


def read_frames(table: FrameTable, first: int, stop: int) -> RecordingFile:
    """Frames [first, stop) of the table, each checked; `stop` past the table's last frame reads to
    the end of the file as it was scanned, where a torn last frame is skipped with a warning."""
    last = stop >= len(table.times_us)
    begin, end = table.offsets[first], table.size if last else table.offsets[stop]
    try:
        with table.path.open("rb") as f:
            f.seek(begin)
            data = f.read(end - begin)
    except OSError as exc:
        raise RecordingError(f"{table.path}: cannot read it ({exc.strerror})") from None
    return _parse(table.path, data, base=begin, header=table.header, last_part=last, frames_before=first)


def _parse(path: Path, data: bytes, header_only: bool = False, *, base: int = 0, header: dict[str, Any] | None = None,
           last_part: bool = True, frames_before: int = 0) -> RecordingFile:
    """The frames of `data`, the bytes of the file from offset `base` on: the whole file (its
    signature and header first), or a part of it after the header (`header` given)."""
    if header is None and not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise RecordingError(f"{path}: cut short ({len(data)} bytes) before its header; nothing was recorded")
        raise RecordingError(f"{path}: not a vrmon recording (it does not start with the .vrrec signature)")
    frames: list[Frame] = []
    torn = 0
    at = len(MAGIC) if header is None else 0
    while at < len(data):
        body, end, problem = _frame_at(data, at)
        if problem is not None:
            if not frames and header is None:
                raise RecordingError(f"{path}: the header frame is {problem}; this is not a readable recording")
            if last_part and (end >= len(data) or not data[at:].strip(b"\0")):  # the last frame, torn by a kill or a power cut
                torn += 1
                break
            raise RecordingError(f"{path}: the frame at byte {base + at} is {problem} and more frames follow it: "
                                 "the file is corrupted, not just cut short")
        try:
            kind, t_us, payload = msgpack.unpackb(body, raw=False, strict_map_key=False)
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            raise RecordingError(f"{path}: the frame at byte {base + at} passes its checksum but is not a frame ({exc})") from None
        if not isinstance(kind, str) or not isinstance(t_us, int) or not isinstance(payload, dict):
            raise RecordingError(f"{path}: the frame at byte {base + at} is not a [kind, time, payload] triple")
        frames.append(Frame(kind, t_us, payload, base + at))
        at = end
        if header_only:
            break
    if header is None:
        if not frames or frames[0].kind != "header":
            raise RecordingError(f"{path}: no header frame; this is not a readable recording")
        header = frames.pop(0).payload
        _check_header(path, header)
    recording = RecordingFile(path, header, [f for f in frames if f.kind in KINDS], torn)
    if torn:
        recording.warnings.append(f"{path.name}: its last frame was cut short (the recorder was stopped while writing "
                                  f"it) and is skipped; the {frames_before + len(frames)} frames before it are read")
    unknown = {f.kind for f in frames} - set(KINDS)
    if unknown:
        recording.warnings.append(f"{path.name}: frames of kinds this vrmon does not know ({', '.join(sorted(unknown))}) are skipped")
    return recording


def _frame_at(data: bytes, at: int) -> tuple[bytes, int, str | None]:
    """(body, end offset, problem or None) of the frame starting at `at`."""
    if at + PREFIX.size > len(data):
        return b"", len(data), "cut short"
    length, crc = PREFIX.unpack_from(data, at)
    start = at + PREFIX.size
    end = start + length
    if length == 0:  # zeros where a write was going (a power cut): no frame is empty
        return b"", end, "empty"
    if length > MAX_BODY:
        return b"", end, f"impossibly long ({length} bytes)"
    if end > len(data):
        return b"", end, "cut short"
    body = data[start:end]
    if zlib.crc32(body) != crc:
        return body, end, "damaged (its checksum does not match)"
    return body, end, None


def _check_header(path: Path, header: dict[str, Any]) -> None:
    version = header.get("format")
    if version != FORMAT_VERSION:
        raise RecordingError(f"{path}: recording format {version!r}; this vrmon reads format {FORMAT_VERSION} "
                             f"(recorded by vrmon {header.get('vrmon', '?')}); use a matching vrmon")
    if not isinstance(header.get("start_us"), int) or not isinstance(header.get("sources"), list):
        raise RecordingError(f"{path}: the header lacks its start time or sources")
