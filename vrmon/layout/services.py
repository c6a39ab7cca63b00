"""Service graph: one node per service, one edge per caller → callee pair, laid out flat, facing you.

Edges come from parent → child span pairs whose services differ, from calls to services that
report no span of their own (Zipkin's remoteEndpoint: a client span without a child, a server
span without a parent), and from /api/dependencies when a live source provides them. Positions come from a force-directed
solver in numpy (dense pairwise forces: fine for hundreds of services), seeded so it is
deterministic, and warm-started from the previous positions so a new service moves the others
as little as possible (the ones already placed do not move at all).

The graph is drawn in a vertical plane in front of the viewer, as Vizceral and Kiali draw theirs:
names and nodes never hide each other behind depth. The solver works in units of the ideal link
length; every node is kept at least `node_max + gap` units from every other (a collision step
after each force step), so nodes never overlap whatever their rates become. The units turn into
metres once, at the first layout, so that the graph is `width` metres wide: comfortable in a
headset (a few steps away), and framed on a screen by the camera.

The `named` busiest services also get room for their names: a box right of the node, as big as
the name is at the default view (the viewer draws names at a fixed size on screen, and frames
the graph at about the same scale whatever its size), which no other node and no other such box
may enter. Without it, at 200 services the busiest hubs sit in the middle of a dense ball with no
free spot for their names, and only the services at the rim get named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from vrmon.layout.nodes import Edges, Layout, Nodes, NO_STRING, bounds_of
from vrmon.layout.palette import DEFAULT_SERVICE_COLORS, parse_color
from vrmon.layout.preset_param import param
from vrmon.layout.span_labels import shortened_in_the_middle
from vrmon.layout.waterfall_overview import LANE_NAME_CHARS
from vrmon.model.dependencies import DependencyLink

SERVICE_NODE_BASE = 0xF000_0000  # node ids of services, far above span uids


@dataclass(frozen=True)
class ServicesParams:
    width: float = param(3.0, "metres: the graph's width at its first layout")
    height: float = param(1.6, "metres: centre of the graph above the floor (eye height)")
    distance: float = param(3.0, "metres in front of the viewer")
    stretch: float = param(1.25, "how much wider than tall the graph is (room for a side panel)")
    # node diameters, edge widths and the space between nodes, in units of the ideal link length
    node_min: float = param(0.14, "diameter of the quietest service's sphere, in ideal link lengths")
    node_max: float = param(0.4, "diameter of the busiest service's sphere, in ideal link lengths")
    gap: float = param(1.1, "least space between two spheres, in ideal link lengths (room for a name beside each)")
    edge_min: float = param(0.008, "thickness of the quietest link, in ideal link lengths")
    edge_max: float = param(0.05, "thickness of the busiest link, in ideal link lengths")
    named: int = param(20, "the busiest services get room beside their sphere for their name")
    iterations: int = param(300, "solver steps for a first layout")
    warm_iterations: int = param(40, "solver steps when services were added to a laid-out graph")
    seed: int = param(7, "random seed of the first layout: same seed, same layout")
    # error ratio → colour: none, some (up to 1 %), many (5 %), most (≥ 20 %); lightness falls as
    # the ratio rises, so the scale reads without hue too (and a marker says "errors" by shape)
    ok_color: str = param("#8c9db5", "colour of a service with no errors")
    low_color: str = param("#f5dd5a", "colour of a service with errors in up to 1 % of its spans")
    warn_color: str = param("#f08c2e", "colour of a service with errors in 5 % of its spans")
    error_color: str = param("#d62f3f", "colour of a service with errors in 20 % of its spans or more")
    service_colors: tuple[str, ...] = param(DEFAULT_SERVICE_COLORS,
                                            "colours of the services' names (the same in every scene)")


# The names' room is measured at the reference desktop view: 1280×720 with the trace list open,
# less the top and bottom bars; the graph framed as the viewer first framed it (FRAME_NAME_ROOM of
# its width beside it for names, and as much again as a margin all round). The viewer now frames
# closer: the spheres with the names as they are placed and nothing more
# (static/js/desktop/services-framing.js; a name on the graph's edge goes inward where it fits),
# so a name takes fewer metres on screen than the room kept for it: the model errs on the side of room.
REFERENCE_VIEW_PX = (945.0, 630.0)
# On a page taller than wide (layout/page_shape.py), the reference is a page of its shape 900 px
# tall, less its top and bottom bars (a folded trace list keeps the strip above its button).
TALL_PAGE_PX = 900.0
BARS_PX = 110.0
FRAME_NAME_ROOM = 0.05
# A name's box as static/js/scene/service-labels.js draws it, with a few pixels to spare: letters
# TEXT_PX tall (NARROW_TEXT_PX on a page narrower than NARROW_PAGE_PX; fewer names fit beside a
# narrow page's graph), 10.5 px wide at 16 px, on a backing 7 px beyond them, 6 px from its node;
# and the room every node keeps from a name besides its sphere (its error marker stands above it).
TEXT_PX = 16.0
NARROW_TEXT_PX = 14.0
NARROW_PAGE_PX = 900.0


def name_px(text_px: float) -> dict[str, float]:
    """A name's box in pixels for letters `text_px` tall: its height, width per letter, the
    width it takes besides its letters, and the room nodes keep from it."""
    return {"height": 1.25 * text_px + 24.0, "letter": text_px * 10.5 / 16, "pad": 30.0, "clear": 7.0}


# How far a service's error marker reaches above its sphere, in sphere diameters, as
# static/js/scene/span-instances.js draws it (3 × 0.3 of the diameter, while that is under 0.13 m).
MARKER_REACH = 0.9
SETTLE_STEPS = 400  # collision steps at most once the forces have cooled down
ERROR_STOPS = (0.0, 0.01, 0.05, 0.2)  # error ratios of ok_color, low_color, warn_color, error_color


@dataclass
class GraphState:
    """What a graph keeps between layouts, so it stays where it was: positions by service code
    (in link-length units) and, once laid out, the metres per unit."""

    positions: dict[int, np.ndarray] = field(default_factory=dict)
    metres_per_unit: float | None = None


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
    peer_src, peer_dst = _peer_calls(store, has)
    src, dst = np.concatenate([src, peer_src]), np.concatenate([dst, peer_dst])
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


_CALLS_OUT = (3, 4)  # client, producer (SPAN_KINDS): the remote service is the callee
_CALLS_IN = (2, 5)  # server, consumer: the remote service is the caller


def _peer_calls(store, has_parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(caller, callee) service codes of calls known only by the remote service a span names: a
    client span with no child span, a server span with no parent span (Zipkin's dependency rule)."""
    peer = store.peer
    named = peer >= 0
    if not named.any():
        return np.empty(0, np.int32), np.empty(0, np.int32)
    has_child = np.zeros(len(peer), bool)
    has_child[store.parent[has_parent]] = True
    kind = store.kind
    out = named & np.isin(kind, _CALLS_OUT) & ~has_child
    into = named & np.isin(kind, _CALLS_IN) & ~has_parent
    service = store.service
    return np.concatenate([service[out], peer[into]]), np.concatenate([peer[out], service[into]])


