"""The peer a span calls (another service, a host and port, a database), read from its tags.

Operation names alone lump different calls together (HotROD's frontend makes `HTTP GET` calls
to both the customer and the route service), so the N+1 rule groups calls by peer too. Tags
live in each span's kept-aside raw document, so peers are decoded lazily, only for spans in a
candidate group, and cached by span uid (uids survive evictions, rows do not).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from vrmon.model.attribute_values import any_value
from vrmon.model.raw_details import MARK, unpack_details
from vrmon.model.span_store import SpanStore
from vrmon.model.string_table import StringTable

NO_PEER = ""
PEER_KEYS = ("peer.service", "server.address", "server.port", "net.peer.name", "net.peer.port", "url.full", "http.url",
             "db.system.name", "db.system")


def _fixstr(text: str) -> bytes:
    """msgpack's encoding of a short string (under 32 bytes): a header byte, then the bytes."""
    raw = text.encode()
    return bytes([0xA0 | len(raw)]) + raw


# The peer tags of a kept-aside span, found in its msgpack bytes without decoding it: an OTLP
# attribute packs as {"key": K, "value": {TYPE: V}}, a Jaeger tag as {"key": K, "type": T, "value": V}
# (the field orders every exporter writes), so V's encoding starts right after one of these.
_PEER_ENTRY = re.compile(re.escape(_fixstr("key")) + b"(" + b"|".join(re.escape(_fixstr(k)) for k in PEER_KEYS) + b")")
_ZIPKIN_FORMAT = _fixstr("format") + _fixstr("zipkin")
_PEER_KEY_OF = {_fixstr(k): k for k in PEER_KEYS}
_VALUE_PREFIXES = tuple(
    [_fixstr("value") + b"\x81" + _fixstr(t) for t in ("stringValue", "intValue")]
    + [_fixstr("type") + _fixstr(t) + _fixstr("value") for t in ("string", "int64")]
)


def peer_of_packed(packed: bytes) -> str:
    """`peer_of` a span's kept-aside msgpack details. Most spans are settled by one regex scan; one
    whose peer keys appear anywhere but in the usual tag layout is decoded in full."""
    if _ZIPKIN_FORMAT in packed[:16] or packed[:1] == MARK:  # a Zipkin map of tags, or file JSON: decoded in full
        return peer_of(span_tags(unpack_details(packed)))
    tags: dict[str, Any] = {}
    for entry in _PEER_ENTRY.finditer(packed):
        key = _PEER_KEY_OF[entry.group(1)]
        value = _tag_value_after(packed, entry.end())
        if value is None or key in tags:  # another layout, or a key given twice
            return peer_of(span_tags(unpack_details(packed)))
        tags[key] = value
    return peer_of(tags) if tags else NO_PEER


def _tag_value_after(packed: bytes, after: int) -> Any:
    """The value of the tag whose key ends at `after`, if the bytes there are a tag's string or
    small integer value (what peer tags hold); None for anything else."""
    for prefix in _VALUE_PREFIXES:
        if packed.startswith(prefix, after):
            at = after + len(prefix)
            head = packed[at] if at < len(packed) else -1
            if 0xA0 <= head <= 0xBF:  # fixstr
                return packed[at + 1 : at + 1 + (head & 0x1F)].decode(errors="replace")
            if head == 0xD9 and at + 1 < len(packed):  # str 8
                return packed[at + 2 : at + 2 + packed[at + 1]].decode(errors="replace")
            if 0 <= head <= 0x7F:  # positive fixint
                return head
            if head == 0xCD and at + 2 < len(packed):  # uint 16: ports
                return int.from_bytes(packed[at + 1 : at + 3], "big")
            return None
    return None


def span_tags(raw: dict[str, Any]) -> dict[str, Any]:
    """A span's own tags (Jaeger, Zipkin) or attributes (OTLP) as a plain dict."""
    span = raw.get("span") or {}
    if raw.get("format") == "jaeger-v1":
        return {t.get("key"): t.get("value") for t in span.get("tags") or ()}
    if raw.get("format") == "zipkin":
        tags = dict(span.get("tags") or {})
        remote = (span.get("remoteEndpoint") or {}).get("serviceName")
        return {"peer.service": remote, **tags} if remote else tags
    return {a.get("key"): any_value(a.get("value")) for a in span.get("attributes") or ()}


def peer_of(tags: dict[str, Any]) -> str:
    """'peer.service', else host[:port] (server.address / net.peer.name, then the URL's), else the database system."""
    if tags.get("peer.service"):
        return str(tags["peer.service"])
    host = tags.get("server.address") or tags.get("net.peer.name")
    if host:
        port = tags.get("server.port") or tags.get("net.peer.port")
        return f"{host}:{port}" if port else str(host)
    url = tags.get("url.full") or tags.get("http.url")
    if isinstance(url, str) and url:
        netloc = urlsplit(url).netloc.rsplit("@", 1)[-1]
        if netloc:
            return netloc
    database = tags.get("db.system.name") or tags.get("db.system")  # renamed in semantic conventions 1.26
    if database:
        return str(database)
    return NO_PEER


class PeerCodes:
    """Peer of each span as a small integer code (0 = no peer), decoded once per span."""

    def __init__(self) -> None:
        self.names = StringTable()
        self.names.intern(NO_PEER)
        self._uids = np.empty(0, np.int64)  # sorted
        self._codes = np.empty(0, np.int32)

    def codes(self, store: SpanStore, rows: np.ndarray) -> np.ndarray:
        uids = store.uid[rows]
        at = np.minimum(np.searchsorted(self._uids, uids), max(len(self._uids) - 1, 0))
        known = (self._uids[at] == uids) if len(self._uids) else np.zeros(len(uids), bool)
        codes = np.zeros(len(rows), np.int32)
        codes[known] = self._codes[at[known]]
        missing = np.flatnonzero(~known)
        if len(missing):
            details = store.details
            fresh = self.names.intern_many(peer_of_packed(details[r]) for r in rows[missing].tolist())
            codes[missing] = fresh
            order = np.argsort(uids[missing])
            at = np.searchsorted(self._uids, uids[missing][order])
            self._uids = np.insert(self._uids, at, uids[missing][order])
            self._codes = np.insert(self._codes, at, fresh[order])
        return codes

    @property
    def known_uids(self) -> np.ndarray:
        """The spans whose peer has been read (sorted uids)."""
        return self._uids

    def forget_all_but(self, live_uids: np.ndarray) -> None:
        """Drop the cache entries of evicted spans."""
        keep = np.isin(self._uids, live_uids, assume_unique=True)
        self._uids, self._codes = self._uids[keep], self._codes[keep]
