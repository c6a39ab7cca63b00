"""Zipkin v2 JSON: a list of spans (what /api/v2/trace/{id} answers) or a list of traces, each a
list of spans (what /api/v2/traces answers).

Zipkin's data has habits the other formats do not, handled as Zipkin's own UI does
(zipkin-lens `span-cleaner.js`):
- One RPC may be two spans with the same id: the client's, and the server's flagged `shared`.
  Both are kept; the server half gets a store id of its own (derived from the id and its
  service, so a re-fetch gives the same one) and becomes the client half's child, and the
  spans whose parentId names the shared id hang under the server half, as in Zipkin.
- A span may be reported in parts (same trace, id, kind, shared flag and a compatible local
  endpoint): the parts are merged into one span.
- `timestamp` or `duration` may be absent (a one-way message, a span still open): the span is
  kept, drawn at its parent's start or as zero length, and its details say so.
- `remoteEndpoint.serviceName` names services that may report no span themselves (a database,
  a broker): each span keeps its remote service, so the services graph can draw that call.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import msgpack

from vrmon.errors import TraceFormatError
from vrmon.formats.call_peers import peer_of_pairs
from vrmon.formats.values import failure_reason, as_dict, as_list, fit_id, fit_time, json_kind, pack_untrusted
from vrmon.model.ids import format_span_id, parse_id
from vrmon.model.span_batch import SPAN_KINDS, UNKNOWN_SERVICE, SpanBatch

_KIND_CODES = {name.upper(): code for code, name in enumerate(SPAN_KINDS)}
_ENDPOINT_FIELDS = ("serviceName", "ipv4", "ipv6", "port")
_BAD_VALUE = (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError, TraceFormatError)
INCOMPLETE = ("the trace document gives no start time or no duration for it (Zipkin allows it, e.g. for a one-way "
              "message): drawn at its first annotation or its parent's start, or as zero length")
_EXPECTED = "expected Zipkin v2 span fields traceId, id, and optionally parentId, kind, timestamp, duration"


def looks_like_zipkin(doc: list) -> bool:
    """A list of Zipkin spans, or a list of such lists (decided by the first span found)."""
    first = doc[0] if doc else None
    if isinstance(first, list):
        first = first[0] if first else None
    return isinstance(first, dict) and "traceId" in first and "spans" not in first


def read_zipkin(doc: list) -> SpanBatch:
    """Every span of a Zipkin v2 document, merged and linked per trace as Zipkin's UI does."""
    spans: list[tuple[str, dict]] = []  # (place in the document, span)
    for t_index, item in enumerate(doc):
        if isinstance(item, list):
            spans.extend((f"trace {t_index}, span {s_index}", span) for s_index, span in enumerate(item))
        else:
            spans.append((f"span {t_index}", item))
    traces: dict[int, list[_Span]] = defaultdict(list)
    for place, span in spans:
        try:
            parsed = _Span.parse(span)
        except _BAD_VALUE as exc:
            raise TraceFormatError(f"{place}: {failure_reason(exc)}; {_EXPECTED}") from None
        # 64- and 128-bit reports of one trace share the low 64 bits (Zipkin joins them the same way)
        traces[parsed.trace_id & (2**64 - 1)].append(parsed)
    batch = SpanBatch()
    packb = msgpack.Packer().pack
    for parts in traces.values():
        _add_trace(batch, _merge_parts(parts), packb)
    return batch


