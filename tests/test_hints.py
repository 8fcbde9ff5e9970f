"""The prefetch hint: no effect on any value, and only for what it can fetch."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from drgsim.kernels.hints import prefetch


@numba.njit
def _sum_fetching_ahead(values, ahead):  # pragma: no cover - jitted
    total = 0.0
    for i in range(values.shape[0]):
        if i + ahead < values.shape[0]:
            prefetch(values, i + ahead)
        prefetch(values, i)
        total += values[i]
    return total


def test_a_prefetch_changes_no_value() -> None:
    """Fetching elements ahead (and the one read) leaves the sum and the array as they are."""
    values = np.arange(1.0, 10_001.0)
    kept = values.copy()
    assert _sum_fetching_ahead(values, 64) == 10_000 * 10_001 / 2
    assert np.array_equal(values, kept)
    assert _sum_fetching_ahead(np.arange(5, dtype=np.uint64).astype(np.float64), 3) == 10.0


def test_a_prefetch_takes_one_dimensional_arrays_and_integer_indices() -> None:
    """A two-dimensional array or a float index is a typing error, not a silent no-op."""

    @numba.njit
    def fetch(a, i):  # pragma: no cover - jitted
        prefetch(a, i)

    fetch(np.zeros(4), np.uint64(2))  # an unsigned index, as the readmission kernel gives
    with pytest.raises(numba.core.errors.TypingError):
        fetch(np.zeros((2, 2)), 1)
    with pytest.raises(numba.core.errors.TypingError):
        fetch(np.zeros(4), 1.5)
