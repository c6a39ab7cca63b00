"""Overlap tracks carried on from an earlier packing are the tracks of packing every bar at once."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from vrmon.layout.tracks import pack_tracks, packed


def bars(rng, n: int, t0: float, lanes: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lane = rng.integers(0, lanes, n)
    start = t0 + rng.integers(0, 1000, n).astype(np.float64)  # whole numbers: ties and touching bars happen
    return lane, start, start + rng.integers(1, 200, n)


@pytest.mark.parametrize("later", [True, False], ids=["new bars start later", "some start earlier"])
def test_a_packing_carried_on_gives_the_tracks_of_packing_every_bar(later):
    rng = np.random.default_rng(3)
    lane, start, end = bars(rng, 400, 0.0)
    before = packed(lane, start, end)
    for step in range(5):
        more = bars(rng, 30, 1000.0 + 300 * step if later else 500.0, lanes=7)  # lanes 5 and 6 are new
        lane, start, end = (np.concatenate([a, b]) for a, b in zip((lane, start, end), more))
        kept = copy.deepcopy(before.lanes)
        grown = packed(lane, start, end, before)
        assert np.array_equal(grown.track, pack_tracks(lane, start, end))
        assert before.lanes == kept  # the earlier packing is left as it was
        before = grown
    # each lane's tracks: as many as its busiest moment needs (an end meets a start without overlap)
    for ln in np.unique(lane):
        mine = lane == ln
        moments = np.unique(start[mine])
        busiest = max(int(((start[mine] <= t) & (end[mine] > t)).sum()) for t in moments)
        assert before.lanes[int(ln)][1] == max(busiest, 1)
