"""A link to a trace vrmon does not hold: the live source is asked for it by id (over real HTTP,
from the recorded-response backends) and the viewer is shown it, or told clearly why not."""

from __future__ import annotations

import time

import pytest

from tests.jaeger_harness import live_jaeger  # noqa: F401  (fixture)
from tests.jaeger_stub import JaegerStub
from tests.recorded_backend import Fault
from tests.tempo_zipkin_stubs import TempoStub, ZipkinStub
from tests.test_tempo_zipkin_live import MYTHICAL, YELP, live  # noqa: F401  (fixture)
from vrmon.protocol import resync_frame, reveal_request_frame, scene_request_frame

HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"
TWO_HOURS_AGO_US = int((time.time() - 2 * 3600) * 1e6)  # beyond --lookback: no poll brings it
MISSING = "0badc0de0badc0de0badc0de0badc0de"


def old_hotrod(stub):
    """The stub's HotROD trace from two hours ago, released: its id and the id of its database call."""
    spans = stub.load(HOTROD_V3, TWO_HOURS_AGO_US)
    stub.release(spans)
    query = next(s for s in spans if s.operation == "SQL SELECT")  # three calls deep
    return spans[0].trace_id, query.span_id


def ask(viewer, trace: str, span: str | None = None):
    viewer.ws.send(reveal_request_frame(trace, span))


@pytest.mark.parametrize("flavour", ["v2.19", "v1"])
def test_a_link_to_a_trace_the_polls_did_not_bring_fetches_it_from_jaeger_and_shows_it(live_jaeger, flavour):
    stub = JaegerStub(flavour=flavour)
    trace, query = old_hotrod(stub)
    live = live_jaeger(stub)
    viewer = live.viewer()
    live.polls_later(2)
    assert len(live.store) == 0  # two hours old: outside the polls' window
    ask(viewer, trace, query)
    viewer.until(lambda v: "revealed" in v.kinds, what="the linked trace revealed")
    lookup = next(f for f in viewer.frames if f["type"] == "lookup")
    assert lookup["trace"] == trace and lookup["message"] == (
        f"trace {trace} is not loaded: asking Jaeger at {stub.url} for it")
    snapshot = [f for f in viewer.frames if f["type"] == "snapshot"][-1]
    assert snapshot["scene"]["trace"] == trace and snapshot["scene"]["layout"] == "waterfall"
    revealed = viewer.frames[-1]
    selected = live.server.call(lambda: int(live.store.uid[live.store.row_of_span(live.store.trace_code(trace), int(query, 16))]))
    assert revealed["trace"] == trace and revealed["select"] == selected and selected in viewer.nodes  # its folds opened
    assert len(live.store) == 40 and any(f"/traces/{trace}" in r for r in stub.requests)
    live.polls_later(3)  # kept: it arrived now, so it ages out only after --retain
    assert len(live.store) == 40


def test_a_link_to_a_trace_jaeger_does_not_have_either_says_so(live_jaeger):
    stub = JaegerStub()
    old_hotrod(stub)
    live = live_jaeger(stub)
    viewer = live.viewer()
    ask(viewer, MISSING)
    viewer.until(lambda v: "error" in v.kinds, what="the refusal")
    error = viewer.frames[-1]
    assert error["request"] == "reveal" and error["message"] == (
        f"trace {MISSING} is not loaded, and Jaeger at {stub.url} does not have it")
    assert viewer.kinds.count("snapshot") == 1  # nothing else changed on screen


def test_a_link_while_jaeger_is_down_says_why_it_could_not_be_asked(live_jaeger):
    stub = JaegerStub()
    old_hotrod(stub)
    live = live_jaeger(stub)
    viewer = live.viewer()
    live.polls_later(1)
    stub.stop()
    ask(viewer, MISSING)
    viewer.until(lambda v: "error" in v.kinds, what="the refusal")
    message = viewer.frames[-1]["message"]
    assert message.startswith(f"trace {MISSING} is not loaded, and asking Jaeger at {stub.url} failed: ")


def test_a_viewer_that_moves_on_while_the_trace_is_fetched_stays_where_it_went(live_jaeger):
    stub = JaegerStub(fault=Fault("slow", seconds=1.0), fault_paths=("/api/v3/traces/",))  # the answer takes a second
    trace, _ = old_hotrod(stub)
    live = live_jaeger(stub)
    viewer = live.viewer()
    ask(viewer, trace)
    viewer.until(lambda v: "lookup" in v.kinds, what="the lookup under way")
    viewer.ws.send(scene_request_frame("services"))  # meanwhile it opens another scene
    viewer.until(lambda v: v.frames[-1]["type"] == "snapshot" and v.frames[-1]["scene"]["layout"] == "services")
    live.wait(lambda: len(live.store) == 40, what="the fetched trace in the store")
    viewer.ws.send(resync_frame())  # answered after anything the fetch queued for it
    viewer.until(lambda v: v.kinds.count("snapshot") == 3, what="the resync snapshot")
    assert "revealed" not in viewer.kinds and viewer.frames[-1]["scene"]["layout"] == "services"


@pytest.mark.parametrize("backend", ["Tempo", "Zipkin"])
def test_tempo_and_zipkin_are_asked_for_a_linked_trace_too(live, backend):
    if backend == "Tempo":
        stub = TempoStub()
        spans = stub.load(MYTHICAL, TWO_HOURS_AGO_US * 1000)
        trace = format(spans[0].trace_id, "032x")
    else:
        stub = ZipkinStub()
        spans = stub.load(YELP, TWO_HOURS_AGO_US)
        trace = spans[0]["traceId"].lower()
    stub.release(spans)
    running = live(stub)
    viewer = running.viewer()
    running.polls_later(2)
    assert len(running.store) == 0
    ask(viewer, trace)
    viewer.until(lambda v: "revealed" in v.kinds, what="the linked trace revealed")
    assert next(f for f in viewer.frames if f["type"] == "lookup")["message"].endswith(f"asking {backend} at {stub.url} for it")
    assert len(running.store) == len(spans) and viewer.frames[-1]["trace"] == trace
    ask(viewer, MISSING)
    viewer.until(lambda v: "error" in v.kinds, what="the refusal")
    assert viewer.frames[-1]["message"] == f"trace {MISSING} is not loaded, and {backend} at {stub.url} does not have it"
