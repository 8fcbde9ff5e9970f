"""Kernel that sums a month's final claims per (fund, hospital, billed DRG) cell, in one pass."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel

#: The sums of each cell, by position (engine.drg_totals.DRG_COLUMNS).
N_CELL_SUMS = 6


def _check(
    fund, hospital, drg, acts, cost, oop, final, deducted, unborne_bits, n_fund, n_hosp, n_drg
):
    """The claims' arrays have one length; funds, hospitals and DRGs index the cells."""
    name = "cell_sums"
    checks.same_length(
        name,
        fund.shape[0],
        hospital=hospital,
        drg=drg,
        acts=acts,
        cost=cost,
        oop=oop,
        final=final,
        deducted=deducted,
    )
    checks.index(name, "fund", fund, 0, n_fund, "the funds")
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")
    checks.index(name, "drg", drg, -1, n_drg, "the DRGs, -1 ungroupable")


@checks.front(_check)
@kernel
def cell_sums(
    fund, hospital, drg, acts, cost, oop, final, deducted, unborne_bits, n_fund, n_hosp, n_drg
):  # pragma: no cover - jitted
    """The cells with claims, in order of their first claim, and their sums [cells, 6].

    A claim's cell is (fund × n_hosp + hospital) × (n_drg + 1) + its billed DRG, n_drg for an
    ungroupable claim. The sums: claims, charges, charges of the cases treated (0 for a claim
    carrying an act of `unborne_bits`), patient payments, final points, deductions; each
    added claim by claim in the claims' order.
    """
    n_cells = n_fund * n_hosp * (n_drg + 1)
    slot = np.full(n_cells, -1, np.int64)
    cells = np.empty(fund.shape[0], np.int64)
    sums = np.zeros((fund.shape[0], 6))
    k = 0
    for j in range(fund.shape[0]):
        g = drg[j] if drg[j] >= 0 else n_drg
        cell = (np.int64(fund[j]) * n_hosp + hospital[j]) * (n_drg + 1) + g
        s = slot[cell]
        if s < 0:
            s = k
            slot[cell] = k
            cells[k] = cell
            k += 1
        sums[s, 0] += 1.0
        sums[s, 1] += cost[j]
        sums[s, 2] += 0.0 if acts[j] & unborne_bits else cost[j]
        sums[s, 3] += oop[j]
        sums[s, 4] += final[j]
        sums[s, 5] += deducted[j]
    return cells[:k].copy(), sums[:k].copy()
