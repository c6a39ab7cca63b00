"""The services graph's geometry: nodes never overlap, sizes are bounded, errors are marked only
where there are errors, and busy links stand out."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic import synthetic_batch
from tests.generated_traces import named_batch, named_store
from tests.conftest import FIXTURES
from vrmon.model.span_store import SpanStore
from vrmon.sources.files import load_trace_file
from vrmon.layout.services import (BUSIEST_PX, LEAST_LINK_PX, LEAST_PX, SPHERES_ROOM, GraphState, ServicesParams, name_rooms,
                                   service_graph, services_layout)

P = ServicesParams()


def clearance(layout) -> float:
    """The smallest free space between two nodes' spheres, in metres."""
    pos, radius = layout.nodes.pos.astype(np.float64), layout.nodes.size[:, 0] / 2.0
    gap = np.linalg.norm(pos[:, None] - pos[None], axis=-1) - radius[:, None] - radius[None, :]
    np.fill_diagonal(gap, np.inf)
    return float(gap.min())


def crowding(layout) -> float:
    """The largest share of the distance between two nodes' centres their two spheres take."""
    pos, size = layout.nodes.pos.astype(np.float64), layout.nodes.size[:, 0].astype(np.float64)
    apart = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    np.fill_diagonal(apart, np.inf)
    return float(((size[:, None] + size[None, :]) / apart).max())


def reference_px(store, state, layout, metres: np.ndarray) -> np.ndarray:
    """`metres` of the graph in pixels at the reference desktop view the layout measures names with."""
    graph = service_graph(store)
    pos = np.array([state.positions[int(code)] for code in graph.services])
    return metres / state.metres_per_unit * name_rooms(store, graph, P, state).scale_of(pos)[1]


@pytest.mark.parametrize("n_services", [21, 40, 200])
def test_nodes_never_overlap_and_the_graph_is_flat_and_comfortably_sized(n_services):
    state = GraphState()
    store = named_store(n_services * 100, n_services=n_services, seed=3)
    layout = services_layout(store, P, state)
    assert len(layout.nodes) == len(np.unique(store.service)) > 0.95 * n_services
    unit = state.metres_per_unit
    # never touching: at least the gap between the largest possible nodes, and two spheres take at
    # most SPHERES_ROOM of the distance between them (they grow into the room the names made)
    assert clearance(layout) >= (P.gap - 1e-3) * unit
    assert crowding(layout) <= SPHERES_ROOM + 1e-6
    assert layout.nodes.size.max() <= max(P.node_max * unit, reference_px(store, state, layout, 1.0) ** -1 * BUSIEST_PX) + 1e-6
    # flat, facing the viewer, as wide as asked (a headset user sees it whole from a few steps)
    assert np.ptp(layout.nodes.pos[:, 2]) == 0
    lo, hi = np.array(layout.bounds[:3]), np.array(layout.bounds[3:])
    assert 0.8 * P.width <= hi[0] - lo[0] <= 1.2 * P.width
    assert 1.0 <= (hi[0] - lo[0]) / (hi[1] - lo[1]) <= 2.5  # wider than tall, like a view
    assert lo[1] > 0  # above the floor
    assert layout.labels == []  # the viewer places the names


# The trace files `make demo` serves (Makefile DEMO_FILES).
DEMO_FILES = ["otlp-hotrod-dispatch-40spans-serial.json", "otlp-hotrod-dispatch-trimmed-16spans-retries.json",
              "jaeger-v1-opentracing-tutorial-3services-logs.json", "jaeger-v1-synthetic-load-generator-100traces.json"]


def test_spheres_and_links_grow_into_the_room_long_names_make():
    """The demo's 18 services, names such as productcatalogservice, lie 43 link lengths apart
    while the spheres' sizes are in link lengths: on 2026-12-01 their spheres were 2-6 px and
    their links under 1 px at the default view, under 16 px names (a list of names, not a graph).
    Spheres grow with the room the names made, the quietest are seen, and links are lines."""
    store = SpanStore()
    for name in DEMO_FILES:
        store.add(load_trace_file(FIXTURES / name))
    state = GraphState()
    layout = services_layout(store, P, state)
    px = reference_px(store, state, layout, layout.nodes.size[:, 0].astype(np.float64))
    links = reference_px(store, state, layout, layout.edges.width.astype(np.float64))
    as_the_params_say = reference_px(store, state, layout, np.array([P.node_min, P.node_max]) * state.metres_per_unit)
    print(f"spheres {px.min():.1f}-{px.max():.1f} px (the params' {as_the_params_say} px), links {links.min():.1f}-{links.max():.1f} px")
    assert len(px) == 18
    assert 3 * as_the_params_say[1] <= px.max() <= BUSIEST_PX + 1e-6 and px.min() >= LEAST_PX
    assert links.min() >= LEAST_LINK_PX - 1e-6 and links.max() > 2 * links.min()
    assert crowding(layout) <= SPHERES_ROOM + 1e-6 and clearance(layout) >= P.gap * state.metres_per_unit
    # the busier a service, the bigger its sphere
    graph = service_graph(store)
    assert np.all(np.diff(layout.nodes.size[np.argsort(graph.spans, kind="stable"), 0]) >= -1e-7)


