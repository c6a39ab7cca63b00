"""A live trace that grows extends its basis (columns, idle axis, extents, children order, strip) and
its fold (new spans drawn or added to their holders' summaries) instead of redoing them over every
span, and draws exactly what a view laid out afresh from the store draws."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import vrmon.layout.waterfall_overview as overview_module
from bench.synthetic import spans_of_the_open_trace
from tests.conftest import ROOT
from tests.generated_traces import named_store
from vrmon.layout.trace_basis import trace_basis
from vrmon.layout.waterfall_overview import overview_layout
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets

WATERFALL = load_presets([ROOT / "scenes"])["waterfall"]
CUT_FIELDS = ("shown", "owner", "holders", "count", "errors", "start_us", "end_us", "service", "services")


def same_picture(a, b) -> None:
    for name in ("ids", "pos", "size", "color", "flags", "duration", "service", "operation"):
        assert np.array_equal(getattr(a.layout.nodes, name), getattr(b.layout.nodes, name)), name
    assert [label.to_wire() for label in a.layout.labels] == [label.to_wire() for label in b.layout.labels]
    assert a.frame == b.frame and a.strip == b.strip
    for name in CUT_FIELDS:
        assert np.array_equal(getattr(a.cut, name), getattr(b.cut, name)), name


@pytest.mark.parametrize("idle", [True, False])
def test_a_growing_trace_extends_its_fold_and_draws_what_a_fresh_layout_draws(monkeypatch, idle):
    store = named_store(20_000, spans_per_trace=20_000, n_services=40)
    preset = WATERFALL if idle else replace(WATERFALL, params=replace(WATERFALL.params, idle_gap=0.0))
    view = SceneView(store, preset)
    folds = []
    real_cut = overview_module.cut
    monkeypatch.setattr(overview_module, "cut", lambda *a, **k: folds.append(1) or real_cut(*a, **k))
    refolds = 0
    for step in range(5):
        store.add(spans_of_the_open_trace(store, 200, seed=step, extent_growth=0.002))
        before = len(folds)
        view.refresh()
        refolds += len(folds) - before
        basis = view.bases.get(0, preset.params.idle_gap)
        assert basis.extends >= 0 and len(basis.rows) == 20_000 + 200 * (step + 1)
        same_picture(view._overview, overview_layout(store, 0, preset.params))
    assert refolds <= 1  # the fold grew with the trace (at most once it moved to a coarser threshold)
    fresh = trace_basis(store, 0, preset.params.idle_gap)
    assert np.array_equal(basis.children[0], fresh.children[0]) and np.array_equal(basis.critical, fresh.critical)
    assert np.array_equal(basis.extent[0], fresh.extent[0]) and np.array_equal(basis.extent[1], fresh.extent[1])
