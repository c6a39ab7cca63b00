"""The waterfall's time zoom, without sockets: a window of a big trace unfolds the calls inside it
(level of detail re-runs for the window), bars are cut at its edges, the ruler re-ticks at a 1-2-5
step with labels that never touch, the overview strip shows the whole trace, and the `zoom`
request moves a viewer to that window, keeping its folds, staying put while the trace grows."""

from __future__ import annotations

import asyncio

import msgpack
import numpy as np
import pytest

from bench.synthetic import spans_of_the_open_trace
from tests.conftest import ROOT
from tests.generated_traces import named_batch, named_store
from vrmon.errors import ProtocolError
from vrmon.hub import Hub
from vrmon.layout.idle_time import TimeWarp
from vrmon.layout.time_window import MIN_WINDOW_US, axis_of, compress, expand, strip
from vrmon.layout.waterfall_lod import SUMMARY_BASE, DetailLevel
from vrmon.layout.waterfall_overview import CHAR_WIDTH, LABEL_BOX, overview_layout
from vrmon.model.span_store import SpanStore
from vrmon.protocol import Detail, Zoom, decode_server_frame, parse_client_message, zoom_frame
from vrmon.scene_presets import load_presets

PRESETS = load_presets([ROOT / "scenes"])
P = PRESETS["waterfall"].params


@pytest.fixture(scope="module")
def big():
    return named_store(20_000, spans_per_trace=20_000, n_services=40)


def bars(nodes):
    return set(nodes.ids[nodes.ids < SUMMARY_BASE].tolist())


def test_a_window_unfolds_the_calls_inside_it_and_cuts_bars_at_its_edges(big):
    whole = overview_layout(big, 0, P)
    lo, hi = int(whole.axis.whole * 0.4), int(whole.axis.whole * 0.42)
    zoomed = overview_layout(big, 0, P, DetailLevel(window=(lo, hi)))
    nodes = zoomed.layout.nodes
    assert zoomed.axis.zoomed and (zoomed.axis.lo, zoomed.axis.hi) == (lo, hi)  # no idle breaks in this trace
    # calls that were folded at the overview are bars now, and bars are as wide as the window lets them be
    revealed = bars(nodes) - bars(whole.layout.nodes)
    o = whole.layout.nodes
    x_lo, x_hi = (np.array([lo, hi]) / whole.axis.whole - 0.5) * P.width
    there = (o.ids < SUMMARY_BASE) & (o.pos[:, 0] + o.size[:, 0] / 2 >= x_lo) & (o.pos[:, 0] - o.size[:, 0] / 2 <= x_hi)
    assert len(revealed) > 30 and len(bars(nodes)) > 2 * there.sum()
    left, right = nodes.pos[:, 0] - nodes.size[:, 0] / 2, nodes.pos[:, 0] + nodes.size[:, 0] / 2
    assert left.min() >= -P.width / 2 - 1e-4 and right.max() <= P.width / 2 + 1e-4
    # each revealed span lies in the window, where its true times say
    rows = big.rows_of_trace(0)
    t0 = int(big.start_us[rows].min())
    for uid in list(revealed)[:50]:
        row = big.row_of_uid(uid)
        start, end = big.start_us[row] - t0, big.start_us[row] - t0 + big.duration_us[row]
        assert end >= lo and start <= hi
        at = int(np.flatnonzero(nodes.ids == uid)[0])
        expected = -P.width / 2 + (max(start, lo) - lo) / (hi - lo) * P.width
        assert abs(left[at] - expected) < 1e-3 * P.width
    # the cut still holds every span once: drawn, or folded into one summary
    assert zoomed.cut.count.sum() + zoomed.cut.shown.sum() == len(rows)


def test_the_ruler_reticks_to_the_window_at_a_1_2_5_step_and_labels_never_touch(big):
    whole = overview_layout(big, 0, P)
    for share in (0.3, 0.01, 1e-4):
        lo = int(whole.axis.whole * 0.25)
        zoomed = overview_layout(big, 0, P, DetailLevel(window=(lo, lo + max(int(whole.axis.whole * share), 20))))
        ticks = [label for label in zoomed.layout.labels if label.kind == "tick"]
        assert 3 <= len(ticks) <= 10, [t.text for t in ticks]
        xs = np.array([t.pos[0] for t in ticks])
        assert (xs >= -P.width / 2 - 1e-6).all() and (xs <= P.width / 2 + 1e-6).all()
        steps = np.diff([value_us(t.text) for t in ticks])
        step = float(np.median(steps))
        mantissa = step / 10 ** np.floor(np.log10(step))
        assert round(mantissa, 6) in (1, 2, 5), [t.text for t in ticks]
        char = CHAR_WIDTH * ticks[0].size / LABEL_BOX
        for a, b in zip(ticks, ticks[1:]):
            assert b.pos[0] - a.pos[0] >= (len(a.text) + len(b.text)) / 2 * char, (a.text, b.text)
        assert len({t.text for t in ticks}) == len(ticks)  # enough decimals to tell them apart