def test_a_new_service_finds_room_without_moving_the_others():
    store = named_store(4000, n_services=40, seed=3)
    state = GraphState()
    before = services_layout(store, P, state)
    newcomer = synthetic_batch(200, n_services=40, seed=9, first_trace=10**8)
    newcomer.service = ["brand-new-service" if i % 3 else "frontend" for i in range(len(newcomer.service))]
    store.add(newcomer)
    after = services_layout(store, P, state)
    assert len(after.nodes) == len(before.nodes) + 1
    old = {int(i): p for i, p in zip(before.nodes.ids, before.nodes.pos)}
    assert max(np.abs(p - old[int(i)]).max() for i, p in zip(after.nodes.ids, after.nodes.pos) if int(i) in old) < 1e-6
    assert clearance(after) >= (P.gap - 1e-3) * state.metres_per_unit


def test_errors_are_marked_only_on_services_with_errors():
    batch = named_batch(4000, n_services=21, seed=4)
    failing = {"payment", "checkout"}
    batch.error = [service in failing and i % 7 == 0 for i, service in enumerate(batch.service)]
    store = named_store(0)
    store.add(batch)
    layout = services_layout(store, P, GraphState())
    names = store.services.names
    marked = {names[int(s)] for s, f in zip(layout.nodes.service, layout.nodes.flags) if f & 1}
    assert marked == failing
    colour = {names[int(s)]: tuple(c) for s, c in zip(layout.nodes.service, layout.nodes.color)}
    assert len({colour[name] for name in names if name not in failing}) == 1  # all "no errors"
    assert colour["payment"] != colour["frontend"]


def test_busy_links_stand_out_and_quiet_ones_fade():
    layout = services_layout(named_store(4000, n_services=21, seed=3), P, GraphState())
    edges = layout.edges
    order = np.argsort(edges.rate)
    alpha = edges.color[order, 3].astype(int)
    assert np.all(np.diff(alpha) >= 0)  # never fainter for more calls
    assert alpha[-1] == 255 and alpha[0] < 128


@pytest.mark.parametrize("n_services", [40, 200])
def test_the_busiest_services_get_room_beside_them_for_their_names(n_services):
    """No node stands in the box right of a busy service where the viewer draws its name (sized
    for the reference desktop view), and no two such boxes overlap."""
    store = named_store(n_services * 100, n_services=n_services, seed=3)
    state = GraphState()
    layout = services_layout(store, P, state)
    graph = service_graph(store)
    pos = np.array([state.positions[int(code)] for code in graph.services])
    boxes, node_half = name_rooms(store, graph, P, state).boxes(pos)
    named = np.flatnonzero(boxes[:, 0] > 0)
    boxes *= 0.9  # the boxes keep ~10 % to spare around the names as the viewer draws them
    assert len(named) == P.named
    spans = np.bincount(store.service, minlength=len(store.services))
    assert set(graph.services[named]) == set(np.argsort(-spans, kind="stable")[:P.named])  # the busiest
    x0, x1 = pos[named, 0], pos[named, 0] + boxes[named, 0]
    y0, y1 = pos[named, 1] - boxes[named, 1], pos[named, 1] + boxes[named, 1]
    slack = node_half * 0.1  # the solver settles once what is left is a hair
    inside = ((pos[None, :, 0] + node_half - slack > x0[:, None]) & (pos[None, :, 0] - node_half + slack < x1[:, None])
              & (pos[None, :, 1] + node_half - slack > y0[:, None]) & (pos[None, :, 1] - node_half + slack < y1[:, None]))
    inside[np.arange(len(named)), named] = False
    assert inside.sum() == 0, f"{inside.sum()} nodes in name boxes"
    overlap = ((x0[:, None] < x1[None] - slack) & (x0[None] < x1[:, None] - slack)
               & (y0[:, None] < y1[None] - slack) & (y0[None] < y1[:, None] - slack))
    np.fill_diagonal(overlap, False)
    assert overlap.sum() == 0
    assert len(layout.nodes) == len(graph.services)


def test_the_prefix_most_names_share_is_found_at_a_separator():
    from tests.generated_traces import LONG_AND_SHORT_NAMES, numbered_names, service_names
    from vrmon.layout.services import shared_prefix, shown_name

    assert shared_prefix(numbered_names(40)) == "checkout-svc-"
    assert shown_name("checkout-svc-0007", "checkout-svc-") == "…0007" and shown_name("redis", "checkout-svc-") == "redis"
    # most of them, not all: a fleet and the stores it calls
    assert shared_prefix(numbered_names(20) + service_names(10)) == "checkout-svc-"
    # none: realistic names, or three of five that share one (too few)
    assert shared_prefix(service_names(200)) == shared_prefix(LONG_AND_SHORT_NAMES) == ""
    assert shared_prefix(["frontend", "frontend-proxy", "frontend-web", "frontend-api", "cart"]) == ""
    # of two fleets, the one with more than half the names (the other keeps its whole names: no '…0007' is ambiguous)
    assert shared_prefix(numbered_names(10, "orders") + numbered_names(11, "payments")) == "payments-"


def test_a_long_name_is_shortened_in_the_middle_as_the_waterfall_shortens_its_lane():
    from vrmon.layout.services import shown_name
    from vrmon.layout.span_labels import shortened_in_the_middle
    from vrmon.layout.waterfall_overview import LANE_NAME_CHARS

    name = "payments-authorization-gateway-europe-west1-production-canary"
    assert shown_name(name, "") == shortened_in_the_middle(name, LANE_NAME_CHARS) == "payments-aut…tion-canary"
    assert shown_name("checkout-svc-0007", "checkout-svc-") == "…0007"
    assert len(shown_name("fleet-" + name, "fleet-")) == LANE_NAME_CHARS  # the rest after the prefix, shortened too
