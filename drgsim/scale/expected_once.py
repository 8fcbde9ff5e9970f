"""A synthetic source's expected figures worked out once per process, not once per simulation.

Every simulation of a scenario asks its source for the same expected figures: the month
shares (each year's month budgets), the expected grouped cases and patient payments (the point
value forecast), the expected charges and the year before's case charges (the behaviours'
prior). They depend on the scenario, the catalogue and the hospitals only, not on the
replication or the seed, and take about 6 ms a simulation on Shanwei; a process keeps them
here with its source (drgsim.scale.runner) and hands each simulation a copy of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from drgsim.cases import CaseBatch
from drgsim.population.generator import SyntheticSource


class ExpectedOnce:
    """A synthetic source (CaseSource) whose expected figures are worked out at their first use
    and copied after; its months are the source's own draws."""

    def __init__(self, source: SyntheticSource) -> None:
        self.source = source
        self.record_ids = source.record_ids
        self._kept: dict[tuple[str, int], np.ndarray] = {}

    def _once(self, name: str, year_index: int, work: Callable[[], np.ndarray]) -> np.ndarray:
        """A copy of `work()`, worked out at the first call for (`name`, `year_index`)."""
        kept = self._kept.get((name, year_index))
        if kept is None:
            kept = self._kept[name, year_index] = np.array(work())
        return kept.copy()

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        """The cases discharged in `month` of year `year_index`, drawn by the source."""
        return self.source.month(year_index, month, seed)

    def month_key(self, year_index: int, month: int, seed: np.random.SeedSequence) -> bytes:
        """The source's key of a month's draw (SyntheticSource.month_key)."""
        return self.source.month_key(year_index, month, seed)

    def month_shares(self) -> np.ndarray:
        """Year one's forecast share of the year's points in each month."""
        return self._once("month_shares", 0, self.source.month_shares)

    def expected_charges(self, year_index: int) -> np.ndarray:
        """Each hospital's expected charges in year `year_index` at baseline behaviour."""
        return self._once("charges", year_index, lambda: self.source.expected_charges(year_index))

    def expected_drg_cases(self, year_index: int) -> np.ndarray:
        """Each hospital's expected grouped cases in each DRG in year `year_index`."""
        return self._once(
            "drg_cases", year_index, lambda: self.source.expected_drg_cases(year_index)
        )

    def expected_patient_paid(self, year_index: int) -> np.ndarray:
        """Each hospital's expected patient payments in year `year_index`, yuan."""
        return self._once(
            "patient_paid", year_index, lambda: self.source.expected_patient_paid(year_index)
        )

    def expected_case_charges(self, year_index: int) -> np.ndarray:
        """Mean charges of a case of each hospital in each DRG in year `year_index` (-1: the
        year before year one), yuan."""
        return self._once(
            "case_charges", year_index, lambda: self.source.expected_case_charges(year_index)
        )
