"""What hospitals know before the first settlement (spec §3, §8): the bureau's forecast point
value and their own charges of the year before.

Before year one's first month is settled, hospitals judged each case at the tariff's mean cost
over the base points (≈ 70 yuan on Shanwei) while ≈ 77 was paid, so Shanwei's `shifting`
variant refused patients in January and February only. The expected values here are written
out in the test from the scenario's parameters: loops over hospitals, ADRGs and levels.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import drgsim
from drgsim.engine.calendar import Simulation
from drgsim.population.belief import ChargeHistory
from drgsim.population.generator import SyntheticSource
from drgsim.population.hospitals import hospital_table
from drgsim.rules.funds import patient_shares
from drgsim.rules.tariff import first_tariff
from drgsim.scale.runner import annual_budgets, load_catalogue

GOLDEN = Path(__file__).resolve().parent / "golden"


def city() -> dict[str, Any]:
    """A small synthetic city of two hospitals of different tiers and costs, one fund."""
    return {
        "name": "forecast",
        "seed": 5,
        "catalogue": {"source": str(GOLDEN / "catalogue.csv")},
        "region": {"admissions": 8000},
        "hospitals": {
            "A": {"tier": 3, "beds": 300, "cost_level": 1.2},
            "B": {"tier": 2, "beds": 150, "cost_level": 0.9},
        },
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "budget": {"annual": 40_000_000.0, "reserve": 0.05},
        "generator": {"oop_sd": 0.0, "ungroupable_rate": 0.02},
    }


def test_forecast_is_the_months_money_and_patient_payments_over_expected_points() -> None:
    scn = drgsim.load_scenario(city())
    cat, hosp = load_catalogue(scn), hospital_table(scn)
    source = SyntheticSource(scn, cat, hosp)
    tariff = first_tariff(cat, scn, hosp)
    points = charges = 0.0
    admissions = scn.region.admissions  # a year's, over its months' seasonality
    shares = patient_shares(scn, hosp.tier, hosp.oop_mean)  # oop_sd 0: the mean share itself
    for h in range(hosp.n):
        mix = source.tier_mix(int(hosp.tier[h]))
        cases_h = admissions * hosp.volume_share[h] * (1 - 0.02)
        for a in range(cat.n_adrg):
            for level in range(cat.level_prob.shape[1]):
                g = int(cat.group_table[a, level])
                n = cases_h * mix[a] * cat.level_prob[a, level]
                points += n * tariff.base_pts[g] * tariff.coef[h, g]
        charges += float(source.expected_charges(0)[h]) * float(shares[0, h])
    budget_fen = 4_000_000_000
    available_fen = budget_fen - round(F(budget_fen) * F(5, 100))
    want = (available_fen / 100 + charges) / points
    sim = Simulation(scn, cat, hosp, source, annual_budget=40_000_000.0)
    assert sim.published_pv == pytest.approx(want, rel=1e-9)


def test_shanwei_forecast_is_near_the_point_values_paid_in_year_one() -> None:
    result = drgsim.run({"extends": "shanwei"}, replications=1, variants=[])
    scn = result.scenario
    cat, hosp = load_catalogue(scn), hospital_table(scn)
    budgets = annual_budgets(scn, cat)
    sim = Simulation(scn, cat, hosp, SyntheticSource(scn, cat, hosp), annual_budget=budgets)
    paid = result.hospital_month.groupby("month")["point_value"].first()
    # the old value, the tariff's mean cost over the base points, was 8-9% below every month
    assert np.all(np.abs(sim.published_pv / paid - 1) < 0.04)


def test_shanwei_shifting_refuses_patients_all_year() -> None:
    result = drgsim.run("scenarios/shanwei.yaml", variants=["shifting"], replications=1)
    hm = result.hospital_month
    sw01 = hm[hm["hospital"] == "SW01"].pivot_table(
        index="month", columns="variant", values="cases", aggfunc="sum"
    )
    refused = sw01["baseline"] - sw01["shifting"]
    assert (refused > 0).all(), refused.to_dict()
    # spread over the year, not piled into its first months
    assert refused.loc[[1, 2]].sum() < 0.35 * refused.sum()


def test_year_one_belief_is_the_hospitals_own_charges_of_the_year_before() -> None:
    ref_cost = np.array([1000.0, 2000.0, 4000.0])
    level = np.array([1.2, 0.8])
    prior = np.array([[1500.0, np.nan, 3000.0], [700.0, 1900.0, 0.0]])
    tariff = type("T", (), {"ref_cost": ref_cost})()
    hist = ChargeHistory(2, 3, level, prior)
    h, g = np.array([0, 0, 0, 1, 1, 1]), np.array([0, 1, 2, 0, 1, 2])
    got = hist.expected(h, g, 0, tariff)  # type: ignore[arg-type]
    # known where the prior has a positive value; else the reference × the cost level
    assert got.tolist() == [1500.0, 2000.0 * 1.2, 3000.0, 700.0, 1900.0, 4000.0 * 0.8]
    # from year two its own cases of last year replace the prior where it treated some
    hist.years[0] = (np.array([0, 0, 0, 0, 0, 900.0]), np.array([0, 0, 0, 0, 0, 3]))
    got1 = hist.expected(h, g, 1, tariff)  # type: ignore[arg-type]
    assert got1.tolist() == [1000.0 * 1.2, 2000.0 * 1.2, 4000.0 * 1.2, 800.0, 1600.0, 300.0]
