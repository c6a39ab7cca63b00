"""The waterfall's time window: the stretch of a trace's time axis that fills the picture's width
once a viewer zooms (wheel, pinch, thumbstick) or pans (drag, the overview strip).

A viewer asks for a window in true µs from the trace's start, so it stays on the same moments while
a live trace grows or its idle breaks move. The layout draws on the compressed axis (idle_time.py):
`axis_of` maps the window onto it, where `lo`–`hi` then span the picture's width. The whole trace,
unzoomed, is the axis 0 to `whole` (the overview's rounded-up width). `strip` is what the overview
strip (minimap) of the whole trace shows while zoomed: per lane, how busy each slice of time is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vrmon.layout.idle_time import TimeWarp
from vrmon.layout.waterfall_lod import Cut

MIN_WINDOW_US = 10.0  # narrowest window: span times are whole µs, a narrower one shows nothing new
STRIP_BINS = 256  # slices of time across the overview strip


@dataclass(frozen=True)
class Axis:
    lo: float  # compressed µs at the picture's left edge
    hi: float  # compressed µs at its right edge
    whole: float  # compressed µs of the whole trace's axis (the unzoomed view shows 0 to whole)
    zoomed: bool  # a window narrower than the whole trace

    @property
    def span(self) -> float:
        return self.hi - self.lo

    def to_wire(self, warp: TimeWarp, width: float) -> dict:
        """What a viewer needs to turn a point of the picture into a time and back: x of the left
        and right edges (metres), the compressed µs there, and the warp's knots (true → compressed)."""
        return {"x": [-width / 2, width / 2], "lo": round(self.lo, 3), "hi": round(self.hi, 3), "whole": round(self.whole, 3),
                "zoomed": self.zoomed, "true": [round(float(v), 3) for v in warp.true],
                "warped": [round(float(v), 3) for v in warp.warped]}


def compress(warp: TimeWarp, us: np.ndarray) -> np.ndarray:
    """True µs from the trace's start → the compressed axis, at true scale before and after the trace."""
    us = np.asarray(us, np.float64)
    return warp(us) + np.minimum(us - warp.true[0], 0) + np.maximum(us - warp.true[-1], 0)


def expand(warp: TimeWarp, u: np.ndarray) -> np.ndarray:
    """The compressed axis → true µs from the trace's start (the inverse of `compress`)."""
    u = np.asarray(u, np.float64)
    return warp.unwarp(u) + np.minimum(u - warp.warped[0], 0) + np.maximum(u - warp.warped[-1], 0)


def axis_of(warp: TimeWarp, whole_us: float, window: tuple[float, float] | None) -> Axis:
    """The compressed µs the picture's width shows for `window` (true µs from the trace's start;
    None: the whole trace), kept inside the whole axis and at least MIN_WINDOW_US wide."""
    if window is None:
        return Axis(0.0, float(whole_us), float(whole_us), False)
    lo, hi = (float(v) for v in compress(warp, np.array(window, np.float64)))
    width = min(max(hi - lo, MIN_WINDOW_US), whole_us)
    lo = min(max(lo, 0.0), whole_us - width)
    hi = lo + width
    return Axis(lo, hi, float(whole_us), width < whole_us)


def clip_to(axis: Axis, start: np.ndarray, end: np.ndarray, min_us: float) -> tuple[np.ndarray, np.ndarray]:
    """Bars cut at the window's edges; a bar wholly outside becomes a `min_us` stub at the nearer
    edge (a drawn parent whose folded calls reach into the window)."""
    s = np.minimum(np.maximum(start, axis.lo), axis.hi - min_us)
    return s, np.maximum(np.minimum(end, axis.hi), s + min_us)


def strip(lane: np.ndarray, start: np.ndarray, end: np.ndarray, lanes: int, whole_us: float,
          bins: int = STRIP_BINS) -> np.ndarray:
    """(lanes, bins) uint8: how many spans of each lane are running in each slice of the whole
    axis, on a log scale (255 = the busiest slice of any lane; 0 = none)."""
    return strip_density(strip_steps(lane, start, end, lanes, whole_us, bins))


def strip_steps(lane: np.ndarray, start: np.ndarray, end: np.ndarray, lanes: int, whole_us: float,
                bins: int = STRIP_BINS) -> np.ndarray:
    """(lanes, bins + 1): per lane, +1 at each span's first slice of the whole axis and -1 after
    its last (summed along, how many are running; steps of more spans add up)."""
    b0 = np.clip((start / whole_us * bins).astype(np.int64), 0, bins - 1)
    b1 = np.clip((end / whole_us * bins).astype(np.int64), 0, bins - 1)
    row = lane.astype(np.int64) * (bins + 1)
    steps = np.bincount(row + b0, minlength=lanes * (bins + 1)) - np.bincount(row + b1 + 1, minlength=lanes * (bins + 1))
    return steps.reshape(lanes, bins + 1)


def strip_density(steps: np.ndarray) -> np.ndarray:
    """`strip`'s log-scaled counts from the lanes' `strip_steps`."""
    lanes, bins = steps.shape[0], steps.shape[1] - 1
    running = np.cumsum(steps, axis=1)[:, :bins]
    top = running.max() if running.size else 0
    if top <= 0:
        return np.zeros((lanes, bins), np.uint8)
    return np.ceil(np.log1p(running) / np.log1p(top) * 255).astype(np.uint8)


def drawn_in(axis: Axis, c: Cut, start: np.ndarray, end: np.ndarray, min_us: float) -> tuple[np.ndarray, np.ndarray]:
    """(spans drawn as bars, indices into `c.holders` of the summaries drawn): every one unzoomed;
    zoomed, the bars and summaries reaching into the window, and the holders of those summaries."""
    shown = np.flatnonzero(c.shown)
    if not axis.zoomed:
        return shown, np.arange(len(c.holders))
    held = np.flatnonzero((c.end_us >= axis.lo) & (c.start_us <= axis.hi))
    in_window = (np.maximum(end[shown], start[shown] + min_us) >= axis.lo) & (start[shown] <= axis.hi)
    return np.union1d(shown[in_window], c.holders[held]), held
