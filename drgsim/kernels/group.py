"""Kernel that groups cases into DRGs through each ADRG's severity split pattern."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import inline, kernel


@inline
def group_one(group_table, adrg, severity):  # pragma: no cover - jitted
    """The DRG index of one case from its ADRG and level (0 MCC, 1 CC, 2 none, 3… local)."""
    return group_table[adrg, severity]


def check_codes(adrg, severity, ungroupable, group_table, name="group_cases", table="group_table"):
    """A grouped case's ADRG and severity index the group table (a kernel front's check;
    `table` names it in the message)."""
    checks.same_length(name, adrg.shape[0], severity=severity, ungroupable=ungroupable)
    checks.shape(name, table, group_table, (None, None))
    rows, width = group_table.shape
    if checks.within(adrg, 0, rows) and checks.within(severity, 0, width):
        return  # every case's codes index the table, so the grouped cases' do
    grouped = ~np.asarray(ungroupable, dtype=bool)
    checks.index(name, "adrg", adrg[grouped], 0, rows, f"rows of {table}")
    checks.index(name, "severity", severity[grouped], 0, width, f"levels of {table}")


@checks.front(check_codes)
@kernel
def group_cases(adrg, severity, ungroupable, group_table):  # pragma: no cover - jitted
    """The billed DRG index of each case, -1 for an ungroupable record."""
    n = adrg.shape[0]
    out = np.empty(n, np.int16)
    for j in range(n):
        out[j] = -1 if ungroupable[j] else group_one(group_table, adrg[j], severity[j])
    return out
