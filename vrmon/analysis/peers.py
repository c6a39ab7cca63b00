"""The peer a span calls (another service, a host and port, a database), read from its tags.

Operation names alone lump different calls together (HotROD's frontend makes `HTTP GET` calls
to both the customer and the route service), so the N+1 rule groups calls by peer too. Tags
live in each span's kept-aside raw document, so peers are decoded lazily, only for spans in a
candidate group, and cached by span uid (uids survive evictions, rows do not).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgpack
import numpy as np

from vrmon.formats.otlp import any_value
from vrmon.model.span_store import SpanStore
from vrmon.model.string_table import StringTable

NO_PEER = ""


def span_tags(raw: dict[str, Any]) -> dict[str, Any]:
    """A span's own tags (Jaeger) or attributes (OTLP) as a plain dict."""
    span = raw.get("span") or {}
    if raw.get("format") == "jaeger-v1":
        return {t.get("key"): t.get("value") for t in span.get("tags") or ()}
    return {a.get("key"): any_value(a.get("value")) for a in span.get("attributes") or ()}


def peer_of(tags: dict[str, Any]) -> str:
    """'peer.service', else host[:port] (server.address / net.peer.name, then the URL's), else db.system."""
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
    if tags.get("db.system"):
        return str(tags["db.system"])
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
            fresh = self.names.intern_many(peer_of(span_tags(msgpack.unpackb(store.details[int(r)]))) for r in rows[missing])
            codes[missing] = fresh
            merged = np.concatenate([self._uids, uids[missing]])
            order = np.argsort(merged, kind="stable")
            self._uids = merged[order]
            self._codes = np.concatenate([self._codes, fresh])[order]
        return codes

    def forget_all_but(self, live_uids: np.ndarray) -> None:
        """Drop the cache entries of evicted spans."""
        keep = np.isin(self._uids, live_uids, assume_unique=True)
        self._uids, self._codes = self._uids[keep], self._codes[keep]
