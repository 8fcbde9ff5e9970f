"""Year one's month budgets (spec v2 §4): forecast from the expected seasonality, or as written.

Every expected month budget here is an exact largest-remainder split written in the test with
fractions, from the scenario's own parameters: never the engine's output.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import drgsim
from drgsim.population.generator import SyntheticSource
from drgsim.population.hospitals import hospital_table
from drgsim.records.replay import TableSource
from drgsim.rules.money import split_exact
from drgsim.scale.runner import load_catalogue
from drgsim.scenario.loader import with_overrides

GOLDEN = Path(__file__).resolve().parent / "golden"


def largest_remainder(total: int, weights: list[F]) -> list[int]:
    """Whole parts of `total` by weights: floors, then one each to the largest remainders."""
    exact = [total * w / sum(weights) for w in weights]
    parts = [int(q // 1) for q in exact]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def city(**budget: Any) -> dict[str, Any]:
    """A small synthetic city with every month busy, settled against a written budget."""
    return {
        "name": "month-shares",
        "seed": 11,
        "catalogue": {"source": str(GOLDEN / "catalogue.csv")},
        "region": {"admissions": 6000},
        "hospitals": {"A": {"tier": 3, "beds": 300}, "B": {"tier": 2, "beds": 150}},
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "budget": {"annual": 12_345_678.91, "reserve": 0.05, **budget},
    }


def month_allocations(result: drgsim.Result, year: int) -> list[int]:
    """Each month's allocation summed over the hospitals, January to December."""
    hm = result.hospital_month
    hm = hm[(hm["year"] == year) & (hm["variant"] == "baseline")]
    by_month = hm.groupby("month")["allocation_fen"].sum().reindex(range(1, 13), fill_value=0)
    return [int(x) for x in by_month]


def test_split_exact_gives_the_largest_remainders_and_ties_to_the_first() -> None:
    assert split_exact(100, [1, 1, 1]).tolist() == [34, 33, 33]
    assert split_exact(10, [0.6, 0.4, 0]).tolist() == [6, 4, 0]
    assert split_exact(7, [0.1, 0.2, 0.7]).tolist() == largest_remainder(
        7, [F(1, 10), F(2, 10), F(7, 10)]
    )
    assert split_exact(5, [0, 0]).tolist() == [0, 0]


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(0, 10**13),
    weights=st.lists(
        st.one_of(
            st.floats(0, 1e9, allow_subnormal=False),  # last year's month points
            st.integers(0, 10).map(lambda k: k / 100),  # shares written with two decimals
            st.integers(0, 5),
        ),
        min_size=1,
        max_size=13,
    ),
)
def test_split_exact_is_the_largest_remainder_of_the_written_decimals(
    total: int, weights: list[float]
) -> None:
    """Each weight read as the decimal it is written as, the parts are the exact split's."""
    exact = [F(repr(w)) if isinstance(w, float) else F(w) for w in weights]
    want = largest_remainder(total, exact) if sum(exact) > 0 else [0] * len(weights)
    assert split_exact(total, weights).tolist() == want


def test_synthetic_forecast_is_the_seasonality_share_of_admissions() -> None:
    scn = drgsim.load_scenario({"extends": "shanwei"})
    source = SyntheticSource(scn, load_catalogue(scn), hospital_table(scn))
    season = [F(repr(x)) for x in scn.region.seasonality]
    want = [float(s / sum(season)) for s in season]
    got = source.month_shares()
    assert np.allclose(got, want, rtol=1e-12, atol=0)
    assert got[1] < 1 / 12 < got[11]  # the Spring-festival dip and the December peak


def test_year_one_month_budgets_follow_the_seasonality_to_the_fen() -> None:
    result = drgsim.run(city(growth=0.0))
    scn = drgsim.load_scenario(city())
    budget_fen = 1_234_567_891
    available = budget_fen - round(F(budget_fen) * F(5, 100))
    season = [F(repr(x)) for x in scn.region.seasonality]
    assert month_allocations(result, 2021) == largest_remainder(available, season)


def test_forecast_matches_the_points_the_generator_draws() -> None:
    result = drgsim.run(city(growth=0.0))
    hm = result.hospital_month
    points = hm.groupby("month")["points"].sum().to_numpy()
    counts = hm.groupby("month")["cases"].sum().to_numpy()
    season = np.asarray(drgsim.load_scenario(city()).region.seasonality)
    want = season / season.sum()
    # the month's share of points within 4 standard errors of its share of ~6,000 admissions
    # (a case's points vary: coefficient of variation of points per case up to ~1.5)
    se = np.sqrt(want * (1 - want) / counts.sum()) * 2.5
    assert np.all(np.abs(points / points.sum() - want) < 4 * se)


def test_written_month_shares_give_year_one_its_budgets_and_year_two_last_years_points() -> None:
    shares = [0.05, 0.07, 0.09, 0.08, 0.08, 0.085, 0.085, 0.09, 0.08, 0.09, 0.1, 0.1]
    result = drgsim.run({**city(growth=0.1, month_shares=shares), "years": 2})
    budget_fen = 1_234_567_891
    available = budget_fen - round(F(budget_fen) * F(5, 100))
    assert month_allocations(result, 2021) == largest_remainder(
        available, [F(repr(s)) for s in shares]
    )
    hm = result.hospital_month
    points_y1 = hm[hm["year"] == 2021].groupby("month")["points"].sum()
    grown = round(F(budget_fen) * F(11, 10))
    available2 = grown - round(F(grown) * F(5, 100))
    want2 = largest_remainder(available2, [F(repr(float(p))) for p in points_y1])
    assert month_allocations(result, 2022) == want2


def test_replay_forecast_is_the_tables_first_year_charges_by_month() -> None:
    scn = drgsim.load_scenario(GOLDEN / "two_years.yaml")
    cat = load_catalogue(scn)
    table = TableSource.from_scenario(scn, cat, hospital_table(scn))
    march, april = 24000 + 18000 + 9000 + 10500, 12000 + 16000  # tests/golden/two_years.csv
    want = np.zeros(12)
    want[2], want[3] = march / (march + april), april / (march + april)
    assert np.allclose(table.month_shares(), want, rtol=1e-12, atol=0)
    # without written shares year one's budget goes to March and April by those charges
    run = drgsim.run(with_overrides(scn, {"budget.month_shares": None}))
    available = 48_000_000 - 2_400_000
    want_fen = largest_remainder(available, [F(0), F(0), F(march), F(april)] + [F(0)] * 8)
    assert month_allocations(run, 2021) == want_fen


def test_replay_without_first_year_cases_is_flat() -> None:
    scn = drgsim.load_scenario(GOLDEN / "two_years.yaml")
    table = TableSource.from_scenario(scn, load_catalogue(scn), hospital_table(scn))
    table.batches = {k: b for k, b in table.batches.items() if k[0] != 0}  # year two only
    assert np.allclose(table.month_shares(), np.full(12, 1 / 12))
