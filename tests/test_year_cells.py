"""A year's (hospital, DRG) cells are its months' cell sums, each added from 0 month by month."""

from __future__ import annotations

import numpy as np

from drgsim.engine.year_totals import YearTotals
from drgsim.kernels.aggregate import CELL_COLUMNS


def test_cells_are_the_months_sums_added_in_month_order_bit_for_bit() -> None:
    rng = np.random.default_rng(4)
    n_hosp, n_drg = 5, 7
    totals = YearTotals(n_hosp, n_drg)
    want = np.zeros((len(CELL_COLUMNS), n_hosp * n_drg))
    for _ in range(12):  # each month: some cells (each once, in any order) and their sums
        keys = rng.permutation(n_hosp * n_drg)[: rng.integers(0, n_hosp * n_drg)]
        sums = rng.normal(scale=1e6, size=(keys.size, len(CELL_COLUMNS)))
        sums[rng.random(sums.shape) < 0.1] = -0.0
        totals.cell_parts.append((keys.astype(np.int64), sums))
        for i, key in enumerate(keys):  # the rule: a running sum per cell, from 0
            for k in range(len(CELL_COLUMNS)):
                want[k, key] = want[k, key] + sums[i, k]
    got = totals.cells
    assert list(got) == list(CELL_COLUMNS)
    for k, name in enumerate(CELL_COLUMNS):
        assert got[name].tobytes() == want[k].tobytes()


def test_a_year_without_grouped_claims_has_empty_cells() -> None:
    cells = YearTotals(3, 4).cells
    assert all(v.shape == (12,) and not v.any() for v in cells.values())
