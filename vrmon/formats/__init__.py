"""Trace document formats: detect the shape of a parsed JSON document and read its spans.

Shapes understood:
- Jaeger v1: ``{"data": [trace, ...]}`` (query API and UI "Download JSON"), a bare list of
  traces, or a single trace object ``{"traceID", "spans", "processes"}``.
- OTLP JSON: ``{"resourceSpans": [...]}`` (TracesData), hex or base64 ids, with the JSON field
  names or the protobuf ones (``resource_spans``, ``trace_id``; see proto_names.py).
- Jaeger api_v3: ``{"result": TracesData}``, or a list of such envelopes (a chunked stream).
- Grafana Tempo: ``{"batches": [...]}`` (trace by id, older servers), ``{"trace": {...}}``
  (/api/v2/traces), or plain OTLP JSON.
- Zipkin v2: a list of spans, or a list of traces (each a list of spans).
"""

from __future__ import annotations

from typing import Any

__all__ = ["read_document", "describe_shape"]


def __getattr__(name: str) -> Any:
    """The readers (documents.py) load on first use: the protocol imports `vrmon.formats.values`, and
    serving needs the protocol long before it reads any trace document (tests/test_start_imports.py)."""
    if name in __all__:
        from vrmon.formats import documents

        return getattr(documents, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
