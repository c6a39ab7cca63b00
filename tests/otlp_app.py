"""A small instrumented program, as an app would be: the real OpenTelemetry SDK and its OTLP/HTTP
protobuf exporter, configured only by the standard OTEL_EXPORTER_OTLP_* variables.

It makes two traces (an HTTP request served by `shop` that calls `payments`, and a background job
its checkout span links to), with attributes of every type, events, links and one error, exports
them, and prints what it made as JSON: one object per span, for the tests to compare with what
vrmon received. Run: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 python -m tests.otlp_app
"""

from __future__ import annotations

import json
import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode


class Recorder(SpanExporter):
    """Keeps what the app ended, to print it (beside the real exporter, which sends it)."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


class CheckedExporter(OTLPSpanExporter):
    """The real exporter, counting the exports that did not succeed (the SDK only logs them)."""

    failures = 0

    def export(self, spans) -> SpanExportResult:
        result = super().export(spans)
        if result is not SpanExportResult.SUCCESS:
            CheckedExporter.failures += 1
        return result


def make_traces(provider_for) -> None:
    shop, payments = provider_for("shop").get_tracer("shop.http"), provider_for("payments").get_tracer("payments")
    with shop.start_as_current_span("nightly-restock", kind=SpanKind.INTERNAL) as job:
        job.set_attribute("items", 42)
    job_context = job.get_span_context()
    with shop.start_as_current_span("GET /checkout", kind=SpanKind.SERVER,
                                    attributes={"http.method": "GET", "http.status_code": 200, "cart.total": 31.5,
                                                "cart.express": True, "cart.skus": ["a-1", "b-2"]}) as root:
        root.add_event("cart loaded", {"items": 3, "cache": "hit"})
        with shop.start_as_current_span("SELECT cart", kind=SpanKind.CLIENT, links=[Link(job_context, {"why": "restock"})],
                                        attributes={"db.system": "postgresql"}):
            pass
        with shop.start_as_current_span("POST /charge", kind=SpanKind.CLIENT):
            with payments.start_as_current_span("charge", kind=SpanKind.SERVER) as charge:
                charge.add_event("card declined", {"retry": False})
                charge.set_status(Status(StatusCode.ERROR, "card declined"))
            for attempt in range(3):
                with payments.start_as_current_span("fraud check", attributes={"attempt": attempt}):
                    pass


def describe(span: ReadableSpan) -> dict:
    return {
        "trace_id": format(span.context.trace_id, "032x"),
        "span_id": format(span.context.span_id, "016x"),
        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
        "service": span.resource.attributes["service.name"],
        "name": span.name,
        "attributes": {k: list(v) if isinstance(v, tuple) else v for k, v in span.attributes.items()},
        "events": [{"name": e.name, "attributes": dict(e.attributes)} for e in span.events],
        "links": [{"trace_id": format(link.context.trace_id, "032x"), "span_id": format(link.context.span_id, "016x")}
                  for link in span.links],
        "error": span.status.status_code is StatusCode.ERROR,
    }


def main() -> int:
    recorder = Recorder()
    providers: list[TracerProvider] = []

    def provider_for(service: str) -> TracerProvider:
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(BatchSpanProcessor(CheckedExporter()))  # endpoint from OTEL_EXPORTER_OTLP_*
        provider.add_span_processor(SimpleSpanProcessor(recorder))
        providers.append(provider)
        return provider

    make_traces(provider_for)
    for provider in providers:
        provider.shutdown()  # flushes the batch exporter: every span is sent before this returns
    json.dump([describe(span) for span in recorder.spans], sys.stdout)
    if CheckedExporter.failures:
        print(f"otlp_app: {CheckedExporter.failures} export(s) failed", file=sys.stderr)
    return 1 if CheckedExporter.failures else 0


if __name__ == "__main__":
    sys.exit(main())
