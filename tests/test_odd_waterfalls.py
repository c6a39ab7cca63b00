"""Odd and small waterfalls read as well as ordinary ones (issue 8, "Empty and odd states"): a lone
span is a bar that fills a third of the view, spans that all happen at one instant are bars across
the whole picture (not slivers at its start), and the lengths of idle breaks a moment apart never
overlap under the ruler. Pure layout: the browser's figures are in tests/browser/test_odd_waterfalls.py."""

from __future__ import annotations


import numpy as np
import pytest

from tests.conftest import ROOT
from tests.generated_traces import spans_batch, store_of, zero_length_batch
from tests.label_boxes import letters, overlapping
from vrmon.layout.waterfall_overview import lone_bar, overview_layout
from vrmon.scene_presets import load_presets

P = load_presets([ROOT / "scenes"])["waterfall"].params
SECOND = 1_000_000


def layout_of(batch):
    return overview_layout(store_of(batch), 0, P)


@pytest.mark.parametrize("duration", [1_500, 0])
def test_a_lone_span_is_a_bar_across_the_picture_a_third_as_tall_named_on_it(duration):
    o = layout_of(spans_batch([0], [duration], [None], [0]))
    (length, height, _), = o.layout.nodes.size.tolist()
    assert length == pytest.approx(P.width) and height == pytest.approx(lone_bar(len("frontend"), P), rel=1e-6)
    assert 6 < height < 12  # a third of a screen's height beside the width of the picture and the name
    span, = (label for label in o.layout.labels if label.kind == "span")
    assert span.text == f"frontend/call-0 · {'1.5 ms' if duration else '0 µs'}"
    x0, y0, x1, y1 = letters(span)
    bar_y = float(o.layout.nodes.pos[0, 1])
    assert -P.width / 2 < x0 and x1 < P.width / 2 and bar_y - height / 2 < y0 and y1 < bar_y + height / 2  # on its bar
    lane, = (label for label in o.layout.labels if label.kind == "lane")
    assert lane.pos[0] < -P.width / 2 and abs(lane.pos[1] - bar_y) < height / 2  # beside it, level with it
    assert o.frame[4] - o.frame[1] >= height  # framed whole
    assert overlapping(o.layout.labels) == []


def test_spans_all_at_one_instant_are_bars_across_the_picture_with_one_tick():
    o = layout_of(zero_length_batch(5))
    assert np.allclose(o.layout.nodes.size[:, 0], P.width)
    assert np.allclose(o.layout.nodes.pos[:, 0], 0.0)
    assert [label.text for label in o.layout.labels if label.kind == "tick"] == ["0 µs"]  # no scale the bars do not have
    assert overlapping(o.layout.labels) == []


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
