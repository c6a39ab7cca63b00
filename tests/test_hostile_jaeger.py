"""A hostile or broken Jaeger: bad spans, bombs, tricklers, floods, redirects and leaked secrets.

The stub (tests/jaeger_stub.py) plays the Jaeger; vrmon polls it for real over loopback.
"""

from __future__ import annotations

import json

import numpy as np

from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import Fault, JaegerStub
from vrmon.protocol import scene_request_frame

HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"
HOTROD_16 = "otlp-hotrod-dispatch-trimmed-16spans-retries.json"
TRACE = "5b8aa5a2d2c872e8321cf37308d69df2"


def hostile_answer() -> bytes:
    """An api_v3 answer with one good span and three that each stopped the source for good."""
    def span(span_id: str, name: str, start: str, end: str) -> str:
        return (f'{{"traceId": "{TRACE}", "spanId": "{span_id}", "name": "{name}", '
                f'"startTimeUnixNano": {start}, "endTimeUnixNano": {end}}}')
    spans = [
        span("0000000000000001", "good", '"1700000000000000000"', '"1700000000005000000"'),
        span("0000000000000002", "infinite start", "Infinity", '"1700000000005000000"'),
        span("0000000000000003", "huge duration", '"1700000000000000000"', str(2**90)),
        span("0000000000000004", "GET \\ud800 lone surrogate", "1e400", "1e400"),
    ]
    resource = '{"attributes": [{"key": "service.name", "value": {"stringValue": "hostile"}}]}'
    return f'{{"result": {{"resourceSpans": [{{"resource": {resource}, "scopeSpans": [{{"spans": [{", ".join(spans)}]}}]}}]}}}}'.encode()


def test_bad_spans_load_flagged_and_the_source_keeps_polling(live_jaeger):
    stub = JaegerStub(flavour="v2.0")
    stub.release(stub.load(HOTROD_V3))
    live = live_jaeger(stub)
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40 and v.state("ok")(v), what="the first load")
    stub.fault_paths = ("/api/v3/traces",)
    stub.fault = Fault("wrong_shape", body=hostile_answer())
    live.wait(lambda: len(live.store) == 44, what="the hostile spans, kept")
    store = live.store
    assert "GET \ufffd lone surrogate" in store.operations.names
    for name, words in (("infinite start", "infinite"), ("huge duration", "beyond the ±2^62 µs")):
        row = int(np.flatnonzero(store.operation == store.operations.code_of(name))[0])
        warnings = live.server.call(lambda: store.span_details(row))["warnings"]
        assert any(words in w for w in warnings), warnings
    assert live.healthz()["sources"]["jaeger"]["state"] == "ok"
    # a viewer arriving now gets a scene, and the hostile trace when it asks for it, surrogate's name included
    newcomer = live.viewer()
    newcomer.ws.send(scene_request_frame(trace=TRACE))
    newcomer.until(lambda v: v.frames[-1]["type"] == "snapshot" and len(v.nodes) == 4, what="the hostile trace")
    assert "GET \ufffd lone surrogate" in newcomer.frames[-1]["operations"]

    stub.fault = None
    stub.release(stub.load(HOTROD_16))
    live.wait(lambda: len(live.store) == 60, what="spans released after the hostile answers: polling went on")
    assert json.dumps(live.healthz())  # and health says so
    assert live.healthz()["status"] == "ok"
