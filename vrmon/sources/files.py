"""Trace files: read a JSON document from disk into a SpanBatch, with errors that name the file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from vrmon.errors import SourceError, TraceFormatError
from vrmon.formats import read_document
from vrmon.formats.empty_groups import EXPECTED, first_of, json_empty_groups
from vrmon.formats.from_bytes import ONE_TRACE, read_bytes, read_window
from vrmon.formats.json_lines import read_json_lines
from vrmon.formats.json_window import Window
from vrmon.formats.otlp_proto import PROTOBUF_START, read_otlp_protobuf
from vrmon.formats.typed_checks import Progress
from vrmon.model.file_details import FileSlices
from vrmon.model.span_batch import SpanBatch
from vrmon.tracing import span

MAX_FILE_BYTES = 2 * 1024**3
_T = TypeVar("_T")


def load_trace_file(path: str | Path, progress: Progress | None = None) -> SpanBatch:
    """Every span of the file; `progress` (called from this thread) hears how far a long read got."""
    path = Path(path)
    with span("load file", {"vrmon.file.name": path.name}) as current:
        info = _regular_file(path)
        current.set_attribute("vrmon.file.bytes", info.st_size)
        keep = FileSlices(path, info.st_size, info.st_mtime_ns)  # each span's details stay in the file
        with span("parse"):
            # the usual big file: read a trace at a time, straight from its bytes, never whole
            found = _with_file(path, lambda read: read_window(Window(read), info.st_size, progress, keep))
            data = None
            if isinstance(found, SpanBatch):
                batch = found
            else:
                data = _with_file(path, lambda read: read(MAX_FILE_BYTES + 1))  # the general readers read it whole
                batch = _parse(path, data, progress, keep, one_trace=found == ONE_TRACE)
        if not len(batch):
            _refuse_empty_otlp_json(path, data if data is not None else _with_file(path, lambda read: read(MAX_FILE_BYTES + 1)))
        return batch


def _regular_file(path: Path) -> os.stat_result:
    """The file's size and modification time (before it is read), or one line saying why it is not read."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file; pass a Jaeger JSON or OTLP JSON trace file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read it ({exc.strerror})") from None
    # A FIFO would block the start for ever and a device such as /dev/zero never ends: only
    # regular files are read (checked before opening, since opening a FIFO already blocks).
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(f"{path}: not a regular file ({_file_kind(info.st_mode)}); pass a trace file saved on disk")
    if info.st_size > MAX_FILE_BYTES:
        raise SourceError(f"{path}: {info.st_size} bytes is over the {MAX_FILE_BYTES}-byte limit for one file; split it")
    return info


def _with_file(path: Path, use: Callable[[Callable[[int], bytes]], _T]) -> _T:
    """What `use` makes of the file's read function; a failed read is one line naming the file."""
    try:
        with path.open("rb") as f:
            return use(_capped(path, f))
    except OSError as exc:
        raise SourceError(f"{path}: cannot read it ({exc})") from None


def _capped(path: Path, f: BinaryIO) -> Callable[[int], bytes]:
    """`f.read`, refusing to go past the size limit: a file that grows while it is read is still capped."""
    total = 0

    def read(size: int) -> bytes:
        nonlocal total
        chunk = f.read(min(size, MAX_FILE_BYTES + 1 - total))
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise SourceError(f"{path}: over the {MAX_FILE_BYTES}-byte limit for one file; split it")
        return chunk

    return read


def _parse(path: Path, data: bytes, progress: Progress | None, keep: FileSlices, one_trace: bool) -> SpanBatch:
    """The document read whole: OTLP protobuf, one Jaeger trace with the typed reader, else the general way;
    `keep` keeps the spans' details in the file (protobuf, and the typed reader)."""
    try:
        if not looks_like_json(data):
            return _read_protobuf(path, data, keep)
        batch = read_bytes(data, progress, keep) if one_trace else None
        if batch is not None:
            return batch
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        if data[:1] == PROTOBUF_START:  # a protobuf whose first resource's length byte reads as "{" or "["
            with contextlib.suppress(TraceFormatError):
                return _read_protobuf(path, data, keep)
        if exc.msg == "Extra data" and exc.lineno > 1:  # a second document on a later line: JSON Lines
            try:
                return read_json_lines(data)
            except TraceFormatError as lines_exc:
                raise TraceFormatError(f"{path}: {lines_exc}") from None
        raise TraceFormatError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise TraceFormatError(f"{path}: the JSON is nested too deeply to be a trace document") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: cannot read it ({exc})") from None
    try:
        return read_document(doc)
    except TraceFormatError as exc:
        raise TraceFormatError(f"{path}: {exc}") from None


def looks_like_json(data: bytes) -> bool:
    """JSON starts with "{" or "[" after any white space (or is empty, an error said as JSON's);
    OTLP protobuf starts with the tag of its first resourceSpans, b"\\n"."""
    first = _NOT_WHITE.search(data)  # a UTF-8 byte order mark is allowed too (a search: no copy of the file)
    start = data[first.start() : first.start() + 1] if first else b""
    return start in (b"{", b"[", b"") or data[:1] != PROTOBUF_START


_NOT_WHITE = re.compile(rb"[^ \t\r\n\xef\xbb\xbf]")


def _read_protobuf(path: Path, data: bytes, keep: FileSlices) -> SpanBatch:
    empty: list[str] = []
    try:
        batch = read_otlp_protobuf(data, keep=keep, empty_groups=empty)
    except TraceFormatError as exc:
        raise TraceFormatError(f"{path}: neither JSON nor OTLP protobuf: {exc}; pass a Jaeger JSON, OTLP JSON or "
                               "OTLP protobuf (TracesData) trace file") from None
    if empty and not len(batch):
        raise TraceFormatError(f"{path}: OTLP protobuf with no spans: {first_of(empty)}; {EXPECTED}")
    return batch


def _refuse_empty_otlp_json(path: Path, data: bytes) -> None:
    """A file of OTLP JSON that read as no spans: say where its groups are empty, if they are."""
    if not looks_like_json(data):
        return
    try:
        empty = json_empty_groups(json.loads(data))
    except (ValueError, RecursionError):  # JSON Lines, or a file the readers refused already
        return
    if empty:
        raise TraceFormatError(f"{path}: OTLP JSON with no spans: {first_of(empty)}; {EXPECTED}")


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")
