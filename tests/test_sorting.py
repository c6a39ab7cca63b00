"""The layout's fast integer sort and unique give exactly what numpy's general routines give."""

from __future__ import annotations

import numpy as np
import pytest

from vrmon.layout.sorting import lexsort_ints, unique_ints


@pytest.mark.parametrize("seed", range(5))
def test_lexsort_ints_matches_lexsort_with_ties_and_negatives(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    keys = (rng.integers(-50, 50, n), rng.integers(0, 7, n), rng.integers(-3, 3, n))  # many ties
    assert np.array_equal(lexsort_ints(keys), np.lexsort(keys))


def test_lexsort_ints_falls_back_when_the_combined_key_would_overflow():
    rng = np.random.default_rng(1)
    keys = (rng.integers(-2**40, 2**40, 1000), rng.integers(0, 2**30, 1000))
    assert np.array_equal(lexsort_ints(keys), np.lexsort(keys))


def test_lexsort_ints_of_nothing_is_empty():
    assert len(lexsort_ints((np.empty(0, np.int64), np.empty(0, np.int64)))) == 0


@pytest.mark.parametrize("values", [
    np.array([5, 3, 5, 9, 3, 3], np.int32),
    np.array([-4, 7, -4, 0], np.int64),
    np.array([2**50, 1, 2**50], np.int64),  # too wide for a table: numpy's unique
    np.empty(0, np.int32),
    np.random.default_rng(3).integers(0, 300, 10_000),
])
def test_unique_ints_matches_unique_with_inverse(values):
    uniq, inverse = unique_ints(values)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    assert np.array_equal(uniq, expected) and uniq.dtype == values.dtype
    assert np.array_equal(inverse, expected_inverse.reshape(-1))
