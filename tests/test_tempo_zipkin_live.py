"""Live Tempo and Zipkin against recorded-response servers built from real documents: spans arrive
once each, traces that grow are fetched again, and every failure keeps the last good scene, says
what is wrong in plain words and recovers by itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import FIXTURES
from tests.fixture_counts import expected_counts
from tests.jaeger_harness import FAST, Live, serve_source
from tests.recorded_backend import Fault
from tests.tempo_zipkin_stubs import TempoStub, ZipkinStub
from vrmon.settings import TempoConfig, ZipkinConfig, jaeger_config
from vrmon.sources.tempo import TempoSource
from vrmon.sources.zipkin import ZipkinSource

MYTHICAL = "tempo-otlp-mythical-failed-requests-15spans-base64.json"
TEMPO_BATCHES = "tempo-api-traces-batches-legacy-1span.json"
SMARTTHINGS = "zipkin-v2-smartthings-oauth-175spans-shared-ids.json"
YELP = "zipkin-v2-yelp-16spans-remote-endpoints.json"


@pytest.fixture
def live() -> Iterator:
    """Factory: live(stub, **settings) → a vrmon watching the stub with the matching source."""
    started: list[Live] = []

    def start(stub, *, headers: tuple[str, ...] = (), **settings) -> Live:
        if stub.server is None:
            stub.start()
        shared = jaeger_config(**{**FAST, **settings})
        if isinstance(stub, TempoStub):
            source = TempoSource(TempoConfig(stub.url, tempo_header=headers), shared)
        else:
            source = ZipkinSource(ZipkinConfig(stub.url, zipkin_header=headers), shared)
        running = serve_source(stub, source, shared)
        started.append(running)
        return running

    yield start
    for running in started:
        running.close()


def queries(stub, path: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(r.split(" ", 1)[1]).query) for r in list(stub.requests) if r.split(" ", 1)[1].startswith(path)]


# -- Tempo ------------------------------------------------------------------------------------


def test_tempo_spans_arrive_once_and_a_growing_trace_is_fetched_again(live):
    stub = TempoStub()
    spans = stub.load(MYTHICAL)
    stub.release(spans[:6])
    running = live(stub)
    viewer = running.viewer().until(lambda v: len(v.nodes) == 6, what="the first six spans")
    stub.release(spans[6:])  # the trace grows: the search row's duration and matched count change
    viewer.until(lambda v: len(v.nodes) == expected_counts(FIXTURES / MYTHICAL)["spans"], what="the whole trace")
    running.wait(lambda: len(running.store) == 15 and running.store.trace_count == 1)
    viewer.until(viewer.state("ok", "Tempo", "/api/v2"))
    search = queries(stub, "/api/search")[-1]
    assert search["q"] == ["{}"] and search["spss"] == ["3"] and search["limit"] == ["200"]
    assert int(search["end"][0]) - int(search["start"][0]) <= 15 * 60 + 1  # seconds, within --lookback
    fetches = [r for r in stub.requests if r.startswith("GET /api/v2/traces/")]
    assert 2 <= len(fetches) <= 3  # fetched when new and when grown (a poll may see it mid-release), not every poll
    running.polls_later(3)
    assert [r for r in stub.requests if r.startswith("GET /api/v2/traces/")] == fetches  # unchanged: not fetched again


def test_tempo_trace_ids_without_leading_zeros_and_the_older_api(live):
    stub = TempoStub(v2=False)  # a Tempo before /api/v2: {"batches": [...]} from /api/traces/{id}
    stub.release(stub.load(TEMPO_BATCHES) + stub.load(MYTHICAL))
    running = live(stub)
    running.wait(lambda: len(running.store) == 16 and running.store.trace_count == 2, what="both traces")
    paths = [r.split(" ", 1)[1] for r in stub.requests]
    assert "/api/traces/123456789abcdef" in paths  # the 64-bit id 0123456789abcdef, as Tempo's search spells it
    assert 0x0123456789ABCDEF in running.store.trace_ids
    assert running.healthz()["sources"]["tempo"]["state"] == "ok"


def test_tempo_headers_are_sent_and_a_missing_one_is_a_plain_401(live):
    stub = TempoStub(required_header=("X-Scope-OrgID", "team-a"))
    stub.release(stub.load(MYTHICAL))
    refused = live(stub)
    viewer = refused.viewer().until(lambda v: v.status is not None and v.status["state"] == "down")
    assert "HTTP 401" in viewer.status["message"] and "--tempo-header" in viewer.status["message"]
    allowed = live(stub, headers=("X-Scope-OrgID: team-a",))
    allowed.viewer().until(lambda v: len(v.nodes) == 15)


# -- Zipkin -----------------------------------------------------------------------------------


def test_zipkin_traces_and_dependencies_arrive(live):
    stub = ZipkinStub(dependencies=[{"parent": "yelp-main", "child": "mysql", "callCount": 7},
                                    {"parent": "datamgmt", "child": "auth", "callCount": 20}])
    stub.release(stub.load(SMARTTHINGS) + stub.load(YELP))
    running = live(stub, limit=50)
    expected = sum(expected_counts(FIXTURES / name)["spans"] for name in (SMARTTHINGS, YELP))
    viewer = running.viewer()
    running.wait(lambda: len(running.store) == expected, what="both traces, merged as Zipkin does")
    viewer.until(viewer.state("ok", "Zipkin"))
    running.wait(lambda: running.server.app.state.hub.dependency_links != ())
    links = {(d.parent, d.child): d.call_count for d in running.server.app.state.hub.dependency_links}
    assert links == {("yelp-main", "mysql"): 7, ("datamgmt", "auth"): 20}
    traces = queries(stub, "/api/v2/traces")[-1]
    assert traces["limit"] == ["50"] and "serviceName" not in traces
    assert int(traces["lookback"][0]) <= 15 * 60 * 1000 + 1  # milliseconds
    assert int(queries(stub, "/api/v2/dependencies")[-1]["endTs"][0]) > 0
    running.polls_later(3)
    assert len(running.store) == expected  # re-fetched whole traces add nothing twice


def test_zipkin_service_narrows_each_poll(live):
    stub = ZipkinStub()
    stub.release(stub.load(SMARTTHINGS) + stub.load(YELP))
    running = live(stub, service=("routing",))
    running.wait(lambda: len(running.store) == 16, what="the Yelp trace, which has routing spans")
    running.polls_later(2)
    assert running.store.trace_count == 1  # not the SmartThings one
    assert all(q.get("serviceName") == ["routing"] for q in queries(stub, "/api/v2/traces"))


# -- failures, both backends ------------------------------------------------------------------

FAULTS = {
    "5xx": (Fault("status", 503, b"upstream connect error"), ["HTTP 503: upstream connect error", "see"]),
    "slow": (Fault("slow", seconds=3.0), ["no answer from", "within 1 s"]),
    "not-json": (Fault("not_json"), ["is not JSON", "Welcome to nginx"]),
    # Tempo: a string where the list of traces belongs; Zipkin: an object where a list belongs
    "wrong-shape": (Fault("wrong_shape", body=b'{"traces": "many"}'), ["expected"]),
    "cut-off": (Fault("cut_off"), ["cut off mid-body"]),
    "enormous": (Fault("huge", size=3 * 2**20), ["over the 1 MiB cap"]),
}


def backend(kind: str):
    if kind == "tempo":
        stub = TempoStub()
        return stub, stub.load(MYTHICAL), 15, "Tempo"
    stub = ZipkinStub()
    return stub, stub.load(YELP), 16, "Zipkin"


@pytest.mark.parametrize("fault_id", list(FAULTS))
@pytest.mark.parametrize("kind", ["tempo", "zipkin"])
def test_a_failing_backend_keeps_the_scene_says_why_and_recovers(live, kind, fault_id):
    stub, spans, count, name = backend(kind)
    stub.release(spans)
    # 1 s only where the fault waits for it: a loaded machine's slow answer is no fault elsewhere
    running = live(stub, jaeger_timeout=1.0 if fault_id == "slow" else 5.0, max_response=1.0)
    viewer = running.viewer().until(lambda v: len(v.nodes) == count and v.status is not None)
    shown = dict(viewer.nodes)
    fault, words = FAULTS[fault_id]
    stub.fault = fault
    viewer.until(viewer.state("degraded", *words), what=f"a degraded status saying {words}")
    assert "showing the last good scene" in viewer.status["message"]
    health = running.healthz()
    assert health["sources"][kind]["state"] == "degraded" and health["spans"] == count
    assert running.viewer().nodes == shown  # a viewer arriving during the fault gets the last good scene
    stub.fault = None
    viewer.until(lambda v: v.status["state"] == "ok", what="recovery")
    assert name in viewer.status["message"] and viewer.nodes == shown


@pytest.mark.parametrize("kind", ["tempo", "zipkin"])
def test_a_backend_that_goes_down_is_waited_for_and_its_scene_kept(live, kind):
    stub, spans, count, name = backend(kind)
    stub.release(spans)
    running = live(stub)
    viewer = running.viewer().until(lambda v: len(v.nodes) == count and v.status is not None)
    stub.stop()
    viewer.until(viewer.state("degraded", "refused", f"is {name} running"))
    assert running.healthz()["spans"] == count
    stub.restart()
    viewer.until(lambda v: v.status["state"] == "ok", what="recovery")


def test_a_backend_never_reached_is_down_and_named(live):
    stub = ZipkinStub().start()
    stub.stop()
    running = live(stub)
    viewer = running.viewer().until(lambda v: v.status is not None and v.status["state"] == "down")
    assert viewer.status["message"].startswith(f"waiting for Zipkin at {stub.url}")
    assert json.dumps(running.healthz()["sources"]["zipkin"]).count("refused") == 1


@pytest.mark.parametrize("args, message", [
    (["--zipkin", "ftp://zipkin"], "--zipkin 'ftp://zipkin' is not an http(s) URL; use Zipkin's address (usually port 9411)"),
    (["--tempo", "http://127.0.0.1:9", "--tempo-header", "X-Scope-OrgID"],
     "--tempo-header 'X-Scope-OrgID' is not 'Name: value'"),
    (["--tempo", "http://127.0.0.1:9", "--ca-cert", "/nonexistent/ca.pem"], "--ca-cert /nonexistent/ca.pem: no such file"),
])
def test_a_bad_tempo_or_zipkin_flag_stops_serve_in_one_line(capsys, args, message):
    from vrmon.cli import main

    assert main(["serve", "--port", "0", "--no-host-metrics", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"vrmon: error: {message}") and err.count("\n") == 1
