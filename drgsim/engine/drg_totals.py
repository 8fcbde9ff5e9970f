"""A year's claims summed per fund × hospital × billed DRG, for the profit and loss by DRG (病组盈亏).

Claims are added once final (when their month leaves the readmission window, after any
inspection of their quarter), so each cell's points and deductions are those the claims were
settled with. Each month's cells with claims are kept with their sums, and added up at year
end in month order, so a month costs what its claims do, not hospitals × DRGs. Up to
DENSE_CELLS cells, a month is summed in one pass through a table of every cell
(kernels.aggregate.drg_cell_sums) and the year's months added up through one array; a region
larger than that is summed by sorting its cells, so memory follows the claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drgsim.acts import UNBORNE_BITS
from drgsim.engine.year_totals import PricedBatch, check_lengths
from drgsim.kernels.aggregate import cell_totals_of, drg_cell_sums

#: The sums of each cell: claims, billed charges, charges of the cases treated (a phantom case
#: is billed, not treated), patient payments, points (after the readmission rule), deductions.
DRG_COLUMNS = ("cases", "charges", "borne", "oop", "points", "deducted")
#: Cells (funds × hospitals × DRGs) up to which the sums go through tables of every cell
#: (4 bytes a cell a month, 49 at year end).
DENSE_CELLS = 2_000_000


@dataclass
class DrgTotals:
    """Sums of a year's final claims per cell (fund, hospital, billed DRG or ungroupable)."""

    n_fund: int
    n_hosp: int
    n_drg: int  # cells per hospital: n_drg DRGs, then one for ungroupable claims
    dense_cells: int = DENSE_CELLS
    parts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # each month's

    @property
    def n_cells(self) -> int:
        """Cells of the year: funds × hospitals × (DRGs + ungroupable)."""
        return self.n_fund * self.n_hosp * (self.n_drg + 1)

    def add(self, claims: PricedBatch, factor: float) -> None:
        """Add a month's final claims (`factor`: the readmission rule's, for their final points)."""
        c = claims.cases
        if c.n == 0:
            return
        if self.n_cells <= self.dense_cells:
            # the claims passed the insurer's month check (engine.month_check), their DRGs
            # billed from the checked group table: the kernel runs without its front's scans
            check_lengths(claims)
            self.parts.append(
                drg_cell_sums.compiled(  # type: ignore[attr-defined]
                    c.fund,
                    c.hospital,
                    claims.drg,
                    c.acts,
                    c.cost,
                    c.oop,
                    claims.points,
                    claims.readmit,
                    claims.deducted,
                    float(factor),
                    UNBORNE_BITS,
                    self.n_fund,
                    self.n_hosp,
                    self.n_drg,
                )
            )
            return
        drg = np.where(claims.drg >= 0, claims.drg, self.n_drg).astype(np.int64)
        cell = (c.fund.astype(np.int64) * self.n_hosp + c.hospital) * (self.n_drg + 1) + drg
        borne = np.where((c.acts & UNBORNE_BITS) != 0, 0.0, c.cost)
        final = claims.final_points(factor)
        values = (None, c.cost, borne, c.oop, final, claims.deducted)
        keys, at = np.unique(cell, return_inverse=True)
        sums = np.stack([np.bincount(at, weights=v, minlength=keys.size) for v in values], axis=1)
        self.parts.append((keys, sums))

    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The year's cells with claims, in (fund, hospital, DRG) order: fund, hospital, DRG
        (n_drg for ungroupable) and their sums [cells, DRG_COLUMNS]."""
        per_hospital = self.n_drg + 1
        if self.parts and self.n_cells <= self.dense_cells:
            rows, drg, sums = cell_totals_of(
                self.parts, self.n_fund * self.n_hosp, per_hospital, len(DRG_COLUMNS)
            )
        elif self.parts:
            keys, at = np.unique(np.concatenate([k for k, _ in self.parts]), return_inverse=True)
            months = np.concatenate([s for _, s in self.parts])
            sums = np.stack(
                [np.bincount(at, weights=col, minlength=keys.size) for col in months.T], axis=1
            )
            rows, drg = keys // per_hospital, keys % per_hospital
        else:
            rows, drg = np.zeros(0, np.int64), np.zeros(0, np.int64)
            sums = np.zeros((0, len(DRG_COLUMNS)))
        # rows (fund × n_hosp + hospital) come in increasing order: each fund's start found
        # by a search, not a division of every row
        starts = np.searchsorted(rows, np.arange(self.n_fund + 1) * self.n_hosp)
        fund = np.repeat(np.arange(self.n_fund), np.diff(starts))
        return fund, rows - fund * self.n_hosp, drg, sums
