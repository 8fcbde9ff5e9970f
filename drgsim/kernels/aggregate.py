"""Kernel that sums a month's claims per hospital and per (hospital, DRG) cell in one pass."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
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
    "charges",
)
#: Columns of the per-cell sums.
CELL_COLUMNS = ("n", "cost", "los")


def _check_aggregate(
    hospital, drg, final, oop, cost, los, deducted, audited, caught, phantom, rw, high_rw, n_hosp
):
    """The claims' arrays have one length; hospitals and DRGs index the sums' rows."""
    name = "aggregate"
    checks.same_length(
        name,
        hospital.shape[0],
        drg=drg,
        final=final,
        oop=oop,
        cost=cost,
        los=los,
        deducted=deducted,
        audited=audited,
        caught=caught,
        phantom=phantom,
    )
    checks.shape(name, "rw", rw, (None,))
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")
    checks.index(name, "drg", drg, -1, rw.shape[0], "the DRGs of rw, -1 ungroupable")


@checks.front(_check_aggregate)
@kernel
def aggregate(
    hospital, drg, final, oop, cost, los, deducted, audited, caught, phantom, rw, high_rw, n_hosp
):  # pragma: no cover - jitted
    """Per-hospital sums [H, SUM_COLUMNS] and per-cell sums [H × G, CELL_COLUMNS] of a batch.

    Ungroupable claims (drg < 0) count in the hospital sums but not in any cell; a phantom
    claim's cost is billed, not borne, so it adds nothing to the true cost but counts in the
    charges (every claim's billed cost).
    """
    n_drg = rw.shape[0]
    sums = np.zeros((n_hosp, 11))
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
        sums[h, 10] += cost[j]
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


def _check_sum_by_group(group, values, n_groups):
    """Every value array has the groups' length; the groups index the sums' rows."""
    for k, array in enumerate(values):
        checks.shape("sum_by_group", f"values[{k}]", array, (group.shape[0],))
    checks.index("sum_by_group", "group", group, 0, n_groups, "the groups")


@checks.front(_check_sum_by_group)
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


def _check_sum_by_month_hospital(month, hospital, n_hosp, values):
    """Months are 1 … 12 and hospitals index the sums; every array has one length."""
    name = "sum_by_month_hospital"
    checks.same_length(name, month.shape[0], hospital=hospital)
    for k, array in enumerate(values):
        checks.shape(name, f"values[{k}]", array, (month.shape[0],))
    checks.index(name, "month", month, 1, 13, "the months")
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")


@checks.front(_check_sum_by_month_hospital)
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