def force_layout(n: int, source: np.ndarray, target: np.ndarray, initial: np.ndarray, movable: np.ndarray,
                 iterations: int, min_distance: float, rooms: NameRooms | None = None, upright: bool = False) -> np.ndarray:
    """Fruchterman–Reingold (ideal link length 1) in the plane, with collisions: every moving node
    ends at least `min_distance` from every other. Only `movable` nodes move: the rest stay where
    viewers saw them. With `rooms`, the collision step also keeps every node out of the name boxes
    of the others, and the boxes out of each other, as far as they fit (the distance between
    nodes is a promise, the name boxes are best effort). A first layout lies down across the view,
    or stands `upright` for a page taller than wide.

    Forces are computed for the moving nodes only (repulsion from every node, attraction along
    the links that touch them), so one new service among n costs O(n) per step, not O(n²).
    """
    pos = initial.astype(np.float64).copy()
    moving = np.flatnonzero(movable)
    if n < 2 or not len(moving):
        return pos
    # A link pulls less between busy hubs: 40 services that all call each other still spread out
    # instead of collapsing into a ball the collision step would have to unpick.
    degree = np.bincount(source, minlength=n) + np.bincount(target, minlength=n)
    touching = movable[source] | movable[target]
    source, target = source[touching], target[touching]
    weight = np.minimum(1.0, 3.0 / np.sqrt(np.maximum(degree[source] * degree[target], 1)))[:, None]
    temperature = np.full(len(moving), 1.0)
    cool = 0.97 if iterations > 60 else 0.9
    pulled = np.empty((n, 2))
    give = np.where(movable, 0.5, 1.0)[None, :]  # share of a push the mover takes
    strength = np.ones(n)  # how hard each node pushes the others away
    for step in range(int(iterations)):
        if rooms is not None and step % 5 == 0:
            # a service with a name box pushes as hard as the space its name takes: the forces
            # clear room around it, and the collision step only has to tidy up
            boxes, _ = rooms.boxes(pos)
            strength = 1.0 + 2 * boxes[:, 0] * boxes[:, 1] / min_distance ** 2
        here = pos[moving]
        delta = here[:, None, :] - pos[None, :, :]
        dist2 = np.einsum("ijk,ijk->ij", delta, delta) + 1e-9
        force = np.einsum("ij,ijk->ik", strength[None, :] / dist2, delta)  # repulsion ~ 1/d along the unit vector
        if len(source):
            d = pos[source] - pos[target]
            pull = d * np.linalg.norm(d, axis=1, keepdims=True) * weight  # attraction ~ d²
            for axis in range(2):  # bincount sums per node far faster than np.add.at
                pulled[:, axis] = np.bincount(target, pull[:, axis], n) - np.bincount(source, pull[:, axis], n)
            force += pulled[moving]
        force -= here * 0.01  # weak gravity keeps unconnected services near the graph
        length = np.linalg.norm(force, axis=1, keepdims=True) + 1e-9
        pos[moving] = here + force / length * np.minimum(length, temperature[:, None])
        temperature *= cool
        if step % 5 == 4:  # every few steps is enough while the graph is still hot
            _separate(pos, moving, give, min_distance, rooms)
    if len(moving) == n:
        pos = _turned_to_fit(_lying_down(pos, upright), rooms)
    for _ in range(3):
        # Cooled down: settle what overlap is left, with name boxes of one size (made for the
        # graph's size as it is now; once more if settling made the graph grow).
        frozen = rooms.frozen(pos) if rooms is not None else None
        settled = _settle(pos, moving, give, min_distance, frozen)
        if not settled or frozen is None or rooms.fits(pos, frozen):
            break
    if settled:
        return pos
    for _ in range(100):  # the name boxes do not all fit: the distance between nodes still holds
        if not _separate(pos, moving, give, min_distance):
            return pos
    # Still jammed somewhere: a first layout grows as a whole until its closest pair is far enough
    # apart; a newcomer among placed services goes to the nearest free spot.
    if len(moving) == n:
        return pos * max(1.0, min_distance / _closest_pair(pos))
    for i in moving:
        pos[i] = _free_spot(pos, i, min_distance)
    return pos


