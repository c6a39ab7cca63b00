"""The hub: viewers, their bounded queues, and one encode per scene change for all of them.

A viewer looks at one view (scene preset + trace). Viewers of the same view share a
`SceneView`, so each delta is encoded once and the same bytes go to every queue. A slow
viewer never slows the others: when its queue is full its pending frames are dropped and it
gets a fresh snapshot once it catches up, then every source's current status and the reply to
a `select` it was still waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from vrmon.analysis.percentiles import node_ranks
from vrmon.errors import ProtocolError
from vrmon.findings_feed import FindingsFeed
from vrmon.layout.page_shape import HEADSET, PageShape, page_aspect
from vrmon.layout.services import SERVICE_NODE_BASE
from vrmon.layout.trace_basis import TraceBases
from vrmon.layout.waterfall_lod import SUMMARY_BASE, DetailLevel
from vrmon.model.dependencies import DependencyLink
from vrmon.model.ids import format_trace_id
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import AddResult, SpanStore
from vrmon.protocol import (
    ClientMessage,
    Colour,
    Compare,
    ReplayRequest,
    Detail,
    Expand,
    Filter,
    Nearer,
    Resync,
    Reveal,
    Select,
    Shape,
    SwitchScene,
    WatchFindings,
    Zoom,
    details_frame,
    matches_frame,
    error_frame,
    comparison_frame,
    lookup_frame,
    ranks_frame,
    revealed_frame,
    status_frame,
)
from vrmon.scene import SceneView, ViewKey
from vrmon.layout.reveal import ancestors_to_open, span_uids
from vrmon.scene_presets import ScenePreset
from vrmon.tracing import is_untraced, span, untraced

if TYPE_CHECKING:  # the lookup (and the HTTP client it brings) is imported only with a live source
    from vrmon.sources.lookup import TraceLookup

log = logging.getLogger("vrmon")

SNAPSHOT = object()  # queue marker: send the view's current snapshot here
RANKS = object()  # queue marker: send the percentile ranks of the view's spans as they are when it goes out
MAX_PENDING_DETAILS = 8  # details answers queued for one viewer; more selects wait for these to go out


class DetailsReply(bytes):
    """A details frame in a viewer's queue (counted, so selects cannot pile them up)."""


@dataclass
class SourceStatus:
    state: str  # "ok", "degraded", "down"
    message: str
    since: float

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "message": self.message, "since": self.since}


@dataclass(eq=False)
class Viewer:
    queue_size: int
    queue: asyncio.Queue = field(init=False)  # bounded by offer(), so a resync can add what must follow it
    channel: "Channel | None" = None
    sent_seq: int = -1
    resyncs: int = 0  # snapshots sent because the queue overflowed
    filter: Filter | None = None  # the viewer's search, for the matches among folded spans
    statuses: dict[str, bytes] = field(default_factory=dict)  # each source's latest status frame
    answer: bytes | None = None  # the reply to the last select, until it is sent
    findings: bytes | None = None  # the latest findings frame, for a viewer that watches them
    ranks: bool = False  # colours spans by duration percentile: gets `ranks` after each view change
    looking_up: Reveal | None = None  # a reveal of a trace the live sources are asked for, until it comes or another move
    pending_details: int = 0  # DetailsReply frames in the queue
    aspect: PageShape = None  # its page's shape as the layouts take it (layout/page_shape.py): every view it joins has it

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue()

    def offer(self, item: Any) -> None:
        """Queue a frame without waiting; on overflow drop what is pending and resync: a snapshot,
        then the statuses, the ranks of its spans (when colouring by percentile), the findings and
        the unsent select reply that were dropped with the rest."""
        if self.queue.qsize() < self.queue_size:
            self.queue.put_nowait(item)
            return
        while not self.queue.empty():
            self.queue.get_nowait()
        self.resyncs += 1
        answer = [self.answer] if self.answer is not None else []
        self.pending_details = sum(isinstance(frame, DetailsReply) for frame in answer)
        findings = [self.findings] if self.findings is not None else []
        ranks = [RANKS] if self.ranks else []
        for kept in (SNAPSHOT, *self.statuses.values(), *ranks, *findings, *answer):
            self.queue.put_nowait(kept)

    def offer_status(self, source: str, frame: bytes) -> None:
        self.statuses[source] = frame
        self.offer(frame)

    def offer_findings(self, frame: bytes) -> None:
        self.findings = frame
        self.offer(frame)

    def offer_answer(self, frame: bytes) -> None:
        """The reply to a `select` (details or an error): kept until sent, so an overflow cannot lose it."""
        self.answer = frame
        if isinstance(frame, DetailsReply):
            self.pending_details += 1  # before offering: an overflow recounts it
        self.offer(frame)

    async def next_frame(self) -> bytes | None:
        """The next bytes to send, or None for a stale delta the last snapshot already covers."""
        item = await self.queue.get()
        if isinstance(item, DetailsReply):
            self.pending_details -= 1
        if item is SNAPSHOT:
            assert self.channel is not None
            self.sent_seq = self.channel.view.seq
            return self.channel.view.snapshot()
        if item is RANKS:
            assert self.channel is not None
            return self.channel.ranks_frame()
        if isinstance(item, tuple):  # (seq, delta bytes)
            seq, frame = item
            if seq <= self.sent_seq:
                return None
            self.sent_seq = seq
            return frame
        if item is self.answer:
            self.answer = None
        return item  # a control frame: status, details, error


