"""SpanStore adds are incremental: whatever order and chunks spans arrive in, the store ends up
exactly as if it had linked every trace from scratch."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic import spans_of_the_open_trace, synthetic_batch
from tests.conftest import TRACE_FIXTURES
from vrmon.model.span_batch import SpanBatch
from vrmon.model.key_index import KeyIndex, make_keys
from vrmon.model.span_store import SpanFlag, SpanStore
from vrmon.sources.files import load_trace_file

LINKED_COLUMNS = ("parent", "depth", "flags")


def subset(batch: SpanBatch, order: np.ndarray) -> SpanBatch:
    return batch.take(order.tolist())


def added_in_chunks(batch: SpanBatch, order: np.ndarray, chunks: list[int]) -> SpanStore:
    store = SpanStore()
    for part in np.split(order, np.cumsum(chunks)[:-1] if chunks else []):
        store.add(subset(batch, part))
    return store


def by_span(store: SpanStore) -> dict[tuple[int, int], tuple]:
    """Every span's linked state, keyed by (trace id, span id): independent of row order."""
    key = [(store.trace_ids[t], int(s)) for t, s in zip(store.trace, store.span_id)]
    names, ops = store.services.names, store.operations.names
    return {
        key[row]: (key[int(store.parent[row])] if store.parent[row] >= 0 else None, int(store.depth[row]),
                   int(store.flags[row]), names[store.service[row]], ops[store.operation[row]],
                   int(store.start_us[row]), int(store.duration_us[row]))
        for row in range(len(store))
    }


def summaries_by_trace(store: SpanStore) -> dict[int, tuple]:
    s = store.trace_summaries()
    names, ops = store.services.names, store.operations.names
    return {store.trace_ids[t]: (int(s["start_us"][t]), int(s["end_us"][t]), int(s["spans"][t]), int(s["errors"][t]),
                                 names[s["root_service"][t]], ops[s["root_operation"][t]])
            for t in range(store.trace_count) if s["spans"][t]}


def assert_same_as_relinked_from_scratch(store: SpanStore) -> None:
    """The incremental links equal a whole re-link of every trace, row for row."""
    linked = {name: getattr(store, name).copy() for name in LINKED_COLUMNS}
    summaries = {name: col.copy() for name, col in store.trace_summaries().items()}
    store._relink(np.flatnonzero(store.trace_summaries()["spans"] > 0))
    for name in LINKED_COLUMNS:
        assert np.array_equal(getattr(store, name), linked[name]), name
    for name, col in store.trace_summaries().items():
        assert np.array_equal(col, summaries[name]), name


