"""On loopback, only vrmon's own pages and local names get in: a real server, real HTTP and
websockets. A foreign Origin is refused at the handshake and never sees a frame; a foreign Host
(DNS rebinding) is refused; every response carries the security headers."""

from __future__ import annotations

import socket

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from vrmon.cli import main
from vrmon.protocol import decode_server_frame
from vrmon.settings import SecurityConfig

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
WAIT_S = 30  # an upper bound for a busy machine, not a pace: every answer comes far sooner


def open_ws(server, host: str | None, origin: str | None, headers: dict[str, str] | None = None):
    """A websocket to the server on loopback whose handshake names `host` (as a browser that
    reached 127.0.0.1 by that name would) and `origin`."""
    uri = f"ws://{host}/ws" if host else server.ws_url
    sock = socket.create_connection(("127.0.0.1", server.port))
    return connect(uri, sock=sock, origin=origin, additional_headers=headers, open_timeout=WAIT_S)


def first_frame(server, host: str | None = None, origin: str | None = None) -> dict:
    with open_ws(server, host, origin) as ws:
        return decode_server_frame(ws.recv(timeout=WAIT_S))


def refused_status(server, host: str | None = None, origin: str | None = None) -> int:
    with pytest.raises(InvalidStatus) as refused:
        with open_ws(server, host, origin) as ws:
            ws.recv(timeout=WAIT_S)  # never reached: the handshake fails before any frame
    return refused.value.response.status_code


@pytest.fixture
def server(vrmon_server):
    vrmon_server([HOTROD], host_metrics=False,
                 security=SecurityConfig(allow_host=("tunnel.example",), allow_origin=("https://grafana.example.org",)))
    return vrmon_server.last


def test_a_page_from_another_origin_cannot_open_the_websocket(server):
    for origin in ("https://evil.example", "http://127.0.0.1:1", "null", f"http://localhost.evil.example:{server.port}"):
        assert refused_status(server, origin=origin) == 403, origin


def test_vrmons_own_page_and_allowed_origins_get_the_stream(server):
    for host, origin in ((None, server.url), (f"localhost:{server.port}", f"http://localhost:{server.port}"),
                         (None, "https://grafana.example.org")):
        assert first_frame(server, host, origin)["type"] == "snapshot", origin


def test_behind_a_local_https_proxy_its_origin_is_vrmons_own(server):
    """A reverse proxy on this machine terminates HTTPS for tunnel.example (an --allow-host name)
    and says so with X-Forwarded-Proto; the page's origin is then https://tunnel.example."""
    proxied = {"X-Forwarded-Proto": "https"}
    with open_ws(server, "tunnel.example", "https://tunnel.example", proxied) as ws:
        assert decode_server_frame(ws.recv(timeout=WAIT_S))["type"] == "snapshot"
    with pytest.raises(InvalidStatus):
        open_ws(server, "tunnel.example", "http://tunnel.example", proxied)
    with httpx.Client(base_url=server.url, timeout=WAIT_S) as http:
        csp = http.get("/", headers={"Host": "tunnel.example", **proxied}).headers["content-security-policy"]
    assert "connect-src 'self' wss://tunnel.example;" in csp


def test_a_client_without_origin_is_not_a_browser_and_gets_the_stream(server, capsys):
    assert first_frame(server)["type"] == "snapshot"
    assert main(["tail", server.ws_url, "--once", "--timeout", str(WAIT_S)]) == 0
    assert capsys.readouterr().out.startswith("snapshot seq=")


def test_a_foreign_host_is_refused_against_dns_rebinding(server):
    with httpx.Client(base_url=server.url, timeout=WAIT_S) as http:
        refused = http.get("/", headers={"Host": f"rebind.evil.example:{server.port}"})
        assert refused.status_code == 403
        assert "--allow-host rebind.evil.example" in refused.json()["error"]
        for host in ("localhost", "127.0.0.1", "[::1]", "tunnel.example", "LOCALHOST."):
            assert http.get("/healthz", headers={"Host": f"{host}:{server.port}"}).status_code == 200, host
        for bad in ("localhost:notaport", "localhost:99999", "[::1]junk", "localhost:1; script-src *"):
            refused = http.get("/healthz", headers={"Host": bad})
            assert refused.status_code == 403 and "script-src *" not in refused.headers["content-security-policy"], bad
    assert refused_status(server, host=f"rebind.evil.example:{server.port}") == 403


def test_every_response_carries_the_security_headers(server):
    with httpx.Client(base_url=server.url, timeout=WAIT_S) as http:
        for path in ("/", "/healthz", "/static/js/main.js", "/vendor/aframe/aframe-master.module.min.js", "/no-such-page"):
            headers = http.get(path).headers
            csp = headers["content-security-policy"]
            assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, path
            assert "script-src 'self' blob: 'sha256-" in csp  # index.html's import map, by hash
            assert f"connect-src 'self' ws://127.0.0.1:{server.port};" in csp
            assert "http" not in csp.replace(f"ws://127.0.0.1:{server.port}", ""), "no other host is trusted"
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["x-frame-options"] == "DENY"


def test_a_malformed_allowed_origin_is_a_one_line_error():
    from vrmon.errors import ConfigError

    with pytest.raises(ConfigError, match="--allow-origin: 'grafana' is not an origin"):
        SecurityConfig(allow_origin=("grafana",))
