"""A slow viewer's overflow drops deltas, never what a snapshot does not carry: after the resync
snapshot it gets every source's current status, the percentile ranks of the snapshot's spans
when it colours by them, and the reply to the select it was waiting for."""

from __future__ import annotations

import asyncio

from tests.conftest import FIXTURES, ROOT
from vrmon.hub import Hub
from vrmon.model.span_store import SpanStore
from vrmon.protocol import Colour, Select, decode_server_frame
from vrmon.scene_presets import load_presets
from vrmon.sources.files import load_trace_file

HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"


async def drain(viewer) -> list[dict]:
    frames = [await viewer.next_frame() for _ in range(viewer.queue.qsize())]
    return [decode_server_frame(f) for f in frames if f is not None]


def test_an_overflow_resends_the_statuses_and_the_pending_select_reply_after_the_snapshot():
    async def scenario() -> None:
        store = SpanStore()
        store.add(load_trace_file(HOTROD))
        hub = Hub(store, load_presets([ROOT / "scenes"]), "waterfall", queue_size=3)
        hub.set_status("jaeger", "degraded", "HTTP 500: storage unavailable")
        viewer = hub.connect()
        await drain(viewer)
        hub.set_status("file:a.json", "ok", "loaded a.json")
        selected = int(decode_server_frame(viewer.channel.view.snapshot())["nodes"].ids[5])
        hub.handle(viewer, Select(selected))
        for _ in range(10):  # metrics the viewer is too slow to read
            hub.broadcast(b"\x81\xa4type\xa7metrics")
        assert viewer.resyncs > 0
        frames = await drain(viewer)
        assert [f["type"] for f in frames] == ["snapshot", "status", "status", "details"]
        assert {(f["source"], f["state"]) for f in frames[1:3]} == {("jaeger", "degraded"), ("file:a.json", "ok")}
        assert frames[3]["span"]["id"] == selected
        # once sent, the reply is not sent again by a later overflow
        for _ in range(10):
            hub.broadcast(b"\x81\xa4type\xa7metrics")
        assert [f["type"] for f in await drain(viewer)] == ["snapshot", "status", "status"]

    asyncio.run(scenario())


def test_an_overflow_resends_the_percentile_ranks_of_the_resync_snapshots_spans():
    async def scenario() -> None:
        store = SpanStore()
        store.add(load_trace_file(HOTROD))
        hub = Hub(store, load_presets([ROOT / "scenes"]), "waterfall", queue_size=3)
        viewer = hub.connect()
        await drain(viewer)
        hub.handle(viewer, Colour("percentile"))
        ranks = (await drain(viewer))[-1]
        assert ranks["type"] == "ranks" and len(ranks["ids"]) == 40
        for _ in range(10):  # metrics the viewer is too slow to read
            hub.broadcast(b"\x81\xa4type\xa7metrics")
        assert viewer.resyncs > 0
        frames = await drain(viewer)
        assert [f["type"] for f in frames] == ["snapshot", "ranks"]
        assert frames[1]["ids"].tolist() == ranks["ids"].tolist() and frames[1]["ranks"].tolist() == ranks["ranks"].tolist()
        hub.handle(viewer, Colour("service"))  # colouring by service again: an overflow sends no ranks
        await drain(viewer)
        for _ in range(10):
            hub.broadcast(b"\x81\xa4type\xa7metrics")
        assert [f["type"] for f in await drain(viewer)] == ["snapshot"]

    asyncio.run(scenario())
