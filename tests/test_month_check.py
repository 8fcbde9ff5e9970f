"""The insurer checks a month's claims once, so its kernels run without their fronts' checks:
a claim outside the tables is still refused in one line before any kernel reads it."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import drgsim
from drgsim.cases import CaseBatch
from drgsim.engine.calendar import Simulation
from drgsim.engine.month_check import check_month, check_year
from drgsim.kernels.checks import KernelInputError
from drgsim.kernels.rng import CASES
from drgsim.population.generator import SyntheticSource
from drgsim.population.hospitals import hospital_table
from drgsim.rules.audit import Findings
from drgsim.rules.pricing import Rules, billed_drg, price
from drgsim.rules.tariff import first_tariff
from drgsim.scale.runner import load_catalogue

GOLDEN = Path(__file__).resolve().parent / "golden"


def _city() -> dict[str, Any]:
    """Two hospitals, one fund, a small catalogue."""
    return {
        "name": "month-check",
        "seed": 3,
        "catalogue": {"source": str(GOLDEN / "catalogue.csv")},
        "region": {"admissions": 3000},
        "hospitals": {"A": {"tier": 3, "beds": 300}, "B": {"tier": 2, "beds": 150}},
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "budget": {"annual": 10_000_000.0},
    }


def _setup() -> tuple[Any, Any, Any, SyntheticSource]:
    scn = drgsim.load_scenario(_city())
    cat, hosp = load_catalogue(scn), hospital_table(scn)
    return scn, cat, hosp, SyntheticSource(scn, cat, hosp)


def _month(source: SyntheticSource) -> CaseBatch:
    return source.month(0, 1, np.random.SeedSequence(1))


class _Broken:
    """A case source whose third month has one claim changed by `change` (an upstream bug)."""

    def __init__(self, source: SyntheticSource, change: Any) -> None:
        self.source, self.change = source, change

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        batch = self.source.month(year_index, month, seed)
        return self.change(batch) if month == 3 else batch


def _with(batch: CaseBatch, column: str, value: int) -> CaseBatch:
    values = getattr(batch, column).copy()
    values[len(values) // 2] = value
    return dataclasses.replace(batch, **{column: values})


@pytest.mark.parametrize(
    ("column", "value", "allowed"),
    [
        ("hospital", 2, "0 … 1 (the hospitals)"),
        ("hospital", -1, "0 … 1 (the hospitals)"),
        ("fund", 1, "0 … 0 (the funds)"),
        ("case_id", -5, f"0 … {CASES - 1} (case numbers of the random draws)"),
    ],
)
def test_a_month_with_a_claim_outside_the_tables_is_refused_in_one_line(
    column: str, value: int, allowed: str
) -> None:
    scn, cat, hosp, source = _setup()
    bad = _with(_month(source), column, value)
    want = f"the month's claims: {column} has value {value}; allowed {allowed}"
    with pytest.raises(KernelInputError) as caught:
        check_month(bad, hosp.n, 1)
    assert str(caught.value) == want
    # the simulation refuses the month before any kernel reads it, in the same line
    sim = Simulation(scn, cat, hosp, _Broken(source, lambda b: _with(b, column, value)),
                     annual_budget=10_000_000.0)  # fmt: skip
    with pytest.raises(KernelInputError) as caught:
        sim.run()
    assert str(caught.value) == want


def test_a_month_with_a_column_of_another_length_is_refused() -> None:
    _, _, hosp, source = _setup()
    batch = _month(source)
    short = dataclasses.replace(batch, cost=batch.cost[:-1])
    with pytest.raises(KernelInputError, match="the month's claims: cost has shape"):
        check_month(short, hosp.n, 1)


def test_a_good_month_passes_and_the_year_is_checked_against_the_catalogue() -> None:
    scn, cat, hosp, source = _setup()
    check_month(_month(source), hosp.n, 1)
    tariff, rules = first_tariff(cat, scn, hosp), Rules.from_scenario(scn)
    check_year(cat, tariff, rules, hosp.n)
    table = cat.group_table.copy()
    table[0, 0] = cat.n_drg  # a DRG beyond the tariff's
    with pytest.raises(KernelInputError, match=f"group_table has value {cat.n_drg}"):
        check_year(dataclasses.replace(cat, group_table=table), tariff, rules, hosp.n)
    with pytest.raises(KernelInputError, match="coef has shape"):
        check_year(cat, tariff, rules, hosp.n + 1)


def test_pricing_a_checked_month_without_the_front_gives_the_same_claims() -> None:
    scn, cat, hosp, source = _setup()
    batch = _month(source)
    tariff, rules = first_tariff(cat, scn, hosp), Rules.from_scenario(scn)
    drg = billed_drg(batch, cat)
    fronted = price(batch, drg, tariff, rules, hosp.n, 7)
    direct = price(batch, drg, tariff, rules, hosp.n, 7, checked=True)
    for a, b in zip(fronted, direct, strict=True):
        assert a.tobytes() == b.tobytes()


def test_deductions_per_claim_are_the_acts_added_in_order_from_zero() -> None:
    """A claim's deduction is 0 + its acts' deductions in the acts' order, bit for bit, whether
    it has any (a month has few); a claim whose acts deduct nothing (or -0.0) has 0."""
    rng = np.random.default_rng(11)
    n, k = 5000, 4
    by_act = rng.normal(scale=1e3, size=(n, k)) * (rng.random((n, k)) < 0.01)
    by_act[7] = [-0.0, 0.0, -0.0, 0.0]
    by_act[8] = [0.1, 0.2, 0.3, -0.0]
    by_act[9] = [np.nan, 0.0, 0.0, 0.0]
    got = Findings(np.zeros(n, np.uint8), np.zeros(n), by_act).deducted
    want = np.zeros(n)
    for j in range(n):
        total = 0.0
        for v in by_act[j]:
            total += float(v)
        want[j] = total
    assert got.tobytes() == want.tobytes()
    assert np.signbit(got[7]) == np.signbit(0.0 + -0.0)
    none = Findings(np.zeros(3, np.uint8), np.zeros(3), np.zeros((3, k))).deducted
    assert none.tobytes() == np.zeros(3).tobytes()


def test_a_failed_run_leaves_no_thread_drawing_months() -> None:
    """The calendar fails at month 3 while the next month is drawn ahead (its claims checked on
    the pricing thread): the run's error is raised and its drawing and pricing threads are gone
    at once (not when the garbage is collected)."""
    scn, cat, hosp, source = _setup()
    sim = Simulation(
        scn,
        cat,
        hosp,
        _Broken(source, lambda b: _with(b, "hospital", hosp.n)),
        annual_budget=10_000_000.0,
        months_ahead=True,
    )
    with pytest.raises(KernelInputError, match="hospital has value"):
        sim.run()
    drgsim_threads = ("drgsim-months", "drgsim-pricing")
    assert not [t for t in threading.enumerate() if t.name.startswith(drgsim_threads)]
