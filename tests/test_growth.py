"""Years (spec v2 §3, §9): the generator's charges and volume grow, and the budget with them.

Expected figures come from the growth keys by arithmetic written here; the three-year Shanwei
baseline is measured against them within the bands the specification sets.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest

import drgsim
from drgsim.rules.growth import budget_growth
from drgsim.rules.money import written as exact
from drgsim.scale.runner import annual_budgets, load_catalogue


def test_budget_growth_defaults_to_the_generators_growth_and_keeps_a_written_value() -> None:
    city = {"other_hospitals": {"count": {3: 1}}}
    scn = drgsim.load_scenario(city)
    assert (scn.growth.charges, scn.growth.volume) == (0.04, 0.02)
    assert budget_growth(scn) == F(104, 100) * F(102, 100) - 1 == F(608, 10_000)
    own = drgsim.load_scenario({**city, "growth": {"charges": 0.1, "volume": -0.5}})
    assert budget_growth(own) == F(11, 10) * F(1, 2) - 1
    written = drgsim.load_scenario({**city, "budget": {"growth": 0.02}, "growth": {"charges": 0.1}})
    assert budget_growth(written) == F(2, 100)


@pytest.fixture(scope="module")
def three_years() -> drgsim.Result:
    return drgsim.run({"extends": "shanwei", "name": "years", "years": 3}, variants=["baseline"])


def test_budget_grows_by_the_neutral_rate_to_the_fen(three_years: drgsim.Result) -> None:
    budgets = three_years.region_year.groupby("year")["budget_fen"].sum().sort_index().tolist()
    # year one's budget of each fund is its budget-neutral default in yuan; each year grows it,
    # unrounded, and rounds each fund's budget to the fen
    scn = three_years.scenario
    funds = [exact(b) * 100 for b in annual_budgets(scn, load_catalogue(scn))]
    grown = [sum(round(b * F(10_608, 10_000) ** y) for b in funds) for y in (0, 1, 2)]
    assert budgets == grown


def test_charges_and_volume_grow_and_payment_keeps_pace(three_years: drgsim.Result) -> None:
    st = three_years.settlement.groupby("year")[
        ["cases", "final_fen", "true_cost_yuan", "oop_yuan"]
    ]
    years = st.sum().sort_index()
    per_case = years["true_cost_yuan"] / years["cases"]
    # charges per case grow by growth.charges (4%) ± 1 point a year (the case mix is redrawn)
    assert ((per_case.pct_change().iloc[1:] - 0.04).abs() <= 0.01).all(), per_case.tolist()
    # admissions grow by growth.volume (2%) ± 1 point (Poisson draws of ~300,000 a year)
    assert ((years["cases"].pct_change().iloc[1:] - 0.02).abs() <= 0.01).all()
    # the hospitals' payment over their fund-eligible charges stays within ±1 point a year
    ratio = years["final_fen"] / 100 / (years["true_cost_yuan"] - years["oop_yuan"])
    assert (ratio.diff().iloc[1:].abs() <= 0.01).all(), ratio.tolist()


def test_money_per_rw_unit_grows_with_charges_and_margins_stay_flat(
    three_years: drgsim.Result,
) -> None:
    """Spec v2 §9: a default baseline keeps the hospitals' total margin (payment − fund-eligible
    charges, until issue 11's economic costs) within ±1% of their payments every year, while
    money per RW unit grows with charges (growth.charges ± 1 point a year)."""
    ry = three_years.region_year  # each fund's row: yuan per RW unit over them, by points
    per_rw = (ry["money_per_rw_yuan"] * ry["points"]).groupby(ry["year"]).sum() / ry.groupby(
        "year"
    )["points"].sum()
    growth = per_rw.sort_index().pct_change().iloc[1:]
    assert ((growth - 0.04).abs() <= 0.01).all(), growth.tolist()
    years = three_years.settlement.groupby("year")[["final_fen", "charges_yuan", "oop_yuan"]]
    paid = years.sum()["final_fen"] / 100
    margin = paid - (years.sum()["charges_yuan"] - years.sum()["oop_yuan"])
    assert ((margin / paid).abs() <= 0.01).all(), (margin / paid).tolist()
