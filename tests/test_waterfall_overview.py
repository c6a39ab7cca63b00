"""The waterfall overview: every span is a bar or held by exactly one summary, summaries say what
they hold, the picture stays a few hundred marks whatever the size, and the viewer's folds
(expand one, collapse to depth N, expand all) draw what they promise."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import FIXTURES, ROOT
from tests.generated_traces import fan_out_batch, named_store, store_of, zero_length_batch
from vrmon.errors import ProtocolError
from vrmon.layout.waterfall import WaterfallParams
from vrmon.layout.waterfall_lod import SUMMARY_BASE, DetailLevel
from vrmon.layout.nodes import duration_code
from vrmon.layout.trace_basis import nice_ceiling
from vrmon.layout.waterfall_overview import SpanFilter, folded_matches, overview_layout, row_pitch, summary_details
from vrmon.sources.files import load_trace_file
from vrmon.protocol import Detail, Expand, Filter, detail_frame, expand_frame, filter_frame, parse_client_message
from vrmon.scene_presets import load_presets

P = load_presets([ROOT / "scenes"])["waterfall"].params


@pytest.fixture(scope="module")
def big():
    return named_store(20_000, spans_per_trace=20_000, n_services=40)


def test_every_span_is_a_bar_or_in_one_summary_that_counts_it(big):
    o = overview_layout(big, 0, P)
    c, nodes = o.cut, o.layout.nodes
    summaries = nodes.ids >= SUMMARY_BASE
    assert (~summaries).sum() == c.shown.sum()
    assert c.count.sum() + c.shown.sum() == len(o.rows)
    assert c.errors.sum() + (big.flags[o.rows[c.shown]] & 1).sum() == (big.flags[o.rows] & 1).sum()
    # a summary's mark spans what it holds and carries the error flag when it holds errors
    assert ((nodes.flags[summaries] & 1) > 0).sum() == (c.errors > 0).sum()
    assert np.isfinite(nodes.pos).all() and (nodes.size > 0).all()


def test_the_overview_draws_a_few_hundred_marks_in_rows_that_fit(big):
    nodes = overview_layout(big, 0, P).layout.nodes
    assert 50 < len(nodes) < 1500
    bars = nodes.ids < SUMMARY_BASE
    # bars of one row never overlap
    rows = {}
    for x, y, w in zip(nodes.pos[bars, 0], nodes.pos[bars, 1], nodes.size[bars, 0]):
        rows.setdefault(round(float(y), 4), []).append((x - w / 2, x + w / 2))
    for spans in rows.values():
        spans.sort()
        assert all(a[1] <= b[0] + 1e-4 for a, b in zip(spans, spans[1:]))


def test_expand_opens_one_summary_and_depth_and_all_draw_what_they_say(big):
    o = overview_layout(big, 0, P)
    holder = int(o.layout.nodes.ids[o.layout.nodes.ids >= SUMMARY_BASE][0]) - SUMMARY_BASE
    opened = overview_layout(big, 0, P, DetailLevel(expanded=frozenset({holder})))
    at = int(np.searchsorted(big.uid[o.rows], holder))
    children = np.flatnonzero(big.parent[o.rows] == o.rows[at])
    assert opened.cut.shown[children].all()
    assert opened.cut.shown.sum() > o.cut.shown.sum()

    two = overview_layout(big, 0, P, DetailLevel(depth=2))
    assert (big.depth[two.rows[two.cut.shown]] <= 2).all() and (big.depth[two.rows[~two.cut.shown]] > 2).all()
    everything = overview_layout(big, 0, P, DetailLevel(everything=True))
    assert everything.cut.shown.all() and not (everything.layout.nodes.ids >= SUMMARY_BASE).any()


def test_summary_details_say_what_it_holds(big):
    o = overview_layout(big, 0, P)
    nodes = o.layout.nodes
    row = int(np.argmax(np.where(nodes.ids >= SUMMARY_BASE, nodes.size[:, 0], -1)))
    details = summary_details(big, o, int(nodes.ids[row]))
    k = int(np.searchsorted(o.cut.holders, np.searchsorted(big.uid[o.rows], int(nodes.ids[row]) - SUMMARY_BASE)))
    assert details["kind"] == "summary" and details["spans"] == o.cut.count[k] and details["errors"] == o.cut.errors[k]
    assert sum(s["spans"] for s in details["services"]) <= details["spans"]
    assert details["services"][0]["service"] == big.services.names[int(nodes.service[row])]
    assert summary_details(big, o, SUMMARY_BASE + 10**8) is None


def test_lanes_fit_the_height_and_names_sit_left_of_the_bars(big):
    o = overview_layout(big, 0, P)
    lanes = [label for label in o.layout.labels if label.kind == "lane"]
    assert len({label.text for label in lanes}) == len(lanes)
    ys = sorted(label.pos[1] for label in lanes)
    assert min(b - a for a, b in zip(ys, ys[1:])) >= P.lane_height * 0.99  # names never overlap
    assert max(label.pos[0] for label in lanes) < o.layout.bounds[0]  # never on the bars
    assert o.frame[0] < o.layout.bounds[0] and o.frame[1] < o.layout.bounds[1]  # framing holds names and ruler
    assert o.layout.bounds[4] - o.layout.bounds[1] <= P.height + P.lane_height


@pytest.mark.parametrize("n", [1, 5, 40])
def test_tiny_and_zero_length_traces_are_drawn_whole(n):
    store = store_of(zero_length_batch(n))
    o = overview_layout(store, 0, P)
    assert len(o.layout.nodes) == n and (o.layout.nodes.size[:, 0] > 0).all()


def lanes_height(o) -> float:
    """Metres from the top of the highest bar to the foot of the lowest."""
    return o.layout.bounds[4] - o.layout.bounds[1]


def test_a_few_rows_fill_the_picture_beside_the_time_axis_instead_of_a_thin_strip():
    """A 2-span trace (two copies of one span, missing their parent) was two thin bars at the right
    of a tiny frame with a giant name: the idle axis made the whole trace one break, and the rows
    kept 2 m apart beside 24 m of time. Now the bars span the width and the lanes fill `min_fill`;
    then the bars were slabs half the picture tall: now they are bars (`max_bar`), named on them."""
    store = store_of(load_trace_file(FIXTURES / "otlp-telemetrygen-missing-parents.json"))
    o = overview_layout(store, 0, P)
    assert not len(o.warp.breaks)  # nothing but one start and one end: no idle to compress
    nodes = o.layout.nodes
    assert (nodes.size[:, 0] > 0.9 * P.width).all()  # each bar lasts the whole trace
    rows_apart = abs(float(nodes.pos[0, 1] - nodes.pos[1, 1]))
    assert rows_apart >= P.min_fill * P.height / 2 * 0.99  # two rows share the lanes' height
    assert nodes.size[:, 1].tolist() == pytest.approx([P.max_bar] * 2)  # bars, not slabs
    spans = [label for label in o.layout.labels if label.kind == "span"]
    assert [label.text for label in spans] == ["okey-dokey-0 · 123 µs"] * 2
    name = next(label for label in o.layout.labels if label.kind == "lane")
    assert name.size < 2 * P.lane_height and name.pos[0] < o.layout.bounds[0]  # sized as in any trace, left of the bars


def test_the_frame_holds_the_idle_breaks_lengths_under_the_ruler():
    store = store_of(load_trace_file(FIXTURES / "jaeger-v1-follows-from-issue115.json"))
    o = overview_layout(store, 0, P)
    breaks = [label for label in o.layout.labels if label.kind == "break"]
    assert breaks and all(o.frame[1] <= label.pos[1] for label in breaks)  # a break's length hangs from its anchor


def test_a_fan_out_folds_into_a_summary_on_its_own_row_that_says_how_many_calls_it_holds():
    store = store_of(fan_out_batch(5_000))
    o = overview_layout(store, 0, P)
    nodes = o.layout.nodes
    root, summary = nodes.ids < SUMMARY_BASE, nodes.ids >= SUMMARY_BASE
    assert root.sum() == 1 and summary.sum() == 1
    # under its holder, as tall as the holder's bar, not a strip across it
    assert nodes.pos[summary, 1][0] + nodes.size[summary, 1][0] / 2 < nodes.pos[root, 1][0] - nodes.size[root, 1][0] / 2
    assert nodes.size[summary, 1][0] == pytest.approx(nodes.size[root, 1][0])
    assert lanes_height(o) >= P.min_fill * P.height * 0.85  # the bars leave a tenth of their rows free above and below
    folds = [label for label in o.layout.labels if label.kind == "fold"]
    assert [label.text for label in folds] == ["5,000 calls · 3 services"]
    assert folds[0].pos[1] == pytest.approx(float(nodes.pos[summary, 1][0]))
    assert o.frame[0] < folds[0].pos[0] - len(folds[0].text) * 0.5 * folds[0].size  # the names' column holds it


def test_nice_ceiling_keeps_the_trace_at_85_percent_of_the_width_or_more():
    for us in [1, 7, 99, 101, 610, 1234, 15_002_000, 2**40]:
        assert us <= nice_ceiling(us) and (us / nice_ceiling(us) >= 0.85 or us < 10)


def test_expand_and_detail_requests_are_validated():
    assert parse_client_message(expand_frame(SUMMARY_BASE + 3)) == Expand(SUMMARY_BASE + 3)
    assert parse_client_message(detail_frame(3)) == Detail(3, False)
    assert parse_client_message(detail_frame(None, True)) == Detail(None, True)
    assert parse_client_message(filter_frame(" Cart ", min_duration_us=5)) == Filter("cart", "", 5.0, False, "")
    for bad in [{"type": "expand", "id": -1}, {"type": "detail", "depth": "x"}, {"type": "detail", "all": 1}]:
        import msgpack

        with pytest.raises(ProtocolError):
            parse_client_message(msgpack.packb(bad))


def test_default_params_are_the_presets():
    assert WaterfallParams().lod_pixels == P.lod_pixels


def test_folded_matches_count_the_spans_each_summary_holds_that_match(big):
    o = overview_layout(big, 0, P)
    f = SpanFilter(text="cart", min_duration_us=100)
    ids, counts = folded_matches(big, o, f)
    assert len(ids) and (counts > 0).all()
    names, ops = big.services.names, big.operations.names
    hidden = np.flatnonzero(~o.cut.shown)
    expected: dict[int, int] = {}
    for i in hidden.tolist():
        row = o.rows[i]
        if ("cart" in names[big.service[row]].lower() or "cart" in ops[big.operation[row]].lower()) \
                and duration_code(big.duration_us[row]) >= duration_code(100):
            uid = SUMMARY_BASE + int(big.uid[o.rows[o.cut.owner[i]]])
            expected[uid] = expected.get(uid, 0) + 1
    assert dict(zip(ids.tolist(), counts.tolist())) == expected


def test_no_lanes_get_a_finite_row_pitch():
    # A view with nothing drawn (every span filtered out) has no lanes to stretch over the height.
    pitch, heights = row_pitch(np.zeros(0, dtype=np.int64), WaterfallParams())
    assert np.isfinite(pitch) and pitch > 0 and heights.size == 0


def test_a_small_trace_has_a_row_per_span_named_on_or_beside_its_bar_and_kept_when_zoomed():
    """HotROD's 16-span retry trace packed its 14 redis calls into one row, and nothing said what a bar was."""
    store = store_of(load_trace_file(FIXTURES / "otlp-hotrod-dispatch-trimmed-16spans-retries.json"))
    o = overview_layout(store, 0, P)
    nodes = o.layout.nodes
    assert len(np.unique(nodes.pos[:, 1])) == len(nodes) == 16  # a row each
    assert (nodes.size[:, 1] <= P.max_bar).all() and (nodes.size[:, 0] >= P.min_span_bar * 0.999).all()
    spans = [label for label in o.layout.labels if label.kind in ("span", "span-left")]
    assert sorted(label.node for label in spans) == sorted(nodes.ids.tolist())
    assert "GetDriver · 30.5 ms" in [label.text for label in spans]
    right = P.width / 2
    assert all(-right <= label.pos[0] <= right for label in spans) and o.frame[3] >= right_end_of(spans)
    # zoomed into the redis calls, every span drawn keeps its row
    y = dict(zip(nodes.ids.tolist(), nodes.pos[:, 1].tolist()))
    zoomed = overview_layout(store, 0, P, DetailLevel(window=(1_300_000, 1_400_000))).layout.nodes
    assert 0 < len(zoomed) < 16 and all(y[i] == pytest.approx(v) for i, v in zip(zoomed.ids.tolist(), zoomed.pos[:, 1].tolist()))


def right_end_of(labels) -> float:
    from vrmon.layout.span_labels import right_end
    return max(right_end(label) for label in labels)


def test_a_label_too_long_for_its_room_is_shortened_never_cut():
    from vrmon.layout.span_labels import fitted
    assert fitted("HTTP GET /customer", "12 ms", 40) == "HTTP GET /customer · 12 ms"
    assert fitted("HTTP GET /customer", "12 ms", 18) == "HTTP GET… · 12 ms"
    assert fitted("HTTP GET /customer", "12 ms", 9) == "12 ms"
    assert fitted("HTTP GET /customer", "12 ms", 4) is None


def test_a_big_trace_gets_no_row_per_span(big):
    o = overview_layout(big, 0, P)
    assert not [label for label in o.layout.labels if label.kind in ("span", "span-left")]
