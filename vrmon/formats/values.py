"""Untrusted numbers and containers from trace documents, brought into what the store can hold.

A tracer (or an attacker) can write anything in a span: a start of ``1e400`` (JSON's way to say
infinity), an integer beyond 64 bits, a number where a list of tags should be. One such span
must not cost the rest of the document, nor stop a live source: the value is brought into range
and the span keeps the reason, which its details show as a warning (see `problems`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from vrmon.model.string_table import clean_text

# Times in µs are clamped to half the int64 range, so start + duration cannot wrap around.
TIME_LIMIT = 2**62
_ID_MASKS = {64: 2**64 - 1, 128: 2**128 - 1}


def whole_number(value: Any, what: str, problems: list[str]) -> int:
    """A JSON number or decimal string (OTLP's int64 encoding) as an int of any size.

    ±Infinity (also what JSON's ``1e400`` parses to) becomes ±2^62 and NaN becomes 0, each
    with a problem. Raises ValueError or TypeError
    for what is not a number at all (the reader names the span in its message).
    """
    if type(value) is int:
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            value = float(value)  # "1.5e15", "Infinity", "NaN"; anything else raises
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    if math.isnan(value):
        problems.append(f"{what} is NaN; shown as 0")
        return 0
    if math.isinf(value):
        problems.append(f"{what} is infinite (Infinity, or a number like 1e400); clamped to ±2^62")
        return TIME_LIMIT if value > 0 else -TIME_LIMIT
    return int(value)


def fit_time(value: Any, what: str, problems: list[str]) -> int:
    """A time or duration in µs within ±2^62 µs; a value brought into range adds a problem."""
    number = whole_number(value, what, problems)
    if -TIME_LIMIT <= number <= TIME_LIMIT:
        return number
    clamped = max(-TIME_LIMIT, min(TIME_LIMIT, number))
    problems.append(f"{what} {_short(value)} is beyond the ±2^62 µs vrmon can hold; clamped to {clamped} µs")
    return clamped


def fit_id(value: int, bits: int, what: str, problems: list[str]) -> int:
    """An id as an unsigned `bits`-bit integer: a longer or negative one keeps its low bits."""
    mask = _ID_MASKS[bits]
    if 0 <= value <= mask:
        return value
    problems.append(f"{what} {_short(value)} is not a {bits}-bit id; its low {bits} bits are used")
    return value & mask


def span_kind(value: Any, names: dict[str, int], count: int) -> int:
    """An OTLP span kind (number or SPAN_KIND_* name) as a code below `count`, else 0 (unspecified)."""
    if type(value) is int:
        return value if 0 <= value < count else 0
    return names.get(value, 0) if isinstance(value, str) else 0


def as_dict(value: Any, what: str, problems: list[str]) -> dict:
    """`value` if it is an object; an absent one is empty, and a wrong type is ignored with a problem."""
    if isinstance(value, dict):
        return value
    if value is not None:
        problems.append(f"{what} is {json_kind(value)}, not an object; ignored")
    return {}


def as_list(value: Any, what: str, problems: list[str]) -> list:
    """`value` if it is a list; an absent one is empty, and a wrong type is ignored with a problem."""
    if isinstance(value, list):
        return value
    if value is not None:
        problems.append(f"{what} is {json_kind(value)}, not a list; ignored")
    return []


MAX_PACKED_DEPTH = 64  # deeper parts of a raw span are replaced by a note (msgpack refuses beyond 512)


def pack_untrusted(pack: Callable[[Any], bytes], value: Any) -> bytes:
    """msgpack bytes of a parsed JSON value, whatever it holds.

    The usual value packs as it is. One with an integer beyond 64 bits, a lone surrogate or
    nesting msgpack refuses is packed as `packable(value)` instead: that path is only paid by
    hostile or broken input.
    """
    try:
        return pack(value)
    except (OverflowError, UnicodeEncodeError, ValueError):
        return pack(packable(value))


def packable(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON-like value msgpack can always encode: big integers as decimal strings,
    lone surrogates as U+FFFD, and parts nested deeper than MAX_PACKED_DEPTH as a note."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, (float, bytes)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if depth >= MAX_PACKED_DEPTH:
        return "(nested too deeply to show)"
    if isinstance(value, dict):
        return {clean_text(str(k)): packable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [packable(v, depth + 1) for v in value]
    return clean_text(str(value))


def failure_reason(exc: Exception) -> str:
    """Why a span could not be read, in words (a KeyError says only the key)."""
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


def json_kind(value: Any) -> str:
    """What a parsed JSON value is, in JSON's words: 'a number', 'a string', 'an array', …"""
    kinds = ((bool, "a boolean"), ((int, float), "a number"), (str, "a string"), (list, "an array"), (dict, "an object"))
    return next((name for kind, name in kinds if isinstance(value, kind)), f"a {type(value).__name__}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
