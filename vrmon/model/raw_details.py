"""Span details kept as the file's own JSON bytes, decoded only when a viewer opens the span.

A reader that takes spans straight from bytes (vrmon.formats.from_bytes) keeps each span's JSON
text as it is in the file, plus the JSON of what the span needs from around it (its Jaeger
process, its OTLP resource and scope), in one bytes object per span:

    0xC1, format code, span length (4 bytes, little-endian), span JSON, context JSON parts

OTLP protobuf spans are kept the same way, their own protobuf bytes in place of the JSON (format
code OTLP_PROTO), and turned into OTLP JSON's shape when unpacked (otlp_proto_details.py).
0xC1 is the one byte msgpack never uses, so these are told apart from the msgpack details the
other readers keep. `unpack_details` turns either kind into the same plain dict, so the details
panel, peers and recordings need not care which reader kept the span.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgpack
import msgspec

import numpy as np

from vrmon.model.file_details import JAEGER_V1, OTLP, OTLP_PROTO, SLICED, read_parts
from vrmon.model.otlp_proto_details import PROTO_FORMAT, expand_details

MARK = b"\xc1"
# JAEGER_V1's context: the process object (empty when the span has its own "process");
# OTLP's: the resource object, then the scope object, each after a 4-byte length;
# SLICED: no text, where it is in the trace file (file_details.py)
_HEAD = 6

_decode = msgspec.json.Decoder().decode


def pack_jaeger(span: bytes | memoryview, process: bytes) -> bytes:
    return b"".join((b"\xc1\x01", len(span).to_bytes(4, "little"), span, process))


def pack_otlp(span: bytes | memoryview, context: bytes) -> bytes:
    """`context` is `otlp_context(resource, scope)`, made once per scope's spans."""
    return b"".join((b"\xc1\x02", len(span).to_bytes(4, "little"), span, context))


def pack_otlp_proto(span: bytes, context: bytes) -> bytes:
    """`context` is `otlp_context(resource, scope)` of their protobuf bytes."""
    return b"".join((b"\xc1\x04", len(span).to_bytes(4, "little"), span, context))


def otlp_context(resource: bytes, scope: bytes) -> bytes:
    return len(resource).to_bytes(4, "little") + resource + scope


class Keeper(Protocol):
    """How a typed reader keeps each span's details: `InMemory`, or `file_details.FileSlices`.
    A place is what `where` or `spans` gave for a part of the document, which is in the bytes
    `look_in` named last."""

    def look_in(self, data: bytes, base: int, start: int) -> None: ...
    def where(self, raw: msgspec.Raw | None) -> Any: ...
    def spans(self, raws: list[msgspec.Raw]) -> list[Any]: ...
    def jaeger(self, span: Any, process: Any) -> bytes: ...
    def otlp_context(self, resource: Any, scope: Any) -> bytes: ...
    def otlp(self, span: Any, context: bytes) -> bytes: ...


class InMemory:
    """Keeps each span's text in its details entry (for documents that are not a file on disk);
    `vrmon.model.file_details.FileSlices` has the same methods and keeps places in the file."""

    def look_in(self, data: bytes, base: int, start: int) -> None:
        pass  # the text is taken from the parts themselves

    def where(self, raw: msgspec.Raw | None) -> msgspec.Raw | None:
        return raw

    def spans(self, raws: list[msgspec.Raw]) -> list[msgspec.Raw]:
        return raws

    def jaeger(self, span: msgspec.Raw, process: msgspec.Raw | None) -> bytes:
        return pack_jaeger(span, b"" if process is None else bytes(process))

    def otlp_context(self, resource: msgspec.Raw | None, scope: msgspec.Raw | None) -> bytes:
        return otlp_context(b"{}" if resource is None else bytes(resource), b"{}" if scope is None else bytes(scope))

    def otlp(self, span: msgspec.Raw, context: bytes) -> bytes:
        return pack_otlp(span, context)

    def otlp_proto(self, data: bytes, span: tuple[np.ndarray, np.ndarray], resource: tuple[np.ndarray, np.ndarray],
                   scope: tuple[np.ndarray, np.ndarray]) -> list[bytes]:
        """Each span's protobuf bytes with its resource's and scope's (formats/otlp_proto_columns.py)."""
        contexts: dict[tuple[int, int], bytes] = {}
        entries = []
        for start, end, r_start, r_end, s_start, s_end in zip(*(part.tolist() for part in (*span, *resource, *scope))):
            context = contexts.get((r_start, s_start))
            if context is None:
                context = contexts[r_start, s_start] = otlp_context(data[r_start:r_end], data[s_start:s_end])
            entries.append(pack_otlp_proto(data[start:end], context))
        return entries


def unpack_details(details: bytes) -> dict[str, Any]:
    """A span's kept details as a dict: "format", "span" and its context, parsed JSON throughout."""
    if details[:1] != MARK:
        raw = msgpack.unpackb(details)
        return expand_details(raw) if raw["format"] == PROTO_FORMAT else raw
    if details[:2] == SLICED:
        return _read_sliced(details)
    end = _HEAD + int.from_bytes(details[2:_HEAD], "little")
    if details[1] == JAEGER_V1:
        span = _decode(details[_HEAD:end])
        process = _decode(details[end:]) if len(details) > end else {}
        return {"format": "jaeger-v1", "span": span, "process": span.get("process") or process}
    cut = end + 4 + int.from_bytes(details[end : end + 4], "little")
    if details[1] == OTLP_PROTO:
        return expand_details({"format": PROTO_FORMAT, "span": details[_HEAD:end], "resource": details[end + 4 : cut],
                               "scope": details[cut:]})
    return {"format": "otlp", "span": _decode(details[_HEAD:end]), "resource": _decode(details[end + 4 : cut]),
            "scope": _decode(details[cut:])}


_FORMATS = {JAEGER_V1: "jaeger-v1", OTLP: "otlp", OTLP_PROTO: PROTO_FORMAT}
_FILE_CHANGED = ("the trace file changed on disk (or is gone) since it was loaded: this span's tags, logs and "
                 "process cannot be shown")


def _read_sliced(entry: bytes) -> dict[str, Any]:
    kind, texts = read_parts(entry)
    if texts is None:
        return {"format": _FORMATS[kind], "span": {}, "problems": [_FILE_CHANGED]}
    if kind == OTLP_PROTO:
        return expand_details({"format": PROTO_FORMAT, "span": texts[0], "resource": texts[1], "scope": texts[2]})
    span, *context = (_decode(text) if text else {} for text in texts)
    if kind == JAEGER_V1:
        return {"format": "jaeger-v1", "span": span, "process": span.get("process") or context[0]}
    return {"format": "otlp", "span": span, "resource": context[0] or {}, "scope": context[1] or {}}


def materialized(details: bytes) -> bytes:
    """The details with the file's text in them, for a recording (it outlives the file)."""
    if details[:2] != SLICED:
        return details
    kind, texts = read_parts(details)
    if texts is None:
        return msgpack.packb(_read_sliced(details))
    if kind == JAEGER_V1:
        return pack_jaeger(texts[0], texts[1])
    if kind == OTLP_PROTO:
        return pack_otlp_proto(texts[0], otlp_context(texts[1], texts[2]))
    return pack_otlp(texts[0], otlp_context(texts[1] or b"{}", texts[2] or b"{}"))
