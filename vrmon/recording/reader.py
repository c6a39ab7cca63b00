"""Read a .vrrec file back: every complete frame, a torn last frame skipped with a warning.

A file that is not a recording, whose header is cut short, or with a corrupted frame before its
end gets one RecordingError line saying which and where; nothing is half-loaded.
"""

from __future__ import annotations

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


def _parse(path: Path, data: bytes, header_only: bool = False) -> RecordingFile:
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise RecordingError(f"{path}: cut short ({len(data)} bytes) before its header; nothing was recorded")
        raise RecordingError(f"{path}: not a vrmon recording (it does not start with the .vrrec signature)")
    frames: list[Frame] = []
    torn = 0
    at = len(MAGIC)
    while at < len(data):
        body, end, problem = _frame_at(data, at)
        if problem is not None:
            if not frames:
                raise RecordingError(f"{path}: the header frame is {problem}; this is not a readable recording")
            if end >= len(data) or not data[at:].strip(b"\0"):  # the last frame, torn by a kill or a power cut
                torn += 1
                break
            raise RecordingError(f"{path}: the frame at byte {at} is {problem} and more frames follow it: "
                                 "the file is corrupted, not just cut short")
        try:
            kind, t_us, payload = msgpack.unpackb(body, raw=False, strict_map_key=False)
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            raise RecordingError(f"{path}: the frame at byte {at} passes its checksum but is not a frame ({exc})") from None
        if not isinstance(kind, str) or not isinstance(t_us, int) or not isinstance(payload, dict):
            raise RecordingError(f"{path}: the frame at byte {at} is not a [kind, time, payload] triple")
        frames.append(Frame(kind, t_us, payload, at))
        at = end
        if header_only:
            break
    header = frames[0] if frames else None
    if header is None or header.kind != "header":
        raise RecordingError(f"{path}: no header frame; this is not a readable recording")
    _check_header(path, header.payload)
    recording = RecordingFile(path, header.payload, [f for f in frames[1:] if f.kind in KINDS], torn)
    if torn:
        recording.warnings.append(f"{path.name}: its last frame was cut short (the recorder was stopped while writing "
                                  f"it) and is skipped; the {len(frames) - 1} frames before it are read")
    unknown = {f.kind for f in frames[1:]} - set(KINDS)
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
