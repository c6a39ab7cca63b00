"""Scenes at scale: presets, the wall, the service graph, host load, switching at run time."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import psutil
import pytest
from websockets.sync.client import connect

from bench.synthetic import synthetic_batch
from tests.conftest import ROOT
from tests.generated_traces import named_batch, zero_length_batch
from tests.test_formats import store_of
from tests.test_server import HOTROD, HUNDRED, recv
from vrmon.errors import ConfigError
from vrmon.formats import read_document
from vrmon.sources.files import load_trace_file
from vrmon.layout.nodes import YAW_SCALE
from vrmon.layout.services import SERVICE_NODE_BASE, GraphState, ServicesParams, services_layout
from vrmon.layout.wall import MARKER_RADIUS, MARKER_SHARE, MAX_PANEL_DEPTH, TITLE_CHAR_WIDTH, TITLE_GAP, WallParams, wall_capacity, wall_layout, wall_pages
from vrmon.model.span_store import SpanStore
from vrmon.protocol import scene_request_frame, select_frame
from vrmon.scene import SceneView
from vrmon.scene_presets import load_preset, load_presets

PRESETS = load_presets([ROOT / "scenes"])


def test_builtin_presets_load():
    assert {"waterfall", "wall", "services"} <= set(PRESETS)


@pytest.mark.parametrize(
    "text, message",
    [
        ('layout = "waterfall"\ncolour = 1', "unknown key 'colour'; allowed: description, layout, name, params"),
        ('layout = "spiral"', "layout 'spiral' is not one of services, wall, waterfall"),
        ('layout = "waterfall"\n[params]\nwidht = 3', "unknown key params.widht; allowed: bar_depth"),
        ('layout = "waterfall"\n[params]\nwidth = "wide"', "params.width = 'wide'; expected a number"),
        ('layout = "wall"\n[params]\ntraces = 2.5', "params.traces = 2.5; expected an integer"),
        ('layout = "waterfall"\n[params]\nservice_colors = ["#12"]', "'#12' is not a colour"),
        ('layout = "services"\n[params]\nok_color = 3', "params.ok_color = 3; expected a colour string"),
        ('layout = = 1', "not valid TOML"),
    ],
)
def test_bad_presets_are_refused_with_file_key_and_what_is_allowed(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="mine.toml") as err:
        load_preset(path)
    assert message in str(err.value)


def test_a_copied_preset_overrides_the_builtin(tmp_path):
    text = (ROOT / "scenes" / "waterfall.toml").read_text().replace("width = 24.0", "width = 40.0")
    (tmp_path / "waterfall.toml").write_text(text)
    presets = load_presets([ROOT / "scenes", tmp_path])
    assert presets["waterfall"].params.width == 40.0


# -- wall ------------------------------------------------------------------------------------


def test_wall_shows_recent_traces_newest_in_front():
    store = store_of(HUNDRED)
    p = PRESETS["wall"].params
    layout = wall_layout(store, p)
    nodes = layout.nodes
    assert np.isfinite(nodes.pos).all()
    shown = np.unique(store.trace[[store.row_of_uid(int(i)) for i in nodes.ids]])
    assert len(shown) == wall_capacity(p) == 12  # a page: 3 columns of 4 panels
    newest = int(np.argmax(store.trace_summaries()["start_us"]))
    front = nodes.yaw == 0
    front_traces = {int(store.trace[store.row_of_uid(int(i))]) for i in nodes.ids[front]}
    assert newest in front_traces
    # every panel turns towards the centre, by `facing` of its azimuth on the wall
    azimuth = np.arctan2(nodes.pos[:, 0], -nodes.pos[:, 2])
    assert np.allclose(-azimuth * p.facing, nodes.yaw / YAW_SCALE, atol=0.2)
    # a title above every panel, no wider than the panel
    assert len(layout.labels) == 12
    assert all(len(label.text) * p.title_height * TITLE_CHAR_WIDTH <= p.panel_width for label in layout.labels)


def test_wall_never_wraps_panels_onto_each_other():
    store = SpanStore()
    store.add(synthetic_batch(20_000, spans_per_trace=20))
    layout = wall_layout(store, WallParams(traces=1000))
    azimuth = np.round(np.arctan2(layout.nodes.pos[:, 0], -layout.nodes.pos[:, 2]), 1)
    assert len(np.unique(np.round(layout.nodes.yaw / YAW_SCALE, 2))) <= 2 * np.pi * 6.0 // 2.7 + 1
    assert np.isfinite(azimuth).all()


def panel_boxes(store: SpanStore, layout) -> dict[int, tuple[float, float, float, float]]:
    """Per trace on the wall: (azimuth min, max, height min, max) of its bars' extents."""
    nodes = layout.nodes
    trace = store.trace[[store.row_of_uid(int(i)) for i in nodes.ids]]
    azimuth = np.arctan2(nodes.pos[:, 0], -nodes.pos[:, 2])
    half_angle = nodes.size[:, 0] / 2 / np.hypot(nodes.pos[:, 0], nodes.pos[:, 2])
    low, high = nodes.pos[:, 1] - nodes.size[:, 1] / 2, nodes.pos[:, 1] + nodes.size[:, 1] / 2
    return {int(t): (float((azimuth - half_angle)[trace == t].min()), float((azimuth + half_angle)[trace == t].max()),
                     float(low[trace == t].min()), float(high[trace == t].max())) for t in np.unique(trace)}


