"""One viewer's websocket: requests in (validated, rate-limited), frames out (from its queue).

Every viewer is untrusted. What one of them can cost the others is capped:
- viewers beyond `--max-viewers` are closed at once with code 1013 and a reason that says so;
- a frame over MAX_CLIENT_FRAME bytes gets an error frame, over WS_MAX_SIZE the connection is
  closed (by the websocket layer, before the frame is even buffered whole);
- every kind of request is rate-limited per viewer (RATES); requests over the rate are answered
  with an error;
- MAX_BAD_FRAMES refused requests in a row close the connection (code 1008).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketDisconnect

from vrmon.errors import ProtocolError
from vrmon.hub import Hub, Viewer
from vrmon.protocol import (Colour, Compare, Detail, Expand, Filter, Nearer, ReplayRequest, Resync, Reveal, Select, Shape, SwitchScene,
                            WatchFindings, Zoom, error_frame, page_aspect_query, parse_client_message)

log = logging.getLogger("vrmon")

MAX_BAD_FRAMES = 50  # consecutive refused requests before a viewer is disconnected


@dataclass
class RateLimit:
    """A token bucket: `burst` requests at once, then `per_second` on average."""

    per_second: float
    burst: float
    _tokens: float = field(init=False)
    _at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._tokens = self.burst

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


# request kind → (requests per second, burst); the words name the kind in the refusal
RATES: dict[str, tuple[float, int]] = {
    "scene and resync": (4.0, 8),  # each may lay out and send a whole scene
    "select": (30.0, 60),  # each reads one span's details
    "findings": (4.0, 8),  # each may analyse every trace
    "filter": (30.0, 60),  # a search sends one per keystroke; each counts matches among the folded spans
    "replay": (10.0, 20),  # a seek lays out and sends a whole scene; dragging the timeline sends a few a second
    "zoom": (10.0, 20),  # each lays out the shown trace for a time window or distance (the client sends one at a time)
}
_KIND = {Select: "select", WatchFindings: "findings", SwitchScene: "scene and resync", Resync: "scene and resync",
         Expand: "scene and resync", Detail: "scene and resync", Zoom: "zoom", Nearer: "zoom", Shape: "zoom", Filter: "filter", ReplayRequest: "replay",
         Reveal: "scene and resync", Colour: "filter", Compare: "scene and resync"}


def viewer_endpoint(hub: Hub, max_viewers: int,
                    before_connect: Callable[[WebSocket], Awaitable[None]] | None = None,
                    session: Callable[[], contextlib.AbstractAsyncContextManager[Hub]] | None = None,
                    ) -> Callable[[WebSocket], Awaitable[None]]:
    """`before_connect(ws)` runs once the socket is open, before the viewer joins (e.g. replay files
    still loading); `session()` gives the viewer a hub of its own for the connection (a replay
    clock per viewer) instead of the shared `hub`."""
    connected: set[WebSocket] = set()  # every viewer, whichever hub it is on

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        if len(connected) >= max_viewers:
            await ws.close(code=1013, reason=f"vrmon already serves its {max_viewers} viewers (--max-viewers); try again later")
            return
        connected.add(ws)
        try:
            if before_connect is not None:
                await before_connect(ws)
            async with session() if session is not None else contextlib.nullcontext(hub) as viewer_hub:
                await _serve(ws, viewer_hub)
        finally:
            connected.discard(ws)

    return endpoint


async def _serve(ws: WebSocket, hub: Hub) -> None:
    # the page's shape comes with the socket (`/ws?aspect=0.67`), so its first snapshot fits the
    # page already (the first picture is drawn from it); a hostile one is refused and the viewer
    # gets the wide layout
    refused = None
    try:
        aspect = page_aspect_query(ws.query_params["aspect"]) if "aspect" in ws.query_params else None
    except ProtocolError as exc:
        aspect, refused = None, exc
    viewer = hub.connect(aspect)
    if refused is not None:
        viewer.offer(error_frame(str(refused)))
    sender = asyncio.create_task(_send_frames(ws, viewer))
    try:
        await _receive_requests(ws, hub, viewer)
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        hub.disconnect(viewer)


async def _receive_requests(ws: WebSocket, hub: Hub, viewer: Viewer) -> None:
    limits = {kind: RateLimit(*rate) for kind, rate in RATES.items()}
    bad = 0
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            request = parse_client_message(message.get("bytes") or message.get("text") or b"")
            what = _KIND[type(request)]
            limit = limits[what]
            if not limit.allow():
                raise ProtocolError(f"too many {what} requests: at most {limit.per_second:g} a second; "
                                    "this one was dropped")
            hub.handle(viewer, request)
            bad = 0
        except ProtocolError as exc:
            viewer.offer(error_frame(str(exc)))
            bad += 1
            if bad >= MAX_BAD_FRAMES:
                await ws.close(code=1008, reason="too many malformed or refused requests")
                return
        # Requests that arrived together are queued together: let the other viewers' tasks run
        # between them, so one busy socket cannot hold the loop.
        await asyncio.sleep(0)


async def _send_frames(ws: WebSocket, viewer: Viewer) -> None:
    try:
        while True:
            frame = await viewer.next_frame()
            if frame is not None:
                await ws.send_bytes(frame)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the receive loop sees the disconnect and cleans up
    except Exception:  # e.g. a frame that cannot be encoded: say so, never leave a blank viewer behind
        log.exception("sending to a viewer failed; closing its connection")
        with contextlib.suppress(Exception):
            await ws.close(code=1011, reason="server error while encoding a frame; see the server log")
