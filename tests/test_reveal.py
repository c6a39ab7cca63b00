"""`reveal`: a link to a span (hex id) or a finding's spans (node ids) open that trace in the
waterfall with the folds above them opened, and the viewer learns their node ids."""

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
from vrmon.protocol import Reveal, SwitchScene, decode_server_frame, encode_frame, parse_client_message, reveal_request_frame
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
