"""/static and /vendor serve the client's files and nothing else: traversal, however encoded,
finds nothing, and of the npm packages only the files the client loads are reachable."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
from vrmon.client_files import VENDOR

HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"

TRAVERSALS = [
    "/static/../vrmon/app.py",
    "/static/%2e%2e/vrmon/app.py",
    "/static/%2e%2e%2fvrmon%2fapp.py",
    "/static/%252e%252e%252fvrmon%252fapp.py",  # double-encoded
    "/static/..%5cvrmon%5capp.py",  # backslashes
    "/static/js/../../README.md",
    "/static/js/%2e%2e/%2e%2e/README.md",
    "/static/%c0%ae%c0%ae/README.md",  # overlong UTF-8 dots
    "/static/index.html%00.js",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/vendor/aframe/../package.json",
    "/vendor/aframe/%2e%2e/package.json",
    "/vendor/aframe/%252e%252e/package.json",
    "/vendor/aframe/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json",
    "/vendor/inter-font/%2e%2e/%2e%2e/%2e%2e/aframe/package.json",
    "/vendor/../package.json",
]

NOT_FOR_THE_CLIENT = [  # real files of the same npm packages, which the client never loads
    "/vendor/aframe/aframe-master.js",
    "/vendor/aframe/aframe-master.min.js.map",
    "/vendor/msgpack/Decoder.d.ts",
    "/vendor/msgpack/Decoder.mjs.map",
    "/vendor/troika-three-text/troika-three-text.umd.js",
    "/vendor/inter-font/inter-latin-700-normal.woff2",
]


def raw_status(port: int, target: str) -> int:
    """The status of a GET for `target` exactly as written (an HTTP library would tidy it up)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        head = s.recv(64)
    return int(head.split()[1])


@pytest.fixture(scope="module")
def port(request):
    from tests.conftest import RunningServer, free_port
    from vrmon.app import create_app
    from vrmon.settings import ServeConfig

    server = RunningServer(create_app(ServeConfig(replay=[HOTROD], host_metrics=False)), free_port()).start()
    request.addfinalizer(server.stop)
    return server.port


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_finds_nothing(port, target):
    assert raw_status(port, target) in (400, 404)


@pytest.mark.parametrize("target", NOT_FOR_THE_CLIENT)
def test_only_the_files_the_client_loads_are_served_from_npm_packages(port, target):
    name, rest = target.removeprefix("/vendor/").split("/", 1)
    assert (ROOT / "node_modules" / VENDOR[name][0] / rest).is_file(), "the file exists in the package"
    assert raw_status(port, target) == 404


def test_every_allow_listed_file_is_served(port):
    for name, (directory, patterns) in VENDOR.items():
        root = ROOT / "node_modules" / directory
        files = [p for pattern in patterns for p in root.glob(pattern) if p.is_file()]
        assert files, name
        for path in files:
            assert raw_status(port, f"/vendor/{name}/{Path(path).relative_to(root).as_posix()}") == 200
