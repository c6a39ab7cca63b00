"""Starlette wiring: routes, static files, the websocket endpoint, and the tick task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from vrmon.client_files import VENDOR_DIRS
from vrmon.client_page import ClientPage
from vrmon.errors import ConfigError
from vrmon.hub import Hub, HubSink
from vrmon.model.span_store import SpanStore
from vrmon.replay.files_playback import FilesPlayback
from vrmon.replay.loading import RecordingReplay
from vrmon.replay.start import start_position
from vrmon.replay.whole_files import WholeFilesLoading, check_replay_paths
from vrmon.scene_presets import load_presets
from vrmon.exposure import decide_exposure
from vrmon.pairing import pairing_routes
from vrmon.security import AccessGuard
from vrmon.settings import ServeConfig
from vrmon.protocol import metrics_frame
from vrmon.recording.reader import is_recording, read_header, scan_frames
from vrmon.sources.base import Source, SourceSink
from vrmon.sources.host import HostSample, run_host_metrics
from vrmon.static_cache import CachedStaticFiles
from vrmon.vendor_files import vendor_apps
from vrmon.viewer_socket import viewer_endpoint

if TYPE_CHECKING:
    from vrmon.recording.writer import Recorder

log = logging.getLogger("vrmon")



def create_app(config: ServeConfig, store: SpanStore | None = None, sources: list[Source] | None = None,
               replay_in_background: bool = False) -> Starlette:
    """Build the app; loads the replay files now, so a bad file fails before the server starts, or
    with `replay_in_background` once it runs (a missing path still fails now; see replay.whole_files).

    `sources` (live ones, e.g. Jaeger) run as background tasks for the server's lifetime.
    """
    store = store if store is not None else SpanStore()
    recording = _recording_to_replay(config, sources or [])
    # played on replay clocks of their own: a recording, or trace files in time with a clock per viewer
    played = [recording] if recording else list(config.replay) if config.play and config.replay_clock == "per-viewer" else []
    trace_files = [] if played else list(config.replay)
    if config.play:
        check_replay_paths(played)
    if replay_in_background:
        check_replay_paths(trace_files)
    else:
        from vrmon.sources.files import load_trace_file

        for path in trace_files:
            store.add(load_trace_file(path), pinned=True)  # what the user loaded stays, whatever --retain says
    presets = load_presets(config.scene_dirs())
    if config.scene not in presets:
        raise ConfigError(f"unknown scene {config.scene!r}; available: {', '.join(sorted(presets))}")
    hub = Hub(store, presets, config.scene, config.viewer_queue)
    if config.play and (sources or not config.replay or recording):
        raise ConfigError("--play plays trace files (--replay FILE) in time; a recording plays in time already, "
                          "and live sources cannot be played")
    loading = WholeFilesLoading(trace_files, hub) if replay_in_background else None
    # trace files alone: shown whole or played in time (--play), switched by any viewer
    replay = (RecordingReplay(played, hub, config) if played
              else FilesPlayback(trace_files, hub, config, loading) if trace_files and not sources else loading)
    for path in trace_files if loading is None else ():
        hub.set_status(f"file:{path.name}", "ok", f"loaded {path.name}")  # where it lives on disk is nobody's business

    missing = [name for name, sub in VENDOR_DIRS.items() if not (config.node_modules / sub).is_dir()]
    if missing:
        raise ConfigError(
            f"client libraries {', '.join(missing)} are not installed in {config.node_modules}; run `npm ci` in the checkout"
        )

    recorder = _open_recorder(config, hub, sources or [])
    sinks = [(source, _sink(hub, source.name, recorder)) for source in sources or ()]
    fetching = [(source, sink) for source, sink in sinks if hasattr(source, "fetch_trace")]
    if fetching:  # links to traces the polls did not bring (imported here: serving files needs no HTTP client)
        from vrmon.sources.lookup import TraceLookup

        hub.lookup = TraceLookup(fetching, hub.looked_up)

    page = ClientPage(config.static_dir, config.node_modules)  # versioned URLs, preloads (client_page.py)

    async def index(request: Request) -> Response:
        return page.response(request)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse(hub.health())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_every(config.tick, hub.tick, "scene update failed; keeping the last good scene"))]
        tasks += [asyncio.create_task(_run_source(source, sink)) for source, sink in sinks]
        if hub.lookup is not None:
            tasks.append(asyncio.create_task(hub.lookup.run()))
        if replay is not None:
            tasks.append(asyncio.create_task(replay.run()))
        if config.host_metrics and not played:  # a recording's host load is the recorded host's
            tasks.append(asyncio.create_task(run_host_metrics(lambda sample: _publish_metrics(hub, recorder, sample))))
        if recorder is not None and config.record_max_age:
            tasks.append(asyncio.create_task(_every(1.0, recorder.check_age, "checking the recording's age failed")))
        if sources:  # live data has a "now" to age against; replayed files alone are kept whole
            tasks.append(asyncio.create_task(_every(config.tick, lambda: _evict(store, config),
                                                    "evicting old spans failed; keeping them for now")))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if recorder is not None:
                recorder.close()

    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        WebSocketRoute("/ws", viewer_endpoint(hub, config.max_viewers, before_connect=replay.wait if replay else None,
                                              session=replay.viewer_session if isinstance(replay, RecordingReplay) else None)),
        Mount("/static", CachedStaticFiles(directory=config.static_dir), name="static"),
    ]
    routes += [Mount(f"/vendor/{name}", files) for name, files in vendor_apps(config.node_modules).items()]
    exposure = decide_exposure(config, page.script_hashes)  # loopback, or HTTPS + pairing for the LAN
    if exposure.pairing:
        routes += pairing_routes(exposure.pairing, config.static_dir)
    guard = Middleware(AccessGuard, policy=exposure.policy, gate=exposure.pairing)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[guard])
    app.state.exposure = exposure
    app.state.hub = hub
    app.state.store = store
    app.state.recording = recording  # the .vrrec file replayed, if any
    app.state.sources = list(sources or ())  # e.g. the Jaeger source's service dependencies
    return app


def _recording_to_replay(config: ServeConfig, sources: list[Source]) -> Path | None:
    """The recording among --replay, if any: it is played on its own (its time is the only clock)."""
    recordings = [path for path in config.replay if is_recording(path)]
    if not recordings:
        return None
    if len(config.replay) > 1 or sources:
        raise ConfigError("a recording is replayed on its own: pass one --replay FILE.vrrec, without trace files or --jaeger")
    read_header(recordings[0])  # not a recording, or cut before its header: one line now, before listening
    if config.start:  # a --start outside the recording: one line now too (the frame table is quick to read)
        table = scan_frames(recordings[0])
        start_position(config.start, table.start_us, table.duration_us)
    return recordings[0]


def _open_recorder(config: ServeConfig, hub: Hub, sources: list[Source]) -> Recorder | None:
    """--record: a new file, before anything listens (a name already taken fails now)."""
    if not config.record:
        return None
    from vrmon.recording.writer import Recorder

    if not sources:
        raise ConfigError("--record records live sources; add one (--jaeger URL). Trace files are recordings already")
    return Recorder(Path(config.record), [source.name for source in sources], max_size=config.record_max_size,
                    max_age=config.record_max_age, report=lambda state, message: hub.set_status("recording", state, message))


def _sink(hub: Hub, name: str, recorder: Recorder | None) -> SourceSink:
    """Where a source's data goes: the hub, through the recorder when recording (data flows one way)."""
    sink = HubSink(hub, name)
    if recorder is None:
        return sink
    from vrmon.recording.sink import RecordingSink

    return RecordingSink(sink, recorder, name)


def _publish_metrics(hub: Hub, recorder: Recorder | None, sample: HostSample) -> None:
    if recorder is not None:
        recorder.record_metrics(sample)
    hub.broadcast(metrics_frame(**vars(sample)))


async def _run_source(source: Source, sink: SourceSink) -> None:
    try:
        await source.run(sink)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a source bug must not take the server down; say so instead
        log.exception("source %s stopped", source.name)
        sink.set_status("down", f"{source.name} stopped after an internal error: {exc}; restart vrmon")


async def _every(interval: float, action: Callable[[], object], failed: str) -> None:
    """Run `action` every `interval` seconds; a bug in one run is logged and must not stop the next."""
    while True:
        await asyncio.sleep(interval)
        try:
            action()
        except Exception:
            log.exception(failed)


def _evict(store: SpanStore, config: ServeConfig) -> None:
    """Bound memory: spans of traces idle longer than --retain, or beyond --max-spans, leave."""
    store.evict(older_than_us=int((time.time() - config.retain) * 1e6), max_spans=config.max_spans)