def value_us(text: str) -> float:
    number, unit = text.split()
    return float(number) * {"µs": 1, "ms": 1e3, "s": 1e6}[unit]


def test_the_axis_keeps_a_window_inside_the_trace_and_at_least_the_narrowest_wide():
    warp = TimeWarp(np.array([0.0, 100.0, 10_100.0, 10_200.0]), np.array([0.0, 100.0, 110.0, 210.0]),
                    np.array([[100.0, 10_100.0]]))
    assert compress(warp, np.array([10_150.0, 20_000.0])).tolist() == [160.0, 10_010.0]
    assert expand(warp, compress(warp, np.array([50.0, 10_150.0, 20_000.0]))).tolist() == [50.0, 10_150.0, 20_000.0]
    assert axis_of(warp, 250, None).zoomed is False
    narrow = axis_of(warp, 250, (40, 41))
    assert narrow.span == MIN_WINDOW_US and narrow.lo == 40
    past = axis_of(warp, 250, (10_150, 10_300))  # past the end: slides back inside, as wide
    assert (past.lo, past.hi, past.zoomed) == (100.0, 250.0, True)
    assert axis_of(warp, 250, (0, 10**9)).zoomed is False


def test_the_strip_counts_the_spans_running_in_each_slice_per_lane():
    lane = np.array([0, 0, 1])
    start, end = np.array([0.0, 40.0, 90.0]), np.array([60.0, 50.0, 100.0])
    density = strip(lane, start, end, 2, 100.0, bins=10)
    running = [[1, 1, 1, 1, 2, 2, 1, 0, 0, 0], [0] * 9 + [1]]
    expected = np.ceil(np.log1p(running) / np.log1p(2) * 255)
    assert density.tolist() == expected.tolist()


def test_zoom_requests_are_validated():
    assert parse_client_message(zoom_frame((10, 2000))) == Zoom((10, 2000))
    assert parse_client_message(zoom_frame(None)) == Zoom(None)
    assert parse_client_message(zoom_frame((1.5, 3.25))) == Zoom((1.5, 3.25))
    for window in ([5, 5], [-1, 3], [0, 2**60], [float("nan"), 3], [True, 3], "0-3", [1, 2, 3], [1, "2"]):
        with pytest.raises(ProtocolError, match="zoom: 'window'"):
            parse_client_message(msgpack.packb({"type": "zoom", "window": window}))


def test_a_viewer_zooms_keeps_its_folds_and_stays_on_its_window_while_the_trace_grows():
    async def scenario() -> None:
        store = SpanStore()
        store.add(named_batch(2000, spans_per_trace=2000, n_services=12))
        hub = Hub(store, PRESETS, "waterfall")
        viewer = hub.connect()
        await drain(viewer)
        whole = hub.channels[viewer.channel.key].view.snapshot()
        axis = decode_server_frame(whole)["scene"]["axis"]
        assert not axis["zoomed"] and axis["lo"] == 0 and axis["hi"] == axis["whole"]
        hub.handle(viewer, Detail(depth=3, everything=False))
        window = (int(axis["hi"] * 0.1), int(axis["hi"] * 0.2))
        hub.handle(viewer, Zoom(window))
        scene = [f for f in await drain(viewer) if f["type"] == "snapshot"][-1]["scene"]
        assert scene["detail"]["depth"] == 3 and scene["detail"]["window"] == list(window)
        assert (scene["axis"]["lo"], scene["axis"]["hi"]) == window and scene["axis"]["zoomed"]
        assert len(scene["strip"]["density"]) == scene["strip"]["bins"] * len(scene["strip"]["services"])
        # a live delta of the same trace: the window stays where the viewer put it
        store.add(spans_of_the_open_trace(store, 200, seed=5, extent_growth=1.5))  # twice as long
        hub.tick()
        deltas = [f for f in await drain(viewer) if f["type"] == "delta" and f.get("scene")]
        assert deltas and all((f["scene"]["axis"]["lo"], f["scene"]["axis"]["hi"]) == window for f in deltas)
        hub.handle(viewer, Zoom(None))
        scene = [f for f in await drain(viewer) if f["type"] == "snapshot"][-1]["scene"]
        assert not scene["axis"]["zoomed"] and scene["detail"]["depth"] == 3

    asyncio.run(scenario())


async def drain(viewer) -> list[dict]:
    frames = [await viewer.next_frame() for _ in range(viewer.queue.qsize())]
    return [decode_server_frame(f) for f in frames if f is not None]