def arrival_orders(batch: SpanBatch, seed: int) -> dict[str, tuple[np.ndarray, list[int]]]:
    """(order, chunk sizes) for: all at once, children before parents one by one, parents first,
    and random chunks of a shuffled order."""
    n = len(batch)
    rng = np.random.default_rng(seed)
    whole = SpanStore()
    whole.add(batch)
    depth = whole.depth  # one row per span: rows are in batch order
    chunks = []
    while sum(chunks) < n:
        chunks.append(int(min(rng.integers(1, max(2, n // 5)), n - sum(chunks))))
    return {
        "all at once": (np.arange(n), [n]),
        "children first, one by one": (np.argsort(-depth, kind="stable"), [1] * n),
        "parents first, in chunks of 7": (np.argsort(depth, kind="stable"), [7] * (n // 7) + ([n % 7] if n % 7 else [])),
        "random chunks": (rng.permutation(n), chunks),
    }


def has_no_duplicates(batch: SpanBatch) -> bool:
    return len(set(zip(batch.trace_id, batch.span_id))) == len(batch)


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=lambda p: p.name)
def test_spans_added_in_any_order_link_like_spans_added_at_once(path):
    batch = load_trace_file(path)
    if len(batch) > 400:  # one-by-one adds of the big fixtures would only slow the suite
        batch = subset(batch, np.arange(400))
    expected_store = SpanStore()
    expected_store.add(batch)
    for name, (order, chunks) in arrival_orders(batch, seed=len(batch)).items():
        store = added_in_chunks(batch, order, chunks)
        assert_same_as_relinked_from_scratch(store)
        if has_no_duplicates(batch):  # a re-sent duplicate in a later add is skipped, not flagged
            assert by_span(store) == by_span(expected_store), name
            assert summaries_by_trace(store) == summaries_by_trace(expected_store), name


def append_span(batch: SpanBatch, trace_id: int, span_id: int, parent_id: int, service: str, start_us: int,
                duration_us: int, follows_from: bool = False) -> None:
    batch.trace_id.append(trace_id)
    batch.span_id.append(span_id)
    batch.parent_id.append(parent_id)
    batch.service.append(service)
    batch.operation.append("op")
    batch.start_us.append(start_us)
    batch.duration_us.append(duration_us)
    batch.error.append(False)
    batch.kind.append(1)
    batch.follows_from.append(follows_from)
    batch.details.append(b"\x80")


def tangled_batch() -> SpanBatch:
    """Synthetic traces plus every awkward link: a parent cycle, a self-parent, a span whose
    parent never arrives, a duplicate span id, a FOLLOWS_FROM link and a child outside its parent."""
    batch = synthetic_batch(300, spans_per_trace=60, seed=11)
    t = batch.trace_id[0]
    base = batch.start_us[0]
    extra = [  # (span id, parent id, start offset, duration, follows_from)
        (901, 903, 10, 50, False), (902, 901, 20, 10, False), (903, 902, 30, 5, False), (904, 901, 25, 5, False),
        (905, 905, 0, 5, False),
        (906, 999_999, 0, 5, False), (907, 906, 1, 2, False),
        (908, int(batch.span_id[0]), -100, 5, True), (909, int(batch.span_id[0]), -100, 5, False),
        (int(batch.span_id[1]), int(batch.span_id[0]), 0, 3, False),
    ]
    for span_id, parent_id, offset, duration, follows in extra:
        append_span(batch, t, span_id, parent_id, "tangled", base + offset, duration, follows)
    return batch


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tangled_traces_added_in_any_order_link_like_a_whole_relink(seed):
    batch = tangled_batch()
    for name, (order, chunks) in arrival_orders(batch, seed).items():
        store = added_in_chunks(batch, order, chunks)
        assert_same_as_relinked_from_scratch(store)
        flags = np.bitwise_or.reduce(store.flags)
        assert flags & SpanFlag.CYCLE and flags & SpanFlag.ORPHAN and flags & SpanFlag.CLOCK_SKEW, name


def test_a_cycle_closed_by_the_last_span_to_arrive_is_cut():
    batch = tangled_batch()
    cycle = [i for i, s in enumerate(batch.span_id) if s in (901, 902, 903)]
    rest = [i for i in range(len(batch)) if i not in cycle]
    store = added_in_chunks(batch, np.array(rest + cycle), [len(rest), 1, 1, 1])
    rows = np.flatnonzero(np.isin(store.span_id, [901, 902, 903]))
    assert (store.flags[rows] & SpanFlag.CYCLE).all() and (store.parent[rows] == -1).all()
    assert_same_as_relinked_from_scratch(store)


def test_a_late_root_moves_its_whole_waiting_subtree_down():
    batch = synthetic_batch(200, spans_per_trace=200, seed=5)
    store = added_in_chunks(batch, np.arange(1, 200), [199])
    assert (store.flags & SpanFlag.ORPHAN).any()
    store.add(subset(batch, np.array([0])))
    assert not (store.flags & SpanFlag.ORPHAN).any()
    assert int(store.span_id[store.depth == 0][0]) == batch.span_id[0]
    assert_same_as_relinked_from_scratch(store)


def test_a_growing_trace_cut_by_eviction_links_like_a_whole_relink():
    store = SpanStore()
    store.add(synthetic_batch(600, spans_per_trace=600, seed=8))
    store.evict(max_spans=400)  # the trace loses its earliest spans, its root among them
    assert (store.flags & SpanFlag.ORPHAN).any()
    for step in range(3):
        store.add(spans_of_the_open_trace(store, 30, seed=step, extent_growth=0.1))
        assert_same_as_relinked_from_scratch(store)


def test_key_index_levels_merging_between_adds_link_like_a_whole_relink(monkeypatch):
    monkeypatch.setattr(KeyIndex, "MERGE_FLOOR", 4)  # merge the recent level every few adds
    batch = tangled_batch()
    for name, (order, chunks) in arrival_orders(batch, seed=4).items():
        store = added_in_chunks(batch, order, chunks)
        assert_same_as_relinked_from_scratch(store)
        store.evict(max_spans=len(store) - 50)
        store.add(spans_of_the_open_trace(store, 20, seed=1, extent_growth=0.1))
        assert_same_as_relinked_from_scratch(store)


def test_keys_sort_and_match_as_trace_code_then_span_id():
    """One complex number a key: exact for any trace code and any 64-bit span id, and sorted as
    the (trace code, span id) pairs are."""
    rng = np.random.default_rng(7)
    trace = np.concatenate([rng.integers(0, 2**31, 500), [0, 0, 2**31 - 1, 2**31 - 1, 5, 5]]).astype(np.int32)
    span_id = np.concatenate([rng.integers(0, 2**64, 500, dtype=np.uint64),
                              np.array([0, 2**64 - 1, 0, 2**64 - 1, 2**48 - 1, 2**48], np.uint64)])
    trace, span_id = np.concatenate([trace, trace[:50]]), np.concatenate([span_id, span_id[:50] ^ np.uint64(1)])
    keys = make_keys(trace, span_id)
    pairs = sorted(zip(trace.tolist(), span_id.tolist()))
    assert [(int(trace[i]), int(span_id[i])) for i in np.argsort(keys, kind="stable")] == pairs
    assert len(np.unique(keys)) == len(set(pairs))
    index = KeyIndex()
    index.insert(keys, np.arange(len(keys)))
    assert np.array_equal(index.first(keys), np.arange(len(keys)))
    assert index.first(make_keys(np.array([5]), np.array([2**48 + 1], np.uint64)))[0] == -1
