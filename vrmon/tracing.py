"""vrmon's own spans (a poll, a file load, a parse, a store add, a layout, an encode, a fan-out),
through the OpenTelemetry API: they go wherever an SDK configured in this process sends them
(`vrmon serve --self-trace` feeds them to vrmon's own store, `opentelemetry-instrument` to any
collector), and cost next to nothing when none is.

The API's own no-op span still enters and leaves a context each time; with no SDK, `span()`
hands back one shared do-nothing context instead, about a quarter of that cost (docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, ContextManager

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, ProxyTracerProvider, Span

_tracer = trace.get_tracer("vrmon")
_UNTRACED = contextlib.nullcontext(INVALID_SPAN)  # reusable: entering it does nothing
_quiet: ContextVar[bool] = ContextVar("vrmon_untraced", default=False)


def span(name: str, attributes: Mapping[str, Any] | None = None) -> ContextManager[Span]:
    """`with span("store add", {"vrmon.spans": n}) as s:` a span of vrmon's work, current inside."""
    if _quiet.get() or isinstance(trace.get_tracer_provider(), ProxyTracerProvider):  # no SDK in this process
        return _UNTRACED
    return _tracer.start_as_current_span(name, attributes=attributes)


def is_untraced() -> bool:
    """Inside `untraced()` (or a callback scheduled from there)."""
    return _quiet.get()


@contextlib.contextmanager
def untraced() -> Iterator[None]:
    """Work inside makes no spans, nor do the callbacks it schedules (they run in a copy of this
    context): vrmon storing its own spans must not trace that, or it would feed on itself."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)
