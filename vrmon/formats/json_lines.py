"""JSON Lines: one trace document per line, as the OpenTelemetry Collector's file exporter writes
(an OTLP TracesData per export). Each line is any document `read_document` understands."""

from __future__ import annotations

import json

from vrmon.errors import TraceFormatError
from vrmon.formats.documents import read_document
from vrmon.model.span_batch import SpanBatch


def read_json_lines(data: bytes) -> SpanBatch:
    """Every span of every line; a bad line is an error naming its line number."""
    batch = SpanBatch()
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TraceFormatError(f"line {number} of a JSON Lines file is not valid JSON "
                                   f"(column {exc.colno}: {exc.msg}); expected one trace document per line") from None
        except UnicodeDecodeError as exc:
            raise TraceFormatError(f"line {number} is not UTF-8 text ({exc.reason})") from None
        try:
            batch.extend(read_document(doc))
        except TraceFormatError as exc:
            raise TraceFormatError(f"line {number}: {exc}") from None
    return batch
