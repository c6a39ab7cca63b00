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

    async def wait(self, ws: WebSocket) -> None:
        """Before a viewer joins, until the reading is done: the statuses now, then wait."""
        if self.done.is_set():
            return
        for name, status in self.hub.sources.items():
            await ws.send_bytes(status_frame(source=name, **status.to_json()))
        await self.done.wait()