def _lying_down(pos: np.ndarray, upright: bool = False) -> np.ndarray:
    """A first layout turned so that its longest extent runs across (a screen, and a headset's
    view, are wider than tall): a chain of services that came out standing up lies down; or, for
    a page taller than wide (`upright`), runs up."""
    centred = pos - pos.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    major = vectors[:, -1] * (1 if vectors[0, -1] >= 0 else -1)  # a sign of its own: deterministic
    turn = np.array([[major[0], major[1]], [-major[1], major[0]]])
    if upright:  # a quarter turn more: the longest extent along y
        turn = np.array([[0.0, -1.0], [1.0, 0.0]]) @ turn
    return centred @ turn.T + pos.mean(axis=0)


# Turns a first layout may take from lying down (degrees), and how much more of the view one must
# fill to be taken; only a graph that lies as a thin line (its spheres' box at most FIT_FLAT as
# tall as wide: a chain of two or three services) turns, a graph with some breadth keeps its place.
FIT_TURNS = np.radians(np.arange(-60, 61, 3))
FIT_GAIN = 1.25
FIT_FLAT = 0.3


def _turned_to_fit(pos: np.ndarray, rooms: NameRooms | None) -> np.ndarray:
    """A first layout turned so its spheres' box fills most of the reference view (NameRooms'
    scale): a chain of two or three services lying down is a thin line across the view, framed
    small; turned along the view's diagonal it is framed larger, its spheres and names with it.
    The scale leaves the names out: the viewer puts a chain's names inward, between its spheres
    (a name goes where it does not widen the picture), so they take none of the view's width, and
    counting it turned a chain with long names steeply up, framed at 27.5 % of a 1280x720 view
    (40.5 % now)."""
    if rooms is None or len(pos) < 2:
        return pos
    extent = np.ptp(pos, axis=0) + 2 * rooms.radius.max()
    if extent[1] > FIT_FLAT * extent[0]:
        return pos
    centre = pos.mean(axis=0)
    turns = np.stack([np.cos(FIT_TURNS), -np.sin(FIT_TURNS), np.sin(FIT_TURNS), np.cos(FIT_TURNS)], axis=1).reshape(-1, 2, 2)
    turned = np.einsum("tij,nj->tni", turns, pos - centre) + centre  # (turns, n, 2)
    lo = (turned - rooms.radius[None, :, None]).min(axis=1)
    hi = (turned + rooms.radius[None, :, None]).max(axis=1)
    # pixels per unit, x and y, at the scale the spheres are framed with their error markers
    marked = np.flatnonzero(rooms.marker)
    tips = turned[:, marked] + np.stack([np.zeros(len(marked)), rooms.marker[marked]], axis=1)[None]
    px = np.array([rooms.scale_of(np.concatenate([candidate, tip]), names=False) for candidate, tip in zip(turned, tips)])
    area = np.prod((hi - lo) * px, axis=1)
    flat = int(np.argmin(np.abs(FIT_TURNS)))
    best = int(np.argmax(area))
    return turned[best] if area[best] > FIT_GAIN * area[flat] else pos


