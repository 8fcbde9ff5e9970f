"""Kernel that sums a month's claims per hospital and per (hospital, DRG) cell in one pass."""

from __future__ import annotations

import numpy as np

from drgsim.kernels.jit import kernel

#: Columns of the per-hospital sums.
SUM_COLUMNS = (
    "cases",
    "points",
    "oop",
    "true_cost",
    "deducted",
    "audited",
    "caught",
    "high",
    "grouped",
    "rw",
)
#: Columns of the per-cell sums.
CELL_COLUMNS = ("n", "cost", "los")


@kernel
def aggregate(
    hospital, drg, final, oop, cost, los, deducted, audited, caught, phantom, rw, high_rw, n_hosp
):  # pragma: no cover - jitted
    """Per-hospital sums [H, SUM_COLUMNS] and per-cell sums [H × G, CELL_COLUMNS] of a batch.

    Ungroupable claims (drg < 0) count in the hospital sums but not in any cell; a phantom
    claim's cost is billed, not borne, so it adds nothing to the true cost.
    """
    n_drg = rw.shape[0]
    sums = np.zeros((n_hosp, 10))
    cells = np.zeros((n_hosp * n_drg, 3))
    for j in range(hospital.shape[0]):
        h = hospital[j]
        g = drg[j]
        sums[h, 0] += 1.0
        sums[h, 1] += final[j]
        sums[h, 2] += oop[j]
        if not phantom[j]:
            sums[h, 3] += cost[j]
        sums[h, 4] += deducted[j]
        if audited[j]:
            sums[h, 5] += 1.0
        if caught[j] != 0:
            sums[h, 6] += 1.0
        if g >= 0:
            if rw[g] >= high_rw:
                sums[h, 7] += 1.0
            sums[h, 8] += 1.0
            sums[h, 9] += rw[g]
            cell = h * n_drg + g
            cells[cell, 0] += 1.0
            cells[cell, 1] += cost[j]
            cells[cell, 2] += los[j]
    return sums, cells


#: Independent partial sums per group, so consecutive rows of one group do not wait on each
#: other's additions; they are added up in a fixed order, so results never vary.
LANES = 4  # a power of two


@kernel
def sum_by_group(group, values, n_groups):  # pragma: no cover - jitted
    """Sums of each array of the tuple `values` for each group 0..n_groups−1, in one pass."""
    width = len(values)
    acc = np.zeros((LANES, n_groups, width))
    for j in range(group.shape[0]):
        lane = j & (LANES - 1)
        g = group[j]
        for k in range(width):
            acc[lane, g, k] += values[k][j]
    out = acc[0].copy()
    for lane in range(1, LANES):
        out += acc[lane]
    return out


@kernel
def sum_by_month_hospital(month, hospital, n_hosp, values):  # pragma: no cover - jitted
    """Sums [12, n_hosp, k] of each array of the tuple `values` by discharge month and hospital."""
    width = len(values)
    acc = np.zeros((LANES, 12, n_hosp, width))
    for j in range(month.shape[0]):
        lane = j & (LANES - 1)
        m = month[j] - 1
        h = hospital[j]
        for k in range(width):
            acc[lane, m, h, k] += values[k][j]
    out = acc[0].copy()
    for lane in range(1, LANES):
        out += acc[lane]
    return out
