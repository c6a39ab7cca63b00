"""A live waterfall: deltas from a growing trace rebuild exactly the scene a new viewer gets, through
scale changes, late parents and evictions (the overview is laid out again from the store on every
change of the shown trace; folded calls stay folded into their summaries)."""

from __future__ import annotations

import numpy as np

from bench.synthetic import spans_of_the_open_trace, synthetic_batch
from tests.conftest import ROOT
from tests.test_span_store import subset
from vrmon.layout.nodes import Nodes
from vrmon.layout.waterfall_lod import SUMMARY_BASE
from vrmon.model.span_store import SpanStore
from vrmon.protocol import decode_server_frame
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets

WATERFALL = load_presets([ROOT / "scenes"])["waterfall"]


def open_trace(n: int = 2000, seed: int = 3) -> SpanStore:
    store = SpanStore()
    store.add(synthetic_batch(n, spans_per_trace=n, seed=seed))
    return store


def drawn(nodes: Nodes) -> dict[int, tuple]:
    """What a viewer draws: position and flags by node id."""
    return {int(i): row for i, row in zip(nodes.ids, zip(nodes.pos.tolist(), nodes.flags.tolist()))}


def apply_delta(shown: dict[int, tuple], frame: bytes | None) -> dict:
    """Apply a delta frame as a viewer does; returns the decoded delta (empty for no frame)."""
    delta = decode_server_frame(frame) if frame else {"added": Nodes.empty(), "updated": Nodes.empty(), "removed": np.empty(0)}
    shown.update(drawn(delta["added"]))
    shown.update(drawn(delta["updated"]))
    for i in delta["removed"].tolist():
        del shown[i]
    return delta


def test_deltas_from_a_growing_waterfall_rebuild_the_full_scene():
    store = open_trace(1000)
    view = SceneView(store, WATERFALL)
    shown = drawn(view.nodes)
    for step in range(6):
        growth = 0.01 if step != 3 else 1.5  # one step doubles the extent: a full re-layout
        store.add(spans_of_the_open_trace(store, 25, seed=step, extent_growth=growth))
        delta = apply_delta(shown, view.refresh())
        fresh = SceneView(store, WATERFALL).nodes
        assert shown == drawn(fresh)
        spans = [i for i in shown if i < SUMMARY_BASE]
        assert len(delta["added"]) + len(delta["updated"]) + len(delta["removed"]) > 0
        if growth > 1:  # the scale changed: every bar already shown moved
            assert len(delta["updated"]) >= len(spans) - len(delta["added"]) - 25


def test_deltas_rebuild_the_full_scene_through_late_parents_and_evictions():
    store = open_trace(1000)
    view = SceneView(store, WATERFALL)
    shown = drawn(view.nodes)
    later = spans_of_the_open_trace(store, 60, seed=7, extent_growth=0.01)
    steps = [
        lambda: store.add(subset(later, np.arange(1, 60))),  # a subtree whose top has not arrived
        lambda: store.add(subset(later, np.array([0]))),  # it arrives: the waiting spans move down
        lambda: store.add(synthetic_batch(200, spans_per_trace=40, seed=2, first_trace=10**6, t0_us=10**15)),
        lambda: store.evict(max_spans=len(store) - 100),  # the other, older traces go
        lambda: store.add(spans_of_the_open_trace(store, 30, seed=8, extent_growth=0.01)),
    ]
    for step in steps:
        step()
        apply_delta(shown, view.refresh())
        assert shown == drawn(SceneView(store, WATERFALL).nodes)
