"""Waterfall layout invariants on every fixture and on generated traces."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic import spans_of_the_open_trace, synthetic_batch
from tests.conftest import TRACE_FIXTURES
from tests.test_formats import store_of
from vrmon.layout.critical_path import KeptChildren, children_keys, children_order, critical_path, critical_path_of_kept
from vrmon.layout.nodes import Layout
from vrmon.layout.waterfall import SpanColumns, WaterfallParams, next_power_of_two, nice_step, waterfall_layout
from vrmon.model.span_store import SpanFlag, SpanStore

P = WaterfallParams()


def layouts(store):
    for trace in range(store.trace_count):
        rows = store.rows_of_trace(trace)
        yield rows, waterfall_layout(SpanColumns.from_store(store, rows), P, store.services.names)


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=lambda p: p.name)
def test_every_span_gets_one_finite_node(path):
    store = store_of(path)
    for rows, layout in layouts(store):
        assert len(layout.nodes) == len(rows)
        assert np.isfinite(layout.nodes.pos).all() and np.isfinite(layout.nodes.size).all()
        assert (layout.nodes.size > 0).all()
        assert sorted(layout.nodes.ids.tolist()) == sorted(store.uid[rows].tolist())


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=lambda p: p.name)
def test_child_sits_one_row_below_its_parent(path):
    store = store_of(path)
    parent = store.parent
    has = np.flatnonzero(parent >= 0)
    assert (store.depth[has] == store.depth[parent[has]] + 1).all()
    for rows, layout in layouts(store):
        y = dict(zip(layout.nodes.ids.tolist(), layout.nodes.pos[:, 1].tolist()))
        for row in rows:
            if parent[row] >= 0:
                assert y[int(store.uid[row])] == pytest.approx(y[int(store.uid[parent[row]])] - P.row_height)


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=lambda p: p.name)
def test_bars_lie_within_the_trace_extent_unless_skewed(path):
    store = store_of(path)
    for rows, layout in layouts(store):
        lo = layout.nodes.pos[:, 0] - layout.nodes.size[:, 0] / 2
        hi = layout.nodes.pos[:, 0] + layout.nodes.size[:, 0] / 2
        ok = (lo >= -P.width / 2 - 1e-4) & (hi <= P.width / 2 + P.min_bar + 1e-4)
        assert (ok | (layout.nodes.flags & SpanFlag.CLOCK_SKEW > 0)).all()


def test_overlapping_bars_in_one_lane_and_depth_never_intersect():
    rng = np.random.default_rng(7)
    n = 3000
    cols = SpanColumns(
        ids=np.arange(n), parent=np.full(n, -1), trace=rng.integers(0, 5, n).astype(np.int32), depth=rng.integers(0, 4, n).astype(np.int32),
        service=rng.integers(0, 3, n).astype(np.int32), operation=np.zeros(n, np.int32),
        start_us=rng.integers(0, 10_000, n), duration_us=rng.integers(0, 3000, n), flags=np.zeros(n, np.uint8),
    )
    layout = waterfall_layout(cols, P)
    pos, size = layout.nodes.pos, layout.nodes.size
    for t in range(5):
        idx = np.flatnonzero(cols.trace == t)
        lo, hi = pos[idx] - size[idx] / 2, pos[idx] + size[idx] / 2
        overlap = np.all((lo[:, None, :] < hi[None, :, :] - 1e-6) & (lo[None, :, :] < hi[:, None, :] - 1e-6), axis=2)
        np.fill_diagonal(overlap, False)
        assert not overlap.any()


def test_layout_is_deterministic():
    store = store_of(TRACE_FIXTURES[0])
    rows = np.arange(len(store))
    a = waterfall_layout(SpanColumns.from_store(store, rows), P)
    b = waterfall_layout(SpanColumns.from_store(store, rows), P)
    assert np.array_equal(a.nodes.pos, b.nodes.pos)


def test_lane_and_time_labels_for_a_single_trace():
    store = store_of(next(p for p in TRACE_FIXTURES if p.name == "otlp-hotrod-dispatch-40spans-serial.json"))
    (_, layout), = layouts(store)
    lanes = [label.text for label in layout.labels if label.kind == "lane"]
    assert sorted(lanes) == sorted(store.services.names)
    assert len([label for label in layout.labels if label.kind == "tick"]) >= 4


def one_trace_layout(store: SpanStore) -> Layout:
    return waterfall_layout(SpanColumns.from_store(store, np.arange(len(store))), P, store.services.names)


def node_rows_by_id(layout: Layout, ids: np.ndarray) -> np.ndarray:
    order = np.argsort(layout.nodes.ids)
    return order[np.searchsorted(layout.nodes.ids, ids, sorter=order)]


def test_a_growing_trace_keeps_existing_bars_and_ticks_where_they_were():
    """x, y, size and the ruler stay put until the extent doubles; along z a whole lane may move
    when a lane before it doubles its tracks, but bars never move within their lane."""
    store = SpanStore()
    store.add(synthetic_batch(2000, spans_per_trace=2000, seed=3))
    before = one_trace_layout(store)
    for step in range(5):
        summary = store.trace_summaries()
        width_us = next_power_of_two(summary["end_us"] - summary["start_us"])
        store.add(spans_of_the_open_trace(store, 40, seed=step, extent_growth=0.01))
        summary = store.trace_summaries()
        assert np.array_equal(next_power_of_two(summary["end_us"] - summary["start_us"]), width_us)  # no doubling yet
        after = one_trace_layout(store)
        old = node_rows_by_id(after, before.nodes.ids)
        assert np.array_equal(after.nodes.pos[old, :2], before.nodes.pos[:, :2])
        assert np.array_equal(after.nodes.size[old], before.nodes.size)
        lane_shift = after.nodes.pos[old, 2] - before.nodes.pos[:, 2]
        for service in np.unique(before.nodes.service):
            assert np.ptp(lane_shift[before.nodes.service == service]) < 1e-4
        ticks = [label.to_wire() for label in before.labels if label.kind == "tick"]
        assert ticks == [label.to_wire() for label in after.labels if label.kind == "tick"]
        assert len(after.nodes) == len(before.nodes) + 40
        before = after


def test_a_trace_that_doubles_its_extent_is_rescaled_to_fit_the_width():
    store = SpanStore()
    store.add(synthetic_batch(500, spans_per_trace=500, seed=4))
    before = one_trace_layout(store)
    store.add(spans_of_the_open_trace(store, 40, seed=1, extent_growth=1.5))
    after = one_trace_layout(store)
    old = node_rows_by_id(after, before.nodes.ids)
    assert not np.array_equal(after.nodes.pos[old, 0], before.nodes.pos[:, 0])
    right = (after.nodes.pos[:, 0] + after.nodes.size[:, 0] / 2).max()
    assert right <= P.width / 2 + 1e-4


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=lambda p: p.name)
def test_a_trace_fills_half_to_all_of_the_width_and_the_ruler_uses_the_same_scale(path):
    store = store_of(path)
    for rows, layout in layouts(store):
        start, end = store.start_us[rows], store.start_us[rows] + np.maximum(store.duration_us[rows], 0)
        extent = int(end.max() - start.min())
        width_us = int(next_power_of_two(np.array([extent]))[0])
        assert width_us / 2 < max(extent, 1) <= width_us
        first = int(np.argmin(start))
        left_edge = layout.nodes.pos[:, 0] - layout.nodes.size[:, 0] / 2
        assert left_edge[first] == pytest.approx(-P.width / 2, abs=1e-5)
        ticks = [label.pos[0] for label in layout.labels if label.kind == "tick"]
        step_us = nice_step(width_us / 6)
        assert ticks[0] == pytest.approx(-P.width / 2)
        assert np.diff(ticks) == pytest.approx(step_us * P.width / width_us)
        assert ticks[-1] <= P.width / 2 + 1e-6


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=lambda p: p.name)
def test_the_critical_path_from_kept_children_order_matches_the_plain_one(path):
    store = store_of(path)
    for trace in range(store.trace_count):
        cols = SpanColumns.from_store(store, store.rows_of_trace(trace))
        # µs from the trace's start (children keys of one int64 each) and since the epoch (12-byte keys)
        for origin in (int(cols.start_us.min()), 0):
            start = cols.start_us - origin
            end = start + np.maximum(cols.duration_us, 0)
            order = children_order(cols.parent, start, end)
            keys = children_keys(cols.parent[order], end[order])
            assert keys.dtype == (np.int64 if origin else np.dtype("S12"))
            kept = critical_path_of_kept(start, end, KeptChildren.of(cols.parent, start, end))
            assert np.array_equal(kept, critical_path(cols.parent, start, end))
            assert kept.any()


def critical_by_the_rule(parent: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The critical path walked as its rule says, child by child in plain Python (slow; a reference)."""
    end = np.maximum(end, start)
    children: dict[int, list[int]] = {}
    for i, p in enumerate(parent.tolist()):
        children.setdefault(p, []).append(i)
    for kids in children.values():
        kids.sort(key=lambda c: (end[c], c))
    latest = max(end[r] for r in children[-1])
    critical = np.zeros(len(parent), bool)
    stack = [(min(r for r in children[-1] if end[r] == latest), int(latest))]
    while stack:
        span, bound = stack.pop()
        critical[span] = True
        cursor, kids = min(int(end[span]), bound), children.get(span, [])
        while kids and cursor > start[span]:
            ended = [k for k in kids if end[k] <= cursor]  # the latest-ending child that ended by the cursor
            picked = ended[-1] if ended else next((k for k in reversed(kids) if start[k] < cursor), None)
            if picked is None:
                break
            kids = kids[: kids.index(picked)]
            stack.append((picked, cursor))
            cursor = int(start[picked])
    return critical


