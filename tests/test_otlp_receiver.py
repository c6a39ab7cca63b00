"""The OTLP/HTTP receiver: a real app's SDK exporting to a real `vrmon serve --otlp`, every answer
the specification asks for with real HTTP requests, and who may export."""

from __future__ import annotations

import gzip
import json
import math
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (ExportTraceServiceRequest,
                                                                     ExportTraceServiceResponse)
from websockets.sync.client import connect

from tests.conftest import ROOT, RunningServer, free_port
from tests.jaeger_harness import Viewer
from tests.test_cli_serve import OPEN_LINE, serving  # noqa: F401  (fixture)
from vrmon.app import create_app
from vrmon.errors import ConfigError
from vrmon.model.span_store import SpanStore
from vrmon.protocol import detail_frame, scene_request_frame, select_frame
from vrmon.settings import SecurityConfig, ServeConfig
from vrmon.otlp_receiver import OtlpReceiver

PROTOBUF, JSON = "application/x-protobuf", "application/json"
ENDPOINT_LINE = r"OTEL_EXPORTER_OTLP_ENDPOINT=(http://127\.0\.0\.1:(\d+))"


def run_app(endpoint: str, **otel: str) -> list[dict]:
    """tests/otlp_app.py exporting to `endpoint` (more OTEL_EXPORTER_OTLP_* variables in `otel`);
    returns the spans it made (it fails if an export failed)."""
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "PATH": "/usr/bin:/bin",
           **{f"OTEL_EXPORTER_OTLP_{name.upper()}": value for name, value in otel.items()}}
    done = subprocess.run([sys.executable, "-m", "tests.otlp_app"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_apps_spans_reach_a_viewer_once_with_attributes_events_and_links(serving):
    server = serving("--otlp", "0", "--port", "0", "--no-host-metrics", "--tick", "60")  # no periodic tick: pushed
    port = int(server.line(OPEN_LINE).group(1))
    endpoint = server.line(ENDPOINT_LINE).group(1)
    with connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        viewer = Viewer(ws).until(lambda v: "snapshot" in v.kinds, what="the first snapshot")
        made = run_app(endpoint)
        assert len(made) == 8 and len({s["trace_id"] for s in made}) == 2
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert (health["spans"], health["traces"], health["services"]) == (8, 2, 2)  # each span once
        assert health["sources"]["otlp"]["state"] == "ok"

        # the checkout trace, every span drawn as its own bar: the viewer got it from deltas alone
        checkout = next(s["trace_id"] for s in made if s["name"] == "GET /checkout")
        ws.send(scene_request_frame(trace=checkout))
        ws.send(detail_frame(everything=True))
        in_trace = [s for s in made if s["trace_id"] == checkout]
        viewer.until(lambda v: v.kinds.count("snapshot") >= 3 and len(v.nodes) == len(in_trace),
                     what="the checkout trace, all 7 spans")
        assert "delta" in viewer.kinds  # the spans came as a delta, with --tick 60 there was no tick to poll

        received = {}
        for node in sorted(viewer.nodes):
            answered = viewer.kinds.count("details")
            ws.send(select_frame(node))
            viewer.until(lambda v: v.kinds.count("details") > answered, what=f"details of {node}")
            details = next(frame for frame in reversed(viewer.frames) if frame["type"] == "details")["span"]
            received[details["span_id"]] = details
        assert_received_as_made(in_trace, received)


def assert_received_as_made(made: list[dict], received: dict[str, dict]) -> None:
    """Each span the app made (tests/otlp_app.py's JSON) is in `received` (span id → the details
    vrmon shows) with its trace, parent, service, name, error, attributes, events and links; no more."""
    received = dict(received)
    for span in made:
        got = received.pop(span["span_id"])
        assert (got["trace_id"], got["service"], got["operation"], got["error"]) == (
            span["trace_id"], span["service"], span["name"], span["error"])
        assert got["parent_span_id"] == span["parent_span_id"]
        tags = {k: v for k, v in got["tags"] if not k.startswith("otel.")}
        assert tags == span["attributes"]
        assert [{"name": dict(log["fields"])["event"], "attributes": {k: v for k, v in log["fields"] if k != "event"}}
                for log in got["logs"]] == span["events"]
        assert [{"trace_id": r["trace_id"], "span_id": r["span_id"]} for r in got["references"]] == span["links"]
        assert ["service.name", span["service"]] in got["process"]
    assert not received


@pytest.fixture
def receiver() -> Iterator[Callable[..., "Receiving"]]:
    """Factory: receiver(max_spans=…, otlp_max_body=…, security=…) → a vrmon with an OTLP receiver on loopback."""
    started: list[RunningServer] = []

    def start(**options) -> Receiving:
        config = ServeConfig(host_metrics=False, otlp=("127.0.0.1", 0), tick=60, **options)
        store = SpanStore()
        otlp = OtlpReceiver.from_config(config, store)
        app = create_app(config, store, sources=[otlp])
        started.append(RunningServer(app, free_port()).start())
        return Receiving(started[-1], otlp)

    yield start
    for server in started:
        server.stop()


class Receiving:
    def __init__(self, server: RunningServer, otlp: OtlpReceiver) -> None:
        self.server = server
        self.url = otlp.endpoint + "/v1/traces"

    def post(self, body: bytes, content_type: str = PROTOBUF, verify: ssl.SSLContext | bool = True,
             **headers: str) -> httpx.Response:
        return httpx.post(self.url, content=body, headers={"Content-Type": content_type, **headers}, timeout=10,
                          verify=verify)

    def spans(self) -> int:
        return self.server.call(lambda: len(self.server.app.state.store))


def export_request(spans: int = 3, trace: bytes = b"\x01" * 16, service: str = "shop") -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    scope_spans = request.resource_spans.add()
    attribute = scope_spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", service
    group = scope_spans.scope_spans.add()
    for i in range(spans):
        span = group.spans.add()
        span.trace_id, span.span_id, span.name = trace, (i + 1).to_bytes(8, "big"), f"op {i}"
        span.parent_span_id = b"" if i == 0 else (1).to_bytes(8, "big")
        span.start_time_unix_nano, span.end_time_unix_nano = 1_700_000_000_000_000_000 + i, 1_700_000_000_500_000_000
    return request


def status_of(response: httpx.Response) -> Status:
    """The google.rpc.Status an error answer carries, in the request's encoding."""
    status = Status()
    if response.headers["content-type"] == PROTOBUF:
        status.ParseFromString(response.content)
    else:
        status.code, status.message = response.json()["code"], response.json()["message"]
    return status


JSON_EXPORT = {"resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "cart"}}]},
    "scopeSpans": [{"scope": {"name": "cart"}, "spans": [
        {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "add item",
         "kind": 2, "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000250000000",
         "attributes": [{"key": "qty", "value": {"intValue": "2"}}]},
        {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175",
         "parentSpanId": "eee19b7ec3c1b174", "name": "save", "startTimeUnixNano": "1700000000100000000",
         "endTimeUnixNano": "1700000000200000000", "status": {"code": 2}},
    ]}],
}]}


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_protobuf_and_json_exports_are_taken_gzip_or_not(receiver, encoding):
    otlp = receiver()
    pack = gzip.compress if encoding else (lambda body: body)
    headers = {"Content-Encoding": encoding} if encoding else {}
    answer = otlp.post(pack(export_request().SerializeToString()), **headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == PROTOBUF
    parsed = ExportTraceServiceResponse.FromString(answer.content)
    assert not parsed.HasField("partial_success")
    answer = otlp.post(pack(json.dumps(JSON_EXPORT).encode()), JSON, **headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == JSON and answer.json() == {}
    assert otlp.spans() == 5
    assert otlp.post(b"", PROTOBUF).status_code == 200  # an empty request is a valid one
    assert otlp.post(export_request().SerializeToString()).status_code == 200  # sent again: taken, not doubled
    assert otlp.spans() == 5


def test_groups_without_spans_are_taken_with_a_warning_in_partial_success(receiver):
    otlp = receiver()
    request = export_request(spans=2)
    request.resource_spans.add().resource.attributes.add(key="service.name").value.string_value = "idle"
    answer = ExportTraceServiceResponse.FromString(otlp.post(request.SerializeToString()).content)
    assert answer.partial_success.rejected_spans == 0  # a warning, as the specification allows: nothing rejected
    assert answer.partial_success.error_message == "no spans where some were expected: resourceSpans[1] has no scopeSpans"
    answer = otlp.post(json.dumps({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "idle"}}]}]}).encode(), JSON)
    assert answer.status_code == 200 and answer.json() == {"partialSuccess": {
        "errorMessage": "no spans where some were expected: resourceSpans[0].scopeSpans[0] has no spans"}}
    assert otlp.spans() == 2


