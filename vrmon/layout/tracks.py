"""Overlap tracks inside a waterfall's lanes: bars of one lane that overlap go on separate tracks,
as few as the lane's busiest moment needs (greedy by start: the track freed earliest).

A live trace's new bars mostly start after every bar already packed in their lane, so a packing
goes on from where it stopped (each lane's free-track heap is kept) instead of starting over; it
checks that the bars packed before are the same ones, so the result is always what packing them
all at once gives.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

LaneState = tuple[list[tuple[float, int]], int, float]  # heap of (end, track), tracks used, latest start


@dataclass(frozen=True)
class Packing:
    lane: np.ndarray  # per bar, in the order given: its lane
    start: np.ndarray
    end: np.ndarray
    track: np.ndarray  # per bar: its track in its lane
    lanes: dict[int, LaneState]  # per lane: where the greedy pass stopped


def pack_tracks(lane: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A track per bar (see the module docstring)."""
    return packed(lane, start, end).track


def packed(lane: np.ndarray, start: np.ndarray, end: np.ndarray, before: Packing | None = None) -> Packing:
    """The packing of these bars; `before`, a packing of bars that may be their first ones, is
    carried on when they are and every later bar starts no earlier than its lane's last one there."""
    m = len(before.lane) if before is not None else 0
    if before is None or len(lane) < m or not all(np.array_equal(a[:m], b) for a, b in
                                                  ((lane, before.lane), (start, before.start), (end, before.end))):
        return _packed(lane, start, end, 0, np.empty(0, np.int64), {})
    latest = np.array([before.lanes[ln][2] if ln in before.lanes else -np.inf for ln in lane[m:].tolist()])
    if (start[m:] < latest).any():
        return _packed(lane, start, end, 0, np.empty(0, np.int64), {})
    return _packed(lane, start, end, m, before.track, before.lanes)


def _packed(lane: np.ndarray, start: np.ndarray, end: np.ndarray, m: int, track_before: np.ndarray,
            lanes_before: dict[int, LaneState]) -> Packing:
    """Bars from `m` on packed after the first `m` (whose tracks and lane states are given)."""
    order = np.lexsort((start[m:], lane[m:])) + m
    track = np.empty(len(lane), np.int64)
    track[:m] = track_before
    lanes = dict(lanes_before)
    current, heap, count, latest = None, [], 0, -np.inf
    # a loop over the drawn bars, not the spans: the fold keeps them to a few thousand
    for i, ln, s, e in zip(order.tolist(), lane[order].tolist(), start[order].tolist(), end[order].tolist()):
        if ln != current:
            if current is not None:
                lanes[current] = (heap, count, latest)
            current = ln
            heap, count, latest = lanes.get(ln, ([], 0, -np.inf))
            heap = list(heap)  # the packing carried on keeps its own
        if heap and heap[0][0] <= s:
            t = heapq.heapreplace(heap, (e, heap[0][1]))[1]
        else:
            t = count
            count += 1
            heapq.heappush(heap, (e, t))
        track[i] = t
        latest = s
    if current is not None:
        lanes[current] = (heap, count, latest)
    return Packing(lane, start, end, track, lanes)
