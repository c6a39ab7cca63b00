"""Synthetic traces shaped like the real fixtures, for benchmarks and scale tests.

Shape taken from the fixtures: fan-out and depth like the HotROD and load-generator traces
(depth ≤ 4–6, fan-out up to ~14), 6–10 services per trace drawn from a pool, ~1 % error spans,
children start inside their parent. Built with numpy; deterministic for a seed.
"""

from __future__ import annotations

import numpy as np

from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import SpanStore


def synthetic_batch(n_spans: int, spans_per_trace: int = 40, n_services: int = 10, seed: int = 0,
                    first_trace: int = 1, t0_us: int = 1_700_000_000_000_000) -> SpanBatch:
    rng = np.random.default_rng(seed)
    n_traces = max(1, n_spans // spans_per_trace)
    sizes = np.full(n_traces, n_spans // n_traces)
    sizes[: n_spans - sizes.sum()] += 1
    trace = np.repeat(np.arange(n_traces), sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    local = np.arange(n_spans) - offsets[trace]
    # parent: a random earlier span of the same trace, biased to recent ones (depth ~ log n)
    parent_local = np.where(local > 0, (local * rng.random(n_spans)).astype(np.int64), -1)
    parent_local = np.minimum(parent_local, local - 1)
    parent = np.where(local > 0, offsets[trace] + parent_local, -1)
    span_id = (np.arange(n_spans, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B1)
    trace_start = t0_us + np.arange(n_traces, dtype=np.int64) * 50_000
    duration = np.empty(n_spans, np.int64)
    start = np.empty(n_spans, np.int64)
    root = local == 0
    duration[root] = rng.integers(20_000, 2_000_000, root.sum())
    start[root] = trace_start[trace[root]]
    # children after their parents, one call depth per vectorised pass (depth ~ log n, so a
    # handful of passes even for a million-span trace)
    level = np.where(root, 0, -1)
    frontier = root.copy()
    depth_pass = 0
    while frontier.any():
        depth_pass += 1
        idx = np.flatnonzero((level < 0) & frontier[np.maximum(parent, 0)] & (parent >= 0))
        if not len(idx):
            break
        level[idx] = depth_pass
        frontier = np.zeros(n_spans, bool)
        frontier[idx] = True
        p = parent[idx]
        frac = rng.random(len(idx))
        duration[idx] = (duration[p] * rng.uniform(0.05, 0.6, len(idx))).astype(np.int64)
        start[idx] = start[p] + ((duration[p] - duration[idx]) * frac).astype(np.int64)
    service_of_trace = rng.integers(0, n_services, (n_traces, 8))
    service = service_of_trace[trace, rng.integers(0, 8, n_spans)]
    service[root] = 0
    batch = SpanBatch()
    batch.trace_id = (np.arange(n_traces) + first_trace)[trace].tolist()
    batch.span_id = span_id.tolist()
    batch.parent_id = np.where(parent >= 0, span_id[np.maximum(parent, 0)], 0).astype(np.uint64).tolist()
    names = [f"service-{i}" for i in range(n_services)]
    batch.service = [names[s] for s in service]
    batch.operation = [f"op-{s}-{k}" for s, k in zip(service, rng.integers(0, 4, n_spans))]
    batch.start_us = start.tolist()
    batch.duration_us = duration.tolist()
    batch.error = (rng.random(n_spans) < 0.01).tolist()
    batch.kind = [2] * n_spans
    batch.follows_from = [False] * n_spans
    batch.details = [b"\x81\xa6format\xa4none"] * n_spans
    return batch


def spans_of_the_open_trace(store: SpanStore, k: int, seed: int, extent_growth: float) -> SpanBatch:
    """k more spans of the store's one trace, as a live trace grows: a subtree under its root that
    starts where the trace ends now and lengthens the trace's time extent by `extent_growth` (0.01 = 1 %)."""
    summary = store.trace_summaries()
    t0, t1 = int(summary["start_us"][0]), int(summary["end_us"][0])
    batch = synthetic_batch(k, spans_per_trace=k, seed=seed, t0_us=t1)
    start, duration = np.array(batch.start_us), np.array(batch.duration_us)
    squeeze = extent_growth * (t1 - t0) / int((start + duration).max() - t1)
    batch.start_us = (t1 + (start - t1) * squeeze).astype(np.int64).tolist()
    batch.duration_us = (duration * squeeze).astype(np.int64).tolist()
    root_span = int(store.span_id[store.depth == 0][0])
    fresh = int(store.span_id.max()) + 1  # same trace id, span ids above every existing one
    batch.span_id = [s + fresh for s in batch.span_id]
    batch.trace_id = [store.trace_ids[0]] * k
    batch.parent_id = [(p + fresh) if p else root_span for p in batch.parent_id]
    return batch