@pytest.mark.parametrize("rows", [1, 3, 4, 5, 6])
def test_wall_panels_are_packed_by_their_real_heights_and_never_overlap(rows):
    # Regression: with rows >= 4 the fourth level landed on the height of the second, and the
    # bottom row was lifted off the floor into the middle one.
    store = SpanStore()
    store.add(synthetic_batch(60 * 30, spans_per_trace=30, seed=3))
    p = WallParams(rows=rows, traces=3 * rows)
    layout = wall_layout(store, p)
    boxes = list(panel_boxes(store, layout).values())
    assert len(boxes) == 3 * rows
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            side_by_side = a[1] < b[0] or b[1] < a[0]
            stacked = a[3] + p.title_height < b[2] or b[3] + p.title_height < a[2]  # a title's room between
            assert side_by_side or stacked, (a, b)
    assert min(box[2] for box in boxes) >= 0.05  # nothing under the floor
    # each title sits above its own panel, under the next panel up
    for label in layout.labels:
        x, y, z = label.pos
        column = [box for box in boxes if box[0] <= np.arctan2(x, -z) <= box[1]]
        assert any(box[3] < y < box[3] + 0.2 for box in column)


@pytest.mark.parametrize("files", [["tempo-api-traces-batches-legacy-1span.json"], ["jaeger-v1-opentracing-tutorial-3services-logs.json"],
                                   ["jaeger-v1-opentracing-tutorial-3services-logs.json", "otlp-hotrod-dispatch-trimmed-16spans-retries.json"]])
def test_a_page_of_a_few_traces_is_stretched_to_the_shape_of_a_screen_and_framed_with_its_titles(files):
    # Before: one trace drew as a strip 0.08-0.32 m tall under a 2.8 m title line, framed at 2-8 %
    # of a 1280x720 view (a 1-span trace: one bar 0.08 m tall).
    store = SpanStore()
    for name in files:
        store.add(load_trace_file(ROOT / "fixtures" / name))
    p = PRESETS["wall"].params
    layout = wall_layout(store, p)
    frame, nodes = layout.frame, layout.nodes
    # the page (bars, titles and gaps) is page_shape as tall as it is wide: one trace is stretched
    # to it (its bars with its rows); two stacked in a column, taller than that, are widened to it
    width, height = frame[3] - frame[0], frame[4] - frame[1]
    assert height == pytest.approx(p.page_shape * width, rel=0.02)
    if len(files) == 1:
        assert width == pytest.approx(p.panel_width)
        assert nodes.size[:, 1].max() > 2 * p.bar_height
    else:
        assert width > 1.1 * p.panel_width and np.allclose(nodes.size[:, 1], p.bar_height)
    # each panel's bars run from one end of the panel to the other: its axis is its trace's extent
    left, right = nodes.pos[:, 0] - nodes.size[:, 0] / 2, nodes.pos[:, 0] + nodes.size[:, 0] / 2
    assert (left.min(), right.max()) == pytest.approx((-width / 2, width / 2), abs=1e-3)
    # the frame holds every title's letters (title_height above its anchor)
    assert all(label.pos[1] + p.title_height <= frame[4] + 1e-6 for label in layout.labels)


