"""The benchmark's per-span Python waterfall does the same work as the numpy layout: same nodes,
same critical path, same labels and bounds, on generated traces and on a real fixture."""

from __future__ import annotations

import numpy as np
import pytest

from bench.baseline import python_columns, python_waterfall
from bench.synthetic import synthetic_batch
from tests.conftest import FIXTURES
from vrmon.formats import read_document
from vrmon.layout.palette import palette_array
from vrmon.layout.waterfall import SpanColumns, WaterfallParams, waterfall_layout
from vrmon.model.span_store import SpanStore


def both_layouts(store: SpanStore, rows: np.ndarray):
    cols = SpanColumns.from_store(store, rows)
    p = WaterfallParams()
    palette = [tuple(c) for c in palette_array(p.service_colors).tolist()]
    return (waterfall_layout(cols, p, store.services.names),
            python_waterfall(python_columns(cols), p, palette, store.services.names))


def assert_same(fast, slow) -> None:
    nodes = fast.nodes
    assert nodes.ids.tolist() == slow["ids"]
    np.testing.assert_allclose(nodes.pos, np.array(slow["pos"], np.float32), atol=1e-4)
    np.testing.assert_allclose(nodes.size, np.array(slow["size"], np.float32), atol=1e-5)
    assert nodes.color.tolist() == [list(c) for c in slow["color"]]
    assert nodes.flags.tolist() == slow["flags"]
    np.testing.assert_allclose(fast.bounds, slow["bounds"], atol=1e-4)
    assert sorted(label.to_wire()["text"] for label in fast.labels) == sorted(label.to_wire()["text"] for label in slow["labels"])
    assert {tuple(label.to_wire()["pos"]) for label in fast.labels} == {tuple(label.to_wire()["pos"]) for label in slow["labels"]}


@pytest.mark.parametrize("spans_per_trace", [40, 3000])
def test_python_baseline_lays_out_generated_traces_like_numpy(spans_per_trace):
    store = SpanStore()
    store.add(synthetic_batch(3000, spans_per_trace=spans_per_trace, seed=11))
    fast, slow = both_layouts(store, np.arange(len(store)))
    assert_same(fast, slow)
    if spans_per_trace == 3000:  # one trace: the critical path is part of the work
        assert 0 < np.count_nonzero(fast.nodes.flags & 128) < len(store)


def test_python_baseline_lays_out_a_real_trace_like_numpy():
    import json

    store = SpanStore()
    store.add(read_document(json.loads((FIXTURES / "otlp-hotrod-dispatch-trimmed-16spans-retries.json").read_text())))
    fast, slow = both_layouts(store, store.rows_of_trace(0))
    assert_same(fast, slow)
