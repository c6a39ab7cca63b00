"""The peer a span calls (another service, a host and port, a database), read from its tags.

Operation names alone lump different calls together (HotROD's frontend makes `HTTP GET` calls
to both the customer and the route service), so the N+1 rule groups calls by peer too. Each
format reader finds the peer tags (PEER_KEYS) once, while it reads the span, and names the peer
with `peer_of`; the store keeps the answer as a column (`SpanStore.callee`), so findings never
go back to the tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from vrmon.model.attribute_values import any_value

NO_PEER = ""
PEER_KEYS = frozenset(("peer.service", "server.address", "server.port", "net.peer.name", "net.peer.port", "url.full",
                       "http.url", "db.system.name", "db.system"))


def peer_of(tags: Mapping[str, Any]) -> str:
    """'peer.service', else host[:port] (server.address / net.peer.name, then the URL's), else the database system."""
    if tags.get("peer.service"):
        return str(tags["peer.service"])
    host = tags.get("server.address") or tags.get("net.peer.name")
    if host:
        port = tags.get("server.port") or tags.get("net.peer.port")
        return f"{host}:{port}" if port else str(host)
    url = tags.get("url.full") or tags.get("http.url")
    if isinstance(url, str) and url:
        try:
            netloc = urlsplit(url).netloc.rsplit("@", 1)[-1]
        except ValueError:  # "http://[not-an-ipv6/": a tracer's bad URL names no peer
            netloc = ""
        if netloc:
            return netloc
    database = tags.get("db.system.name") or tags.get("db.system")  # renamed in semantic conventions 1.26
    if database:
        return str(database)
    return NO_PEER


def peer_of_pairs(pairs: Iterable[tuple[Any, Any]]) -> str:
    """`peer_of` (key, value) pairs, of which only the peer keys are looked at (a later key wins)."""
    found = {key: value for key, value in pairs if key.__class__ is str and key in PEER_KEYS}
    return peer_of(found) if found else NO_PEER


def peer_of_otlp_attributes(attributes: Iterable[Any]) -> str:
    """`peer_of` OTLP JSON attributes ({"key", "value": AnyValue}; anything else is skipped).
    Only the peer keys' values are decoded: this runs for every span a reader reads."""
    found = None
    for attribute in attributes:
        try:
            key = attribute["key"]
            if key in PEER_KEYS:
                if found is None:
                    found = {}
                found[key] = any_value(attribute.get("value"))
        except (TypeError, KeyError):  # not an object, no key, an unhashable key: not a peer tag
            continue
    return peer_of(found) if found else NO_PEER