class _Span:
    """One Zipkin span as read (every value checked), before merging and linking."""

    __slots__ = ("raw", "trace_id", "span_id", "parent_id", "kind", "shared", "local", "remote", "name",
                 "timestamp", "duration", "error", "first_annotation", "problems")

    @classmethod
    def parse(cls, span: Any) -> "_Span":
        if not isinstance(span, dict):
            raise TypeError(f"a span must be an object, got {json_kind(span)}")
        self = cls()
        self.raw = span
        self.problems = problems = []
        self.trace_id = fit_id(parse_id(span["traceId"], "traceId"), 128, "traceId", problems)
        self.span_id = fit_id(parse_id(span["id"], "id"), 64, "id", problems)
        parent_id = fit_id(parse_id(span.get("parentId") or "", "parentId"), 64, "parentId", problems)
        self.parent_id = 0 if parent_id == self.span_id else parent_id  # naming itself: a root, as Zipkin's cleaner reads it
        kind = span.get("kind")
        self.kind = kind.upper() if isinstance(kind, str) else ""
        self.local = as_dict(span.get("localEndpoint"), "localEndpoint", problems)
        remote = as_dict(span.get("remoteEndpoint"), "remoteEndpoint", problems).get("serviceName")
        self.remote = str(remote) if remote else ""
        # `shared` belongs to the server side; a client that sets it is read as not shared
        self.shared = span.get("shared") is True and self.kind != "CLIENT"
        self.name = str(span.get("name") or "")
        stamp, duration = span.get("timestamp"), span.get("duration")
        self.timestamp = fit_time(stamp, "timestamp", problems) if stamp else None
        self.duration = fit_time(duration, "duration", problems) if duration else None
        self.error = "error" in as_dict(span.get("tags"), "tags", problems)
        stamps = [fit_time(a["timestamp"], "annotation timestamp", problems)
                  for a in as_list(span.get("annotations"), "annotations", problems)
                  if isinstance(a, dict) and a.get("timestamp")]
        self.first_annotation = min(stamps, default=None)
        return self

    def merge(self, other: "_Span") -> bool:
        """Take `other` in if it is another report of this span; False if it is a different span."""
        if other.span_id != self.span_id or other.shared != self.shared:
            return False
        if self.kind and other.kind and self.kind != other.kind:
            return False
        if any(self.local.get(f) and other.local.get(f) and self.local[f] != other.local[f] for f in _ENDPOINT_FIELDS):
            return False
        self.raw = _merged(self.raw, other.raw)
        for name in ("kind", "parent_id", "remote", "name", "timestamp", "duration"):
            setattr(self, name, getattr(self, name) or getattr(other, name))
        self.local = other.local | self.local
        self.error = self.error or other.error
        firsts = [t for t in (self.first_annotation, other.first_annotation) if t is not None]
        self.first_annotation = min(firsts, default=None)
        self.problems += [p for p in other.problems if p not in self.problems]
        return True


def _merge_parts(parts: list[_Span]) -> list[_Span]:
    """Spans reported in several parts become one; Zipkin's UI keeps the rest apart."""
    merged: list[_Span] = []
    by_id: dict[tuple[int, bool], list[_Span]] = defaultdict(list)
    for part in parts:
        if not any(span.merge(part) for span in by_id[part.span_id, part.shared]):
            by_id[part.span_id, part.shared].append(part)
            merged.append(part)
    # A server span reusing its client's id without the shared flag (some instrumentations forget it)
    clients = {s.span_id for s in merged if s.kind == "CLIENT" and not s.shared}
    for span in merged:
        if span.kind == "SERVER" and not span.shared and span.span_id in clients:
            span.shared = True
    return merged


def _add_trace(batch: SpanBatch, spans: list[_Span], packb) -> None:
    """Append one trace's spans, with the shared server halves re-identified and linked."""
    trace_id = max((s.trace_id for s in spans), key=lambda t: t.bit_length())  # the longest id wins
    unshared = {s.span_id for s in spans if not s.shared}
    # the store id of each shared half, and which half a child naming that id belongs under
    own_id: dict[int, int] = {}
    servers: dict[int, list[_Span]] = defaultdict(list)
    for span in spans:
        if span.shared:
            own_id[id(span)] = _shared_half_id(span) if span.span_id in unshared else span.span_id
            servers[span.span_id].append(span)
    starts = _starts(spans)
    for span in spans:
        store_id = own_id.get(id(span), span.span_id)
        if span.shared and span.span_id in unshared:
            parent_id = span.span_id  # the client half
        elif span.parent_id in servers:
            parent_id = own_id[id(_server_for(span, servers[span.parent_id]))]
        else:
            parent_id = span.parent_id
        service = str(span.local.get("serviceName") or UNKNOWN_SERVICE)
        details: dict[str, Any] = {"format": "zipkin", "span": span.raw}
        if store_id != span.span_id:  # the panel shows the ids Zipkin knows, not the store's
            details["span_id"] = format_span_id(span.span_id)
        if parent_id != span.parent_id and not span.shared:
            details["parent_span_id"] = format_span_id(span.parent_id)
        if span.problems:
            details["problems"] = list(span.problems)
        if span.timestamp is None or span.duration is None:
            details.setdefault("problems", []).append(INCOMPLETE)
            batch.incomplete.add(len(batch))
        if span.remote and span.remote != service:
            batch.peer_service[len(batch)] = span.remote
        callee = _callee(span)
        if callee:
            batch.callee[len(batch)] = callee
        batch.trace_id.append(trace_id)
        batch.span_id.append(store_id)
        batch.parent_id.append(parent_id)
        batch.service.append(service)
        batch.operation.append(span.name or "(no name)")
        batch.start_us.append(starts[id(span)])
        batch.duration_us.append(span.duration or 0)
        batch.error.append(span.error)
        batch.kind.append(_KIND_CODES.get(span.kind, 0))
        batch.follows_from.append(False)
        batch.details.append(pack_untrusted(packb, details))