def _settle(pos: np.ndarray, moving: np.ndarray, give: np.ndarray, min_distance: float, rooms: NameRooms | None) -> bool:
    """Separate until nothing overlaps (True) or for SETTLE_STEPS at most (False)."""
    return any(not _separate(pos, moving, give, min_distance, rooms) for _ in range(SETTLE_STEPS))


def _closest_pair(pos: np.ndarray) -> float:
    delta = pos[:, None, :] - pos[None, :, :]
    dist = np.sqrt(np.einsum("ijk,ijk->ij", delta, delta))
    np.fill_diagonal(dist, np.inf)
    return float(max(dist.min(), 1e-6))


def _free_spot(pos: np.ndarray, i: int, min_distance: float) -> np.ndarray:
    """Where node i can be, nearest first along a sunflower spiral, at least min_distance from the rest."""
    others = np.delete(pos, i, axis=0)
    k = np.arange(0, 2000)
    spot = pos[i] + min_distance * 0.3 * np.sqrt(k)[:, None] * np.stack([np.cos(k * 2.39996), np.sin(k * 2.39996)], axis=1)
    nearest = np.sqrt(((spot[:, None, :] - others[None, :, :]) ** 2).sum(axis=-1)).min(axis=1)
    clear = np.flatnonzero(nearest >= min_distance)
    return spot[clear[0]] if len(clear) else spot[-1]


@dataclass(frozen=True)
class NameRooms:
    """The name boxes of the named services: each a box right of its node, `px` wide and tall as
    the viewer draws the name at the reference desktop view (REFERENCE_VIEW_PX); (0, 0) for a
    service without one. How many pixels a unit is there depends on the graph's size in metres,
    which is known only once it is laid out: `scale_of(pos)` gives it for the positions so far."""

    px: np.ndarray  # (n, 2) width (the gap to the node and the backing included) and height
    radius: np.ndarray  # (n,) the nodes' radii, in units: a box starts at its node's edge
    marker: np.ndarray  # (n,) units from a node's centre to the tip of its error marker (0: no errors)
    node_half: float  # half the side of the box a node keeps clear of names, in units …
    clear_px: float  # … plus this many pixels (a node on screen is a little larger, its error marker above it)
    # pixels per unit in x and in y for positions so far; with names=False as if no name reached
    # right of the rightmost node
    scale_of: Callable[..., tuple[float, float]]

    def frozen(self, pos: np.ndarray) -> NameRooms:
        """These rooms at the scale of `pos`, no longer following the graph's size."""
        scale = self.scale_of(pos)
        return replace(self, scale_of=lambda _: scale)

    def fits(self, pos: np.ndarray, frozen: NameRooms) -> bool:
        """Whether boxes frozen at some scale are still (to 2 %) the boxes for `pos`."""
        return bool(np.allclose(self.scale_of(pos), frozen.scale_of(pos), rtol=0.02))

    def boxes(self, pos: np.ndarray) -> tuple[np.ndarray, float]:
        """(n, 2): how far each name box reaches right of its node and half its height; and half
        the side of the box every node keeps clear of names; in units."""
        px_x, px_y = self.scale_of(pos)
        boxes = self.px / np.array([px_x, 2 * px_y])
        boxes[:, 0] += np.where(boxes[:, 0] > 0, self.radius, 0.0)
        return boxes, self.node_half + self.clear_px / px_y


