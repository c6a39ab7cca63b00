"""A scene view: one preset (layout + encodings) applied to the store, for one choice of trace.

It keeps the arrays last sent and turns the next layout into a `delta` of only what changed.
Every viewer looking at the same view shares one SceneView, so each frame is encoded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vrmon.analysis.percentiles import rank_of_span
from vrmon.layout.nodes import Edges, Label, Layout, Nodes
from vrmon.layout.page_shape import PageShape, page_or_wide, wall_for_page, waterfall_for_page
from vrmon.layout.services import SERVICE_NODE_BASE, GraphState, error_scale, service_graph, services_layout, shared_prefix
from vrmon.layout.trace_basis import TraceBases, trace_state
from vrmon.layout.wall import wall_layout, wall_pages
from vrmon.layout.waterfall_lod import SUMMARY_BASE, DetailLevel
from vrmon.layout.waterfall_overview import Overview, SpanFilter, folded_matches, overview_layout, summary_details
from vrmon.model.columns import grown
from vrmon.model.dependencies import DependencyLink
from vrmon.model.details import span_details
from vrmon.model.span_store import SpanStore
from vrmon.protocol import delta_frame, snapshot_frame
from vrmon.scene_presets import ScenePreset
from vrmon.tracing import span

MAX_TRACES_LISTED = 1000  # the trace list shows the newest traces; the rest stay queryable


@dataclass(frozen=True)
class ViewKey:
    scene: str
    trace: int | None  # trace code; None = the scene's own choice
    detail: DetailLevel = DetailLevel()  # the waterfall's folds the viewer opened or chose
    page: int = 0  # the wall's page of traces (0 = the newest); 0 in the other scenes
    aspect: PageShape = None  # the viewer's page shape as the layouts take it (layout/page_shape.py; None: wide)


def for_page(preset: ScenePreset, aspect: PageShape) -> Any:
    """The preset's params for a page of `aspect` (None: as the preset gives them)."""
    if preset.layout == "waterfall":
        return waterfall_for_page(preset.params, aspect)
    if preset.layout == "wall":
        return wall_for_page(preset.params, aspect)
    return preset.params


