"""`vrmon serve` listens before it loads the serving code, and serves before it loads what only
reading files, comparing traces, findings, span details, host load or LAN exposure need (issue 14:
server start → listening ≤ 0.5 s). What is imported is the cause of most of that time; this test
pins the cause, `python -m bench.server_start` measures the time.

The server runs as a user runs it (a subprocess, the real command line); a probe records
`sys.modules` when the listening socket is bound, and when uvicorn starts serving (before the app's
lifespan starts its tasks: the replay files are read after that, in a worker thread).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port
from tests.jaeger_stub import JaegerStub

PROBE = r"""
import json, socket, sys

out, args = sys.argv[1], sys.argv[2:]
bind = socket.socket.bind

def snapshot(when):
    with open(f"{out}.{when}.json", "w") as f:
        json.dump(sorted(sys.modules), f)

def probed_bind(self, address):
    bind(self, address)
    socket.socket.bind = bind  # the first socket bound is the listener
    snapshot("bound")
    import uvicorn.server  # after the snapshot (serving imports it anyway)

    startup = uvicorn.server.Server.startup

    async def probed_startup(server, sockets=None):
        snapshot("serving")
        await startup(server, sockets)

    uvicorn.server.Server.startup = probed_startup

socket.socket.bind = probed_bind
from vrmon.cli import main
sys.exit(main(args))
"""
OPEN_LINE = re.compile(r"vrmon: open (http://127\.0\.0\.1:\d+/) ")

# Bound: none of the serving code yet (the port in use, a bad flag: one line, at once).
NOT_BOUND = ("numpy", "uvicorn", "starlette", "vrmon.app", "vrmon.hub")
# Serving: what reading trace files, comparing, findings, span details, host load, TLS and pairing need.
NOT_SERVING = ("vrmon.formats.documents", "vrmon.formats.otlp_proto", "vrmon.sources.files", "vrmon.replay.from_file",
               "vrmon.analysis.compare", "vrmon.analysis.findings", "google.protobuf", "opentelemetry.proto",
               "psutil", "cryptography", "vrmon.recording.writer", "httpx")


def loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == name or m.startswith(name + ".") for name in names)]


@pytest.fixture(scope="module")
def jaeger() -> Iterator[str]:
    stub = JaegerStub()
    stub.release(stub.load("apiv3-gettrace-hotrod-40spans.json"))
    stub.start(free_port())
    yield f"http://127.0.0.1:{stub.server.port}"
    stub.stop()


@pytest.mark.parametrize("source", ["replay", "jaeger"])
def test_serve_listens_before_loading_the_serving_code_and_serves_without_the_readers(source, jaeger, tmp_path):
    args = ["--replay", "fixtures/otlp-hotrod-dispatch-40spans-serial.json"] if source == "replay" else ["--jaeger", jaeger]
    out = tmp_path / "modules"
    process = subprocess.Popen([sys.executable, "-c", PROBE, str(out), "serve", *args, "--port", "0"], cwd=ROOT,
                               stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:  # ends if the server exits
            if match := OPEN_LINE.search(line):
                break
        else:
            pytest.fail(f"vrmon serve exited ({process.wait()}) without saying where to open it")
        page = httpx.get(match.group(1), timeout=30)
        assert page.status_code == 200 and "<a-scene" in page.text
    finally:
        process.terminate()
        process.wait(timeout=10)
    bound, serving = (json.loads(Path(f"{out}.{when}.json").read_text()) for when in ("bound", "serving"))
    assert "vrmon.cli" in bound and "vrmon.app" in serving  # the probe saw both moments
    assert loaded(bound, NOT_BOUND) == []
    # Jaeger is asked what it speaks before serving (a URL that is not Jaeger fails at once) with the HTTP
    # client and the JSON readers its polls use
    needed = {"replay": (), "jaeger": ("httpx", "vrmon.formats.documents")}[source]
    assert loaded(serving, tuple(n for n in NOT_SERVING if n not in needed)) == []