def _box_overlap_push(ca: np.ndarray, ha: np.ndarray, cb: np.ndarray, hb: np.ndarray, tie: np.ndarray,
                      slack: float) -> np.ndarray:
    """For boxes a (m, 1, 2 centres and half sides) against boxes b (1, n, 2): the push that moves
    a out of b, and `slack` beyond, along the axis it is least deep in (m, n, 2); 0 where they
    overlap by less than `slack` (so pushes settle instead of trading hairs with the others)."""
    d = ca - cb
    depth = ha + hb - np.abs(d)
    inside = (depth > slack).all(axis=-1)
    axis_y = depth[..., 1] < depth[..., 0]
    sign = np.where(d != 0, np.sign(d), tie[..., None])
    push = np.zeros(depth.shape)
    push[..., 1] = np.where(inside & axis_y, (depth[..., 1] + slack) * sign[..., 1], 0.0)
    push[..., 0] = np.where(inside & ~axis_y, (depth[..., 0] + slack) * sign[..., 0], 0.0)
    return push


def _name_box_push(pos: np.ndarray, moving: np.ndarray, give: np.ndarray, rooms: NameRooms) -> np.ndarray | None:
    """Pushes (len(moving), 2) that take the moving nodes out of other services' name boxes, and
    their own name boxes out of other nodes and name boxes; None if nothing overlaps. Only pairs
    with a name box are looked at: a few dozen names among hundreds of nodes."""
    boxes, half = rooms.boxes(pos)
    named = np.flatnonzero(boxes[:, 0] > 0)
    if not len(named):
        return None
    everyone = np.arange(len(pos))
    node_half = np.full(2, half)
    name_centre = pos[named] + np.stack([boxes[named, 0] / 2, np.zeros(len(named))], axis=1)
    name_half = boxes[named] * np.array([0.5, 1.0])
    mine = np.flatnonzero(np.isin(moving, named))  # movers with a name box: their places in `moving`
    my_box = np.searchsorted(named, moving[mine])  # … and in `named`
    push = np.zeros((len(moving), 2))

    def add(rows, centre, half, others, their_centre, their_half, share):
        """`share` of the push out of a box that can give way (all of it out of a fixed one)."""
        tie = np.where(rows[:, None] < others[None, :], 1.0, -1.0)  # two boxes at one spot part both ways
        pair = _box_overlap_push(centre[:, None], half[:, None] if half.ndim == 2 else half, their_centre[None],
                                 their_half[None] if their_half.ndim == 2 else their_half, tie, rooms.node_half * 0.1)
        pair *= ((rows[:, None] != others[None, :]) * np.where(give[0, others] < 1, share, 1.0)[None, :])[..., None]
        return pair.sum(axis=1)

    # My node against their names, my name against their nodes, my name against their names. The
    # node in a name box does the moving: a busy hub among many small services clears a spot for
    # its name where it is, instead of being pushed out to the rim by all of them.
    push += add(moving, pos[moving], node_half, named, name_centre, name_half, 0.9)
    if len(mine):
        push[mine] += add(moving[mine], name_centre[my_box], name_half[my_box], everyone, pos, node_half, 0.1)
        push[mine] += add(moving[mine], name_centre[my_box], name_half[my_box], named, name_centre, name_half, 0.5)
    return push if push.any() else None


def _separate(pos: np.ndarray, moving: np.ndarray, give: np.ndarray, min_distance: float,
              rooms: NameRooms | None = None) -> bool:
    """Push moving nodes out of each other and out of fixed ones (a fixed node does not give way,
    so the mover takes the whole push), and, given `rooms`, out of the name boxes (see
    force_layout); True if anything was too close."""
    here = pos[moving]
    delta = here[:, None, :] - pos[None, :, :]
    dist = np.sqrt(np.einsum("ijk,ijk->ij", delta, delta))
    dist[np.arange(len(moving)), moving] = np.inf  # not from itself
    overlap = np.maximum(min_distance * 1.01 - dist, 0.0)  # a little beyond, so pushes settle
    crowded = (overlap > min_distance * 0.01).any()
    along = delta / np.maximum(dist, 1e-9)[..., None]  # (coincident nodes: the repulsion parts them)
    push = np.einsum("ij,ijk->ik", overlap * give, along)
    if rooms is not None:
        box_push = _name_box_push(pos, moving, give, rooms)
        if box_push is not None:
            push += box_push
            crowded = True
    if not crowded:
        return False
    pos[moving] = here + push
    return True


