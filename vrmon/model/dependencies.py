"""Service-to-service call counts as a tracing backend aggregates them (Jaeger's /api/dependencies):
they can name calls that no loaded trace shows, so the services scene draws them too."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DependencyLink:
    parent: str  # the calling service
    child: str  # the called service
    call_count: int
