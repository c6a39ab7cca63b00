"""OTLP attribute values (AnyValue) as plain JSON values.

Details keep OTLP spans' attributes as the document wrote them (decoded only when a span is
opened), so reading those values belongs to the model, beside the details it describes.
"""

from __future__ import annotations

from typing import Any


def any_value(value: Any) -> Any:
    """OTLP AnyValue → plain JSON value (int64 values arrive as decimal strings).

    Malformed values come back as they are (a hostile document must not break the details view).
    """
    if not isinstance(value, dict) or not value:
        return None
    (kind, inner), = value.items() if len(value) == 1 else list(value.items())[:1]
    if kind == "intValue":
        try:
            return int(inner)
        except (TypeError, ValueError, OverflowError):
            return inner
    if kind == "arrayValue":
        values = inner.get("values") if isinstance(inner, dict) else None
        return [any_value(v) for v in values] if isinstance(values, list) else inner
    if kind == "kvlistValue":
        values = inner.get("values") if isinstance(inner, dict) else None
        if not isinstance(values, list):
            return inner
        return {str(kv.get("key")): any_value(kv.get("value")) for kv in values if isinstance(kv, dict)}
    return inner