def _callee(span: _Span) -> str:
    """What the span calls: its tags' peer, the remote endpoint's service standing for peer.service."""
    tags = span.raw.get("tags")
    pairs = list(tags.items()) if isinstance(tags, dict) else []
    return peer_of_pairs([("peer.service", span.remote), *pairs] if span.remote else pairs)


def _shared_half_id(span: _Span) -> int:
    """A 64-bit id for a server half that shares its client's id: stable across re-fetches, and
    distinct per responding service and host (several servers may answer one client id)."""
    where = "/".join(str(span.local.get(f, "")) for f in _ENDPOINT_FIELDS)
    digest = hashlib.blake2b(f"zipkin-shared/{span.span_id:x}/{where}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") or 1


def _server_for(child: _Span, candidates: list[_Span]) -> _Span:
    """The shared half a child naming the shared id belongs under: the one on the child's host
    (as zipkin2.internal.SpanNode matches by local endpoint), else one of its service, else the first."""
    for fields in (_ENDPOINT_FIELDS, ("serviceName",)):
        for server in candidates:
            if all(server.local.get(f) == child.local.get(f) for f in fields):
                return server
    return candidates[0]


def _starts(spans: list[_Span]) -> dict[int, int]:
    """Start of each span in µs; one without a timestamp starts at its first annotation, else at
    its parent's start, else at the trace's earliest start (it is flagged either way)."""
    starts = {id(s): s.timestamp or s.first_annotation for s in spans}
    starts = {key: value for key, value in starts.items() if value is not None}
    earliest = min(starts.values(), default=0)
    by_id: dict[int, _Span] = {}
    for span in spans:
        by_id.setdefault(span.span_id, span)
    for span in spans:
        chain: list[_Span] = []
        walk: _Span | None = span
        while walk is not None and id(walk) not in starts and walk not in chain:
            chain.append(walk)
            walk = by_id.get(walk.parent_id) if walk.parent_id else None
        found = starts[id(walk)] if walk is not None and id(walk) in starts else earliest
        starts.update((id(s), found) for s in chain)
    return starts


def _merged(left: dict, right: dict) -> dict:
    """Two reports of one span as one, as zipkin-lens's `merge` does: the first value of each
    field wins, endpoints and tags are combined, annotations are unioned."""
    out = dict(right) | {k: v for k, v in left.items() if v not in (None, "", 0)}
    for endpoint in ("localEndpoint", "remoteEndpoint"):
        a, b = left.get(endpoint), right.get(endpoint)
        if isinstance(a, dict) and isinstance(b, dict):
            out[endpoint] = b | a
    if isinstance(left.get("tags"), dict) and isinstance(right.get("tags"), dict):
        out["tags"] = left["tags"] | right["tags"]
    annotations = [a for a in as_list(left.get("annotations"), "", []) + as_list(right.get("annotations"), "", [])]
    if annotations:
        unique = {repr(sorted(a.items())) if isinstance(a, dict) else repr(a): a for a in annotations}
        out["annotations"] = list(unique.values())
    if left.get("shared") or right.get("shared"):
        out["shared"] = True
    return out

