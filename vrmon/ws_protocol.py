"""The websocket layer vrmon runs under uvicorn, and the options that go with it.

websockets' sans-I/O implementation as uvicorn ships it, with two changes for peers that do not
play fair:
- a ping is answered only while the peer reads what it is sent: a peer that sends pings and never
  reads would otherwise pile up one pong per ping in the server's write buffer, without bound;
- no permessage-deflate: vrmon encodes each frame once for all viewers, and per-message
  compression would compress those bytes again once per viewer (docs/security.md has the figures).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

WS_MAX_SIZE = 64 * 1024  # bytes in one viewer → server message; larger ones close the connection (1009)


class FairWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_ping(self) -> None:
        output = self.conn.data_to_send()  # the pong websockets prepared
        if self.writable.is_set():  # the write buffer is under its high-water mark: the peer reads
            self.transport.write(b"".join(output))


UVICORN_WS_OPTIONS: dict[str, Any] = {"ws": FairWebSocketProtocol, "ws_max_size": WS_MAX_SIZE,
                                      "ws_per_message_deflate": False}
