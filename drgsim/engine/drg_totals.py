"""A year's claims summed per fund × hospital × billed DRG, for the profit and loss by DRG (病组盈亏).

Claims are added once final (when their month leaves the readmission window, after any
inspection of their quarter), so each cell's points and deductions are those the claims were
settled with. The sums are kept in one array over every cell (a few bincounts a month) unless
the region is so large that this would exceed DENSE_CELLS; then only the cells with claims
are kept, so memory follows the claims, not hospitals × DRGs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drgsim.acts import UNBORNE_BITS
from drgsim.engine.year_totals import PricedBatch

#: The sums of each cell: claims, billed charges, charges of the cases treated (a phantom case
#: is billed, not treated), patient payments, points (after the readmission rule), deductions.
DRG_COLUMNS = ("cases", "charges", "borne", "oop", "points", "deducted")
#: Cells (funds × hospitals × DRGs) up to which the sums are one dense array (48 bytes a cell).
DENSE_CELLS = 2_000_000


@dataclass
class DrgTotals:
    """Sums of a year's final claims per cell (fund, hospital, billed DRG or ungroupable)."""

    n_fund: int
    n_hosp: int
    n_drg: int  # cells per hospital: n_drg DRGs, then one for ungroupable claims
    dense_cells: int = DENSE_CELLS
    parts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    dense: np.ndarray | None = field(init=False, default=None)  # [DRG_COLUMNS, cells]

    def __post_init__(self) -> None:
        n_cells = self.n_fund * self.n_hosp * (self.n_drg + 1)
        if n_cells <= self.dense_cells:
            self.dense = np.zeros((len(DRG_COLUMNS), n_cells))

    def add(self, claims: PricedBatch, final: np.ndarray) -> None:
        """Add a month's final claims (`final`: their points after the readmission rule)."""
        c = claims.cases
        if c.n == 0:
            return
        drg = np.where(claims.drg >= 0, claims.drg, self.n_drg).astype(np.int64)
        cell = (c.fund.astype(np.int64) * self.n_hosp + c.hospital) * (self.n_drg + 1) + drg
        borne = np.where((c.acts & UNBORNE_BITS) != 0, 0.0, c.cost)
        values = (None, c.cost, borne, c.oop, final, claims.deducted)
        if self.dense is not None:
            n_cells = self.dense.shape[1]
            for k, v in enumerate(values):
                self.dense[k] += np.bincount(cell, weights=v, minlength=n_cells)
            return
        keys, at = np.unique(cell, return_inverse=True)
        sums = np.stack([np.bincount(at, weights=v, minlength=keys.size) for v in values], axis=1)
        self.parts.append((keys, sums))

    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The year's cells with claims, in (fund, hospital, DRG) order: fund, hospital, DRG
        (n_drg for ungroupable) and their sums [cells, DRG_COLUMNS]."""
        if self.dense is not None:
            keys = np.flatnonzero(self.dense[0] > 0)
            sums = self.dense[:, keys].T
        elif self.parts:
            keys, at = np.unique(np.concatenate([k for k, _ in self.parts]), return_inverse=True)
            months = np.concatenate([s for _, s in self.parts])
            sums = np.stack(
                [np.bincount(at, weights=col, minlength=keys.size) for col in months.T], axis=1
            )
        else:
            keys, sums = np.zeros(0, np.int64), np.zeros((0, len(DRG_COLUMNS)))
        per_hospital = self.n_drg + 1
        hospital = keys // per_hospital
        return hospital // self.n_hosp, hospital % self.n_hosp, keys % per_hospital, sums
