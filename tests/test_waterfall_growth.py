"""A waterfall grown by its trace's new spans is exactly the full layout; anything that would move
a bar already laid out falls back to the full layout, and the deltas stay right either way."""

from __future__ import annotations

import numpy as np

from bench.synthetic import spans_of_the_open_trace, synthetic_batch
from tests.conftest import ROOT
from tests.test_span_store import append_span, subset
from vrmon.layout.nodes import Layout, Nodes
from vrmon.layout.waterfall import SpanColumns, WaterfallParams, waterfall_layout
from vrmon.layout.waterfall_growth import GrowingWaterfall
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import SpanStore
from vrmon.protocol import decode_server_frame
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets

P = WaterfallParams()
WATERFALL = load_presets([ROOT / "scenes"])["waterfall"]


def open_trace(n: int = 2000, seed: int = 3) -> SpanStore:
    store = SpanStore()
    store.add(synthetic_batch(n, spans_per_trace=n, seed=seed))
    return store


def full_layout(store: SpanStore, trace: int = 0) -> Layout:
    """The trace laid out from scratch by the plain waterfall layout."""
    return waterfall_layout(SpanColumns.from_store(store, store.rows_of_trace(trace)), P, store.services.names)


def assert_same_layout(grown: Layout, full: Layout) -> None:
    for name in Nodes.__dataclass_fields__:
        assert np.array_equal(getattr(grown.nodes, name), getattr(full.nodes, name)), name
    assert [label.to_wire() for label in grown.labels] == [label.to_wire() for label in full.labels]
    assert grown.bounds == full.bounds


def test_a_grown_waterfall_is_exactly_the_full_layout():
    store = open_trace()
    growing = GrowingWaterfall.lay_out(store, 0, P)
    grown_in_place = 0
    for step in range(12):
        store.add(spans_of_the_open_trace(store, 40, seed=step, extent_growth=0.01))
        store.add(synthetic_batch(80, spans_per_trace=40, seed=step, first_trace=10**6 + 10 * step))  # other traces too
        changed = growing.grow(store)
        if changed is None:  # something shared moved: start over from a full layout
            growing = GrowingWaterfall.lay_out(store, 0, P)
            continue
        grown_in_place += 1
        assert_same_layout(growing.layout, full_layout(store))
    assert grown_in_place >= 5


def test_a_new_service_lane_after_the_others_grows_in_place():
    store = open_trace()
    growing = GrowingWaterfall.lay_out(store, 0, P)
    batch = spans_of_the_open_trace(store, 30, seed=1, extent_growth=0.01)
    batch.service = ["late-service"] * len(batch)
    store.add(batch)
    assert growing.grow(store) is not None
    full = full_layout(store)
    assert_same_layout(growing.layout, full)
    assert "late-service" in [label.text for label in full.labels if label.kind == "lane"]


def test_spans_that_would_move_existing_bars_fall_back_to_a_full_layout():
    cases = {}
    store = open_trace()
    earlier = spans_of_the_open_trace(store, 20, seed=2, extent_growth=0.01)
    earlier.start_us = [s - 10**9 for s in earlier.start_us]  # before the trace's start: every x moves
    cases["an earlier start"] = (store, earlier)
    store = open_trace()
    cases["the extent doubles"] = (store, spans_of_the_open_trace(store, 20, seed=2, extent_growth=1.5))
    store = open_trace()
    batch = synthetic_batch(2000, spans_per_trace=2000, seed=3)
    late_root = open_trace()  # the same trace without its root: the root arrives later and adopts
    late_root.__init__()
    late_root.add(subset(batch, np.arange(1, 2000)))
    cases["a late parent re-links spans already there"] = (late_root, subset(batch, np.array([0])))
    for name, (store, more) in cases.items():
        growing = GrowingWaterfall.lay_out(store, 0, P)
        before = growing.layout
        store.add(more)
        assert growing.grow(store) is None, name
        assert growing.layout is before, name


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
        assert len(delta["added"]) == 25 and not len(delta["removed"])
        if growth > 1:  # the scale changed: every bar already shown moved
            assert len(delta["updated"]) == len(fresh) - 25


def hand_made(spans: list[tuple[int, int, str, int, int]]) -> SpanBatch:
    """One trace from (span id, parent id, service, start µs, duration µs)."""
    batch = SpanBatch()
    for span_id, parent_id, service, start, duration in spans:
        append_span(batch, 7, span_id, parent_id, service, 1_000_000 + start, duration)
    return batch


def test_new_bars_overlapping_bars_already_there_take_the_next_tracks():
    store = SpanStore()
    store.add(hand_made([(1, 0, "a", 0, 1000), (2, 1, "b", 0, 500), (3, 1, "b", 100, 500), (4, 1, "b", 150, 550),
                         (5, 1, "c", 50, 100), (6, 5, "b", 60, 20)] + [(10 + i, 1, "a", 10 * i, 5) for i in range(40)]))
    growing = GrowingWaterfall.lay_out(store, 0, P)
    # b at depth 1 continues its cluster (track 3), then starts a new one; c at depth 2 is a new group
    store.add(hand_made([(120, 1, "b", 200, 100), (121, 1, "b", 800, 100), (122, 1, "b", 850, 100), (123, 5, "c", 70, 10)]))
    assert growing.grow(store) is not None
    full = full_layout(store)
    assert_same_layout(growing.layout, full)
    b_depth1 = (full.nodes.service == store.services.names.index("b")) & (full.nodes.pos[:, 1] == full.nodes.pos[1, 1])
    assert len(np.unique(full.nodes.pos[b_depth1, 2])) == 4  # four tracks: three old bars and the new overlapping one


def test_a_late_parent_in_another_trace_does_not_stop_the_shown_trace_growing_in_place():
    store = open_trace()
    other = synthetic_batch(100, spans_per_trace=100, seed=9, first_trace=50)
    store.add(subset(other, np.arange(1, 100)))  # the other trace's spans wait for their root
    growing = GrowingWaterfall.lay_out(store, 0, P)
    store.add(subset(other, np.array([0])))  # its root arrives: spans of that trace move, not ours
    store.add(spans_of_the_open_trace(store, 1, seed=4, extent_growth=0.01))  # one bar after all the others
    assert growing.grow(store) is not None
    assert_same_layout(growing.layout, full_layout(store))


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
