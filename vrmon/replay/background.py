"""What `--replay` reads after the server listens, so a big file does not keep the page from opening.

While the reading runs (in a worker thread), a viewer that connects gets the statuses at once
(the page shows them in its banner: "loading", then "ok" or the file's one-line error) and joins
when the reading is done, so its first snapshot is what was read, not an empty scene that fills.
"""

from __future__ import annotations

import asyncio

from starlette.websockets import WebSocket

from vrmon.hub import Hub
from vrmon.protocol import status_frame


class ReadInBackground:
    """Base of the replay readers: `done` is set once the reading ended, read or failed."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.done = asyncio.Event()
        self._changed = asyncio.Event()  # a status changed while viewers wait

    def tell(self, source: str, state: str, message: str) -> None:
        """Set a source's status, for the viewers that joined and those still waiting (on the event loop)."""
        self.hub.set_status(source, state, message)
        self._changed.set()

    async def wait(self, ws: WebSocket) -> None:
        """Before a viewer joins, until the reading is done: the statuses now and as they change
        (a long load's progress), then join."""
        sent: dict[str, object] = {}
        while not self.done.is_set():
            self._changed.clear()
            for name, status in list(self.hub.sources.items()):
                if sent.get(name) != status:
                    sent[name] = status
                    await ws.send_bytes(status_frame(source=name, **status.to_json()))
            changed = asyncio.ensure_future(self._changed.wait())
            done = asyncio.ensure_future(self.done.wait())
            try:
                await asyncio.wait((changed, done), return_when=asyncio.FIRST_COMPLETED)
            finally:
                changed.cancel()
                done.cancel()
