"""What a hospital expects of a case before settlement: its charges and what it will be paid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drgsim.acts import UNBORNE_BITS
from drgsim.cases import CaseBatch
from drgsim.kernels.charge_sums import charge_sums
from drgsim.rules.tariff import Tariff
from drgsim.scenario.schema import Audit


@dataclass
class ChargeHistory:
    """Each hospital's charges per true DRG, year by year: what it knows of its own costs.

    A hospital expects a case of DRG g to cost what its own cases of g cost on average last
    year; in year one, what they cost in the year before (`prior`, [hospital, DRG]); where it
    knows neither, the published tariff's reference cost of g × its cost level (spec §8).
    """

    n_hosp: int
    n_drg: int
    cost_level: np.ndarray
    prior: np.ndarray | None = None
    years: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _table: tuple[int, Tariff, np.ndarray] | None = field(default=None, repr=False)

    def remember(self, batch: CaseBatch, year: int) -> None:
        """Add the charges of a month's cases the hospitals treated (phantom cases cost none)."""
        sums, counts = charge_sums(
            batch.hospital,
            batch.drg_true,
            batch.acts,
            batch.cost,
            UNBORNE_BITS,
            self.n_hosp,
            self.n_drg,
        )
        if year in self.years:  # added in place (x + y is y + x, bit for bit)
            old_sums, old_counts = self.years[year]
            old_sums += sums
            old_counts += counts
        else:
            self.years[year] = (sums, counts)
        if self._table is not None and self._table[0] == year + 1:
            self._table = None  # a later year's expectations read this year's records
        for old in [y for y in self.years if y < year - 1]:
            del self.years[old]

    def expected(
        self, hospital: np.ndarray, drg: np.ndarray, year: int, tariff: Tariff
    ) -> np.ndarray:
        """Expected charges of cases of `drg` at `hospital` in `year` (last year's mean)."""
        return self.table(year, tariff)[hospital, np.maximum(drg, 0)]

    def table(self, year: int, tariff: Tariff) -> np.ndarray:
        """Expected charges [hospital, DRG] in `year`, worked out once a year (what it reads,
        last year's records and the tariff, do not change within the year)."""
        if self._table is None or self._table[0] != year or self._table[1] is not tariff:
            hospital = np.repeat(np.arange(self.n_hosp), self.n_drg)
            drg = np.tile(np.arange(self.n_drg), self.n_hosp)
            values = self._expected(hospital, drg, year, tariff)
            self._table = (year, tariff, values.reshape(self.n_hosp, self.n_drg))
        return self._table[2]

    def _expected(
        self, hospital: np.ndarray, drg: np.ndarray, year: int, tariff: Tariff
    ) -> np.ndarray:
        g = np.maximum(drg, 0)
        out = tariff.ref_cost[g] * self.cost_level[hospital]
        if year - 1 not in self.years and self.prior is not None:
            known = self.prior[hospital, g]
            out = np.where(np.isfinite(known) & (known > 0), known, out)
        if year - 1 in self.years:
            sums, counts = self.years[year - 1]
            cell = hospital.astype(np.int64) * self.n_drg + g
            seen = counts[cell] > 0
            out[seen] = sums[cell[seen]] / counts[cell[seen]]
        return out


def caught_probability(audit: Audit, audit_key: str) -> float:
    """The chance a hospital puts on one claim of an act being reviewed and confirmed (spec §5):
    flagged by the screening rules or sampled, then confirmed. A quarter's targeted inspection
    is not foreseen (it falls on the hospitals the regulator's risk score picks afterwards)."""
    missed = (1.0 - audit.sample_rate) * (1.0 - float(audit.screening.recall.get(audit_key, 0.0)))
    return (1.0 - missed) * float(audit.detection.get(audit_key, 0.0))
