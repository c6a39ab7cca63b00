"""Trace files: read a JSON document from disk into a SpanBatch, with errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path

from vrmon.errors import SourceError, TraceFormatError
from vrmon.formats import read_document
from vrmon.model.span_batch import SpanBatch

MAX_FILE_BYTES = 2 * 1024**3


def load_trace_file(path: str | Path) -> SpanBatch:
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file; pass a Jaeger JSON or OTLP JSON trace file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read it ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise SourceError(f"{path}: {size} bytes is over the {MAX_FILE_BYTES}-byte limit for one file; split it")
    try:
        with path.open("rb") as f:
            doc = json.load(f)
    except json.JSONDecodeError as exc:
        raise TraceFormatError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read it ({exc})") from None
    try:
        return read_document(doc)
    except TraceFormatError as exc:
        raise TraceFormatError(f"{path}: {exc}") from None