@dataclass(eq=False)
class Channel:
    key: ViewKey
    view: SceneView
    rank_nodes: Callable[[np.ndarray], bytes]  # the ranks frame of these node ids
    viewers: set[Viewer] = field(default_factory=set)
    ranks: tuple[tuple[int, int], bytes] | None = None  # ((store version, view seq), ranks frame): shared by its viewers

    def ranks_frame(self) -> bytes:
        """The percentile rank of each span the view draws now (made once per change, for all its viewers)."""
        state = (self.view.store.version, self.view.seq)
        if self.ranks is None or self.ranks[0] != state:
            self.ranks = (state, self.rank_nodes(self.view.nodes.ids))
        return self.ranks[1]


class Hub:
    def __init__(self, store: SpanStore, presets: dict[str, ScenePreset], default_scene: str, queue_size: int = 64):
        self.store = store
        self.presets = presets
        self.default_scene = default_scene
        self.queue_size = queue_size
        self.channels: dict[ViewKey, Channel] = {}
        self.sources: dict[str, SourceStatus] = {}
        self.viewers: set[Viewer] = set()
        self.last_metrics: bytes | None = None
        self.dependency_links: tuple[DependencyLink, ...] = ()  # from a live source, for the services scene
        self.findings = FindingsFeed(store)
        self.bases = TraceBases(store)  # what the views of one trace share (its zoom windows and folds)
        self.replay: ReplayControls | None = None  # a replayed recording's player, which viewers may drive
        self.lookup: TraceLookup | None = None  # asks the live sources for a trace a link names and the store lacks
        self._looked_up_by: dict[int, set[Viewer]] = {}  # trace id → the viewers waiting for it
        self._tick_pending = False  # a pushed tick is scheduled (see tick_soon)
        self.untraced_version = -1  # the store's version after the last add made `untraced` (vrmon's own spans)

    # -- viewers --------------------------------------------------------------------------

    def connect(self, aspect: float | None = None) -> Viewer:
        """A new viewer, on the default view laid out for its page's `aspect` (width over height, validated)."""
        viewer = Viewer(self.queue_size, aspect=page_aspect(aspect))
        self.viewers.add(viewer)
        self._join(viewer, self.default_key)
        # Every source's state, healthy ones included: a viewer that connects after a recovery
        # must still learn that the source is fine (and which sources there are).
        for name, status in self.sources.items():
            viewer.offer_status(name, status_frame(source=name, **status.to_json()))
        greeting = self.replay.greeting() if self.replay is not None else None
        if greeting is not None:
            viewer.offer(greeting)
        return viewer

    def disconnect(self, viewer: Viewer) -> None:
        self._leave(viewer)
        self.viewers.discard(viewer)

    def _join(self, viewer: Viewer, key: ViewKey) -> None:
        key = replace(key, aspect=viewer.aspect)
        self._leave(viewer)
        channel = self._channel(key)
        channel.viewers.add(viewer)
        viewer.channel = channel
        viewer.sent_seq = -1
        viewer.offer(SNAPSHOT)
        if self.last_metrics is not None:
            viewer.offer(self.last_metrics)
        if viewer.filter is not None:
            self._send_matches(viewer)
        self._send_ranks(viewer)
        if viewer.findings is not None:  # it watches them: they follow each snapshot
            viewer.offer(viewer.findings)


    def _leave(self, viewer: Viewer) -> None:
        channel = viewer.channel
        if channel is None:
            return
        channel.viewers.discard(viewer)
        if not channel.viewers and channel.key != self.default_key:
            del self.channels[channel.key]
        viewer.channel = None

    @property
    def default_key(self) -> ViewKey:
        return ViewKey(self.default_scene, None)

    def _channel(self, key: ViewKey) -> Channel:
        """The channel of a view, up to date with the store: made now, or kept from before."""
        channel = self.channels.get(key)
        if channel is None:
            catalog = [{"name": p.name, "layout": p.layout, "description": p.description} for p in self.presets.values()]
            view = SceneView(self.store, self.presets[key.scene], key.trace, catalog, key.detail, key.page, self.bases, key.aspect)
            if self.dependency_links:
                view.set_dependency_links(self.dependency_links)
                view.refresh()  # drawn in the first snapshot already
            channel = self.channels[key] = Channel(key, view, self._ranks_frame)
        elif not channel.viewers:
            channel.view.refresh()  # an idle channel is not refreshed by tick (nobody to send to)
        return channel

    def warm(self) -> None:
        """Lay out the default view now (say, once replay files are read), so the next viewer's
        first snapshot is ready when it connects. The default view stays kept while nobody watches
        it: a page reload or a second viewer does not wait for a big trace's layout again."""
        self._channel(self.default_key)

    def handle(self, viewer: Viewer, message: ClientMessage) -> None:
        """Act on one validated viewer request; replies go to the viewer's queue."""
        assert viewer.channel is not None
        if isinstance(message, (Reveal, SwitchScene, Compare)):
            viewer.looking_up = None  # it moved on: a trace still on its way is not shown when it comes
        if isinstance(message, Select):
            if viewer.pending_details >= MAX_PENDING_DETAILS:
                raise ProtocolError(f"{MAX_PENDING_DETAILS} details answers are still waiting to be sent to you; "
                                    "select again once they arrive")
            try:
                details = viewer.channel.view.details(message.id)
            except Exception:  # a span from a hostile document must not end the viewer's connection
                log.exception("reading the details of node %d failed", message.id)
                viewer.offer_answer(error_frame(f"the details of node {message.id} could not be read; see the server log",
                                                "select"))
                return
            if details is None:
                viewer.offer_answer(error_frame(f"node {message.id} is not in this scene (it may have aged out)", "select"))
            else:
                viewer.offer_answer(DetailsReply(details_frame(details)))
        elif isinstance(message, WatchFindings):
            if message.watch:
                viewer.offer_findings(self.findings.latest(time.monotonic()))
            else:
                viewer.findings = None
        elif isinstance(message, Resync):
            viewer.sent_seq = -1
            viewer.offer(SNAPSHOT)
            self._send_ranks(viewer)
            if viewer.findings is not None:
                viewer.offer(viewer.findings)
        elif isinstance(message, SwitchScene):
            self._switch(viewer, message)
        elif isinstance(message, Filter):
            viewer.filter = message if (message.text or message.service or message.operation or message.min_duration_us
                                        or message.errors_only) else None
            self._send_matches(viewer)
        elif isinstance(message, Expand):
            self._expand(viewer, message.id)
        elif isinstance(message, Reveal):
            self._reveal(viewer, message)
        elif isinstance(message, Compare):
            self._compare(viewer, message)
        elif isinstance(message, Colour):
            viewer.ranks = message.by == "percentile"
            self._send_ranks(viewer)
        elif isinstance(message, ReplayRequest):
            if self.replay is None:
                raise ProtocolError("this server is not replaying a recording (vrmon serve --replay FILE.vrrec)")
            self.replay.control(message)
        elif isinstance(message, Detail):
            key = viewer.channel.key
            self._join(viewer, replace(key, trace=viewer.channel.view.trace, detail=DetailLevel(depth=message.depth, everything=message.everything,
                                                                                                 idle=message.idle, window=key.detail.window,
                                                                                                 nearer=key.detail.nearer, around=key.detail.around)))
        elif isinstance(message, Zoom):
            self._zoom(viewer, window=message.window)
        elif isinstance(message, Nearer):
            self._zoom(viewer, nearer=message.steps, around=message.around)
        elif isinstance(message, Shape):
            self._reshape(viewer, HEADSET if message.headset else page_aspect(message.aspect))

    def _reshape(self, viewer: Viewer, aspect: PageShape) -> None:
        """The viewer's page changed shape: its view laid out for the new one, or, where that lays
        it out the same, its view again (either way a snapshot: the viewer frames the resized page at it)."""
        if aspect == viewer.aspect:
            self.handle(viewer, Resync())
            return
        viewer.aspect = aspect
        self._join(viewer, viewer.channel.key)

    def _send_ranks(self, viewer: Viewer) -> None:
        """The percentile rank of each span of the viewer's view, if it colours by them."""
        if viewer.channel is not None and viewer.ranks:
            viewer.offer(viewer.channel.ranks_frame())

    def _ranks_frame(self, node_ids: np.ndarray) -> bytes:
        return ranks_frame(*node_ranks(self.store, self.findings.index.ranks, node_ids))

    def _send_matches(self, viewer: Viewer) -> None:
        """How many spans matching the viewer's search each summary mark of its view holds."""
        if viewer.channel is None:
            return
        found = viewer.channel.view.folded_matches(viewer.filter) if viewer.filter is not None else None
        if found is not None or viewer.filter is None:
            viewer.offer(matches_frame(*(found if found is not None else (np.empty(0), np.empty(0)))))

    def _expand(self, viewer: Viewer, node_id: int) -> None:
        """The viewer opens a summary: it moves to the view with that fold open (its own snapshot)."""
        view = viewer.channel.view
        if view.preset.layout != "waterfall" or not SUMMARY_BASE <= node_id < SERVICE_NODE_BASE or not view.has_node(node_id):
            raise ProtocolError(f"node {node_id} is not a summary mark in this scene (it may have been opened or aged out)")
        key = viewer.channel.key
        detail = replace(key.detail, expanded=key.detail.expanded | {node_id - SUMMARY_BASE})
        self._join(viewer, replace(key, trace=view.trace, detail=detail))

    def _zoom(self, viewer: Viewer, **change) -> None:
        """The viewer zooms the waterfall's time axis (`window`) or comes nearer to it (`nearer`, in
        front of the time `around`): it moves to the view of that window and distance, keeping its folds."""
        view = viewer.channel.view
        if view.preset.layout != "waterfall":
            raise ProtocolError(f"{'zoom' if 'window' in change else 'nearer'} works on the waterfall; this scene is a {view.preset.layout}")
        key = viewer.channel.key
        self._join(viewer, replace(key, trace=view.trace, detail=replace(key.detail, **change)))

    def _reveal(self, viewer: Viewer, message: Reveal) -> None:
        """Show a trace in the waterfall with the named spans drawn (their folds opened), then say
        which node ids they are (a `revealed` frame after the snapshot)."""
        trace = self.store.trace_code(message.trace)
        if trace is None:
            if self.lookup is None:
                raise ProtocolError(f"trace {message.trace} is not loaded")
            self._look_up(viewer, message)
            return
        current = viewer.channel.key
        waterfall = self._waterfall_of(current)
        # the same trace keeps its folds, and shows its whole time again: the spans may lie outside a zoomed window
        base = replace(current.detail, window=None) if (current.scene, current.trace) == (waterfall, trace) else DetailLevel()
        try:
            uids, linked = span_uids(self.store, trace, message.span, message.nodes)
        except ProtocolError:
            self._join(viewer, ViewKey(waterfall, trace, base))  # the trace at least, then why not the span
            raise
        key = ViewKey(waterfall, trace, base, aspect=viewer.aspect)
        probe = self._channel(key)
        if not all(probe.view.has_node(uid) for uid in uids):  # folded: open the summaries above them
            if not probe.viewers and probe.key not in (current, self.default_key):
                del self.channels[key]
            key = replace(key, detail=replace(base, expanded=base.expanded | ancestors_to_open(self.store, uids)))
        if key != current:
            self._join(viewer, key)
        select = linked if linked is not None else message.select if message.select in uids else None
        viewer.offer_answer(revealed_frame(message.trace, uids, select))

    def _look_up(self, viewer: Viewer, message: Reveal) -> None:
        """Ask the live sources for a trace the store lacks; `looked_up` shows it when it comes."""
        trace_id = int(message.trace, 16)
        viewer.looking_up = message
        viewer.offer(lookup_frame(message.trace, f"trace {message.trace} is not loaded: asking {self.lookup.describe()} for it"))
        waiting = self._looked_up_by.setdefault(trace_id, set())
        waiting.add(viewer)
        if len(waiting) == 1:  # not asked for yet (it ages out by arrival, so an old trace stays for --retain)
            self.lookup.ask(trace_id)

    def looked_up(self, trace_id: int, problem: str | None) -> None:
        """The live sources answered: each viewer still waiting for the trace is shown it, or told why not."""
        if self.store.trace_code(format_trace_id(trace_id)) is None:
            problem = problem or "the answer held none of its spans"
        for viewer in self._looked_up_by.pop(trace_id, set()) & self.viewers:
            message, viewer.looking_up = viewer.looking_up, None
            if message is None or int(message.trace, 16) != trace_id:
                continue  # it moved on meanwhile
            if problem is not None:
                viewer.offer_answer(error_frame(f"trace {message.trace} is not loaded, and {problem}", "reveal"))
                continue
            try:
                self._reveal(viewer, message)
            except ProtocolError as exc:  # the span it names is not in the trace: the trace is still shown
                viewer.offer_answer(error_frame(str(exc), "reveal"))

    def _waterfall_of(self, current: ViewKey) -> str:
        """The waterfall scene to show a trace in: the viewer's own if it is one, else the first."""
        if self.presets[current.scene].layout == "waterfall":
            return current.scene
        waterfall = next((p.name for p in self.presets.values() if p.layout == "waterfall"), None)
        if waterfall is None:
            raise ProtocolError("no waterfall scene to show the trace in")
        return waterfall

    def _compare(self, viewer: Viewer, message: Compare) -> None:
        """Show trace B in the waterfall, then how it differs from baseline A (a `comparison` frame)."""
        from vrmon.analysis.compare import MAX_LISTED_ONLY, compare_traces, scene_comparison, summary  # not needed to listen

        codes = [self.store.trace_code(t) for t in (message.a, message.b)]
        for hex_id, code in zip((message.a, message.b), codes):
            if code is None:
                raise ProtocolError(f"trace {hex_id} is not loaded")
        a, b = codes
        comparison = compare_traces(self.store, a, self.store, b)
        current = viewer.channel.key
        scene = self._waterfall_of(current)
        if (current.scene, current.trace) != (scene, b):
            self._join(viewer, ViewKey(scene, b))
        told = summary(comparison, listed=MAX_LISTED_ONLY)  # only-in lists cut short: a frame stays small
        viewer.offer_answer(comparison_frame(told, scene_comparison(comparison)))

    def _switch(self, viewer: Viewer, message: SwitchScene) -> None:
        current = viewer.channel.key if viewer.channel else self.default_key
        scene = message.scene or current.scene
        if scene not in self.presets:
            raise ProtocolError(f"unknown scene {scene!r}; available: {', '.join(sorted(self.presets))}")
        trace = current.trace if message.trace is None else self.store.trace_code(message.trace)
        if message.trace is not None and trace is None:
            raise ProtocolError(f"trace {message.trace!r} is not loaded")
        # A page belongs to the wall; another scene, or the wall anew, starts on the newest page.
        page = message.page if message.page is not None else current.page if scene == current.scene else 0
        self._join(viewer, ViewKey(scene, trace, page=page if self.presets[scene].layout == "wall" else 0))

    # -- updates --------------------------------------------------------------------------

    def tick(self) -> int:
        """Bring every view up to date with the store; returns the number of deltas encoded."""
        encoded = 0
        if any(channel.view.stale for channel in self.channels.values()):  # a tick with nothing to do makes no span
            # showing vrmon's own spans (--self-trace) is not traced, or each update would trace the next
            quiet = untraced() if self.store.version == self.untraced_version else contextlib.nullcontext()
            with quiet, span("scene update", {"vrmon.views": len(self.channels)}):
                encoded = self._refresh_views()
        watching = [viewer for viewer in self.viewers if viewer.findings is not None]
        findings = self.findings.poll(time.monotonic()) if watching else None  # nobody watching: no work
        if findings is not None:
            for viewer in watching:
                viewer.offer_findings(findings)
        return encoded

    def _refresh_views(self) -> int:
        encoded = 0
        for channel in list(self.channels.values()):
            if not channel.viewers:
                continue  # the kept default view: brought up to date when someone joins it
            frame = channel.view.refresh()
            if frame is None:
                continue
            encoded += 1
            item = (channel.view.seq, frame)
            with span("fan-out", {"vrmon.viewers": len(channel.viewers), "vrmon.bytes": len(frame)}):
                for viewer in channel.viewers:
                    viewer.offer(item)
                    if viewer.filter is not None:  # the folds may hold other spans now
                        self._send_matches(viewer)
                    self._send_ranks(viewer)
        return encoded

    def tick_soon(self) -> None:
        """Tick as soon as the event loop is free: what a source just added goes out at once.
        Adds made in the same turn of the loop (a burst of exports, a poll's batches) share one tick."""
        if not self._tick_pending:
            self._tick_pending = True
            asyncio.get_running_loop().call_soon(self._pushed_tick)

    def _pushed_tick(self) -> None:
        self._tick_pending = False
        try:
            self.tick()
        except Exception:  # like the periodic tick: logged, and the next one tries again
            log.exception("scene update failed; keeping the last good scene")

    def broadcast(self, frame: bytes) -> None:
        """Send one control frame (e.g. host metrics) to every viewer, encoded once."""
        self.last_metrics = frame
        for viewer in self.viewers:
            viewer.offer(frame)

    def send_all(self, frame: bytes) -> None:
        """One control frame (e.g. the replay clock's state) to every viewer, encoded once."""
        for viewer in self.viewers:
            viewer.offer(frame)

    def replace_store(self, store: SpanStore) -> None:
        """Show another store (a replay seeking): every view starts over from it, so every viewer
        gets a snapshot; a trace the new store does not hold yet falls back to the scene's choice."""
        self.store = store
        self.findings = FindingsFeed(store)
        self.bases = TraceBases(store)
        keys = {viewer: viewer.channel.key for viewer in self.viewers if viewer.channel is not None}
        self.channels.clear()
        for viewer, key in keys.items():
            viewer.channel = None
            known = key.trace is not None and key.trace < store.trace_count
            self._join(viewer, replace(key, trace=key.trace if known else None))

    def set_dependencies(self, links: list[DependencyLink]) -> None:
        """A source's service-to-service call counts; views lay them out at their next tick."""
        self.dependency_links = tuple(links)
        for channel in self.channels.values():
            channel.view.set_dependency_links(self.dependency_links)

    def set_status(self, source: str, state: str, message: str) -> None:
        """Record a source's health and tell every viewer when it changes."""
        old = self.sources.get(source)
        if old is not None and old.state == state and old.message == message:
            return
        status = SourceStatus(state, message, time.time() if old is None or old.state != state else old.since)
        self.sources[source] = status
        frame = status_frame(source=source, **status.to_json())
        for viewer in self.viewers:
            viewer.offer_status(source, frame)

    def health(self) -> dict[str, Any]:
        degraded = any(s.state != "ok" for s in self.sources.values())
        return {
            "status": "degraded" if degraded else "ok",
            "spans": len(self.store),
            "traces": self.store.trace_count,
            "services": len(self.store.services),
            "viewers": len(self.viewers),
            "sources": {name: s.to_json() for name, s in self.sources.items()},
        }


class ReplayControls(Protocol):
    def control(self, request: ReplayRequest) -> None:
        """Play, pause, seek or change speed; every viewer then gets the clock's new state."""
        ...

    def greeting(self) -> bytes | None:
        """The replay frame a viewer gets when it connects: the clock's state and the timeline's
        marks (None: no clock runs, as for trace files shown whole)."""
        ...


class HubSink:
    """The sink a source writes to (sources.base.SourceSink): adds to the hub's store and reports
    status under the source's name. It lives here, downstream, so sources import nothing of the hub."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub = hub
        self.name = name

    def add(self, batch: SpanBatch) -> AddResult:
        added = self.hub.store.add(batch)
        if is_untraced():
            self.hub.untraced_version = self.hub.store.version
        if len(added.rows):
            self.hub.tick_soon()  # pushed to the viewers now, not at the next periodic tick
        return added

    def set_status(self, state: str, message: str) -> None:
        self.hub.set_status(self.name, state, message)

    def set_dependencies(self, links: list[DependencyLink]) -> None:
        self.hub.set_dependencies(links)
