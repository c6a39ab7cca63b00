"""Waterfall layout invariants on every fixture and on generated traces."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import TRACE_FIXTURES
from tests.test_formats import store_of
from vrmon.layout.waterfall import SpanColumns, WaterfallParams, waterfall_layout
from vrmon.model.span_store import SpanFlag

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
