"""The seam between sources and the rest: a source does I/O and hands span batches to a sink.

Sources know nothing of layout or sockets. The app runs each source's `run` as a task for the
server's lifetime; a source reports its health through the sink in plain words.
"""

from __future__ import annotations

from typing import Protocol

from vrmon.model.dependencies import DependencyLink
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import AddResult


class SourceSink(Protocol):
    def add(self, batch: SpanBatch) -> AddResult:
        """Merge spans into the store (already-stored spans are skipped)."""
        ...

    def set_status(self, state: str, message: str) -> None:
        """Report health: state "ok", "degraded" (serving the last good data) or "down"."""
        ...

    def set_dependencies(self, links: list[DependencyLink]) -> None:
        """Replace the service-to-service call counts this source knows (for the services scene)."""
        ...


class Source(Protocol):
    name: str  # shown in status frames and /healthz, e.g. "jaeger"

    async def run(self, sink: SourceSink) -> None:
        """Run until cancelled; must never raise for bad input from outside."""
        ...
