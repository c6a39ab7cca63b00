"""`reveal`: a link to a span (hex id) or a finding's spans (node ids) open that trace in the
waterfall with the folds above them opened, and the viewer learns their node ids. `colour`: a
viewer colouring by duration percentile gets the rank of each span it draws (`ranks`)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.generated_traces import named_store
from vrmon.errors import ProtocolError
from vrmon.hub import SNAPSHOT, Hub
from vrmon.model.ids import format_span_id
from vrmon.model.span_store import SpanStore
from tests.trace_variants import OtlpTrace
from vrmon.analysis.percentiles import rank_of_span
from tests.conftest import FIXTURES
from vrmon.sources.files import load_trace_file
from vrmon.protocol import (Colour, Compare, Resync, Reveal, SwitchScene, colour_request_frame, decode_server_frame, encode_frame,
                            parse_client_message, reveal_request_frame)
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets


def drain(viewer) -> list[dict]:
    async def frames():
        return [await viewer.next_frame() for _ in range(viewer.queue.qsize())]
    return [decode_server_frame(f) for f in asyncio.run(frames()) if f is not None]


def big_trace_hub() -> tuple[Hub, SpanStore]:
    """Two traces of 2,500 spans: the waterfall's overview folds most of each into summary marks."""
    store = named_store(5000, spans_per_trace=2500)
    hub = Hub(store, load_presets([ROOT / "scenes"]), "wall")
    return hub, store


def test_the_request_round_trips_and_bad_ones_are_refused():
    assert parse_client_message(reveal_request_frame("AB12", "00ff", (7, 9), 9)) == Reveal("ab12", "00ff", (7, 9), 9)
    for frame, says in [({"trace": "xyz"}, "'trace' must be a hex id"), ({"span": "01"}, "needs a 'trace'"),
                        ({"trace": "01", "nodes": [-1]}, "'nodes' must be a list"),
                        ({"trace": "01", "nodes": list(range(201))}, "at most 200"),
                        ({"trace": "01", "select": "x"}, "'select' must be nil")]:
        with pytest.raises(ProtocolError, match=says):
            parse_client_message(encode_frame({"type": "reveal", **frame}))


def test_a_link_to_a_folded_span_opens_its_trace_in_the_waterfall_with_the_span_drawn_and_selected():
    hub, store = big_trace_hub()
    viewer = hub.connect()
    drain(viewer)
    trace = 0
    rows = store.rows_of_trace(trace)
    deepest = int(rows[np.argmax(store.depth[rows])])  # folded at the overview
    assert not SceneView(store, hub.presets["waterfall"], trace).has_node(int(store.uid[deepest]))
    span_hex = format_span_id(int(store.span_id[deepest]))

    hub.handle(viewer, Reveal(store.trace_id_hex(trace), span_hex, (), None))

    frames = drain(viewer)
    assert [f["type"] for f in frames] == ["snapshot", "revealed"]
    snapshot, revealed = frames
    assert snapshot["scene"]["name"] == "waterfall" and snapshot["scene"]["trace"] == store.trace_id_hex(trace)
    assert int(store.uid[deepest]) in set(snapshot["nodes"].ids.tolist())  # drawn now
    assert revealed["select"] == int(store.uid[deepest]) and revealed["nodes"].tolist() == [int(store.uid[deepest])]
    assert snapshot["scene"]["detail"]["opened"] == int(store.depth[deepest])  # one fold per ancestor


def test_revealing_spans_already_drawn_keeps_the_view_and_sends_no_new_snapshot():
    hub, store = big_trace_hub()
    viewer = hub.connect()
    hub.handle(viewer, SwitchScene("waterfall", store.trace_id_hex(1), None))
    drain(viewer)
    drawn = [int(i) for i in viewer.channel.view.nodes.ids[:3]]
    hub.handle(viewer, Reveal(store.trace_id_hex(1), None, tuple(drawn), drawn[1]))
    [revealed] = drain(viewer)
    assert revealed["type"] == "revealed" and revealed["nodes"].tolist() == drawn and revealed["select"] == drawn[1]
    assert viewer.channel.key.detail.expanded == frozenset()


def test_nodes_of_another_trace_are_ignored_and_unknown_traces_and_spans_say_so():
    hub, store = big_trace_hub()
    viewer = hub.connect()
    drain(viewer)
    other = int(store.uid[store.rows_of_trace(1)[0]])
    hub.handle(viewer, Reveal(store.trace_id_hex(0), None, (other,), other))
    assert drain(viewer)[-1] == {"type": "revealed", "trace": store.trace_id_hex(0), "nodes": pytest.approx([]), "select": None}
    with pytest.raises(ProtocolError, match="trace 0badc0de is not loaded"):
        hub.handle(viewer, Reveal("0badc0de", None, (), None))
    with pytest.raises(ProtocolError, match=f"span 0badc0de is not in trace {store.trace_id_hex(1)}"):
        hub.handle(viewer, Reveal(store.trace_id_hex(1), "0badc0de", (), None))
    assert viewer.channel.key.trace == 1  # the trace is shown all the same
    assert SNAPSHOT in viewer.queue._queue