def services_layout(store, p: ServicesParams, state: GraphState, extra_links: Sequence[DependencyLink] = (),
                    aspect: float | None = None) -> Layout:
    """The graph for a page of `aspect` (layout/page_shape.py; None: a screen's shape). On a page
    taller than wide it stands upright, unstretched, its names' room measured on a page of that
    shape, and room kept for more names: names stack down a tall page (at 600×900, 25 of 40 names
    read with the graph laid out wide, 30 upright, 33 with room for 30 of them), so a graph of up
    to twice `named` services keeps room for every name (40 of 40 shown with 14 px names, 36 with
    room for 30) and a bigger one for half as many again (room for 40 of 200 spread the graph until
    its spheres were 1-1.5 px)."""
    graph = service_graph(store, extra_links)
    n = len(graph.services)
    if not n:
        return Layout(nodes=Nodes.empty(), edges=Edges.empty())
    if aspect is not None:
        p = replace(p, stretch=1.0, named=n if n <= 2 * p.named else p.named * 3 // 2)
    rng = np.random.default_rng(int(p.seed))
    initial = np.zeros((n, 2))
    known = np.array([int(s) in state.positions for s in graph.services])
    for i in np.flatnonzero(known):
        initial[i] = state.positions[int(graph.services[i])]
    fresh = np.flatnonzero(~known)
    # a new service starts beside the known services it talks to, else at a seeded random spot
    jitter = rng.normal(scale=0.5, size=(n, 2))
    for i in fresh:
        peers = np.concatenate([graph.target[graph.source == i], graph.source[graph.target == i]])
        peers = peers[known[peers]]
        initial[i] = (initial[peers].mean(axis=0) if len(peers) else 0.0) + jitter[i]
    if len(fresh):
        iterations = p.iterations if not known.any() else p.warm_iterations
        rooms = name_rooms(store, graph, p, state, aspect)
        pos = force_layout(n, graph.source, graph.target, initial, ~known, iterations, p.node_max + p.gap, rooms, aspect is not None)
        if not known.any():
            pos -= pos.mean(axis=0)  # a first layout is centred; later ones keep the old centre
    else:
        pos = initial
    for i, code in enumerate(graph.services):
        state.positions[int(code)] = pos[i]
    if state.metres_per_unit is None:
        state.metres_per_unit = first_unit(pos, p)
    rooms = name_rooms(store, graph, p, state, aspect)
    px_per_unit = rooms.scale_of(pos)[1]
    size, gain = sphere_sizes(pos, graph.spans / graph.seconds, p, px_per_unit)
    width = link_widths(graph.calls / graph.seconds, p, gain, px_per_unit, float(size.max()))
    layout = _graph_layout(store, graph, pos, p, state.metres_per_unit, size, width)
    # The names kept room for reach past the rightmost nodes: the bounds the viewer frames hold them.
    boxes, _ = rooms.boxes(pos)
    reach = float((pos[:, 0] + boxes[:, 0]).max() - pos[:, 0].max()) * p.stretch * state.metres_per_unit
    lo, hi = layout.bounds[:3], layout.bounds[3:]
    return replace(layout, bounds=(*lo, hi[0] + max(reach, 0.0), *hi[1:]))


# Spheres are sized in ideal link lengths (node_min … node_max), and the layout keeps them at least
# node_max + gap apart. Names push services much further apart than that (the demo's 18 services,
# long names such as productcatalogservice, lay out 43 link lengths wide: spheres of 2-6 px under
# 16 px names, a list of names rather than a graph), so spheres and links grow with the room the
# layout gave them: together two spheres take at most SPHERES_ROOM of the distance between their
# centres (at the layout's closest, node_max + gap, that is the spheres as they were) and leave at
# least `gap` between them; the busiest grows to BUSIEST_PX at most, and the quietest is at least
# LEAST_PX where the room allows (reference view pixels: a 1280x720 view frames a little closer).
SPHERES_ROOM = 0.55
BUSIEST_PX = 28.0
LEAST_PX = 4.0
LEAST_LINK_PX = 1.5  # the quietest link is at least this wide there (its particles twice as big): a line, not a hair
BUSIEST_LINK_PX = 4.0  # and the busiest this wide, where that is at most half the busiest sphere: the busy paths stand out


def sphere_sizes(pos: np.ndarray, rate: np.ndarray, p: ServicesParams, px_per_unit: float) -> tuple[np.ndarray, float]:
    """Diameters of the services' spheres in units (by the square root of their span rates), and
    how many times the links' widths grow with them (see SPHERES_ROOM), both at `px_per_unit`."""
    def room(size: np.ndarray) -> float:
        """How many times `size` may grow before some pair is too close."""
        if len(pos) < 2:
            return np.inf
        apart = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(axis=-1))
        together = size[:, None] + size[None, :]
        np.fill_diagonal(apart, np.inf)
        return float((np.minimum(SPHERES_ROOM * apart, 2 * (apart - p.gap)) / together).min())

    strength = np.sqrt(rate)
    gain = max(1.0, min(BUSIEST_PX / (p.node_max * px_per_unit), room(_scale(strength, p.node_min, p.node_max))))
    busiest = p.node_max * gain
    size = _scale(strength, min(max(p.node_min * gain, LEAST_PX / px_per_unit), busiest), busiest)
    return size * min(1.0, room(size)), gain