def test_spans_without_valid_ids_are_rejected_by_partial_success_and_the_rest_kept(receiver):
    otlp = receiver()
    request = export_request(spans=4)
    group = request.resource_spans[0].scope_spans[0]
    group.spans[2].trace_id = b"\x01\x02\x03\x04"
    group.spans[3].span_id = b""
    answer = ExportTraceServiceResponse.FromString(otlp.post(request.SerializeToString()).content)
    assert answer.partial_success.rejected_spans == 2
    assert "spans[2]: traceId must be 16 bytes, not all zero (got 4 bytes)" in answer.partial_success.error_message
    assert "spans[3]: spanId must be 8 bytes" in answer.partial_success.error_message
    assert otlp.spans() == 2

    bad_json = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {**JSON_EXPORT["resourceSpans"][0]["scopeSpans"][0]["spans"][0], "spanId": "eee19b7ec3c1b199"},
        {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "01", "name": "no times"}]}]}]}
    answer = otlp.post(json.dumps(bad_json).encode(), JSON)
    assert answer.status_code == 200
    assert answer.json()["partialSuccess"]["rejectedSpans"] == "1"  # int64 as a string, as OTLP JSON says
    assert "missing field 'startTimeUnixNano'" in answer.json()["partialSuccess"]["errorMessage"]
    assert otlp.spans() == 3