@pytest.mark.parametrize("fixture", ["tempo-otlp-mythical-failed-requests-15spans-base64.json", "apiv3-gettrace-hotrod-40spans.json"])
def test_a_title_rises_over_error_markers_only_as_far_as_they_reach(fixture):
    # mythical's root span failed: its marker stands over the top bar; HotROD's errors are two
    # rows down, where their markers stay under the top bar (before, its title rose 0.41 m anyway)
    store = SpanStore()
    store.add(load_trace_file(ROOT / "fixtures" / fixture))
    p = PRESETS["wall"].params
    layout = wall_layout(store, p)
    nodes = layout.nodes
    [title] = layout.labels
    top = nodes.pos[:, 1] + nodes.size[:, 1] / 2
    error = (nodes.flags & 1) > 0
    markers_top = (top[error] + 3 * np.minimum(MARKER_RADIUS, MARKER_SHARE * nodes.size[error, 1])).max()
    assert title.pos[1] >= markers_top  # the title's foot clears every marker
    assert title.pos[1] == pytest.approx(max(top.max() + TITLE_GAP, markers_top + 0.02), abs=1e-3)


def test_a_trace_of_zero_length_spans_draws_its_bars_across_its_panel():
    # Before: each bar sat at the panel's left end, min_bar wide: the page was framed at 3 % of a
    # 1280x720 view, 404 px left of its centre (the audit of issue 8, 2026-12-01).
    store = SpanStore()
    store.add(zero_length_batch(6))
    layout = wall_layout(store, PRESETS["wall"].params)
    nodes, frame = layout.nodes, layout.frame
    width = frame[3] - frame[0]
    left, right = nodes.pos[:, 0] - nodes.size[:, 0] / 2, nodes.pos[:, 0] + nodes.size[:, 0] / 2
    assert np.allclose(left, -width / 2, atol=1e-3) and np.allclose(right, width / 2, atol=1e-3)


def test_a_big_traces_panel_stays_shallow():
    # Before: its lanes and overlap tracks ran 12 m into the wall for 2,000 spans over 40 services
    # (30 m for 20k: framed on a 1280x720 view as a strip receding into the distance, at 24 % of
    # the view with 39 % of its bars under 2 px; 37 % and 100 % now, the audit of issue 8).
    store = SpanStore()
    store.add(named_batch(2_000, spans_per_trace=2_000, n_services=40))
    p = PRESETS["wall"].params
    layout = wall_layout(store, p)
    front = -p.radius + p.bar_depth / 2  # the panel straight ahead: its bars' front faces at the wall
    back = (layout.nodes.pos[:, 2] - layout.nodes.size[:, 2] / 2).min()
    assert front - back <= MAX_PANEL_DEPTH + p.bar_depth + 1e-3


def test_a_trace_bigger_than_a_panel_draws_its_top_levels_and_its_title_says_how_many():
    # Before: every span was a bar: a 1M-span trace sent a million to the viewer, whose software-GL
    # page had not drawn them a minute later (the audit of issue 8); the default keeps 20k.
    store = SpanStore()
    store.add(named_batch(2_000, spans_per_trace=2_000, n_services=40))
    p = replace(PRESETS["wall"].params, max_panel_spans=500)
    layout = wall_layout(store, p)
    [title] = layout.labels
    kept, total = map(int, re.search(r" · (\d+) of (\d+) levels$", title.text).groups())
    assert kept < total == int(store.depth.max()) + 1
    assert len(title.text) <= p.panel_width / (p.title_height * TITLE_CHAR_WIDTH)
    # every call down to the levels kept, and none below
    assert len(layout.nodes.ids) == int((store.depth < kept).sum()) <= 500 < int((store.depth <= kept).sum())
    assert wall_layout(store, PRESETS["wall"].params).labels[0].text.endswith("levels") is False


