"""Compressed idle time: where a trace's activity is clustered (a 10-deep burst in the first 5 ms,
then a 15 s wait), each long stretch in which no span starts or ends shrinks to a short marked
break, so both ends can be seen together. Bars that cross a break (the waiting calls) shorten with
it; everything else keeps its true scale. The warp is a piecewise-linear map of times, applied to
whole columns with `np.interp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BREAK_SHARE = 0.04  # of the compressed time axis, the width of one break
IDLE_SHARE = 0.6  # of the trace's extent, how much must be idle stretches for them to be compressed
# of the trace's extent, a bar whose length cannot be seen without breaks: the bars span ~690 px
# at the desktop's default view beside the open trace list (1280×720), of which the trace fills
# 85-100 %, so 2 % is 12-14 px, narrower than a bar is tall (~15 px): a dot, not a length
UNSEEN_SHARE = 0.02


@dataclass(frozen=True)
class TimeWarp:
    true: np.ndarray  # knots: µs from the trace's start, ascending
    warped: np.ndarray  # where each knot lands on the compressed axis
    breaks: np.ndarray  # (k, 2): true start and end of each compressed stretch

    def __call__(self, us: np.ndarray) -> np.ndarray:
        return np.interp(us, self.true, self.warped)

    def unwarp(self, us: np.ndarray) -> np.ndarray:
        return np.interp(us, self.warped, self.true)

    def same_as(self, other: "TimeWarp") -> bool:
        """Whether both map every time of the trace alike (without breaks, both are the identity)."""
        if not len(self.breaks) and not len(other.breaks):
            return True
        return np.array_equal(self.true, other.true) and np.array_equal(self.warped, other.warped)

    @property
    def extent(self) -> float:
        return float(self.warped[-1])


def event_times(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Every distinct time a span starts or ends, ascending (what `idle_warp` looks between)."""
    return np.unique(np.concatenate([start, end]).astype(np.float64))


def idle_warp(events: np.ndarray, start: np.ndarray, end: np.ndarray, min_share: float) -> TimeWarp:
    """The warp that shrinks every stretch between consecutive `events` (`event_times` of the
    spans' `start` and `end`, in µs from the trace's start) longer than `min_share` of the trace's
    extent; no breaks when `min_share` ≤ 0, when the trace is not mostly idle (the stretches add
    up to less than IDLE_SHARE of it: its activity is spread, and breaks would only cut it up), for
    a stretch shorter than all the trace's activity besides the stretches kept, when it is all
    idle (its spans all start at one time and end at another: no activity to keep), or where
    breaks do not help: no span between them (crossing none) would be narrower than UNSEEN_SHARE
    of the trace without them (a 4.2 ms call whose one child lasts 3.87 ms: the child's stretch
    is most of the trace, but cutting it drew the child as a sliver and its first 60 µs wide)."""
    extent = float(events[-1]) if len(events) else 1.0
    identity = TimeWarp(np.array([0.0, max(extent, 1.0)]), np.array([0.0, max(extent, 1.0)]), np.empty((0, 2)))
    if min_share <= 0 or not len(events):
        return identity
    idle = np.flatnonzero(np.diff(events) > min_share * extent)
    if not len(idle) or len(idle) * BREAK_SHARE >= 0.5:
        return identity
    gaps = np.stack([events[idle], events[idle + 1]], axis=1)
    lengths = gaps[:, 1] - gaps[:, 0]
    # a stretch shorter than all the activity around it is a pause, not idle time to cut (six calls
    # starting together and ending one by one: their bars would lose their proportions): only the
    # stretches that dwarf the activity stay breaks (each one less makes the activity longer)
    while len(lengths) and (lengths < extent - lengths.sum()).any():
        kept = lengths >= extent - lengths.sum()
        gaps, lengths = gaps[kept], lengths[kept]
    if not len(gaps) or lengths.sum() < IDLE_SHARE * extent:
        return identity
    active = extent - float(lengths.sum())
    if active <= 0:  # spans that only start and end together (2 copies of one span): nothing to see between breaks
        return identity
    if not unseen_between(gaps, start, end, UNSEEN_SHARE * extent):
        return identity
    width = BREAK_SHARE * max(active, 1.0) / (1 - len(gaps) * BREAK_SHARE)
    knots = np.concatenate([[0.0], gaps.ravel(), [extent]])
    lengths = np.diff(knots)
    lengths[1::2] = width  # every other segment is a break
    return TimeWarp(knots, np.concatenate([[0.0], np.cumsum(lengths)]), gaps)


def unseen_between(gaps: np.ndarray, start: np.ndarray, end: np.ndarray, narrow: float) -> bool:
    """Whether a span that crosses none of `gaps` ((k, 2) true start and end, ascending) lasts
    less than `narrow` µs but not 0 µs (an instant is drawn as a mark of its own size at any scale)."""
    # the first gap starting at or after each span's start: the span crosses a gap iff it ends after that one
    first = np.searchsorted(gaps[:, 0], start)
    crosses = (first < len(gaps)) & (gaps[np.minimum(first, len(gaps) - 1), 1] <= end)
    duration = end - start
    return bool(((duration > 0) & (duration < narrow) & ~crosses).any())


def active_segments(warp: TimeWarp) -> np.ndarray:
    """(k + 1, 2) true start and end of the stretches between breaks."""
    return np.stack([warp.true[0::2], warp.true[1::2]], axis=1)