@pytest.mark.parametrize("body, content_type, headers, status, message", [
    (b"x", "text/plain", {}, 415, "Content-Type 'text/plain' is not an OTLP export"),
    (b"{}", JSON, {"Content-Encoding": "br"}, 415, "Content-Encoding 'br' is not supported"),
    (b"\xff\xff\xff", PROTOBUF, {}, 400, "not a valid OTLP protobuf message"),
    (b'{"resourceSpans": [', JSON, {}, 400, "not valid JSON"),
    (b'[1, 2]', JSON, {}, 400, "an export request is a JSON object, not list"),
    (b'{"resourceSpans": {}}', JSON, {}, 400, 'OTLP "resourceSpans" must be a list'),
    (b"not gzip at all", PROTOBUF, {"Content-Encoding": "gzip"}, 400, "the gzip body cannot be inflated"),
    (gzip.compress(b"\n" * 1000, mtime=0)[:20], PROTOBUF, {"Content-Encoding": "gzip"}, 400, "ends before its compressed stream"),
    (b"\n" * 20_000, PROTOBUF, {}, 413, "over the 10,485-byte limit"),
    (gzip.compress(b"\n" * 200_000), PROTOBUF, {"Content-Encoding": "gzip"}, 413, "inflates to more than"),
])
def test_each_refusal_has_its_status_and_a_status_message_in_the_requests_encoding(receiver, body, content_type, headers,
                                                                                 status, message):
    otlp = receiver(otlp_max_body=0.01)  # 10 KiB
    answer = otlp.post(body, content_type, **headers)
    assert answer.status_code == status
    assert answer.headers["content-type"] == (content_type if content_type in (PROTOBUF, JSON) else JSON)
    assert message in status_of(answer).message
    assert otlp.spans() == 0


