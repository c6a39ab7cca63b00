"""Scenes laid out for the shape of the viewer's page, without a browser: a tall page's waterfall is
narrower beside lanes as tall (its picture about the page's shape, names as big in metres), its
wall has fewer, taller columns holding the same panels; wide pages keep the presets' layouts. The
`shape` request and the socket's `aspect` query are validated (hostile values refused with a
one-line error, the viewer keeping its view); the hub moves a viewer to the view of its shape,
keeps its folds and time window, and keeps the shape across trace and scene switches."""

from __future__ import annotations

import asyncio
import msgpack
import pytest
from websockets.sync.client import connect

from tests.conftest import ROOT
from tests.generated_traces import named_batch, named_store, store_of
from vrmon.errors import ProtocolError
from vrmon.hub import Hub
from vrmon.layout.page_shape import HEADSET, HEADSET_WIDTH, WIDE, page_aspect, wall_for_page, waterfall_for_page
from vrmon.layout.wall import wall_capacity, wall_layout, wall_pages
from vrmon.layout.waterfall_overview import overview_layout
from vrmon.protocol import Shape, SwitchScene, Zoom, decode_server_frame, parse_client_message, shape_frame
from vrmon.scene_presets import load_presets

PRESETS = load_presets([ROOT / "scenes"])
WATERFALL, WALL = PRESETS["waterfall"].params, PRESETS["wall"].params


def frame_aspect(frame) -> float:
    return (frame[3] - frame[0]) / (frame[4] - frame[1])


def test_page_aspects_are_rounded_and_wide_pages_keep_the_presets():
    assert [page_aspect(a) for a in (None, 16 / 9, 4 / 3, WIDE, 20.0)] == [None] * 5
    assert page_aspect(800 / 900) == 0.9 and page_aspect(600 / 900) == 0.65 and page_aspect(1024 / 1366) == 0.75
    assert page_aspect(0.05) == page_aspect(0.2) == 0.4  # a sliver is laid out as the narrowest shape
    assert page_aspect(float("nan")) is None
    assert waterfall_for_page(WATERFALL, None) is WATERFALL and wall_for_page(WALL, None) is WALL


def test_shape_requests_and_socket_queries_are_validated():
    assert parse_client_message(shape_frame(0.667)) == Shape(0.667)
    assert parse_client_message(msgpack.packb({"type": "shape", "aspect": 2, "headset": True})) == Shape(2, headset=True)
    for hostile in (1, "yes", None, [True]):
        with pytest.raises(ProtocolError, match="shape: 'headset' must be true or false"):
            parse_client_message(msgpack.packb({"type": "shape", "aspect": 2, "headset": hostile}))
    for hostile in (0, -1, 0.01, 21, 1e308, float("nan"), float("inf"), True, None, "0.6", [0.6], {"a": 1}):
        with pytest.raises(ProtocolError, match="shape: 'aspect' must be a number between"):
            parse_client_message(msgpack.packb({"type": "shape", "aspect": hostile}))


def test_a_tall_pages_waterfall_has_about_its_shape_and_names_as_big():
    store = named_store(20_000, spans_per_trace=20_000, n_services=40)
    wide = overview_layout(store, 0, WATERFALL)
    for aspect in (0.9, 0.65):
        tall = overview_layout(store, 0, waterfall_for_page(WATERFALL, aspect))
        print(f"\n{aspect}: picture {frame_aspect(tall.frame):.2f} wide per tall (the preset's: {frame_aspect(wide.frame):.2f}), "
              f"{len(tall.layout.nodes.ids)} marks ({len(wide.layout.nodes.ids)} on a wide page)")
        # the time axis is aspect / WIDE as wide: the picture (with the names' column) about the page's shape
        nodes = tall.layout.nodes
        bars = (nodes.pos[:, 0] + nodes.size[:, 0] / 2).max() - (nodes.pos[:, 0] - nodes.size[:, 0] / 2).min()
        assert bars <= WATERFALL.width * aspect / WIDE + 1e-3
        assert frame_aspect(tall.frame) < frame_aspect(wide.frame) * (aspect / WIDE) ** 0.5
        assert {l.size for l in tall.layout.labels if l.kind == "lane"} == {l.size for l in wide.layout.labels if l.kind == "lane"}
        # as much is drawn as a page that many pixels narrower shows, every span accounted for
        assert len(tall.rows) == int(tall.cut.shown.sum() + tall.cut.count.sum()) == 20_000
        assert tall.layout.nodes.size[:, 0].min() >= WATERFALL.min_bar - 1e-6


def test_a_tall_pages_wall_has_fewer_taller_columns_of_the_same_panels():
    store = store_of(named_batch(300 * 40, spans_per_trace=40, n_services=12))
    wide = wall_layout(store, WALL)
    for aspect in (0.9, 0.65, 0.75):
        p = wall_for_page(WALL, aspect)
        tall = wall_layout(store, p)
        assert (wall_capacity(p), wall_pages(store, p)) == (wall_capacity(WALL), wall_pages(store, WALL))
        # the same traces, newest first (a narrower panel's title is cut shorter)
        assert all(wide_title.startswith(title.rstrip("…")) for title, wide_title in zip([l.text for l in tall.labels], [l.text for l in wide.labels]))
        assert len(tall.labels) == len(wide.labels)
        columns = len({round(l.pos[0], 3) for l in tall.labels})
        assert columns == 2 and p.rows == 6
        assert frame_aspect(tall.frame) < frame_aspect(wide.frame)
        # no two panels' titles at one place: stacked, not overlapping
        spots = {(round(l.pos[0], 3), round(l.pos[1], 3)) for l in tall.labels}
        assert len(spots) == len(tall.labels)