def test_a_page_already_the_shape_of_a_screen_is_not_stretched():
    store = SpanStore()
    store.add(synthetic_batch(60 * 30, spans_per_trace=30, seed=3))
    p = PRESETS["wall"].params
    layout = wall_layout(store, p)
    assert np.allclose(layout.nodes.size[:, 1], p.bar_height)  # 12 deep traces in 3 columns of 4
    assert (layout.frame[4] - layout.frame[1]) > p.page_shape * (layout.frame[3] - layout.frame[0])


def test_wall_pages_show_every_trace_once_newest_first():
    store = SpanStore()
    store.add(synthetic_batch(530 * 4, spans_per_trace=4, seed=5))  # 530 traces
    p = PRESETS["wall"].params
    pages = wall_pages(store, p)
    assert pages == -(-530 // wall_capacity(p))
    seen: list[int] = []
    for page in range(pages):
        nodes = wall_layout(store, p, page).nodes
        seen += sorted({int(store.trace[store.row_of_uid(int(i))]) for i in nodes.ids})
    assert sorted(seen) == list(range(530)) and len(seen) == 530
    start = store.trace_summaries()["start_us"]
    first, last = wall_layout(store, p, 0).nodes, wall_layout(store, p, pages - 1).nodes
    oldest_on_first = min(start[store.trace[store.row_of_uid(int(i))]] for i in first.ids)
    newest_on_last = max(start[store.trace[store.row_of_uid(int(i))]] for i in last.ids)
    assert oldest_on_first > newest_on_last
    # a page past the end shows the last one
    assert np.array_equal(wall_layout(store, p, pages + 5).nodes.ids, last.ids)


def test_wall_page_requests_over_the_websocket(vrmon_server):
    store = SpanStore()
    store.add(synthetic_batch(40 * 3, spans_per_trace=3, seed=2))
    base = vrmon_server([], store=store, scene="wall", host_metrics=False)
    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        first = recv(ws)
        assert (first["scene"]["page"], first["scene"]["pages"]) == (0, 4)
        ws.send(scene_request_frame(page=3))
        last = recv(ws)
        assert last["type"] == "snapshot" and last["scene"]["page"] == 3
        assert not set(first["nodes"].ids) & set(last["nodes"].ids)
        ws.send(scene_request_frame(page=-1))
        assert "'page' must be an integer" in recv(ws)["message"]
        ws.send(scene_request_frame(scene="waterfall"))  # other scenes have no pages
        assert "page" not in recv(ws)["scene"]


# -- services --------------------------------------------------------------------------------


def cross_service_calls(path) -> dict[tuple[str, str], int]:
    """Independently: parent → child span pairs whose services differ, from the raw fixture."""
    from tests.fixture_counts import raw_spans

    spans = raw_spans(path)
    by_id = {(s["trace"], s["span"]): s for s in spans}
    calls: dict[tuple[str, str], int] = {}
    for s in spans:
        parent = by_id.get((s["trace"], s["parent"]))
        if parent and parent["service"] != s["service"]:
            key = (parent["service"], s["service"])
            calls[key] = calls.get(key, 0) + 1
    return calls


@pytest.mark.parametrize("path", [HOTROD, HUNDRED], ids=lambda p: p.name)
def test_service_graph_edges_are_the_cross_service_calls(path):
    store = store_of(path)
    layout = services_layout(store, ServicesParams(), GraphState())
    names = store.services.names
    edges = layout.edges
    got = {(names[int(s) - SERVICE_NODE_BASE], names[int(t) - SERVICE_NODE_BASE]): None for s, t in zip(edges.source, edges.target)}
    assert set(got) == set(cross_service_calls(path))
    assert len(layout.nodes) == len(store.services)
    assert np.isfinite(layout.nodes.pos).all()


def test_service_graph_is_deterministic_for_a_seed():
    store = store_of(HUNDRED)
    a = services_layout(store, ServicesParams(), GraphState())
    b = services_layout(store, ServicesParams(), GraphState())
    assert np.array_equal(a.nodes.pos, b.nodes.pos)
    c = services_layout(store, ServicesParams(seed=8), GraphState())
    assert not np.array_equal(a.nodes.pos, c.nodes.pos)


def test_a_new_service_does_not_move_the_others():
    store = store_of(HUNDRED)
    state = GraphState()
    before = services_layout(store, ServicesParams(), state)
    store.add(read_document(json.loads(HOTROD.read_text())))  # brings new services
    after = services_layout(store, ServicesParams(), state)
    old = {int(i): p for i, p in zip(before.nodes.ids, before.nodes.pos)}
    moved = [np.abs(p - old[int(i)]).max() for i, p in zip(after.nodes.ids, after.nodes.pos) if int(i) in old]
    assert len(after.nodes) > len(before.nodes)
    assert max(moved) < 1e-5


def test_service_colour_follows_error_ratio():
    store = store_of(HOTROD)
    layout = services_layout(store, ServicesParams(), GraphState())
    names = store.services.names
    red = {names[int(s)]: tuple(c) for s, c in zip(layout.nodes.service, layout.nodes.color)}
    assert red["redis-manual"] != red["mysql"]  # 3 of 14 redis calls failed; mysql never did


# -- incremental updates -----------------------------------------------------------------------


def test_a_tick_with_nothing_new_sends_nothing_in_every_scene():
    store = store_of(HUNDRED)
    for name in ("waterfall", "wall", "services"):
        view = SceneView(store, PRESETS[name])
        assert view.snapshot()
        assert view.refresh() is None


def test_new_traces_leave_an_open_waterfall_untouched():
    store = store_of(HUNDRED)
    view = SceneView(store, PRESETS["waterfall"])
    before = view.nodes
    store.add(synthetic_batch(1000, seed=3, first_trace=10**6))
    from vrmon.protocol import decode_server_frame

    delta = decode_server_frame(view.refresh())
    assert len(delta["added"]) == len(delta["updated"]) == len(delta["removed"]) == 0
    assert len(delta["traces"]) == 1000 // 40
    assert np.array_equal(view.nodes.pos, before.pos)


# -- over a real server ----------------------------------------------------------------------


def test_viewer_switches_scenes_at_run_time(vrmon_server):
    url = vrmon_server([HUNDRED])
    with connect(url.replace("http", "ws") + "/ws") as ws:
        assert recv(ws)["scene"]["layout"] == "waterfall"
        for name in ("wall", "services", "waterfall"):
            ws.send(scene_request_frame(scene=name))
            frame = recv(ws)
            while frame["type"] != "snapshot":
                frame = recv(ws)
            assert frame["scene"]["name"] == name
            assert len(frame["nodes"]) > 0
        ws.send(scene_request_frame(scene="services"))
        frame = recv(ws)
        while frame["type"] != "snapshot":
            frame = recv(ws)
        assert len(frame["edges"]) > 0
        ws.send(select_frame(int(frame["nodes"].ids[0])))
        details = recv(ws)
        while details["type"] != "details":
            details = recv(ws)
        assert details["span"]["kind"] == "service" and details["span"]["spans"] > 0
        ws.send(scene_request_frame(scene="nope"))
        frame = recv(ws)
        while frame["type"] != "error":
            frame = recv(ws)
        assert "unknown scene 'nope'; available: services, wall, waterfall" in frame["message"]


def test_server_starts_in_the_scene_asked_for(vrmon_server):
    url = vrmon_server([HUNDRED], scene="services")
    with connect(url.replace("http", "ws") + "/ws") as ws:
        assert recv(ws)["scene"]["name"] == "services"


def test_host_metrics_reach_every_viewer_once_a_second(vrmon_server):
    url = vrmon_server([HOTROD])
    with connect(url.replace("http", "ws") + "/ws") as ws:
        recv(ws)
        frame = recv(ws)
        while frame["type"] != "metrics":
            frame = recv(ws)
        cpu = np.frombuffer(frame["cpu"], "<f4")
        assert len(cpu) == psutil.cpu_count()
        assert ((cpu >= 0) & (cpu <= 100)).all()
        assert frame["mem_total"] == psutil.virtual_memory().total


def test_host_metrics_can_be_switched_off(vrmon_server):
    url = vrmon_server([HOTROD], host_metrics=False, tick=0.05)
    with connect(url.replace("http", "ws") + "/ws") as ws:
        recv(ws)
        kinds = []
        with pytest.raises(TimeoutError):
            while True:
                kinds.append(recv(ws, timeout=1.5, skip=())["type"])
        assert "metrics" not in kinds and kinds == ["status"]  # only the replay file's "loaded" status
