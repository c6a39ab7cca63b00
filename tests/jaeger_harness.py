"""Live-source test harness: a recorded-response backend and a vrmon watching it, both real servers
on loopback (Jaeger here; tests/tempo_zipkin_stubs.py serves Tempo and Zipkin the same way).

`live_jaeger(stub, **jaeger_settings)` starts vrmon with a JaegerSource polling the stub every
50 ms; `Live.viewer()` connects a websocket viewer that mirrors the scene from its snapshot and
deltas, failing on any duplicate node. Import the fixture into a test module to use it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.conftest import RunningServer, free_port
from tests.jaeger_stub import JaegerStub
from vrmon.app import create_app
from vrmon.protocol import decode_server_frame
from vrmon.settings import ServeConfig, jaeger_config
from vrmon.sources.jaeger import JaegerSource

FAST = {"poll": 0.05, "retry_max": 0.2, "jaeger_timeout": 2.0}  # quick polls and retries keep the suite short


@dataclass
class Viewer:
    """A websocket viewer keeping the scene as the frames describe it: node id → position."""

    ws: ClientConnection
    source: str = "jaeger"  # whose statuses it keeps
    nodes: dict[int, tuple[float, ...]] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)  # type of every frame received, in order
    statuses: list[dict[str, Any]] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)
    frames: list[dict[str, Any]] = field(default_factory=list)

    def until(self, done: Callable[["Viewer"], bool], timeout: float = 10.0, what: str = "") -> "Viewer":
        deadline = time.monotonic() + timeout
        while not done(self):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"viewer: timed out waiting for {what or done}; last status {self.status}, "
                                     f"{len(self.nodes)} nodes, frames {self.kinds[-12:]}")
            try:
                self.apply(decode_server_frame(self.ws.recv(timeout=left)))
            except TimeoutError:
                continue
        return self

    def collect(self, seconds: float) -> list[str]:
        """Every frame type received during `seconds`."""
        start = len(self.kinds)
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                self.apply(decode_server_frame(self.ws.recv(timeout=left)))
            except TimeoutError:
                break
        return self.kinds[start:]

    def apply(self, frame: dict[str, Any]) -> None:
        self.kinds.append(frame["type"])
        self.frames.append(frame)
        if frame["type"] == "snapshot":
            self.nodes = _positions(frame["nodes"])
        elif frame["type"] == "delta":
            added = _positions(frame["added"])
            duplicates = set(added) & set(self.nodes)
            assert not duplicates, f"delta {frame['seq']} adds nodes the viewer already has: {sorted(duplicates)[:5]}"
            assert set(_positions(frame["updated"])) <= set(self.nodes), "delta updates a node the viewer never got"
            for node in frame["removed"].tolist():
                self.nodes.pop(node)
                self.removed.add(node)
            self.nodes.update(added)
            self.nodes.update(_positions(frame["updated"]))
        elif frame["type"] == "status" and frame["source"] == self.source:
            self.statuses.append(frame)

    @property
    def status(self) -> dict[str, Any] | None:
        return self.statuses[-1] if self.statuses else None

    def state(self, state: str, *words: str) -> Callable[["Viewer"], bool]:
        """Predicate: the source's last status has this state and mentions every word."""
        return lambda v: v.status is not None and v.status["state"] == state and all(w in v.status["message"] for w in words)


@dataclass
class Live:
    stub: Any  # JaegerStub, TempoStub or ZipkinStub
    server: RunningServer
    source: Any  # the polling source watching it
    connections: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def store(self):
        return self.server.app.state.store

    def healthz(self) -> dict[str, Any]:
        return httpx.get(self.server.url + "/healthz", timeout=5).json()

    def viewer(self) -> Viewer:
        viewer = Viewer(self.connections.enter_context(connect(self.server.ws_url, max_size=None)), self.source.name)
        return viewer.until(lambda v: "snapshot" in v.kinds, what="the first snapshot")

    def wait(self, done: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        """Poll `done` on the server's event loop, so it never sees the store halfway through an add."""
        deadline = time.monotonic() + timeout
        while not self.server.call(done):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or done}; health: {self.healthz()}")
            time.sleep(0.02)

    def polls_later(self, count: int = 3) -> None:
        """Wait until `count` successive polls, each begun after the previous one ended, have succeeded."""
        for _ in range(count):
            began_us = int(time.time() * 1e6)
            self.wait(lambda: (self.source.polled_until_us or 0) > began_us, what="a successful poll")

    def requests_later(self, count: int) -> None:
        """Wait until the stub has answered `count` more requests (polls and retries alike)."""
        target = len(self.stub.requests) + count
        self.wait(lambda: len(self.stub.requests) >= target, what=f"{count} more requests to the backend")

    def close(self) -> None:
        self.connections.close()
        self.server.stop()
        self.stub.stop()


@pytest.fixture
def live_jaeger() -> Iterator[Callable[..., Live]]:
    """Factory: live_jaeger(stub, serve={ServeConfig fields}, **jaeger settings) → Live."""
    started: list[Live] = []

    def start(stub: JaegerStub, *, serve: dict[str, Any] | None = None, url: str | None = None, **settings: Any) -> Live:
        if stub.server is None:
            stub.start()
        config = jaeger_config(jaeger=url or stub.url, **{**FAST, **settings})
        live = serve_source(stub, JaegerSource(config), config, serve)
        started.append(live)
        return live

    yield start
    for live in started:
        live.close()


def serve_source(stub: Any, source: Any, config: Any, serve: dict[str, Any] | None = None) -> Live:
    """A vrmon serving one live `source` (configured with `config`'s shared settings) on loopback."""
    app = create_app(ServeConfig(tick=0.02, host_metrics=False, jaeger=config, **(serve or {})), sources=[source])
    return Live(stub, RunningServer(app, free_port()).start(), source)


def _positions(nodes) -> dict[int, tuple[float, ...]]:
    return {int(i): tuple(np.asarray(p).tolist()) for i, p in zip(nodes.ids, nodes.pos)}
