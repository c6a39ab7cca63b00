"""Odd and small waterfalls read as well as ordinary ones (issue 8, "Empty and odd states"): a lone
span is a bar whose picture has the free view's shape, spans that all happen at one instant are
bars across the whole picture (not slivers at its start) and fill the overview strip across, a
fan-out folded into a summary row carries a histogram of when its calls start, and the lengths of
idle breaks a moment apart never overlap under the ruler. Pure layout: the browser's figures are in tests/browser/test_odd_waterfalls.py."""

from __future__ import annotations


import numpy as np
import pytest

from tests.conftest import FIXTURES, ROOT
from tests.generated_traces import T0_US, fan_out_batch, spans_batch, store_of, zero_length_batch
from tests.label_boxes import letters, overlapping
from vrmon.layout.palette import palette_array
from vrmon.layout.waterfall_lod import SUMMARY_BASE
from vrmon.layout.waterfall_overview import FOLD_BAND, LONE_ASPECT, lone_bar, overview_layout
from vrmon.scene_presets import load_presets
from vrmon.sources.files import load_trace_file

P = load_presets([ROOT / "scenes"])["waterfall"].params
SECOND = 1_000_000


def layout_of(batch):
    return overview_layout(store_of(batch), 0, P)


@pytest.mark.parametrize("duration", [1_500, 0])
def test_a_lone_span_is_a_bar_across_the_picture_a_third_as_tall_named_on_it(duration):
    o = layout_of(spans_batch([0], [duration], [None], [0]))
    (length, height, _), = o.layout.nodes.size.tolist()
    assert length == pytest.approx(P.width) and height == pytest.approx(lone_bar(len("frontend"), P), rel=1e-6)
    assert 6 < height < 12  # most of a screen's free height beside the width of the picture and the name
    span, = (label for label in o.layout.labels if label.kind == "span")
    assert span.text == f"frontend/call-0 · {'1.5 ms' if duration else '0 µs'}"
    x0, y0, x1, y1 = letters(span)
    bar_y = float(o.layout.nodes.pos[0, 1])
    assert -P.width / 2 < x0 and x1 < P.width / 2 and bar_y - height / 2 < y0 and y1 < bar_y + height / 2  # on its bar
    lane, = (label for label in o.layout.labels if label.kind == "lane")
    assert lane.pos[0] < -P.width / 2 and abs(lane.pos[1] - bar_y) < height / 2  # beside it, level with it
    assert o.frame[4] - o.frame[1] >= height  # framed whole
    assert overlapping(o.layout.labels) == []


def test_a_lone_spans_picture_has_the_shape_of_the_free_view():
    """Name, bar and ruler with the framing's margins (0.3 m all round) are LONE_ASPECT wide to 1
    tall: framed beside an open trace list by the width it leaves, still ≥ 30 % of the canvas
    (tests/browser/test_waterfall_gaps.py); a screen's 16:9 shape kept 26-29 %."""
    for name in (0, 15):  # frontend, and a longer name
        o = layout_of(spans_batch([0], [1_500], [None], [name]))
        x0, y0, _, x1, y1, _ = o.frame
        assert (x1 - x0 + 0.6) / (y1 - y0 + 0.6) == pytest.approx(LONE_ASPECT, rel=0.05)


def test_spans_all_at_one_instant_are_bars_across_the_picture_with_one_tick_and_fill_the_strip():
    o = layout_of(zero_length_batch(5))
    assert np.allclose(o.layout.nodes.size[:, 0], P.width)
    assert np.allclose(o.layout.nodes.pos[:, 0], 0.0)
    assert [label.text for label in o.layout.labels if label.kind == "tick"] == ["0 µs"]  # no scale the bars do not have
    assert overlapping(o.layout.labels) == []
    # the strip is filled across as the bars are, and says the trace is instant (it was one slice at its left end)
    density = np.frombuffer(o.strip["density"], np.uint8).reshape(len(o.strip["services"]), o.strip["bins"])
    assert o.strip["instant"] is True and (density > 0).all()
    assert "instant" not in layout_of(spans_batch([0, 10], [0, 0], [None, 0], [0, 1])).strip  # 10 µs apart: not one instant


def test_a_fan_out_summary_row_carries_a_histogram_of_its_calls_starts_on_a_dimmed_band():
    """2,000 calls in two bursts 28 ms apart: the summary's row is its extent in its service's colour
    at FOLD_BAND, and `folds` counts the calls starting in each slice: columns over the bursts, none
    between (the idle stretch, a break)."""
    batch = fan_out_batch(2_000)
    batch.start_us = [T0_US] + [T0_US + 10 + 2 * i for i in range(1_000)] + [T0_US + 30_000 + 2 * i for i in range(1_000)]
    batch.duration_us = [33_000] + [15] * 2_000
    o = layout_of(batch)
    (fold,) = o.folds
    nodes = o.layout.nodes
    row = int(np.flatnonzero(nodes.ids == fold["id"])[0])
    assert fold["id"] >= SUMMARY_BASE
    palette = palette_array(P.service_colors)
    assert nodes.color[row].tolist() == (palette[nodes.service[row] % len(palette)] * FOLD_BAND).astype(np.uint8).tolist()
    columns = np.frombuffer(fold["columns"], np.uint8)
    busy = np.flatnonzero(columns)
    assert 32 <= len(columns) <= 64 and columns.max() == 255
    gaps = np.flatnonzero(np.diff(busy) > 1)  # the bursts: two runs of busy slices, bare slices between
    assert len(gaps) == 1 and busy[0] == 0 and busy[-1] == len(columns) - 1, columns.tolist()
    assert columns[busy].min() >= 1
    assert layout_of(fan_out_batch(50)).folds is None  # a fan-out small enough for a bar each: no summary row