class SceneView:
    def __init__(self, store: SpanStore, preset: ScenePreset, trace: int | None = None,
                 catalog: list[dict[str, str]] | None = None, detail: DetailLevel = DetailLevel(), page: int = 0,
                 bases: TraceBases | None = None, aspect: PageShape = None) -> None:
        self.store = store
        self.bases = bases or TraceBases(store)  # what every view of a trace shares (the hub's, for all its views)
        self.detail = detail
        self.page = page  # the wall's page asked for; shown clamped to the pages there are
        self.catalog = catalog or []  # every scene a viewer can switch to: {name, layout, description}
        self.preset = preset
        self.aspect = aspect
        self.params = for_page(preset, aspect)  # the preset's params, laid out for the viewers' page shape
        self.requested_trace = trace
        self.trace = trace
        self.seq = 0
        self._version = -1
        self._nodes = Nodes.empty()
        self._order = np.empty(0, np.int64)  # argsort of self._nodes.ids
        self._labels: list[Label] = []
        self._labels_wire: list[dict] = []  # as last sent, to compare the next labels with
        self._edges = Edges.empty()
        self._graph_state = GraphState()  # the services layout keeps positions between updates
        self._overview: Overview | None = None  # the waterfall's last layout and fold
        self._overview_key: tuple = ()  # the shown trace's state it was laid out from
        self.dependency_links: tuple[DependencyLink, ...] = ()  # from a live Jaeger, if any
        self._links_changed = False
        self._scene: dict[str, Any] = {}
        self._services_sent = 0
        self._operations_sent = 0
        self._traces_sent = np.empty((0, 3), np.int64)  # per trace code: (spans, errors, duration) last sent
        self._snapshot: bytes | None = None
        self.refresh()  # the initial state: there is no one yet to send a delta to

    # -- building -------------------------------------------------------------------------

    def _layout(self) -> Layout:
        """The new layout of the view."""
        store = self.store
        layout = self.preset.layout
        if layout == "wall":
            return wall_layout(store, self.params, self.page)
        if layout == "services":
            return services_layout(store, self.params, self._graph_state, self.dependency_links, page_or_wide(self.aspect))
        evicted = self.trace is not None and not store.trace_summaries()["spans"][self.trace]
        if store.trace_count and (self.trace is None or (evicted and self.requested_trace is None)):
            self.trace = _default_trace(store)  # first look, or the shown trace aged out: show another
        # a tick that only brought other traces' spans leaves the shown trace's layout as it was
        key = (self.trace, *(trace_state(store, self.trace) if self.trace is not None else ()))
        if self._overview is None or key != self._overview_key:
            previous = self._overview if self._overview_key[:1] == key[:1] else None  # the same trace, grown
            self._overview = overview_layout(store, self.trace, self.params, self.detail, self.bases, previous)
            self._overview_key = key
        return self._overview.layout

    def _scene_info(self, layout: Layout) -> dict[str, Any]:
        store = self.store
        title = ""
        summaries = store.trace_summaries()
        if self.preset.layout != "waterfall":
            title = self.preset.description
        elif self.trace is not None and summaries["spans"][self.trace]:
            title = f"{store.services.names[summaries['root_service'][self.trace]]}: {store.operations.names[summaries['root_operation'][self.trace]]}"
        info = {
            "name": self.preset.name,
            "layout": self.preset.layout,
            "trace": store.trace_id_hex(self.trace) if self.trace is not None and self.preset.layout == "waterfall" else None,
            "title": title,
            "bounds": [round(v, 3) for v in layout.bounds],
            # what a camera frames: the marks plus lane names and ruler (the waterfall), the panels
            # with their titles (the wall), else the bounds
            "frame": [round(v, 3) for v in (self._overview.frame if self.preset.layout == "waterfall" and self._overview
                                            else layout.frame or layout.bounds)],
            "totals": {"traces": store.trace_count, "spans": len(store)},
            "detail": self._detail_info(),
            "scenes": self.catalog,
            # service code → colour is palette[code % len(palette)], the same rule as the layouts'
            "palette": list(self.params.service_colors),
        }
        if self.preset.layout == "waterfall" and self._overview is not None:
            # the time axis across the picture (to zoom around the pointer) and the whole trace's strip
            info["axis"] = self._overview.axis.to_wire(self._overview.warp, self.params.width)
            if self._overview.strip is not None:
                info["strip"] = self._overview.strip
            if self._overview.folds:  # the histograms drawn on summaries' own rows (scene/fold-histograms.js)
                info["folds"] = self._overview.folds
        if self.preset.layout == "services":
            info["error_scale"] = error_scale(self.params)
            # the prefix most names share, which the viewer shows once (services.shared_prefix)
            info["names_prefix"] = shared_prefix([store.services.names[code] for code in np.unique(layout.nodes.service)])
        if self.preset.layout == "wall":
            pages = wall_pages(store, self.params)
            info.update(page=min(self.page, pages - 1), pages=pages)
        return info

    def _detail_info(self) -> dict[str, Any] | None:
        """The waterfall's folds: what the viewer asked for and how many spans are folded."""
        if self.preset.layout != "waterfall" or self._overview is None:
            return None
        cut = self._overview.cut
        return {"depth": self.detail.depth, "all": self.detail.everything, "opened": len(self.detail.expanded),
                "idle": self.detail.idle, "breaks": len(self._overview.warp.breaks),
                "window": list(self.detail.window) if self.detail.window is not None else None, "nearer": self.detail.nearer,
                "around": list(self.detail.around) if self.detail.around is not None else None,
                "spans": len(self._overview.rows), "folded": int(cut.count.sum()), "summaries": len(cut.holders)}

    @property
    def stale(self) -> bool:
        """The store or the dependency links changed since the last refresh."""
        return self._version != self.store.version or self._links_changed

    def refresh(self) -> bytes | None:
        """Re-lay out if the store changed; return the encoded delta, or None if nothing changed."""
        if not self.stale:
            return None
        self._links_changed = False
        first = self._version == -1
        self._version = self.store.version
        with span("layout", {"vrmon.scene": self.preset.name, "vrmon.spans": len(self.store)}):
            layout = self._layout()
        scene = self._scene_info(layout)
        traces = self._changed_traces()
        added, updated, removed = _diff(self._nodes, self._order, layout.nodes)
        order = np.argsort(layout.nodes.ids, kind="stable")
        labels_wire = [label.to_wire() for label in layout.labels]
        labels_changed = labels_wire != self._labels_wire
        scene_changed = scene != self._scene
        edges = layout.edges if layout.edges is not None else Edges.empty()
        edges_changed = not _same_edges(edges, self._edges)
        services = self.store.services.names[self._services_sent :]
        operations = self.store.operations.names[self._operations_sent :]
        services_from, operations_from = self._services_sent, self._operations_sent

        self._nodes = layout.nodes
        self._order = order
        self._labels = layout.labels
        self._labels_wire = labels_wire
        self._edges = edges
        self._scene = scene
        self._services_sent = len(self.store.services)
        self._operations_sent = len(self.store.operations)
        if first:
            return None
        if not (len(added) or len(updated) or len(removed) or traces or labels_changed or scene_changed or edges_changed):
            return None
        self.seq += 1
        self._snapshot = None
        with span("encode delta", {"vrmon.seq": self.seq}):
            return delta_frame(
                seq=self.seq,
                added=added,
                updated=updated,
                removed=removed,
                services_from=services_from,
                services=services,
                operations_from=operations_from,
                operations=operations,
                traces=traces,
                scene=scene if scene_changed else None,
                labels=layout.labels if labels_changed else None,
                edges=edges if edges_changed else None,
            )

    def set_dependency_links(self, links: tuple[DependencyLink, ...]) -> None:
        """Service-to-service call counts from a live source; the services layout draws them at the next refresh."""
        if links != self.dependency_links:
            self.dependency_links = links
            self._links_changed = True

    def snapshot(self) -> bytes:
        """The whole current scene; encoded once per seq and shared by every viewer."""
        if self._snapshot is None:
            with span("encode snapshot", {"vrmon.nodes": len(self._nodes.ids)}):
                self._snapshot = self._encode_snapshot()
        return self._snapshot

    def _encode_snapshot(self) -> bytes:
        return snapshot_frame(
            seq=self.seq,
            scene=self._scene,
            nodes=self._nodes,
            labels=self._labels,
            services=list(self.store.services.names),
            operations=list(self.store.operations.names),
            traces=self.trace_list(),
            edges=self._edges,
        )

    @property
    def nodes(self) -> Nodes:
        return self._nodes

    def details(self, node_id: int) -> dict[str, Any] | None:
        """What a viewer sees when it selects a node of this view; None if it is not here."""
        if not self.has_node(node_id):
            return None
        if node_id >= SERVICE_NODE_BASE:
            return self._service_details(node_id - SERVICE_NODE_BASE)
        if node_id >= SUMMARY_BASE and self._overview is not None:
            return summary_details(self.store, self._overview, node_id)
        row = self.store.row_of_uid(node_id)
        return self._span_details(row) if row >= 0 else None

    def _span_details(self, row: int) -> dict[str, Any]:
        details = span_details(self.store, row)
        # "p97 of 1,204 GetDriver calls": its duration's rank among its service and operation's
        details["percentile"] = rank_of_span(self.store, row).to_json(details["operation"])
        return details

    def _service_details(self, code: int) -> dict[str, Any]:
        graph = service_graph(self.store, self.dependency_links)
        names = self.store.services.names
        i = int(np.flatnonzero(graph.services == code)[0])
        callers = [(names[int(graph.services[s])], int(c)) for s, t, c in zip(graph.source, graph.target, graph.calls) if t == i]
        callees = [(names[int(graph.services[t])], int(c)) for s, t, c in zip(graph.source, graph.target, graph.calls) if s == i]
        return {
            "kind": "service",
            "id": SERVICE_NODE_BASE + code,
            "service": names[code],
            "spans": int(graph.spans[i]),
            "errors": int(graph.errors[i]),
            "span_rate": round(float(graph.spans[i]) / graph.seconds, 3),
            "window_s": round(graph.seconds, 3),
            "callers": [{"service": n, "calls": c} for n, c in sorted(callers, key=lambda x: -x[1])],
            "callees": [{"service": n, "calls": c} for n, c in sorted(callees, key=lambda x: -x[1])],
        }

    def folded_matches(self, f) -> tuple[np.ndarray, np.ndarray] | None:
        """Per summary mark, how many of the spans it folds match the search `f`; None outside the waterfall."""
        if self.preset.layout != "waterfall" or self._overview is None:
            return None
        return folded_matches(self.store, self._overview, SpanFilter(f.text, f.service, f.operation, f.min_duration_us, f.errors_only))

    def has_node(self, node_id: int) -> bool:
        ids = self._nodes.ids
        at = np.searchsorted(ids, node_id, sorter=self._order)
        return bool(at < len(ids) and ids[self._order[at]] == node_id)

    # -- trace list -----------------------------------------------------------------------

    def trace_list(self) -> list[dict[str, Any]]:
        summaries = self.store.trace_summaries()
        return [self._summary(int(t), summaries) for t in self._newest_traces()]

    def _changed_traces(self) -> list[dict[str, Any]]:
        """Summaries of the listed traces whose span count, errors or duration changed since
        last sent, newest first; compared as arrays, so only those are turned into dicts."""
        newest = self._newest_traces()
        s = self.store.trace_summaries()
        fingerprint = np.stack([s["spans"][newest], s["errors"][newest], s["end_us"][newest] - s["start_us"][newest]], axis=1)
        self._traces_sent = grown(self._traces_sent, self.store.trace_count, fill=-1)
        changed = np.flatnonzero((self._traces_sent[newest] != fingerprint).any(axis=1))
        self._traces_sent[newest[changed]] = fingerprint[changed]
        return [self._summary(int(t), s) for t in newest[changed]]

    def _newest_traces(self) -> np.ndarray:
        """Codes of the traces the list shows: the newest by start, at most MAX_TRACES_LISTED."""
        s = self.store.trace_summaries()
        live = np.flatnonzero(s["spans"] > 0)  # evicted traces keep their code but have no spans
        return live[np.argsort(-s["start_us"][live], kind="stable")[:MAX_TRACES_LISTED]]

    def _summary(self, trace: int, s: dict[str, np.ndarray]) -> dict[str, Any]:
        """One trace list entry, from `store.trace_summaries()`."""
        store = self.store
        return {
            "id": store.trace_id_hex(trace),
            "service": store.services.names[s["root_service"][trace]],
            "operation": store.operations.names[s["root_operation"][trace]],
            "start_us": int(s["start_us"][trace]),
            "duration_us": int(s["end_us"][trace] - s["start_us"][trace]),
            "spans": int(s["spans"][trace]),
            "errors": int(s["errors"][trace]),
        }


