"""A web page exporting spans to vrmon's OTLP receiver from the browser (what OpenTelemetry JS's
OTLP/HTTP exporter does: fetch, POST, `Content-Type: application/json`), in headless Chromium:
a page of an origin named with --otlp-cors gets its spans in and reads the answer; a page of any
other origin is stopped by the browser and nothing arrives."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.conftest import RunningServer, free_port
from vrmon.app import create_app
from vrmon.model.span_store import SpanStore
from vrmon.otlp_receiver import OtlpReceiver
from vrmon.settings import ServeConfig

pytestmark = pytest.mark.browser

EXPORT_FROM_PAGE = """async ([url, body]) => {
    try {
        const answer = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body});
        return {status: answer.status, body: await answer.text()};
    } catch (error) {
        return {error: String(error)};
    }
}"""


def export_body(trace_id: str) -> str:
    now = time.time_ns()
    return ('{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]},'
            '"scopeSpans": [{"spans": [{"traceId": "%s", "spanId": "eee19b7ec3c1b174", "name": "click checkout",'
            '"startTimeUnixNano": "%d", "endTimeUnixNano": "%d"}]}]}]}' % (trace_id, now - 5_000_000, now))


@pytest.fixture
def pages() -> Iterator[list[str]]:
    """Two web origins serving a blank page: http://localhost:PORT1 and http://localhost:PORT2."""
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse("<!doctype html><title>shop</title>"))])
    servers = [RunningServer(app, free_port()).start() for _ in range(2)]
    yield [f"http://localhost:{server.port}" for server in servers]
    for server in servers:
        server.stop()


def test_only_a_page_of_an_origin_named_with_otlp_cors_may_export_from_the_browser(page, pages):
    named, other = pages
    config = ServeConfig(host_metrics=False, otlp=("127.0.0.1", 0), tick=60, otlp_cors=[named])
    store = SpanStore()
    receiver = OtlpReceiver.from_config(config, store)
    server = RunningServer(create_app(config, store, sources=[receiver]), free_port()).start()
    url = receiver.endpoint + "/v1/traces"
    try:
        page.goto(named + "/")
        sent = page.evaluate(EXPORT_FROM_PAGE, [url, export_body("5b8efff798038103d269b633813fc60c")])
        assert sent["status"] == 200 and "error" not in sent  # the page could read vrmon's answer
        assert server.call(lambda: store.trace_code("5b8efff798038103d269b633813fc60c")) is not None

        page.goto(other + "/")
        refused = page.evaluate(EXPORT_FROM_PAGE, [url, export_body("6b8efff798038103d269b633813fc60c")])
        assert "Failed to fetch" in refused.get("error", ""), refused  # the browser stopped it at the preflight
        assert server.call(lambda: len(store)) == 1  # nothing of the other page's export arrived
    finally:
        server.stop()