def test_a_full_store_answers_429_with_retry_after_and_says_so_until_there_is_room(receiver):
    otlp = receiver(max_spans=5, retain=120.0, replay=[ROOT / "fixtures" / "otlp-hotrod-dispatch-40spans-serial.json"])
    assert otlp.spans() == 40  # a loaded file takes no room under --max-spans
    sent = time.time()
    assert otlp.post(export_request(3).SerializeToString()).status_code == 200  # spans of 2023, arriving now
    refused = otlp.post(export_request(3, trace=b"\x02" * 16).SerializeToString())
    waited = time.time() - sent
    assert refused.status_code == 429
    # room comes back when the export has been idle for --retain, counted from its arrival
    assert math.floor(120 - waited) <= int(refused.headers["Retry-After"]) <= 120
    assert "--max-spans" in status_of(refused).message
    assert otlp.spans() == 43  # nothing of the refused export was kept, nothing accepted was dropped
    health = httpx.get(otlp.server.url + "/healthz", timeout=10).json()
    assert health["sources"]["otlp"]["state"] == "degraded" and "HTTP 429" in health["sources"]["otlp"]["message"]
    assert otlp.post(export_request(2, trace=b"\x02" * 16).SerializeToString()).status_code == 200  # fits: taken
    assert httpx.get(otlp.server.url + "/healthz", timeout=10).json()["sources"]["otlp"]["state"] == "ok"


def test_other_paths_methods_hosts_and_origins_are_refused(receiver):
    otlp = receiver()
    body = export_request().SerializeToString()
    assert httpx.get(otlp.url, timeout=10).status_code == 405
    assert httpx.post(otlp.url.replace("/v1/traces", "/v1/logs"), content=body, timeout=10).status_code == 404
    assert otlp.post(body, Host="evil.example").status_code == 403  # DNS rebinding
    assert otlp.post(body, Origin="https://evil.example").status_code == 403  # another site's page
    assert otlp.spans() == 0


def test_beyond_loopback_exports_need_the_token_over_https(receiver, tmp_path):
    with pytest.raises(ConfigError, match="exporters must authenticate"):
        OtlpReceiver.from_config(ServeConfig(otlp=("127.0.0.1", 0), security=SecurityConfig(lan=True,
                                                                                          config_dir=str(tmp_path))),
                                 SpanStore())
    otlp = receiver(security=SecurityConfig(lan=True, token="s3cret", config_dir=str(tmp_path)))
    assert otlp.url.startswith("https://")
    certificate = otlp.server.app.state.exposure.certificate.cert  # the one vrmon made and prints
    trusting = ssl.create_default_context(cafile=str(certificate))
    body = export_request().SerializeToString()
    assert otlp.post(body, verify=trusting).status_code == 401
    assert otlp.post(body, verify=trusting, Authorization="Bearer wrong").status_code == 401
    # a real app, set up as the banner says, verifying the certificate
    made = run_app(otlp.url.removesuffix("/v1/traces"), certificate=str(certificate),
                   headers="Authorization=Bearer%20s3cret")
    assert otlp.spans() == len(made) == 8


