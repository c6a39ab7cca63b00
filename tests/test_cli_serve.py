"""`vrmon serve` start-up, run as a user runs it (a subprocess): the port it prints is the one it
listens on, a port it cannot have is one line saying what to do, and it starts before Jaeger."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import ROOT, free_port
from tests.jaeger_stub import JaegerStub
from tests.recorded_backend import Fault
from vrmon.protocol import decode_server_frame

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
HOTROD_V3 = "apiv3-gettrace-hotrod-40spans.json"
OPEN_LINE = re.compile(r"vrmon: open http://127\.0\.0\.1:(\d+)/ ")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vrmon.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={**_clean_env(), **(env or {})})


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("VRMON_")}


class Serving:
    """`vrmon serve ARGS` in the background; `line(pattern)` reads its stderr up to a matching line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "vrmon.cli", "serve", *args], cwd=ROOT, env=_clean_env(),
                                        stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []

    def line(self, pattern: re.Pattern[str] | str) -> re.Match[str]:
        for line in self.process.stderr:  # ends when the server exits
            self.lines.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"vrmon serve exited ({self.process.wait()}) without printing {pattern!r}: {self.lines}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def serving() -> Iterator[type[Serving]]:
    started: list[Serving] = []

    def start(*args: str) -> Serving:
        started.append(Serving(*args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def test_port_0_prints_the_port_it_bound(serving):
    server = serving("--replay", HOTROD, "--port", "0", "--no-host-metrics")
    port = int(server.line(OPEN_LINE).group(1))
    assert port != 0
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200


def test_a_port_in_use_is_one_line_saying_what_to_do_and_nothing_says_open():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--replay", HOTROD, "--port", str(port), "--no-host-metrics")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"vrmon: error: port {port} on 127.0.0.1 is already in use (another vrmon?); pick a free one with --port 8080 "
        "(make demo PORT=8080), or --port 0 for any free port"
    ]


@pytest.fixture
def slow_jaeger() -> Iterator[JaegerStub]:
    """A Jaeger that answers 20 s late (sooner once stopped): `answered` tells whether a client waited for it."""
    stub = JaegerStub(fault=Fault("slow", seconds=20.0))
    stub.release(stub.load(HOTROD_V3))
    stub.start()
    yield stub
    stub.stop()


@pytest.mark.parametrize("case", ["--otlp port in use", "--otlp beyond loopback without a token"])
def test_an_otlp_error_is_one_line_at_once_not_after_a_slow_jaeger_answers(case, slow_jaeger, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        otlp = ["--otlp", f"127.0.0.1:{port}"] if case == "--otlp port in use" else ["--otlp", "127.0.0.1:0", "--lan"]
        # --jaeger-timeout: vrmon would wait for the answer, were it to wait for Jaeger at all
        result = run_cli("serve", "--jaeger", slow_jaeger.url, "--jaeger-timeout", "60s", *otlp, "--port", "0",
                         "--no-host-metrics", "--config-dir", str(tmp_path))
    assert not slow_jaeger.answered.is_set(), "vrmon said what was wrong only once Jaeger had answered"
    assert result.returncode == 1
    if case == "--otlp port in use":  # Jaeger is not even asked: the port is bound first
        assert result.stderr.splitlines() == [
            f"vrmon: error: port {port} on 127.0.0.1 is already in use (another vrmon?); pick a free one with "
            f"--otlp {port + 1}, or --otlp 0 for any free port"
        ]
        assert slow_jaeger.requests == []
    else:
        [line] = result.stderr.splitlines()
        assert line.startswith("vrmon: error: --otlp 127.0.0.1:0 listens beyond loopback, so exporters must authenticate"), line


@pytest.mark.parametrize("args, env, message", [
    (["--port", "70000"], {}, "vrmon serve: error: argument --port: invalid port value: '70000'"),
    (["--port", "-1"], {}, "vrmon serve: error: argument --port: invalid port value: '-1'"),
    ([], {"VRMON_PORT": "70000"}, "vrmon: error: VRMON_PORT='70000' is not a valid port"),
])
def test_a_port_out_of_range_is_refused_without_a_traceback(args, env, message):
    result = run_cli("serve", "--replay", HOTROD, *args, env=env)
    assert result.returncode in (1, 2)
    assert result.stderr.splitlines()[-1] == message
    assert "Traceback" not in result.stderr


def test_serve_starts_before_jaeger_and_shows_it_once_it_answers(serving):
    jaeger_port = free_port()  # nothing listens there yet
    url = f"http://127.0.0.1:{jaeger_port}"
    server = serving("--jaeger", url, "--port", "0", "--no-host-metrics", "--poll", "0.05", "--retry-max", "0.2")
    server.line(f"vrmon: waiting for Jaeger at {re.escape(url)} \\(connection to .* refused")
    port = int(server.line(OPEN_LINE).group(1))
    stub = JaegerStub()
    try:
        with connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
            frame = decode_server_frame(ws.recv(timeout=10))
            assert frame["type"] == "snapshot" and len(frame["nodes"]) == 0
            status = _next(ws, "status")
            assert status["state"] == "down" and status["message"].startswith(f"waiting for Jaeger at {url}: ")

            stub.release(stub.load(HOTROD_V3))
            stub.start(jaeger_port)  # Jaeger comes up
            spans, state = 0, "down"
            deadline = time.monotonic() + 30
            while spans < 40 or state != "ok":
                frame = decode_server_frame(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
                if frame["type"] == "delta":
                    spans += len(frame["added"])
                elif frame["type"] == "status":
                    state = frame["state"]
            assert spans == 40
    finally:
        stub.stop()


def _next(ws, kind: str) -> dict:
    while (frame := decode_server_frame(ws.recv(timeout=15)))["type"] != kind:
        pass
    return frame
