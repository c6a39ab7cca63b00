"""Who may talk to vrmon, as pure ASGI middleware: Host and Origin checks, security headers, and
(when serving beyond loopback) the authentication gate.

- Host: a request must name this server (its bound address, a loopback name, or an --allow-host
  name). A DNS-rebinding page reaches 127.0.0.1 through a name of its own, which is refused.
- Origin: browsers always send one on a websocket handshake and on a POST. It must be this
  server's own origin (scheme, the Host it asked for, port) or an --allow-origin one, so no other
  web page can read the trace stream (cross-site WebSocket hijacking). No Origin at all means a
  non-browser client (`vrmon tail`, a script): allowed, and it still needs the token when
  authentication is on.
- Headers: a Content-Security-Policy that lets the page load only vrmon's own code, plus
  nosniff, no-referrer and no framing, on every response.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from vrmon.origins import normalise_origin

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)


class Gate(Protocol):
    """Authentication when serving beyond loopback (vrmon.pairing.Pairing is the one in use)."""

    open_paths: frozenset[str]  # reachable without credentials (the pairing page); /healthz says only "up"

    def authenticated(self, headers: dict[str, str]) -> bool: ...


@dataclass(frozen=True)
class AccessPolicy:
    hosts: frozenset[str]  # host names and addresses a request may name (lowercase, IPv6 unbracketed)
    origins: frozenset[str]  # extra origins allowed (--allow-origin), normalised by `normalise_origin`
    # CSP sources for the inline scripts of index.html as served now (client_page.py renders it)
    inline_script_hashes: Callable[[], tuple[str, ...]] = tuple

    def content_security_policy(self, host: str, secure: bool) -> str:
        ws = "wss" if secure else "ws"
        hashes = " ".join(self.inline_script_hashes())
        # blob: for scripts and workers: troika-three-text builds its text worker from a blob: URL
        # and imports its modules into it the same way. Inline styles: A-Frame injects its own
        # stylesheet and the client sets element styles. data: images: A-Frame's button icons.
        return (
            "default-src 'none'; "
            f"script-src 'self' blob: {hashes}; "
            "worker-src 'self' blob:; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; "
            "font-src 'self'; "
            f"connect-src 'self' {ws}://{host}; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )


def access_policy(bind_host: str, allow_host: Iterable[str] = (), allow_origin: Iterable[str] = (),
                  local_names: Iterable[str] = (), script_hashes: Callable[[], tuple[str, ...]] = tuple) -> AccessPolicy:
    """The policy for a server bound to `bind_host`; `local_names` are this machine's own names and
    addresses, allowed when it serves the LAN."""
    hosts = {name.lower() for name in LOOPBACK_NAMES}
    if bind_host not in WILDCARD_ADDRESSES:
        hosts.add(_strip_brackets(bind_host.lower()))
    hosts.update(_strip_brackets(name.strip().lower()) for name in (*local_names, *allow_host) if name.strip())
    origins = frozenset(normalise_origin(origin) for origin in allow_origin if origin.strip())
    return AccessPolicy(frozenset(hosts), origins, script_hashes)


def inline_script_hashes(html: str) -> tuple[str, ...]:
    """CSP 'sha256-…' sources for the inline scripts of a page (index.html's import map)."""
    return tuple(f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
                 for body in _INLINE_SCRIPT.findall(html))


def split_host(host_header: str) -> tuple[str, int | None]:
    """'Example.org:8080' → ('example.org', 8080); '[::1]:8080' → ('::1', 8080); a port that is not
    a port number comes back as -1."""
    host = host_header.strip().lower()
    raw_port: str | None = None
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        if rest:
            raw_port = rest[1:] if rest.startswith(":") else "bad"
    elif host.count(":") == 1:
        host, _, raw_port = host.partition(":")
    if raw_port is None:
        return host.rstrip("."), None
    return host.rstrip("."), int(raw_port) if raw_port.isdigit() and 0 < int(raw_port) < 65536 else -1


def join_host(name: str, port: int | None) -> str:
    """The inverse of `split_host`, for a host already checked."""
    name = f"[{name}]" if ":" in name else name
    return f"{name}:{port}" if port else name


class AccessGuard:
    """ASGI middleware: refuses foreign Hosts and Origins, asks for credentials when `gate` is set,
    and adds the security headers to every response."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy, gate: Gate | None = None) -> None:
        self.app = app
        self.policy = policy
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host_header = headers.get("host", "")
        extra = self._security_headers(host_header, _page_scheme(scope) == "https")
        answer = self._answer_instead(scope, headers)
        if answer is not None:
            status, message = answer
            await _answer(scope, send, status, message, extra)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((k, v) for k, v in extra if k not in present)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _answer_instead(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        """(status, message or redirect target) to answer instead of the app, or None to let it through."""
        host_header = headers.get("host")
        if not host_header:
            return 400, "vrmon: this request names no Host"
        host, port = split_host(host_header)
        if host not in self.policy.hosts or port == -1:
            return 403, (f"vrmon: Host {host_header!r} is not this server's name (DNS rebinding is refused); "
                         f"if you reach vrmon by that name, start it with --allow-host {host}")
        if not self._from_allowed_origin(scope, headers, host_header):
            origin = headers["origin"]
            return 403, (f"vrmon: a page from {origin} may not connect to this server; "
                         f"start vrmon with --allow-origin {origin} if you trust it")
        if self.gate is not None and scope["path"] not in self.gate.open_paths and not self.gate.authenticated(headers):
            if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"] == "/":
                return 303, "/pair"
            if scope["type"] == "http" and scope["path"] == "/healthz":
                return 200, "up"  # answering at all says up; nothing more without credentials
            return 401, ("vrmon: authentication required: open /pair in a browser to pair it with a code, "
                         "or send 'Authorization: Bearer TOKEN' (the --token of the server)")
        return None

    def _from_allowed_origin(self, scope: Scope, headers: dict[str, str], host_header: str) -> bool:
        """A websocket handshake or a POST from vrmon's own pages, an allowed origin, or no browser."""
        if scope["type"] == "http":
            if scope["method"] in SAFE_METHODS:
                return True
            # Under Referrer-Policy: no-referrer a browser sends `Origin: null` with its own form
            # posts; Sec-Fetch-Site still says the request comes from this origin.
            if headers.get("sec-fetch-site") == "same-origin":
                return True
        origin = headers.get("origin")
        return origin is None or self._origin_allowed(origin, host_header, _page_scheme(scope))

    def _origin_allowed(self, origin: str, host_header: str, scheme: str) -> bool:
        try:
            origin = normalise_origin(origin)
        except ValueError:
            return False  # "null" (sandboxed frames, file: pages) and anything malformed
        if origin in self.policy.origins:
            return True
        return origin == normalise_origin(f"{scheme}://{join_host(*split_host(host_header))}")

    def _security_headers(self, host_header: str, secure: bool) -> list[tuple[bytes, bytes]]:
        name, port = split_host(host_header)
        host = join_host(name, port) if name in self.policy.hosts and port != -1 else "localhost"
        return [
            (b"content-security-policy", self.policy.content_security_policy(host, secure).encode("latin-1")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]


async def _answer(scope: Scope, send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]]) -> None:
    """An HTTP answer (redirect or error) to a request; a websocket handshake gets a bare 403.

    (The ASGI websocket denial response could carry the message, but uvicorn then logs an error
    for every refused handshake; a non-browser client is told what a 403 means instead.)"""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    if status == 303:
        body, headers = b"", [(b"location", message.encode()), (b"content-length", b"0")]
    elif status == 200:
        body = json.dumps({"status": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    else:
        body = json.dumps({"error": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="vrmon"'))
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})


def _page_scheme(scope: Scope) -> str:
    """The scheme of vrmon's own pages as the browser sees them: uvicorn sets it from TLS, or from
    X-Forwarded-Proto when a reverse proxy on this machine terminates HTTPS."""
    return "https" if scope.get("scheme") in ("https", "wss") else "http"


def _strip_brackets(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host
