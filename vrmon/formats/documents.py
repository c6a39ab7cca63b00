"""A parsed JSON trace document of any supported shape (see the package's docstring) read into spans."""

from __future__ import annotations

from typing import Any

from vrmon.errors import TraceFormatError
from vrmon.formats.jaeger_v1 import read_jaeger_v1_traces
from vrmon.formats.otlp import read_otlp
from vrmon.formats.tempo import TEMPO_KEYS, read_tempo
from vrmon.formats.zipkin import looks_like_zipkin, read_zipkin
from vrmon.model.span_batch import SpanBatch


def read_document(doc: Any) -> SpanBatch:
    """Read every span of a parsed JSON document, whatever its supported shape."""
    if isinstance(doc, dict):
        if "result" in doc:
            return _read_result_envelope(doc)
        if "error" in doc and isinstance(doc["error"], dict):
            raise TraceFormatError(f"the document is a Jaeger error response: {_api_v3_error(doc)}")
        if "resourceSpans" in doc or "resource_spans" in doc:
            return read_otlp(doc)
        if TEMPO_KEYS & doc.keys():
            return read_tempo(doc)
        if "data" in doc:
            data = doc["data"]
            if data is None:
                errors = doc.get("errors") or []
                detail = "; ".join(str(e.get("msg", e)) if isinstance(e, dict) else str(e) for e in errors)
                raise TraceFormatError(f"the document holds no traces (Jaeger said: {detail or 'nothing'})")
            if isinstance(data, dict):
                data = [data]
            if not isinstance(data, list):
                raise TraceFormatError(f'"data" must be a list of traces, got {type(data).__name__}')
            return read_jaeger_v1_traces(data)
        if "spans" in doc:
            return read_jaeger_v1_traces([doc])
        raise TraceFormatError(
            f"unrecognised trace document with keys {sorted(doc)[:8]}; expected Jaeger JSON "
            '({"data": [...]}), OTLP JSON ({"resourceSpans": [...]}), an api_v3 envelope ({"result": ...}), '
            'a Tempo trace ({"batches": [...]}) or Zipkin v2 JSON ([{"traceId", "id", ...}])'
        )
    if isinstance(doc, list):
        if not doc:
            return SpanBatch()
        if all(isinstance(d, dict) and "spans" in d for d in doc):
            return read_jaeger_v1_traces(doc)
        if looks_like_zipkin(doc):
            return read_zipkin(doc)
        batch = SpanBatch()
        for i, part in enumerate(doc):
            if not isinstance(part, dict):
                raise TraceFormatError(f"item {i} of the top-level list is a {type(part).__name__}, not an object")
            batch.extend(read_document(part))
        return batch
    raise TraceFormatError(f"a trace document must be a JSON object or list, got {type(doc).__name__}")


def describe_shape(doc: Any) -> str:
    """A short name for the document's shape, for messages and `vrmon inspect`."""
    if isinstance(doc, dict):
        if "result" in doc:
            return "jaeger-api-v3"
        if "resourceSpans" in doc or "resource_spans" in doc:
            return "otlp-json"
        if TEMPO_KEYS & doc.keys():
            return "tempo"
        if "data" in doc or "spans" in doc:
            return "jaeger-v1"
    if isinstance(doc, list):
        if doc and isinstance(doc[0], dict) and "spans" in doc[0]:
            return "jaeger-v1"
        return "zipkin-v2" if looks_like_zipkin(doc) else "list"
    return "unknown"


def _read_result_envelope(doc: dict) -> SpanBatch:
    result = doc["result"]
    if result is None:
        return SpanBatch()
    if not isinstance(result, dict):
        raise TraceFormatError(f'api_v3 "result" must be an object, got {type(result).__name__}')
    return read_otlp(result)


def _api_v3_error(doc: dict) -> str:
    err = doc["error"]
    return f"HTTP {err.get('httpCode', '?')}: {err.get('message', 'no message')}"
