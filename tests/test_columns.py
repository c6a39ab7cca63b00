"""Growing and inserting into numpy columns: the same results as numpy's own, for less copying."""

from __future__ import annotations

import numpy as np
import pytest

from vrmon.model.columns import Room, inserted


@pytest.mark.parametrize("places", [1, 3, 200], ids=["one place", "a few places", "many places"])
def test_inserting_at_ascending_places_is_np_insert(places):
    rng = np.random.default_rng(places)
    column = np.sort(rng.integers(0, 10_000, 5_000))
    where = np.sort(rng.choice(np.arange(len(column) + 1), places, replace=False))
    at = np.sort(np.concatenate([where, rng.choice(where, 300)]))  # several values at some places
    values = rng.integers(0, 10_000, len(at))
    assert np.array_equal(inserted(column, at, values), np.insert(column, at, values))
    assert np.array_equal(inserted(column, at[:0], values[:0]), column)


def test_appending_to_an_older_column_leaves_what_was_handed_out_as_it_was():
    room = Room()
    first = room.appended("x", np.arange(3), np.array([3, 4]))
    second = room.appended("x", first, np.array([5]))  # in place, behind `first`
    branch = room.appended("x", first, np.array([9, 9]))  # `first` again: copied, `second` keeps its 5
    assert second.tolist() == [0, 1, 2, 3, 4, 5] and branch.tolist() == [0, 1, 2, 3, 4, 9, 9]
    assert first.tolist() == [0, 1, 2, 3, 4]
