"""Year-to-year growth (spec §3, §9): the generator's charges and volume, and the budget's."""

from __future__ import annotations

from fractions import Fraction

from drgsim.rules.money import written
from drgsim.scenario.schema import Scenario


def budget_growth(scn: Scenario) -> Fraction:
    """The budget's yearly growth: as written, else neutral, (1 + charges)(1 + volume) − 1."""
    if scn.budget.growth is not None:
        return written(scn.budget.growth)
    return (1 + written(scn.growth.charges)) * (1 + written(scn.growth.volume)) - 1


def charge_factor(scn: Scenario, year_index: int) -> float:
    """What the generator's charges of year `year_index` (0-based) are multiplied by."""
    return float((1 + written(scn.growth.charges)) ** year_index)


def volume_factor(scn: Scenario, year_index: int) -> float:
    """What the generator's admissions of year `year_index` (0-based) are multiplied by."""
    return float((1 + written(scn.growth.volume)) ** year_index)
