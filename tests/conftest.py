"""Shared fixtures: a real vrmon server on a free loopback port (uvicorn in a thread)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn

from vrmon.app import create_app
from vrmon.settings import ServeConfig
from vrmon.ws_protocol import UVICORN_WS_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TRACE_FIXTURES = sorted(
    p for p in FIXTURES.glob("*.json") if not p.name.startswith(("apiv3-getservices", "apiv3-getoperations", "jaeger-dependencies"))
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningServer:
    def __init__(self, app, port: int) -> None:
        self.app = app
        self.port = port
        exposure = getattr(getattr(app, "state", None), "exposure", None)  # None for other apps (the Jaeger stub)
        tls = exposure.uvicorn_options() if exposure else {}  # HTTPS when vrmon serves "the LAN" (--lan)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self.ws_url = f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/ws"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **UVICORN_WS_OPTIONS, **tls)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import asyncio

        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self.server.serve())

    def start(self) -> "RunningServer":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("vrmon test server did not start")
            time.sleep(0.02)
        return self

    def call(self, fn, *args, timeout: float = 10):
        """Run `fn(*args)` on the server's event loop (e.g. hub.set_status) and return its result."""
        import concurrent.futures

        loop = self.loop
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except Exception as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout)

    @property
    def loop(self):
        return self._loop

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshots", metavar="DIR", type=Path, default=None,
                     help="write the docs' screenshots into DIR (`make screenshots` passes docs/img); "
                          "without it they go to a temporary directory")


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[_TREE_BEFORE] = _git_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Tests never write tracked files: a run that changes `git status` of the checkout fails."""
    if session.config.getoption("--screenshots"):
        return  # `make screenshots` is asked to rewrite docs/img
    before, after = session.stash.get(_TREE_BEFORE, None), _git_status()
    if before is not None and after != before:
        changed = sorted(set(after.splitlines()) ^ set(before.splitlines()))
        session.config.get_terminal_writer().line(
            "vrmon: the tests changed the checkout (tests must write to tmp_path): " + "; ".join(changed), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_TREE_BEFORE = pytest.StashKey[str | None]()


def _git_status() -> str | None:
    """`git status --porcelain` of the checkout, or None outside a git checkout."""
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


@pytest.fixture
def screenshot_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where a screenshot test writes its picture: docs/img under `make screenshots`, else tmp_path."""
    chosen = request.config.getoption("--screenshots")
    if chosen is None:
        return tmp_path
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


@pytest.fixture
def vrmon_server() -> Iterator[Callable[..., str]]:
    """Factory: vrmon_server(["fixtures/x.json"], scene="waterfall") -> base URL of a running server.

    Options are ServeConfig fields, plus `store=` (a prepared SpanStore, e.g. synthetic spans)
    and `sources=` (live sources). The RunningServer of the last call is `vrmon_server.last`
    (`.app.state.hub`, `.app.state.store`, and `.call(fn, *args)` to run code on its loop).
    """
    started: list[RunningServer] = []

    def start(replay: list[str | Path], store=None, sources=None, **options) -> str:
        paths = [p if Path(p).is_absolute() else ROOT / p for p in replay]
        app = create_app(ServeConfig(replay=[Path(p) for p in paths], **options), store=store, sources=sources)
        server = RunningServer(app, free_port()).start()
        started.append(server)
        start.last = server  # type: ignore[attr-defined]
        return server.url

    yield start
    for server in started:
        server.stop()
