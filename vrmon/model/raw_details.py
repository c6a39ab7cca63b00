"""Span details kept as the file's own JSON bytes, decoded only when a viewer opens the span.

A reader that takes spans straight from bytes (vrmon.formats.from_bytes) keeps each span's JSON
text as it is in the file, plus the JSON of what the span needs from around it (its Jaeger
process, its OTLP resource and scope), in one bytes object per span:

    0xC1, format code, span length (4 bytes, little-endian), span JSON, context JSON parts

0xC1 is the one byte msgpack never uses, so these are told apart from the msgpack details the
other readers keep. `unpack_details` turns either kind into the same plain dict, so the details
panel, peers and recordings need not care which reader kept the span.
"""

from __future__ import annotations

from typing import Any

import msgpack
import msgspec

from vrmon.model.otlp_proto_details import PROTO_FORMAT, expand_details

MARK = b"\xc1"
JAEGER_V1 = 1  # context: the process object (empty when the span has its own "process")
OTLP = 2  # context: the resource object, then the scope object, each after a 4-byte length
_HEAD = 6

_decode = msgspec.json.Decoder().decode


def pack_jaeger(span: bytes | memoryview, process: bytes) -> bytes:
    return b"".join((b"\xc1\x01", len(span).to_bytes(4, "little"), span, process))


def pack_otlp(span: bytes | memoryview, context: bytes) -> bytes:
    """`context` is `otlp_context(resource, scope)`, made once per scope's spans."""
    return b"".join((b"\xc1\x02", len(span).to_bytes(4, "little"), span, context))


def otlp_context(resource: bytes, scope: bytes) -> bytes:
    return len(resource).to_bytes(4, "little") + resource + scope


def unpack_details(details: bytes) -> dict[str, Any]:
    """A span's kept details as a dict: "format", "span" and its context, parsed JSON throughout."""
    if details[:1] != MARK:
        raw = msgpack.unpackb(details)
        return expand_details(raw) if raw["format"] == PROTO_FORMAT else raw
    end = _HEAD + int.from_bytes(details[2:_HEAD], "little")
    span = _decode(details[_HEAD:end])
    if details[1] == JAEGER_V1:
        process = _decode(details[end:]) if len(details) > end else {}
        return {"format": "jaeger-v1", "span": span, "process": span.get("process") or process}
    cut = end + 4 + int.from_bytes(details[end : end + 4], "little")
    return {"format": "otlp", "span": span, "resource": _decode(details[end + 4 : cut]), "scope": _decode(details[cut:])}
