"""Generated data for the legibility tests: sizes and shapes the fixtures do not have.

`named_store` gives `bench.synthetic`'s traces realistic service names (so OCR is a fair test:
a person reads "checkout", not "service-7"); `burst_then_wait_store` is the shape of the
OpenTelemetry demo's failing checkout: a 10-deep burst of calls in the first milliseconds, then
one call that waits 15 s for a proxy timeout.
"""

from __future__ import annotations

import numpy as np

from bench.synthetic import synthetic_batch
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import SpanStore

# Service names as real systems spell them (the OpenTelemetry demo, HotROD and the like).
SERVICE_NAMES = [
    "frontend", "checkout", "payment", "shipping", "cart", "currency", "email", "ads",
    "recommendation", "catalog", "quote", "accounting", "fraud-detection", "inventory", "pricing", "search",
    "auth", "users", "sessions", "orders", "billing", "invoices", "notifications", "gateway",
    "redis", "postgres", "kafka", "mysql", "memcached", "geo", "drivers", "customers",
    "routes", "images", "reviews", "ratings", "loyalty", "tax", "refunds", "audit",
]
# Names of another shape: long qualified ones beside two-letter ones (a mesh named by its teams
# and its stores), so a layout tuned on the names above is tried on what it was not made for.
LONG_AND_SHORT_NAMES = [
    "api-gateway-edge-proxy", "db", "recommendation-engine-v2", "ui", "payment-authorization-service", "kv",
    "notification-dispatcher", "geo", "inventory-reservation-worker", "fx", "customer-profile-service", "mq",
]
T0_US = 1_700_000_000_000_000


def service_names(n_services: int) -> list[str]:
    """n distinct realistic names; past the 40 above, numbered copies (frontend-2, ...)."""
    return [SERVICE_NAMES[i % len(SERVICE_NAMES)] + (f"-{i // len(SERVICE_NAMES) + 1}" if i >= len(SERVICE_NAMES) else "")
            for i in range(n_services)]


def named_batch(n_spans: int, spans_per_trace: int = 40, n_services: int = 10, seed: int = 0) -> SpanBatch:
    """`bench.synthetic.synthetic_batch`'s span trees with realistic service names, called as a
    real system calls them: each service calls a few fixed others (a sparse service graph, not
    every pair), so a big trace reaches all `n_services` and the graph has ~3 edges a service."""
    batch = synthetic_batch(n_spans, spans_per_trace=spans_per_trace, n_services=n_services, seed=seed)
    rng = np.random.default_rng(seed + 1)
    callees = np.stack([(np.arange(n_services) * k + k) % n_services for k in (1, 3, 7)], axis=1)
    callees[:, 0] = (np.arange(n_services) + 1) % n_services  # a chain through every service
    span_id = np.array(batch.span_id, dtype=np.uint64)
    order = np.argsort(span_id)
    parent_id = np.array(batch.parent_id, dtype=np.uint64)
    parent = np.where(parent_id > 0, order[np.searchsorted(span_id, parent_id, sorter=order).clip(0, len(order) - 1)], -1)
    service = np.where(parent < 0, 0, -1)
    pick = rng.integers(0, callees.shape[1], n_spans)
    while (service < 0).any():  # one call depth per pass
        ready = (service < 0) & (service[np.maximum(parent, 0)] >= 0)
        service[ready] = callees[service[parent[ready]], pick[ready]]
    names = service_names(n_services)
    batch.service = [names[s] for s in service]
    batch.operation = [f"{names[s]}/call-{k}" for s, k in zip(service, rng.integers(0, 4, n_spans))]
    return batch


def store_of(batch: SpanBatch) -> SpanStore:
    store = SpanStore()
    store.add(batch)
    return store


def named_store(n_spans: int, spans_per_trace: int = 40, n_services: int = 10, seed: int = 0) -> SpanStore:
    return store_of(named_batch(n_spans, spans_per_trace, n_services, seed))