def sdk_export_request() -> ExportTraceServiceRequest:
    """The spans of tests/otlp_app.py, encoded by the SDK's own OTLP encoder (what its exporter sends)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from tests.otlp_app import make_traces

    memory = InMemorySpanExporter()

    def provider_for(service: str) -> TracerProvider:
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(SimpleSpanProcessor(memory))
        return provider

    make_traces(provider_for)
    return encode_spans(memory.get_finished_spans())


def test_protobuf_files_replay_whatever_their_name(vrmon_server, tmp_path: Path):
    from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

    from vrmon.sources.files import load_trace_file

    request = sdk_export_request()
    (tmp_path / "export.pb").write_bytes(request.SerializeToString())  # ExportTraceServiceRequest
    (tmp_path / "traces").write_bytes(TracesData(resource_spans=request.resource_spans).SerializeToString())
    url = vrmon_server([tmp_path / "export.pb", tmp_path / "traces"], host_metrics=False)
    health = httpx.get(url + "/healthz", timeout=10).json()
    assert (health["spans"], health["traces"], health["services"]) == (8, 2, 2)  # the same spans twice: kept once
    assert health["sources"]["file:traces"]["state"] == "ok"

    (tmp_path / "broken.pb").write_bytes(request.SerializeToString()[:-7])
    with pytest.raises(Exception, match=r"broken\.pb: neither JSON nor OTLP protobuf: not a valid OTLP protobuf"):
        load_trace_file(tmp_path / "broken.pb")


@pytest.mark.parametrize("given, address", [
    ([], None),
    (["--otlp"], ("127.0.0.1", 4318)),
    (["--otlp", "4319"], ("127.0.0.1", 4319)),
    (["--otlp", "0.0.0.0:4318"], ("0.0.0.0", 4318)),
    (["--otlp", "[::1]:4318"], ("::1", 4318)),
])
def test_otlp_takes_a_port_or_host_and_port_and_alone_means_loopback_4318(given, address, monkeypatch):
    from vrmon.cli import build_parser

    monkeypatch.delenv("VRMON_OTLP", raising=False)
    assert build_parser().parse_args(["serve", *given]).otlp == address


def test_a_bad_otlp_address_and_a_taken_otlp_port_are_one_line_each():
    from tests.test_cli_serve import run_cli

    result = run_cli("serve", "--otlp", "localhost:http")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "vrmon serve: error: argument --otlp: invalid listen_address value: 'localhost:http'"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--otlp", str(port), "--port", "0", "--no-host-metrics")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"vrmon: error: port {port} on 127.0.0.1 is already in use (another vrmon?); "
                                          f"pick a free one with --otlp {port + 1}, or --otlp 0 for any free port"]


def test_cors_preflights_are_answered_only_for_the_origins_named_with_otlp_cors(receiver):
    otlp = receiver(otlp_cors=["http://LOCALHOST:3000/"])  # any spelling of the origin
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    allowed = httpx.options(otlp.url, headers=preflight, timeout=10)
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "content-type" in allowed.headers["access-control-allow-headers"]
    posted = otlp.post(export_request().SerializeToString(), Origin="http://localhost:3000")
    assert posted.status_code == 200 and posted.headers["access-control-allow-origin"] == "http://localhost:3000"
    foreign = httpx.options(otlp.url, headers={**preflight, "Origin": "http://localhost:3001"}, timeout=10)
    assert "access-control-allow-origin" not in foreign.headers
    assert otlp.post(export_request(trace=b"\x02" * 16).SerializeToString(), Origin="http://localhost:3001").status_code == 403
    assert otlp.spans() == 3
    plain = receiver()  # no --otlp-cors: no page of any origin
    assert "access-control-allow-origin" not in httpx.options(plain.url, headers=preflight, timeout=10).headers


@pytest.mark.parametrize("options, message", [
    ({"otlp_cors": ["http://localhost:3000"]}, "--otlp-cors lets web pages export to the OTLP receiver: add --otlp"),
    ({"otlp": ("127.0.0.1", 0), "otlp_cors": ["localhost:3000"]}, "--otlp-cors: 'localhost:3000' is not an origin"),
])
def test_otlp_cors_needs_otlp_and_real_origins(options, message):
    with pytest.raises(ConfigError, match=message):
        ServeConfig(**options)
