"""Grafana Tempo's trace-by-id JSON: OTLP under other names.

- ``GET /api/traces/{id}`` answers ``{"batches": [ResourceSpans...]}`` on Tempo before 2.6
  (later ones say ``resourceSpans``); old servers still use ``instrumentationLibrarySpans``.
- ``GET /api/v2/traces/{id}`` answers ``{"trace": {"resourceSpans": [...]}, "status": ...}``,
  and ``{}`` or no ``trace`` when the trace is not there.
Ids are base64 (Tempo's protobuf JSON) or hex; the OTLP reader takes both.
"""

from __future__ import annotations

from vrmon.errors import TraceFormatError
from vrmon.formats.otlp import read_otlp
from vrmon.model.span_batch import SpanBatch

TEMPO_KEYS = frozenset({"batches", "trace"})


def read_tempo(doc: dict) -> SpanBatch:
    if "batches" in doc:
        return read_otlp({"resourceSpans": doc["batches"]})
    trace = doc["trace"]
    if trace is None or trace == {}:
        return SpanBatch()
    if not isinstance(trace, dict):
        raise TraceFormatError(f'Tempo "trace" must be an object, got {type(trace).__name__}')
    return read_otlp({"resourceSpans": trace.get("resourceSpans", trace.get("resource_spans", trace.get("batches", [])))})