def burst_then_wait_batch(depth: int = 10, wait_s: float = 15.0) -> SpanBatch:
    """One trace: a chain `depth` calls deep in the first ~5 ms, each with a sibling or two, then
    a proxy call that gives up after `wait_s` seconds with an error (23 spans for depth 10)."""
    services = ["load-generator", "frontend-proxy", "frontend", "checkout", "cart", "currency",
                "product-catalog", "shipping", "quote", "payment", "email", "recommendation"]
    span_id, parent_id, service, operation, start, duration, error = [], [], [], [], [], [], []

    def span(parent: int, svc: str, op: str, t: int, d: int, failed: bool = False) -> int:
        sid = len(span_id) + 1
        span_id.append(sid); parent_id.append(parent); service.append(svc); operation.append(op)
        start.append(T0_US + t); duration.append(d); error.append(failed)
        return sid

    wait_us = int(wait_s * 1e6)
    root = span(0, services[0], "user_checkout", 0, wait_us + 2_000)
    proxy = span(root, services[1], "ingress", 100, wait_us + 1_500, failed=True)
    parent, t, d = proxy, 200, 5_000
    for level in range(depth - 2):
        svc = services[2 + level]
        parent = span(parent, svc, f"{svc}/handle", t, d)
        span(parent, services[2 + (level + 3) % 10], "lookup", t + 20, max(d // 8, 5))
        if level % 2 == 0:
            span(parent, "redis", "GET", t + 40, max(d // 10, 3))
        t, d = t + 50, int(d * 0.7)
    span(proxy, services[1], "upstream wait (timeout)", 6_000, wait_us - 6_000, failed=True)
    batch = SpanBatch()
    n = len(span_id)
    batch.trace_id = [0xC0FFEE] * n
    batch.span_id = span_id
    batch.parent_id = parent_id
    batch.service = service
    batch.operation = operation
    batch.start_us = start
    batch.duration_us = duration
    batch.error = error
    batch.kind = [2] * n
    batch.follows_from = [False] * n
    batch.details = [b"\x81\xa6format\xa4none"] * n
    return batch


def burst_then_wait_store(depth: int = 10, wait_s: float = 15.0) -> SpanStore:
    return store_of(burst_then_wait_batch(depth, wait_s))


def zero_length_batch(n_spans: int = 5) -> SpanBatch:
    """One trace whose spans all last 0 µs (instant events recorded as spans)."""
    batch = named_batch(n_spans, spans_per_trace=n_spans, n_services=3, seed=7)
    batch.duration_us = [0] * n_spans
    batch.start_us = [T0_US] * n_spans
    return batch


def deep_chain_batch(depth: int = 200, n_services: int = 12) -> SpanBatch:
    """One trace that is a single chain `depth` calls deep (a recursive call, a long middleware
    stack), each call 1 µs after and 2 µs shorter than its caller, services taking turns."""
    names = service_names(n_services)
    batch = SpanBatch()
    batch.trace_id = [0xD1CE] * depth
    batch.span_id = list(range(1, depth + 1))
    batch.parent_id = list(range(depth))  # span k's parent is span k - 1; the root's is 0, none
    batch.service = [names[i % n_services] for i in range(depth)]
    batch.operation = [f"{svc}/call" for svc in batch.service]
    batch.start_us = [T0_US + i for i in range(depth)]
    batch.duration_us = [2 * (depth - i) + 10 for i in range(depth)]
    batch.error = [i % 97 == 0 for i in range(depth)]
    batch.kind = [2] * depth
    batch.follows_from = [False] * depth
    batch.details = [b"\x81\xa6format\xa4none"] * depth
    return batch


def fan_out_batch(children: int = 5_000) -> SpanBatch:
    """One trace: a batch request whose one span calls three services `children` times in turn
    (15 µs calls every 20 µs, as a loop of cache and database lookups does): a trace one call deep
    and thousands wide, which the overview folds into its root's summary."""
    n = children + 1
    services = ["users", "orders", "cache"]
    batch = SpanBatch()
    batch.trace_id = [0xFA2] * n
    batch.span_id = list(range(1, n + 1))
    batch.parent_id = [0] + [1] * children
    batch.service = ["api"] + [services[i % 3] for i in range(children)]
    batch.operation = ["GET /batch"] + [f"{services[i % 3]}/get" for i in range(children)]
    batch.start_us = [T0_US] + [T0_US + 10 + 20 * i for i in range(children)]
    batch.duration_us = [20 * children + 100] + [15] * children
    batch.error = [False] * n
    batch.kind = [2] * n
    batch.follows_from = [False] * n
    batch.details = [b"\x81\xa6format\xa4none"] * n
    return batch


def spans_batch(starts_us: list[int], durations_us: list[int], parents: list[int | None], services: list[int],
                trace_id: int = 0x0DD) -> SpanBatch:
    """One small trace as told: span k starts `starts_us[k]` µs after the others' origin, lasts
    `durations_us[k]`, is called by span `parents[k]` (an index; None: a root) and runs in service
    `services[k]` (an index into the realistic names). For the odd shapes: a lone span, spans
    that all start together, two spans 15 s apart."""
    n = len(starts_us)
    names = service_names(max(services) + 1)
    batch = SpanBatch()
    batch.trace_id = [trace_id] * n
    batch.span_id = list(range(1, n + 1))
    batch.parent_id = [0 if p is None else p + 1 for p in parents]
    batch.service = [names[s] for s in services]
    batch.operation = [f"{names[s]}/call-{k}" for k, s in enumerate(services)]
    batch.start_us = [T0_US + t for t in starts_us]
    batch.duration_us = list(durations_us)
    batch.error = [False] * n
    batch.kind = [2] * n
    batch.follows_from = [False] * n
    batch.details = [b"\x81\xa6format\xa4none"] * n
    return batch


def numbered_names(n_services: int, stem: str = "checkout-svc") -> list[str]:
    """n names that differ only in their last digits, as shards or replicas of one service are
    named: checkout-svc-0001 … (17 characters each for the default stem)."""
    return [f"{stem}-{i:04d}" for i in range(1, n_services + 1)]