def test_spans_that_start_together_but_last_differently_keep_their_proportions():
    """Six calls starting together, ending one by one: the pauses between their ends (200 µs of
    900) were cut as idle breaks, and a 100 µs bar drew as long as a 300 µs one."""
    durations = [900, 700, 500, 400, 300, 100]
    o = layout_of(spans_batch([0] * 6, durations, [None, 0, 0, 1, 1, 2], [0, 1, 1, 2, 0, 2]))
    assert not len(o.warp.breaks)
    lengths = dict(zip(o.layout.nodes.ids.tolist(), o.layout.nodes.size[:, 0].tolist()))
    scale = lengths[min(lengths)] / durations[0]  # the root's bar: metres per µs
    for k, node in enumerate(sorted(lengths)):
        assert lengths[node] == pytest.approx(durations[k] * scale, rel=1e-3)
    assert overlapping(o.layout.labels) == []


def breaks(o):
    return [label for label in o.layout.labels if label.kind == "break"]


def test_two_spans_15_s_apart_have_one_break_whose_length_stands_clear_of_the_ticks():
    o = layout_of(spans_batch([0, 15 * SECOND], [3_000, 2_000], [None, None], [0, 1]))
    (label,) = breaks(o)
    assert label.text == "// 15 s idle //"
    assert overlapping(o.layout.labels) == []


def test_breaks_a_moment_apart_share_one_label_that_says_how_long_they_are():
    """A call 5 s in, lasting 15 s, after a 200 ms one: the stretch before it and the one it
    waits through are two breaks with nothing between them but its start. Their two labels were
    drawn on top of each other ("// 4.8 s idle //" over "// 15 s idle //")."""
    o = layout_of(spans_batch([1_000, 5 * SECOND], [200_000, 15 * SECOND], [None, None], [0, 1]))
    assert len(o.warp.breaks) == 2
    assert [label.text for label in breaks(o)] == ["// 4.8 s + 15 s idle //"]
    o = layout_of(spans_batch([0, 5 * SECOND, 10 * SECOND, 15 * SECOND], [3_000, 10, 10, 10], [None, 0, 0, 0], [0, 1, 0, 1]))
    assert [label.text for label in breaks(o)] == ["// 3 breaks: 15 s idle //"]
    assert overlapping(o.layout.labels) == []


def test_a_call_whose_one_child_takes_most_of_it_has_no_break_and_true_proportions():
    """Jaeger's 2-span self-trace: a 4.2 ms call whose child lasts 3.87 ms. The child's stretch is
    most of the trace, so it was cut as `// 3.87 ms idle //`: the child drawn as a sliver and the
    first 60 µs as wide as the rest. No bar is too narrow to see without a break: none is made."""
    fixture = store_of(load_trace_file(FIXTURES / "jaeger-v1-api-traces-response-jaeger-query-self-trace.json"))
    generic = store_of(spans_batch([0, 50], [4_000, 3_800], [None, 0], [0, 1]))
    for store in (fixture, generic):
        o = overview_layout(store, 0, P)
        assert not len(o.warp.breaks) and breaks(o) == []
        child, root = np.sort(o.layout.nodes.size[:, 0])
        assert child / root == pytest.approx(np.min(store.duration_us) / np.max(store.duration_us), rel=1e-3)


STARTS = [0, 10, 1_000, 5 * SECOND, 15 * SECOND, 15 * SECOND + 500, 30 * SECOND]
DURATIONS = [0, 5, 300, 3_000, 200_000, 15 * SECOND]


def test_no_labels_of_a_few_spans_overlap_whatever_their_times():
    """Two to four spans at times and lengths drawn from a handful of awkward ones (instants,
    microseconds, seconds, waits across idle stretches), in one to three services."""
    rng = np.random.default_rng(8)
    for _ in range(150):
        n = int(rng.integers(2, 5))
        starts = sorted(int(t) for t in rng.choice(STARTS, n))
        durations = [int(d) for d in rng.choice(DURATIONS, n)]
        parents = [None] + [int(rng.integers(0, k)) if rng.random() < 0.7 else None for k in range(1, n)]
        services = [int(s) for s in rng.integers(0, 3, n)]
        o = layout_of(spans_batch(starts, durations, parents, services))
        assert overlapping(o.layout.labels) == [], (starts, durations, parents, services)