async def drained(viewer) -> list[dict]:
    return [decode_server_frame(f) for f in [await viewer.next_frame() for _ in range(viewer.queue.qsize())] if f is not None]


async def last_scene(viewer) -> dict:
    return [f for f in await drained(viewer) if f["type"] == "snapshot"][-1]["scene"]


def test_the_hub_lays_out_each_viewers_view_for_its_page_and_keeps_it_across_switches():
    async def scenario() -> None:
        store = store_of(named_batch(4000, spans_per_trace=2000, n_services=12))
        hub = Hub(store, PRESETS, "waterfall")
        wide, tall, also_tall = hub.connect(), hub.connect(aspect=0.6), hub.connect(aspect=0.62)
        wide_scene, tall_scene = await last_scene(wide), await last_scene(tall)
        await drained(also_tall)
        assert tall.channel is also_tall.channel is not wide.channel  # one encode for pages of one shape
        assert frame_aspect(tall_scene["frame"]) < frame_aspect(wide_scene["frame"])
        # the time zoomed into and the folds stay when the page changes shape
        hub.handle(tall, Zoom((1000, 500_000)))
        await drained(tall)
        hub.handle(tall, Shape(16 / 9))
        scene = await last_scene(tall)
        assert scene["detail"]["window"] == [1000, 500_000] and tall.aspect is None
        hub.handle(tall, Shape(0.6))
        hub.handle(tall, Shape(0.61))  # the same shape: its view again, a snapshot to frame at
        frames = await drained(tall)
        assert [f["type"] for f in frames].count("snapshot") == 2 and frames[-1]["scene"]["frame"] == frames[0]["scene"]["frame"]
        # another trace, another scene: still laid out for the page
        other = next(store.trace_id_hex(t) for t in (0, 1) if store.trace_id_hex(t) != scene["trace"])
        hub.handle(tall, SwitchScene(scene=None, trace=other))
        await drained(tall)
        assert tall.channel.key.aspect == 0.6 and tall.channel.view.params.width < WATERFALL.width
        hub.handle(tall, SwitchScene(scene="wall", trace=None))
        await drained(tall)
        assert tall.channel.view.params.rows > WALL.rows

    asyncio.run(scenario())


def test_a_hostile_aspect_on_the_socket_is_refused_and_the_viewer_gets_the_wide_view(vrmon_server):
    url = vrmon_server([], store=named_store(2000, spans_per_trace=2000, n_services=12), host_metrics=False)
    ws = url.replace("http", "ws") + "/ws"

    def first_frames(query: str, kinds: tuple[str, ...] = ("snapshot",)) -> dict[str, dict]:
        """The first frame of each of `kinds` a viewer connecting with `query` gets."""
        with connect(ws + query, max_size=None) as viewer:
            frames: dict[str, dict] = {}
            while not all(kind in frames for kind in kinds):
                frame = decode_server_frame(viewer.recv(timeout=10))
                frames.setdefault(frame["type"], frame)
            return frames

    wide = first_frames("")["snapshot"]["scene"]["frame"]
    tall = first_frames("?aspect=0.6")["snapshot"]["scene"]["frame"]
    assert frame_aspect(tall) < frame_aspect(wide)
    for hostile in ("nan", "-1", "1e999", "abc", "0" * 40):
        frames = first_frames(f"?aspect={hostile}", ("snapshot", "error"))
        assert "shape: 'aspect' must be a number" in frames["error"]["message"], frames["error"]
        assert frames["snapshot"]["scene"]["frame"] == wide
    assert first_frames("?aspect=2.5")["snapshot"]["scene"]["frame"] == wide


def test_a_headset_gets_a_narrower_waterfall_and_the_presets_wall_and_graph():
    async def scenario() -> None:
        store = store_of(named_batch(4000, spans_per_trace=2000, n_services=12))
        hub = Hub(store, PRESETS, "waterfall")
        page, headset = hub.connect(aspect=16 / 9), hub.connect(aspect=16 / 9)
        await drained(page)
        hub.handle(headset, Shape(16 / 9, headset=True))
        await drained(headset)
        assert headset.aspect == HEADSET and headset.channel is not page.channel
        assert headset.channel.view.params.width == pytest.approx(WATERFALL.width * HEADSET_WIDTH)
        hub.handle(headset, SwitchScene(scene="wall", trace=None))
        await drained(headset)
        assert headset.channel.view.params is WALL
        hub.handle(headset, SwitchScene(scene="services", trace=None))
        hub.handle(page, SwitchScene(scene="services", trace=None))
        graph, page_graph = await last_scene(headset), await last_scene(page)
        assert graph["frame"] == page_graph["frame"]  # the wide page's graph
        hub.handle(headset, Shape(16 / 9))  # out of the headset, on a wide page again
        await drained(headset)
        assert headset.aspect is None and headset.channel is page.channel

    asyncio.run(scenario())
