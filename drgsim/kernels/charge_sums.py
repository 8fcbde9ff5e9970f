"""Kernel that sums a month's charges per hospital and true DRG (what hospitals know of costs)."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel


def _check(hospital, drg, acts, cost, unborne, n_hosp, n_drg):
    """Cases' arrays have one length; hospitals and DRGs index the cells."""
    name = "charge_sums"
    checks.same_length(name, np.shape(hospital)[0], drg=drg, acts=acts, cost=cost)
    checks.index(name, "hospital", hospital, 0, n_hosp, "hospitals")
    checks.index(name, "drg", drg, -1, n_drg, "true DRGs, -1 none")


@checks.front(_check)
@kernel
def charge_sums(hospital, drg, acts, cost, unborne, n_hosp, n_drg):  # pragma: no cover - jitted
    """Sum of charges and number of cases per cell hospital × n_drg + DRG, in case order, of
    the cases with a true DRG (≥ 0) and none of the `unborne` act bits (never treated)."""
    sums = np.zeros(n_hosp * n_drg)
    counts = np.zeros(n_hosp * n_drg, np.int64)
    for j in range(hospital.shape[0]):
        if drg[j] < 0 or acts[j] & unborne != 0:
            continue
        cell = hospital[j] * n_drg + drg[j]
        sums[cell] += cost[j]
        counts[cell] += 1
    return sums, counts


def charge_sums_reference(hospital, drg, acts, cost, unborne, n_hosp, n_drg):
    """`charge_sums` in plain numpy: a weighted and a plain bincount of the treated cases."""
    real = ((acts & unborne) == 0) & (drg >= 0)
    cell = hospital[real].astype(np.int64) * n_drg + drg[real]
    size = n_hosp * n_drg
    return np.bincount(cell, weights=cost[real], minlength=size), np.bincount(cell, minlength=size)
