"""Revealing spans (a `reveal` request): which spans a link or a finding names, and which folds must open to draw them.

A link names a span by its hex id; a finding names its spans by node id (span uid). Either way
the waterfall may have folded them into a summary mark: a span is drawn when every ancestor's
summary is open (waterfall_lod.cut), so revealing a span opens its ancestors' summaries.
"""

from __future__ import annotations

from vrmon.errors import ProtocolError
from vrmon.model.span_store import SpanStore


def span_uids(store: SpanStore, trace: int, span_hex: str | None, nodes: tuple[int, ...]) -> tuple[list[int], int | None]:
    """(uids of the named spans that are in `trace`, uid of the linked span or None).

    Raises ProtocolError when `span_hex` names no span of the trace."""
    uids = [uid for uid in nodes if (row := store.row_of_uid(uid)) >= 0 and int(store.trace[row]) == trace]
    linked = None
    if span_hex is not None:
        row = store.row_of_span(trace, int(span_hex, 16))
        if row < 0:
            raise ProtocolError(f"span {span_hex} is not in trace {store.trace_id_hex(trace)} (it may have aged out)")
        linked = int(store.uid[row])
        uids.append(linked)
    return uids, linked


def ancestors_to_open(store: SpanStore, uids: list[int]) -> frozenset[int]:
    """uids of every ancestor of these spans: opening their summaries draws the spans."""
    parent, uid = store.parent, store.uid
    opened: set[int] = set()
    for start in uids:
        row = int(parent[store.row_of_uid(start)])
        while row >= 0 and int(uid[row]) not in opened:  # a shared ancestor ends the walk
            opened.add(int(uid[row]))
            row = int(parent[row])
    return frozenset(opened)