def _default_trace(store: SpanStore) -> int:
    """The newest trace (as Jaeger UI lists them), later-loaded on ties."""
    summaries = store.trace_summaries()
    start = np.where(summaries["spans"] > 0, summaries["start_us"], np.iinfo(np.int64).min)
    return int(np.flatnonzero(start == start.max())[-1])


def _diff(old: Nodes, old_order: np.ndarray, new: Nodes) -> tuple[Nodes, Nodes, np.ndarray]:
    """(added, updated, removed ids) taking `old` to `new`, matched by node id, vectorised."""
    if not len(old):
        return new, Nodes.empty(), np.empty(0, np.uint32)
    at = np.searchsorted(old.ids, new.ids, sorter=old_order)
    at_c = np.minimum(at, len(old) - 1)
    match = old_order[at_c]
    present = old.ids[match] == new.ids
    added = new.take(np.flatnonzero(~present))
    new_i = np.flatnonzero(present)
    old_i = match[present]
    changed = (
        np.any(old.pos[old_i] != new.pos[new_i], axis=1)
        | np.any(old.size[old_i] != new.size[new_i], axis=1)
        | np.any(old.color[old_i] != new.color[new_i], axis=1)
        | (old.flags[old_i] != new.flags[new_i])
        | (old.yaw[old_i] != new.yaw[new_i])
        | (old.duration[old_i] != new.duration[new_i])
    )
    updated = new.take(new_i[changed])
    kept = np.zeros(len(old), bool)
    kept[old_i] = True
    removed = old.ids[~kept].astype(np.uint32)
    return added, updated, removed


def _same_edges(a: Edges, b: Edges) -> bool:
    return len(a) == len(b) and all(np.array_equal(getattr(a, f), getattr(b, f)) for f in Edges.__dataclass_fields__)