def test_a_viewer_colouring_by_percentile_gets_the_rank_of_every_span_it_draws_after_each_view_change():
    store = OtlpTrace.load().store()  # the HotROD trace: 13 GetDriver calls among 40 spans
    hub = Hub(store, load_presets([ROOT / "scenes"]), "waterfall")
    viewer, other = hub.connect(), hub.connect()
    drain(viewer), drain(other)
    hub.handle(viewer, Colour("percentile"))
    [frame] = drain(viewer)
    assert frame["type"] == "ranks" and sorted(frame["ids"].tolist()) == sorted(viewer.channel.view.nodes.ids.tolist())
    by_id = dict(zip(frame["ids"].tolist(), frame["ranks"].tolist()))
    for uid in by_id:  # each as the details panel says it (whole percentile)
        row = store.row_of_uid(uid)
        assert by_id[uid] == int(rank_of_span(store, row).rank)
    getdriver = [u for u in by_id if store.operations.names[store.operation[store.row_of_uid(u)]] == "GetDriver"]
    assert len(getdriver) == 13 and sorted(by_id[u] for u in getdriver)[-1] == 96  # the slowest of 13: p96.2
    hub.handle(viewer, SwitchScene("wall", None, None))
    assert [f["type"] for f in drain(viewer)][-1] == "ranks"  # again after the new view's snapshot
    assert drain(other) == []  # only to the viewer that asked
    hub.handle(viewer, Colour("service"))
    hub.handle(viewer, Resync())
    assert "ranks" not in [f["type"] for f in drain(viewer)]
    with pytest.raises(ProtocolError, match="'by' must be one of service, percentile"):
        parse_client_message(colour_request_frame("rainbow"))


def test_compare_shows_trace_b_with_each_matched_spans_change_the_spans_only_in_b_and_ghosts_of_those_only_in_a():
    # two real captures of the same HotROD request: route pool of one (A) and of three (B)
    store = SpanStore()
    for name in ("otlp-hotrod-dispatch-40spans-serial.json", "apiv3-gettrace-hotrod-40spans.json"):
        store.add(load_trace_file(FIXTURES / name))
    a, b = (store.trace_id_hex(t) for t in (0, 1))
    hub = Hub(store, load_presets([ROOT / "scenes"]), "wall")
    viewer = hub.connect()
    drain(viewer)
    hub.handle(viewer, Compare(a, b))
    snapshot, comparison = drain(viewer)
    assert snapshot["scene"]["trace"] == b and snapshot["scene"]["layout"] == "waterfall"
    assert comparison["summary"]["total_diff_ms"] == pytest.approx(-414.4, abs=0.05)  # as `vrmon inspect --compare` says
    assert len(comparison["nodes"]) == 40 and len(comparison["only_b"]) == 0 and len(comparison["ghosts"]["anchor"]) == 0
    drawn_b = set(snapshot["nodes"].ids.tolist())
    assert set(comparison["nodes"].tolist()) <= drawn_b
    root_b = int(store.uid[store.rows_of_trace(1)[store.parent[store.rows_of_trace(1)] < 0][0]])
    root_change = dict(zip(comparison["nodes"].tolist(), comparison["diff_us"].tolist()))[root_b]
    assert root_change == pytest.approx(-414_400, abs=100)

    # against the trimmed capture of a retried request: 24 spans only in A become ghosts in B,
    # each placed under its nearest matched ancestor (GET /dispatch for the HTTP GET calls)
    store.add(load_trace_file(FIXTURES / "otlp-hotrod-dispatch-trimmed-16spans-retries.json"))
    trimmed = store.trace_id_hex(2)
    hub.handle(viewer, Compare(a, trimmed))
    _, ghosts = drain(viewer)
    assert ghosts["summary"]["only_in_a"][0]["path"] == "frontend:GET /dispatch > frontend:HTTP GET#1"
    assert len(ghosts["ghosts"]["anchor"]) == 24 and len(ghosts["nodes"]) == 16
    assert ghosts["summary"]["only_in_a_total"] == 24 and ghosts["summary"]["only_in_b_total"] == 0
    rows_b = store.rows_of_trace(2)
    root_b = int(store.uid[rows_b[store.parent[rows_b] < 0][0]])
    first = int(np.argmin(ghosts["ghosts"]["from"] + 10 * (ghosts["ghosts"]["depth"] != 1)))  # HTTP GET#1: under the root
    assert ghosts["ghosts"]["anchor"][first] == root_b and ghosts["ghosts"]["depth"][first] == 1
    assert 0 <= ghosts["ghosts"]["from"][first] < ghosts["ghosts"]["to"][first] <= 1
    with pytest.raises(ProtocolError, match="trace 0badc0de is not loaded"):
        hub.handle(viewer, Compare(a, "0badc0de"))

