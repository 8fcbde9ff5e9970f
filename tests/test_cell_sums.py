"""The cell-sums kernel against a plain-numpy reference: bincounts over the sorted cells."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drgsim.kernels.cells import cell_sums

UNBORNE = 0b1000


def reference(fund, hospital, drg, acts, cost, oop, final, deducted, n_hosp, n_drg):
    """Each cell's claims, charges, treated charges, patient payments, points and deductions."""
    billed = np.where(drg >= 0, drg, n_drg).astype(np.int64)
    cell = (fund.astype(np.int64) * n_hosp + hospital) * (n_drg + 1) + billed
    borne = np.where((acts & UNBORNE) != 0, 0.0, cost)
    keys, at = np.unique(cell, return_inverse=True)
    columns = (np.ones(cell.size), cost, borne, oop, final, deducted)
    return keys, np.stack([np.bincount(at, weights=v, minlength=keys.size) for v in columns], 1)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 400),
    n_fund=st.integers(1, 3),
    n_hosp=st.integers(1, 5),
    n_drg=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_cell_sums_equal_the_reference_bit_for_bit(n, n_fund, n_hosp, n_drg, seed) -> None:
    rng = np.random.default_rng(seed)
    fund = rng.integers(0, n_fund, n).astype(np.int8)
    hospital = rng.integers(0, n_hosp, n).astype(np.int32)
    drg = rng.integers(-1, n_drg, n).astype(np.int16)
    acts = rng.choice(np.array([0, 1, UNBORNE, UNBORNE | 2], np.uint8), n)
    cost, oop = rng.lognormal(8, 1, n), rng.uniform(0, 500, n)
    final, deducted = rng.normal(100, 50, n), rng.uniform(0, 10, n) * (rng.random(n) < 0.2)
    args = (fund, hospital, drg, acts, cost, oop, final, deducted)
    cells, sums = cell_sums(*args, UNBORNE, n_fund, n_hosp, n_drg)
    keys, want = reference(*args, n_hosp, n_drg)
    order = np.argsort(cells)
    np.testing.assert_array_equal(cells[order], keys)
    assert np.array_equal(sums[order], want)  # the same additions in the same order
    if n:  # each cell is listed at its first claim
        billed = np.where(drg >= 0, drg, n_drg)
        cell = (fund.astype(np.int64) * n_hosp + hospital) * (n_drg + 1) + billed
        _, first = np.unique(cell, return_index=True)
        np.testing.assert_array_equal(cells, cell[np.sort(first)])


def test_a_phantom_claim_is_billed_not_treated() -> None:
    # two claims of fund 0, hospital 1, DRG 2 (cell (0 × 2 + 1) × 4 + 2 = 6), one unborne;
    # one ungroupable claim of fund 1, hospital 0 (cell (1 × 2 + 0) × 4 + 3 = 11)
    cells, sums = cell_sums(
        np.array([0, 0, 1], np.int8),
        np.array([1, 1, 0], np.int32),
        np.array([2, 2, -1], np.int16),
        np.array([0, UNBORNE, 0], np.uint8),
        np.array([100.0, 40.0, 7.0]),
        np.array([10.0, 4.0, 1.0]),
        np.array([5.0, 2.0, 0.5]),
        np.array([0.0, 1.0, 0.0]),
        UNBORNE,
        2,
        2,
        3,
    )
    assert cells.tolist() == [6, 11]
    assert sums.tolist() == [[2, 140, 100, 14, 7, 1], [1, 7, 7, 1, 0.5, 0]]
