"""Service graph: one node per service, one edge per caller → callee pair, laid out in 3D.

Edges come from parent → child span pairs whose services differ (and from Jaeger's
/api/dependencies when a live source provides them). Positions come from a force-directed
solver in numpy (dense pairwise forces: fine for hundreds of services), seeded so it is
deterministic, and warm-started from the previous positions so a new service moves the others
as little as possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vrmon.layout.nodes import Edges, Label, Layout, Nodes, NO_STRING, bounds_of
from vrmon.layout.palette import parse_color
from vrmon.model.dependencies import DependencyLink

SERVICE_NODE_BASE = 0xF000_0000  # node ids of services, far above span uids


@dataclass(frozen=True)
class ServicesParams:
    spread: float = 2.5  # metres: typical distance between linked services
    height: float = 1.6  # centre of the graph above the floor
    distance: float = 6.0  # metres in front of the viewer
    node_min: float = 0.25
    node_max: float = 1.0
    edge_min: float = 0.015
    edge_max: float = 0.12
    iterations: float = 300  # solver steps for a first layout
    warm_iterations: float = 40  # solver steps when services were added to a laid-out graph
    seed: float = 7
    ok_color: str = "#59a14f"
    warn_color: str = "#edc948"
    error_color: str = "#e15759"


@dataclass
class GraphState:
    """Positions kept between layouts, by service code, so the graph stays where it was."""

    positions: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceGraph:
    services: np.ndarray  # service codes present
    spans: np.ndarray  # spans per service
    errors: np.ndarray
    source: np.ndarray  # edge endpoints as indices into `services`
    target: np.ndarray
    calls: np.ndarray
    seconds: float  # time window the counts cover


def service_graph(store, extra_links: Sequence[DependencyLink] = ()) -> ServiceGraph:
    n_services = len(store.services)
    spans = np.bincount(store.service, minlength=n_services)
    errors = np.bincount(store.service, weights=(store.flags & 1) > 0, minlength=n_services)
    parent = store.parent
    has = parent >= 0
    src = store.service[parent[has]]
    dst = store.service[has]
    cross = src != dst
    codes = src[cross].astype(np.int64) * n_services + dst[cross]
    if n_services * n_services <= 4 * len(codes) + 65536:  # a count per possible pair: no sort
        counts = np.bincount(codes, minlength=n_services * n_services)
        pairs = np.flatnonzero(counts)
        calls = counts[pairs]
    else:
        pairs, calls = np.unique(codes, return_counts=True)
    if extra_links:
        # Links a live source reports between services the store knows: Jaeger's counts win where
        # both know a pair (they cover more than the traces loaded); calls within a service are not drawn.
        reported = {}
        for link in extra_links:
            a, b = store.services.code_of(link.parent), store.services.code_of(link.child)
            if a is not None and b is not None and a != b:
                reported[a * n_services + b] = link.call_count
        if reported:
            merged = dict(zip(pairs.tolist(), calls.tolist())) | reported
            pairs = np.array(sorted(merged), np.int64)
            calls = np.array([merged[k] for k in pairs.tolist()], np.int64)
    present = np.flatnonzero(spans > 0)
    if len(pairs):
        present = np.union1d(present, np.concatenate([pairs // n_services, pairs % n_services]))
    index = np.full(n_services, -1, np.int64)
    index[present] = np.arange(len(present))
    summaries = store.trace_summaries()
    live = summaries["spans"] > 0
    seconds = float((summaries["end_us"][live].max() - summaries["start_us"][live].min()) / 1e6) if live.any() else 1.0
    return ServiceGraph(present, spans[present], errors[present].astype(np.int64), index[pairs // n_services],
                        index[pairs % n_services], calls, max(seconds, 1e-3))


def force_layout(n: int, source: np.ndarray, target: np.ndarray, initial: np.ndarray, movable: np.ndarray,
                 iterations: int, spread: float) -> np.ndarray:
    """Fruchterman–Reingold in 3D. Only `movable` nodes move: the rest stay where viewers saw them.

    Forces are computed for the moving nodes only (repulsion from every node, attraction along
    the links that touch them), so one new service among n costs O(n) per step, not O(n²).
    """
    pos = initial.astype(np.float64).copy()
    moving = np.flatnonzero(movable)
    if n < 2 or not len(moving):
        return pos - pos.mean(axis=0)
    k = spread
    touching = movable[source] | movable[target]
    source, target = source[touching], target[touching]
    temperature = np.full(len(moving), float(spread))
    cool = 0.97 if iterations > 60 else 0.9
    pulled = np.empty((n, 3))
    for _ in range(int(iterations)):
        here = pos[moving]
        delta = here[:, None, :] - pos[None, :, :]
        dist2 = np.einsum("ijk,ijk->ij", delta, delta) + 1e-9
        force = np.einsum("ij,ijk->ik", (k * k) / dist2, delta)  # repulsion ~ k²/d along the unit vector
        if len(source):
            d = pos[source] - pos[target]
            pull = d * (np.linalg.norm(d, axis=1, keepdims=True) / k)  # attraction ~ d²/k
            for axis in range(3):  # bincount sums per node far faster than np.add.at
                pulled[:, axis] = np.bincount(target, pull[:, axis], n) - np.bincount(source, pull[:, axis], n)
            force += pulled[moving]
        force -= here * 0.01  # weak gravity keeps unconnected services near the graph
        length = np.linalg.norm(force, axis=1, keepdims=True) + 1e-9
        pos[moving] = here + force / length * np.minimum(length, temperature[:, None])
        temperature *= cool
    return pos - pos.mean(axis=0)


def services_layout(store, p: ServicesParams, state: GraphState, extra_links: Sequence[DependencyLink] = ()) -> Layout:
    graph = service_graph(store, extra_links)
    n = len(graph.services)
    if not n:
        return Layout(nodes=Nodes.empty(), edges=Edges.empty())
    rng = np.random.default_rng(int(p.seed))
    initial = np.zeros((n, 3))
    known = np.array([int(s) in state.positions for s in graph.services])
    for i in np.flatnonzero(known):
        initial[i] = state.positions[int(graph.services[i])]
    fresh = np.flatnonzero(~known)
    # a new service starts beside the known services it talks to, else at a seeded random spot
    jitter = rng.normal(scale=p.spread * 0.5, size=(n, 3))
    for i in fresh:
        peers = np.concatenate([graph.target[graph.source == i], graph.source[graph.target == i]])
        peers = peers[known[peers]]
        initial[i] = (initial[peers].mean(axis=0) if len(peers) else 0.0) + jitter[i]
    if len(fresh):
        iterations = p.iterations if not known.any() else p.warm_iterations
        pos = force_layout(n, graph.source, graph.target, initial, ~known, iterations, p.spread)
        if known.any():  # known services did not move; undo the re-centring so they stay put
            pos += initial[np.flatnonzero(known)[0]] - pos[np.flatnonzero(known)[0]]
    else:
        pos = initial
    for i, code in enumerate(graph.services):
        state.positions[int(code)] = pos[i]
    return _graph_layout(store, graph, pos, p)


def _graph_layout(store, graph: ServiceGraph, pos: np.ndarray, p: ServicesParams) -> Layout:
    n = len(graph.services)
    world = pos + np.array([0.0, p.height, -p.distance])
    world[:, 1] = np.maximum(world[:, 1], 0.3)  # never below the floor
    rate = graph.spans / graph.seconds
    size = _scale(np.sqrt(rate), p.node_min, p.node_max)
    error_ratio = graph.errors / np.maximum(graph.spans, 1)
    nodes = Nodes(
        ids=(SERVICE_NODE_BASE + graph.services).astype(np.uint32),
        pos=world.astype(np.float32),
        size=np.repeat(size[:, None], 3, axis=1).astype(np.float32),
        color=_ratio_colors(error_ratio, p),
        service=graph.services.astype(np.uint16),
        operation=np.full(n, NO_STRING, np.uint16),
        flags=(error_ratio > 0).astype(np.uint8),
        yaw=np.zeros(n, np.int16),
    )
    call_rate = graph.calls / graph.seconds
    src_ids = nodes.ids[graph.source]
    dst_ids = nodes.ids[graph.target]
    edges = Edges(
        ids=(graph.services[graph.source] * 65536 + graph.services[graph.target]).astype(np.uint32),
        source=src_ids,
        target=dst_ids,
        width=_scale(np.sqrt(call_rate), p.edge_min, p.edge_max).astype(np.float32),
        rate=call_rate.astype(np.float32),
        color=np.repeat(np.array([[170, 180, 200, 160]], np.uint8), len(src_ids), axis=0),
    )
    names = store.services.names
    labels = [Label(names[int(s)], (float(x), float(y + sz / 2 + 0.15), float(z)), "node")
              for s, (x, y, z), sz in zip(graph.services[:300], world[:300], size[:300])]
    return Layout(nodes=nodes, labels=labels, edges=edges, bounds=bounds_of(nodes))


def _scale(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    top = values.max() if len(values) else 0
    return lo + (hi - lo) * (values / top if top > 0 else np.zeros_like(values, dtype=np.float64))


def _ratio_colors(ratio: np.ndarray, p: ServicesParams) -> np.ndarray:
    """0 → ok colour, 5 % → warn colour, ≥ 20 % → error colour, linear in between."""
    ok, warn, bad = (np.array(parse_color(c), np.float64) for c in (p.ok_color, p.warn_color, p.error_color))
    a = np.clip(ratio / 0.05, 0, 1)[:, None]
    b = np.clip((ratio - 0.05) / 0.15, 0, 1)[:, None]
    return np.where(ratio[:, None] <= 0.05, ok + (warn - ok) * a, warn + (bad - warn) * b).astype(np.uint8)
