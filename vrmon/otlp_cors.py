"""CORS for the OTLP receiver, only for the web origins the user names with --otlp-cors.

A web page instrumented with OpenTelemetry JS exports with fetch from its own origin, so the
browser asks first (a preflight OPTIONS: may this origin POST `Content-Type: application/json`
here?) and lets the page send, and read the answer, only when the receiver says yes. By default
it says nothing, and no other site's page can send spans to vrmon. For a named origin this
middleware answers the preflight, and marks the receiver's answers to that origin's POSTs as
readable by it; the access guard behind it still checks the Host, lets the origin's POSTs
through (the receiver's policy lists it), and asks for the token beyond loopback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vrmon.origins import normalise_origin
from vrmon.security import ASGIApp, Receive, Scope, Send

# what an exporter sends beyond the CORS-safelisted headers: the media type, gzip, the --token
ALLOWED_HEADERS = "content-type, content-encoding, authorization"
PREFLIGHT_MAX_AGE_S = 600


class OtlpCors:
    """ASGI middleware: preflights and CORS answers for `origins` (normalised), nothing for others."""

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = self._named_origin(scope)
        if origin is None:
            await self.app(scope, receive, send)
            return
        allow = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        headers = dict(scope["headers"])
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send({"type": "http.response.start", "status": 204, "headers": [
                *allow,
                (b"access-control-allow-methods", b"POST"),
                (b"access-control-allow-headers", ALLOWED_HEADERS.encode("latin-1")),
                (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_S).encode("latin-1")),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_allowed(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *allow]}
            await send(message)

        await self.app(scope, receive, send_allowed)

    def _named_origin(self, scope: Scope) -> str | None:
        """The request's Origin, as it sent it, when it is one of `origins`."""
        if scope["type"] != "http" or not self.origins:
            return None
        origin = dict(scope["headers"]).get(b"origin", b"").decode("latin-1")
        try:
            return origin if normalise_origin(origin) in self.origins else None
        except ValueError:
            return None  # no Origin, "null", or not an origin at all
