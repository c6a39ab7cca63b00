"""Trace and span ids: hex (any case, leading zeros optional) or base64 (Tempo, protobuf JSON)."""

from __future__ import annotations

import base64
import binascii

from vrmon.errors import TraceFormatError


def parse_id(value: object, what: str) -> int:
    """Return the id as an integer; 0 for an empty id."""
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise TraceFormatError(f"{what} must be a hex string, got {type(value).__name__}")
    if not value:
        return 0
    if "=" not in value:
        try:
            return int(value, 16)
        except ValueError:
            pass
    try:
        return int.from_bytes(base64.b64decode(value, validate=True), "big")
    except (binascii.Error, ValueError):
        raise TraceFormatError(f"{what} {value[:40]!r} is neither hex nor base64") from None


def format_trace_id(value: int) -> str:
    return format(value, "032x" if value >> 64 else "016x")


def format_span_id(value: int) -> str:
    return format(value, "016x")
