"""A hostile or broken Jaeger: bad spans, bombs, tricklers, floods, redirects and leaked secrets.

The stub (tests/jaeger_stub.py) plays the Jaeger; vrmon polls it for real over loopback.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import signal
import subprocess
import sys
import time

import httpx
import numpy as np

from tests.conftest import ROOT, free_port
from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.test_jaeger_failures import SHORT_DEADLINES, assert_survives_and_recovers, start_with_hotrod
from tests.jaeger_stub import JaegerStub
from tests.recorded_backend import Fault
from vrmon.model.details import span_details
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
        warnings = live.server.call(lambda: span_details(store, row))["warnings"]
        assert any(words in w for w in warnings), warnings
    jaeger_ok = lambda: live.server.app.state.hub.sources["jaeger"].state == "ok"  # noqa: E731
    live.wait(jaeger_ok, what="an ok status: bad spans are not a failure")
    # a viewer arriving now gets a scene, and the hostile trace when it asks for it, surrogate's name included
    newcomer = live.viewer()
    newcomer.ws.send(scene_request_frame(trace=TRACE))
    newcomer.until(lambda v: v.frames[-1]["type"] == "snapshot" and len(v.nodes) == 4, what="the hostile trace")
    assert "GET \ufffd lone surrogate" in newcomer.frames[-1]["operations"]

    stub.fault = None
    stub.release(stub.load(HOTROD_16))
    live.wait(lambda: len(live.store) == 60, what="spans released after the hostile answers: polling went on")
    live.wait(jaeger_ok, what="an ok status after the hostile answers")  # (a poll may time out on a busy machine)


# -- a broken or hostile server ------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_after_the_cap_not_inflated_whole(live_jaeger):
    stub, live, viewer = start_with_hotrod(live_jaeger, "v2.19")
    bomb = gzip.compress(gzip.compress(b"\0" * (16 << 20), 9), 9)  # 16 MiB of zeros in a few hundred bytes
    stub.fault = Fault("gzip_bomb", body=bomb)
    words = ["over the 1 MiB cap"]
    viewer.until(viewer.state("degraded", *words), what="the bomb refused")
    inflated = float(re.search(r"at least ([\d.]+) MiB", viewer.status["message"]).group(1))
    assert inflated < 1.2, f"{inflated} MiB inflated before the check; the whole bomb is 16 MiB"
    assert_survives_and_recovers(live, stub, viewer, words, lambda: setattr(stub, "fault", None))


def test_a_server_trickling_bytes_is_cut_off_by_the_whole_answer_deadline(live_jaeger):
    stub, live, viewer = start_with_hotrod(live_jaeger, "v2.19", **SHORT_DEADLINES)
    stub.fault = Fault("trickle", seconds=0.2)  # each read comes well within the 1 s timeout
    words = ["no answer from", "within 1 s"]
    assert_survives_and_recovers(live, stub, viewer, words, lambda: setattr(stub, "fault", None))


def test_headers_never_follow_a_redirect_to_another_host_nor_does_its_body_reach_viewers(live_jaeger):
    elsewhere = JaegerStub().start()  # another origin (another port), which would love the API key
    stub, live, viewer = start_with_hotrod(live_jaeger, "v2.19", jaeger_header=("X-Api-Key: s3cret-key",))
    assert stub.request_headers[-1]["x-api-key"] == "s3cret-key"
    stub.fault = Fault("redirect", status=302, body=f"{elsewhere.url}/api/v3/services".encode())
    words = ["redirects to another host", "does not follow it"]
    viewer.until(viewer.state("degraded", *words), what="the redirect refused")
    assert elsewhere.requests == [], "nothing, and so no header, went to the other host"
    assert all("REDIRECT-BODY-SECRET" not in s["message"] for s in viewer.statuses)
    assert "REDIRECT-BODY-SECRET" not in json.dumps(live.healthz())
    elsewhere.stop()
    assert_survives_and_recovers(live, stub, viewer, words, lambda: setattr(stub, "fault", None))


def test_credentials_in_the_jaeger_url_are_used_but_never_shown(live_jaeger):
    stub = JaegerStub()
    stub.release(stub.load(HOTROD_V3))
    stub.start()
    url = stub.url.replace("http://", "http://watcher:pa55word@")
    live = live_jaeger(stub, url=url)
    viewer = live.viewer().until(lambda v: len(v.nodes) == 40 and v.state("ok")(v))
    assert stub.request_headers[-1]["authorization"] == "Basic " + base64.b64encode(b"watcher:pa55word").decode()
    shown = json.dumps(live.healthz()) + json.dumps([s["message"] for s in viewer.statuses])
    assert stub.url in shown and "pa55word" not in shown and "watcher" not in shown
    stub.stop()  # and in an error message
    viewer.until(viewer.state("degraded", "refused"))
    assert "pa55word" not in viewer.status["message"] and stub.url in viewer.status["message"]


def test_a_flood_of_services_is_polled_in_shares_and_sigterm_stops_vrmon_at_once():
    """200k services here to keep the suite quick; docs/security.md has the million-service run."""
    stub = JaegerStub()
    stub.release(stub.load(HOTROD_V3))
    names = sorted({s.service for s in stub.visible()}) + [f"svc-{i:07d}" for i in range(200_000)]
    stub.fault_paths = ("/api/v3/services",)
    stub.fault = Fault("wrong_shape", body=json.dumps({"services": names}).encode())
    stub.start()
    port = free_port()
    vrmon = subprocess.Popen([sys.executable, "-m", "vrmon.cli", "serve", "--jaeger", stub.url, "--port", str(port),
                              "--poll", "0.1s", "--no-host-metrics"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        health: dict = {}
        while True:
            assert vrmon.poll() is None, vrmon.stderr.read()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
                if f"{len(names)} services to watch, so each poll asks about 100" in health["sources"]["jaeger"]["message"]:
                    break
            except (httpx.HTTPError, KeyError):
                pass
            assert time.monotonic() < deadline, f"vrmon never reported its share of the services: {health}"
            time.sleep(0.1)
        searches = [r for r in stub.requests if r.startswith("GET /api/v3/trace-summaries?query.serviceName")]
        services_lists = sum(r == "GET /api/v3/services" for r in stub.requests)
        assert len(searches) <= 100 * services_lists  # one search per service in the poll's share, no more
        vrmon.send_signal(signal.SIGTERM)
        assert vrmon.wait(timeout=20) in (0, -signal.SIGTERM)  # uvicorn exits by the signal after a clean shutdown
        assert "Traceback" not in vrmon.stderr.read()
    finally:
        if vrmon.poll() is None:
            vrmon.kill()
            vrmon.wait()
        stub.stop()