def link_widths(call_rate: np.ndarray, p: ServicesParams, gain: float, px_per_unit: float, sphere: float) -> np.ndarray:
    """Link widths in units, by the square root of their call rates: `gain` times the params'
    range, the busiest at least BUSIEST_LINK_PX and the quietest LEAST_LINK_PX (never wider than
    half the busiest `sphere`, nor the quietest than the busiest)."""
    busiest = max(p.edge_max * gain, min(BUSIEST_LINK_PX / px_per_unit, sphere / 2))
    return _scale(np.sqrt(call_rate), min(max(p.edge_min * gain, LEAST_LINK_PX / px_per_unit), busiest), busiest)


def first_unit(pos: np.ndarray, p: ServicesParams) -> float:
    """Metres per unit that make a first layout `width` metres wide (never more than 1: a small
    graph is not blown up)."""
    extent = (np.ptp(pos[:, 0]) + p.node_max) * p.stretch
    return float(min(1.0, p.width / max(extent, 1e-6)))


# Where a shared prefix may end: the separators of names such as checkout-svc-0001, orders_db.3.
NAME_SEPARATORS = frozenset("-_.:/ ")
# A prefix is shown once as a heading when at least this many names share it, at least half of
# them, and it is at least PREFIX_LEAST letters long (a shorter one saves too little to be worth
# a heading); each of those names then shows its rest after an ellipsis.
SHARED_LEAST = 4
PREFIX_LEAST = 4


def shared_prefix(names: Sequence[str]) -> str:
    """The prefix, ending at a separator, that most of `names` share ('checkout-svc-' of
    checkout-svc-0001 … checkout-svc-0040), or '' (see SHARED_LEAST). Of several, the one that
    saves the most letters. Forty names that differ only in their last digits take four times the
    room of those digits, and read as a wall of the same word: the viewer shows the prefix once
    and '…0007' beside each sphere."""
    counts: dict[str, int] = {}
    for name in set(names):
        for end, letter in enumerate(name[:-1]):
            if letter in NAME_SEPARATORS and end + 1 >= PREFIX_LEAST:
                counts[name[:end + 1]] = counts.get(name[:end + 1], 0) + 1
    least = max(SHARED_LEAST, len(set(names)) / 2)
    fit = [(count * len(prefix), prefix) for prefix, count in counts.items() if count >= least]
    return max(fit)[1] if fit else ""


def shown_name(name: str, prefix: str) -> str:
    """A service's name as the viewer draws it beside its sphere: without the shared prefix, and
    shortened in the middle to LANE_NAME_CHARS as the waterfall's lanes are (the panel, the legend
    and the tooltips say it whole): six 60-character names took so much of the view beside the
    graph that its spheres were framed at 25 % of a 1280x720 canvas."""
    shown = "…" + name[len(prefix):] if prefix and name.startswith(prefix) and len(name) > len(prefix) else name
    return shortened_in_the_middle(shown, LANE_NAME_CHARS)


def name_rooms(store, graph: ServiceGraph, p: ServicesParams, state: GraphState, aspect: float | None = None) -> NameRooms:
    """Name boxes for the `named` services with the most spans (the viewer names the biggest
    nodes first, and the biggest are the busiest), as long as the names are drawn, at the
    reference view of a page of `aspect`."""
    view = REFERENCE_VIEW_PX if aspect is None else (TALL_PAGE_PX * aspect, TALL_PAGE_PX - BARS_PX)
    box_px = name_px(NARROW_TEXT_PX if view[0] < NARROW_PAGE_PX else TEXT_PX)
    n = len(graph.services)
    named = np.argsort(-graph.spans, kind="stable")[:max(int(p.named), 0)]
    prefix = shared_prefix([store.services.names[int(code)] for code in graph.services])
    letters = np.array([len(shown_name(store.services.names[int(code)], prefix)) for code in graph.services[named]])
    px = np.zeros((n, 2))
    px[named, 0] = box_px["pad"] + box_px["letter"] * letters
    px[named, 1] = box_px["height"]
    radius = _scale(np.sqrt(graph.spans.astype(np.float64)), p.node_min, p.node_max) / 2

    def scale_of(pos: np.ndarray, names: bool = True) -> tuple[float, float]:
        unit = state.metres_per_unit or first_unit(pos, p)
        metres = (np.ptp(pos, axis=0) + p.node_max) * unit * np.array([p.stretch, 1.0])
        return tuple(reference_px_per_metre(*metres, px[:, 0].max() if names else 0.0, view) * unit * np.array([p.stretch, 1.0]))

    marker = np.where(graph.errors > 0, radius * (1 + 2 * MARKER_REACH), 0.0)
    return NameRooms(px, radius, marker, p.node_max / 2, box_px["clear"], scale_of)