@pytest.mark.parametrize("children", [12, 5000], ids=["a dozen children a span", "5,000 children of the root"])
def test_the_critical_path_walks_as_its_rule_says(monkeypatch, children):
    rng = np.random.default_rng(children)
    n = 6000
    parent = np.where(np.arange(n) <= children, 0, rng.integers(1, children + 1, n))  # the root's children, then theirs
    parent[0] = -1
    start = rng.integers(0, 1_000_000, n)
    start[0] = 0
    end = start + rng.integers(0, 200_000, n)  # some children end after their parent: async calls
    end[0] = 1_000_000
    order = children_order(parent, start, end)
    expected = critical_by_the_rule(parent, start, end)
    assert expected.sum() > 3
    assert np.array_equal(critical_path(parent, start, end), expected)
    assert np.array_equal(critical_path_of_kept(start, end, KeptChildren.of(parent, start, end)), expected)
    # the order kept as spans arrive, 500 at a time, in two levels merged every few arrivals
    monkeypatch.setattr(KeptChildren, "MERGE_FLOOR", 1000)
    kept = KeptChildren.of(parent[:500], start[:500], end[:500])
    for first in range(500, n, 500):
        kept = kept.with_spans(parent[first:first + 500], end[first:first + 500], first)
        grown = critical_path_of_kept(start[:first + 500], end[:first + 500], kept)
        assert np.array_equal(grown, critical_by_the_rule(parent[:first + 500], start[:first + 500], end[:first + 500]))
    assert len(kept.recent_order) and np.array_equal(kept.whole()[0], order)