def reference_px_per_metre(width: float, height: float, names_px: float, view: tuple[float, float] = REFERENCE_VIEW_PX) -> float:
    """Pixels a metre of the graph takes at the reference desktop view (see REFERENCE_VIEW_PX: the
    bounds with a share of their width beside them for names and as much again as a margin, fit
    into the free part of the view), when the bounds hold names up to `names_px` wide right of
    the nodes (see services_layout)."""
    free_w, free_h = view
    room = 2 * FRAME_NAME_ROOM  # each side, a share of the width
    return min((free_w - names_px) / (width * (1 + 2 * room)), free_h / (height + room * width))


def _graph_layout(store, graph: ServiceGraph, pos: np.ndarray, p: ServicesParams, unit: float, diameter: np.ndarray,
                  width: np.ndarray) -> Layout:
    """Nodes and edges in metres: spheres of `diameter` units, links `width` units wide."""
    n = len(graph.services)
    world = np.empty((n, 3))
    world[:, 0] = pos[:, 0] * p.stretch * unit  # stretching x only moves nodes further apart
    world[:, 1] = pos[:, 1] * unit + p.height
    world[:, 2] = -p.distance
    size = diameter * unit
    error_ratio = graph.errors / np.maximum(graph.spans, 1)
    nodes = Nodes(
        ids=(SERVICE_NODE_BASE + graph.services).astype(np.uint32),
        pos=world.astype(np.float32),
        size=np.repeat(size[:, None], 3, axis=1).astype(np.float32),
        color=error_ratio_colors(error_ratio, p),
        service=graph.services.astype(np.uint16),
        operation=np.full(n, NO_STRING, np.uint16),
        flags=(graph.errors > 0).astype(np.uint8),
        yaw=np.zeros(n, np.int16),
    )
    call_rate = graph.calls / graph.seconds
    src_ids = nodes.ids[graph.source]
    dst_ids = nodes.ids[graph.target]
    busy = call_rate / call_rate.max() if len(call_rate) else call_rate
    color = np.empty((len(src_ids), 4), np.uint8)
    color[:, :3] = (170, 190, 215)
    color[:, 3] = np.round(20 + 235 * busy)  # alpha: how much a link stands out (quiet ones fade)
    edges = Edges(
        ids=(graph.services[graph.source] * 65536 + graph.services[graph.target]).astype(np.uint32),
        source=src_ids,
        target=dst_ids,
        width=(width * unit).astype(np.float32),
        rate=call_rate.astype(np.float32),
        color=color,
    )
    # No labels: the client places the names on screen, where it can tell which ones fit.
    return Layout(nodes=nodes, edges=edges, bounds=bounds_of(nodes))


def _scale(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    top = values.max() if len(values) else 0
    return lo + (hi - lo) * (values / top if top > 0 else np.zeros_like(values, dtype=np.float64))


def error_scale(p: ServicesParams) -> list[list]:
    """The error-ratio colour stops as [[ratio, "#rrggbb"], ...], for the viewer's key."""
    return [[ratio, color] for ratio, color in zip(ERROR_STOPS, (p.ok_color, p.low_color, p.warn_color, p.error_color))]


def error_ratio_colors(ratio: np.ndarray, p: ServicesParams) -> np.ndarray:
    """0 → ok colour; any error at least the low colour, then on a log scale of the ratio through
    the warn colour (5 %) to the error colour (≥ 20 %)."""
    stops = np.array([parse_color(c) for c in (p.low_color, p.warn_color, p.error_color)], np.float64)
    at = np.log(np.array(ERROR_STOPS[1:]))
    t = np.log(np.clip(ratio, ERROR_STOPS[1], ERROR_STOPS[-1]))
    rgb = np.stack([np.interp(t, at, stops[:, k]) for k in range(3)], axis=1)
    rgb[ratio <= 0] = parse_color(p.ok_color)
    return np.round(rgb).astype(np.uint8)
