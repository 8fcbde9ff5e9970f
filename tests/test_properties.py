"""Hypothesis properties of money and settlement: every split and every year adds up to the fen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import drgsim
from drgsim.money import apportion, split_by_weights
from drgsim.settlement import settle_month, settle_year_pool, settle_year_repricing

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
MONEY = st.integers(min_value=-(10**11), max_value=10**11)
BUDGETS = st.integers(min_value=0, max_value=10**11)
SHARES = st.floats(min_value=0.0, max_value=1.0)
PROPS = settings(max_examples=150, deadline=None)


# --- apportion -------------------------------------------------------------------------------


@st.composite
def exact_shares(draw: st.DrawFn) -> tuple[int, np.ndarray]:
    """A total and real shares (of either sign, up to ~1e11 fen) that add up to it."""
    n = draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(SEEDS))
    scale = draw(st.sampled_from([1.0, 100.0, 1e6, 1e9, 1e11]))
    signed = draw(st.booleans())
    raw = rng.uniform(-1.0 if signed else 0.0, 1.0, n) * scale
    total = int(np.floor(raw.sum())) + draw(st.integers(-3, 3))
    return total, raw + (total - raw.sum()) / n


@PROPS
@given(case=exact_shares())
def test_apportioned_parts_sum_to_the_total_and_stay_within_a_fen(
    case: tuple[int, np.ndarray],
) -> None:
    total, exact = case
    parts = apportion(total, exact)
    assert parts.dtype == np.int64
    assert int(parts.sum()) == total
    slack = 1e-9 * max(1.0, float(np.abs(exact).max()))  # the float error of the shares
    assert np.all(np.abs(parts - exact) <= 1.0 + slack)


@PROPS
@given(
    total=MONEY,
    exact=st.lists(st.floats(-1e11, 1e11), min_size=1, max_size=30),
)
def test_apportion_spreads_any_shortfall_evenly_over_arbitrary_shares(
    total: int, exact: list[float]
) -> None:
    """Shares that do not add up: the missing fen go round, each part moves by whole or whole+1."""
    x = np.array(exact)
    parts = apportion(total, x)
    assert int(parts.sum()) == total
    shift = parts - np.floor(x).astype(np.int64)
    assert shift.max() - shift.min() <= 1
    missing = total - int(np.floor(x).astype(np.int64).sum())
    whole = abs(missing) // x.shape[0]
    assert np.all(np.abs(parts - x) <= whole + 1 + 1e-9 * max(1.0, float(np.abs(x).max())))


@PROPS
@given(case=exact_shares())
def test_apportion_gives_the_extra_fen_to_the_largest_remainders(
    case: tuple[int, np.ndarray],
) -> None:
    total, exact = case
    parts = apportion(total, exact)
    floor = np.floor(exact)
    got_extra = parts > floor
    assume(got_extra.any() and not got_extra.all())
    remainder = exact - floor
    assert remainder[got_extra].min() >= remainder[~got_extra].max()


@PROPS
@given(total=BUDGETS, weights=st.lists(st.floats(0.0, 1e6), min_size=1, max_size=30))
def test_split_by_weights_sums_to_the_total_unless_all_weights_are_zero(
    total: int, weights: list[float]
) -> None:
    parts = split_by_weights(total, np.array(weights))
    assert int(parts.sum()) == (total if sum(weights) > 0 else 0)
    assert np.all(parts >= 0)


# --- monthly settlement ----------------------------------------------------------------------


@st.composite
def months(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, float]:
    """A month budget, each hospital's points and patient-paid yuan, and the pre-pay share."""
    n = draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(SEEDS))
    budget = draw(BUDGETS)
    points = rng.uniform(0.0, 1e5, n) * (rng.random(n) < 0.9)
    oop = rng.uniform(0.0, 1.0, n) * points * draw(st.sampled_from([0.0, 10.0, 100.0]))
    return budget, points, oop, draw(SHARES)


@PROPS
@given(month=months())
def test_a_month_allocates_its_whole_budget_by_points(
    month: tuple[int, np.ndarray, np.ndarray, float],
) -> None:
    budget, points, oop, alpha = month
    assume(points.sum() > 0)
    res = settle_month(budget, points, oop, alpha)
    assert int(res.allocation_fen.sum()) == budget and res.unallocated_fen == 0
    np.testing.assert_array_equal(res.prepaid_fen + res.withheld_fen, res.allocation_fen)
    assert res.point_value == pytest.approx((budget / 100 + oop.sum()) / points.sum(), rel=1e-12)
    exact = (res.point_value * points - oop) * 100
    assert np.all(np.abs(res.allocation_fen - exact) <= 1.0 + 1e-9 * budget)


@PROPS
@given(month=months())
def test_a_month_prepays_its_share_of_the_budget_to_the_nearest_fen(
    month: tuple[int, np.ndarray, np.ndarray, float],
) -> None:
    budget, points, oop, alpha = month
    assume(points.sum() > 0)
    res = settle_month(budget, points, oop, alpha)
    assert abs(int(res.prepaid_fen.sum()) - alpha * budget) <= 0.5 + 1e-6
    assert np.all(np.abs(res.prepaid_fen - alpha * res.allocation_fen) <= 1.0 + 1e-9 * budget)


@pytest.mark.xfail(
    strict=True,
    reason="half-fen ties: Σ prepaid = to_fen(α·B/100) rounds 54.5 fen up (55) after the "
    "/100 ×100 round trip (0.545 × 100 = 54.500000000000007), not half to even as round(α·B)",
)
def test_a_month_prepays_round_alpha_times_budget_half_to_even() -> None:
    res = settle_month(109, np.array([1.0]), np.array([0.0]), 0.5)
    assert int(res.prepaid_fen.sum()) == round(0.5 * 109)  # 54


@PROPS
@given(budget=BUDGETS, n=st.integers(0, 20), alpha=SHARES)
def test_a_month_without_points_leaves_the_whole_budget_unallocated(
    budget: int, n: int, alpha: float
) -> None:
    res = settle_month(budget, np.zeros(n), np.full(n, 12.5), alpha)
    assert np.isnan(res.point_value)
    assert res.unallocated_fen == budget
    for money in (res.allocation_fen, res.prepaid_fen, res.withheld_fen):
        assert money.shape == (n,) and not money.any()


@PROPS
@given(month=months())
def test_doubling_every_hospitals_points_halves_the_point_value_and_keeps_allocations(
    month: tuple[int, np.ndarray, np.ndarray, float],
) -> None:
    budget, points, oop, alpha = month
    assume(points.sum() > 0)
    one = settle_month(budget, points, oop, alpha)
    two = settle_month(budget, 2 * points, oop, alpha)
    assert two.point_value == one.point_value / 2
    np.testing.assert_array_equal(two.allocation_fen, one.allocation_fen)
    np.testing.assert_array_equal(two.prepaid_fen, one.prepaid_fen)


# --- year-end settlement ---------------------------------------------------------------------


@st.composite
def years(draw: st.DrawFn) -> dict:
    """A year of twelve monthly settlements, with deductions and incentive coefficients."""
    n = draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(SEEDS))
    available = draw(st.integers(0, 10**11))
    alpha = draw(SHARES)
    month_fen = apportion(available, np.full(12, available / 12))
    monthly = rng.uniform(0.0, 1e4, (12, n)) * (rng.random((12, n)) < 0.9)
    monthly[:, 0] += 1.0  # every month has points
    if draw(st.booleans()):  # patient-paid yuan per point below the fund's: no claw-backs
        per_point = month_fen / 100 / monthly.sum(axis=1)
        oop_m = monthly * rng.uniform(0.0, 1.0, (12, n)) * per_point[:, None]
    else:  # any patient-paid share: some hospitals' allocations may be negative
        oop_m = monthly * rng.uniform(0.0, 30.0, (12, n))
    res = [settle_month(int(b), p, o, alpha) for b, p, o in zip(month_fen, monthly, oop_m)]
    points = monthly.sum(axis=0)
    deducted = points * rng.uniform(0.0, 0.1, n) * draw(st.sampled_from([0.0, 1.0]))
    equal = draw(st.booleans())
    return {
        "available": available,
        "points": points,
        "deducted": deducted,
        "oop": oop_m.sum(axis=0),
        "prepaid": sum(r.prepaid_fen for r in res),
        "withheld": sum(r.withheld_fen for r in res),
        "alpha": alpha,
        "coefficient": np.full(n, 1.1) if equal else rng.uniform(0.8, 1.2, n),
    }


@PROPS
@given(y=years())
def test_pool_mode_pays_out_prepayments_and_the_pool_and_keeps_the_rest(y: dict) -> None:
    res = settle_year_pool(
        y["available"],
        y["points"],
        y["deducted"],
        y["oop"],
        y["prepaid"],
        y["withheld"],
        y["coefficient"],
    )
    assert int(res.final_fen.sum()) + res.retained_fen == y["available"]
    pool = int(y["withheld"].sum() + res.deduction_fen.sum())
    if (y["withheld"] * y["coefficient"]).sum() > 0:
        assert int(res.incentive_fen.sum()) == pool
        assert res.retained_fen == y["available"] - int(y["prepaid"].sum() + y["withheld"].sum())
    np.testing.assert_array_equal(
        res.final_fen, y["prepaid"] + res.incentive_fen - res.deduction_fen
    )
    if not y["deducted"].any() and (y["withheld"] >= 0).all():
        assert res.retained_fen == 0


@pytest.mark.xfail(
    strict=True,
    reason="pool mode shares the pool by withheld × λ; with a claw-back (negative withheld) "
    "Σ W·λ can be 0 (pool kept by the fund, claw-back never collected) or near 0 (incentives "
    "explode: λ_B = 1.19 gives +2,400,000 / −2,380,000 fen on a 2,000-fen pool)",
)
def test_pool_mode_hands_out_the_pool_when_a_hospital_owes_a_claw_back() -> None:
    # month: B's patients paid 1000 yuan on 1 point, more than the point value: A 600, B −400
    month = settle_month(20_000, np.array([1.0, 1.0]), np.array([0.0, 1000.0]), 0.9)
    assert month.allocation_fen.tolist() == [60_000, -40_000]
    assert month.withheld_fen.tolist() == [6_000, -4_000]
    res = settle_year_pool(
        20_000,
        np.array([1.0, 1.0]),
        np.zeros(2),
        np.array([0.0, 1000.0]),
        month.prepaid_fen,
        month.withheld_fen,
        np.array([0.8, 1.2]),  # 6000 × 0.8 − 4000 × 1.2 = 0
    )
    assert res.retained_fen == 0  # got 2000: the pool stays with the fund


@PROPS
@given(y=years())
def test_repricing_mode_pays_entitlements_scaled_by_the_coefficient(y: dict) -> None:
    res = settle_year_repricing(
        y["available"],
        y["points"],
        y["deducted"],
        y["oop"],
        y["prepaid"],
        y["alpha"],
        y["coefficient"],
    )
    assert int(res.final_fen.sum()) + res.retained_fen == y["available"]
    np.testing.assert_array_equal(res.final_fen, y["prepaid"] + res.incentive_fen)
    if np.ptp(y["coefficient"]) == 0 or y["alpha"] == 1.0:  # every hospital paid in full
        assert res.retained_fen == 0


@given(
    available=BUDGETS,
    n=st.integers(1, 10),
    alpha=SHARES,
    mode=st.sampled_from(["pool", "repricing"]),
)
@settings(max_examples=30, deadline=None)
def test_a_year_without_points_pays_out_no_point_money(
    available: int, n: int, alpha: float, mode: str
) -> None:
    zero = np.zeros(n)
    none = np.zeros(n, dtype=np.int64)
    if mode == "pool":
        res = settle_year_pool(available, zero, zero, zero, none, none, np.ones(n))
    else:
        res = settle_year_repricing(available, zero, zero, zero, none, alpha, np.ones(n))
    assert not res.final_fen.any() and res.retained_fen == available


# --- whole runs ------------------------------------------------------------------------------

SMALL = {
    "region": {"admissions": 3000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "budget": {"annual": 20_000_000},
    "years": 2,
    "seed": 7,
}


def test_doubling_base_points_halves_point_values_and_keeps_every_payment() -> None:
    one = drgsim.run(SMALL)
    two = drgsim.run({**SMALL, "base_points": 200})
    for table in ("hospital_month", "region_year"):
        np.testing.assert_allclose(
            getattr(two, table)["point_value"],
            getattr(one, table)["point_value"] / 2,
            rtol=1e-9,
        )
    money = ["allocation_fen", "prepaid_fen", "withheld_fen"]
    pd.testing.assert_frame_equal(two.hospital_month[money], one.hospital_month[money])
    money = ["prepaid_fen", "withheld_fen", "deduction_fen", "incentive_fen", "final_fen"]
    pd.testing.assert_frame_equal(two.settlement[money], one.settlement[money])
    np.testing.assert_allclose(two.settlement["points"], 2 * one.settlement["points"], rtol=1e-12)


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    """A small random city: seed, volume, settlement mode, pre-pay share, reserve, years."""
    return {
        "seed": draw(st.integers(0, 2**31 - 1)),
        "years": draw(st.integers(1, 2)),
        "region": {"admissions": draw(st.integers(500, 5000))},
        "hospitals": {"A": {"tier": 3, "beds": 800}, "B": {"tier": 2, "beds": 300}},
        "other_hospitals": {
            "count": {t: draw(st.integers(0, 2)) for t in (3, 2, 1)},
        },
        "settlement": {
            "mode": draw(st.sampled_from(["pool", "repricing"])),
            "prepay_share": draw(st.floats(0.5, 1.0)),
        },
        "budget": {"reserve": draw(st.floats(0.0, 0.2))},
    }


def _check_money(result: drgsim.runner.Result) -> None:
    ry, st_, hm = result.region_year, result.settlement, result.hospital_month
    keys = ["variant", "replication", "year"]
    assert (ry["reserve_fen"] + ry["available_fen"] == ry["budget_fen"]).all()
    paid = st_.groupby(keys)["final_fen"].sum()
    year = ry.set_index(keys)
    assert (paid + year["retained_fen"] == year["available_fen"]).all()
    assert (paid == year["paid_fen"]).all()
    assert (hm["prepaid_fen"] + hm["withheld_fen"] == hm["allocation_fen"]).all()
    month = hm.groupby([*keys, "month"]).agg(
        allocation=("allocation_fen", "sum"), points=("points", "sum")
    )
    for key, grp in month.groupby(level=keys):
        available = int(year.loc[key, "available_fen"])
        if (grp["points"] > 0).all():
            assert int(grp["allocation"].sum()) == available
        # each month gets its forecast share of the year: 1/12 in year one, then last year's
        prev = month.loc[(key[0], key[1], key[2] - 1)] if key[2] > ry["year"].min() else None
        shares = np.full(12, 1 / 12) if prev is None else prev["points"] / prev["points"].sum()
        budget_m = available * np.asarray(shares)
        paid_m = grp["allocation"].to_numpy()
        has_points = grp["points"].to_numpy() > 0
        assert np.all(np.abs(paid_m - budget_m)[has_points] <= 1.0 + 1e-6)


@settings(max_examples=10, deadline=None)
@given(scn=scenarios())
def test_every_year_of_a_random_city_adds_up_to_the_fen_and_replays_exactly(scn: dict) -> None:
    result = drgsim.run(scn)
    _check_money(result)
    again = drgsim.run(scn)
    for table in result.tables:
        pd.testing.assert_frame_equal(getattr(again, table), getattr(result, table))
    other = drgsim.run({**scn, "seed": scn["seed"] + 1})
    assert not other.settlement["final_fen"].equals(result.settlement["final_fen"])
    assert not other.hospital_month["points"].equals(result.hospital_month["points"])


def test_variants_that_change_only_the_prepay_share_see_the_same_cases() -> None:
    scn = {**SMALL, "variants": {"lean": {"settlement.prepay_share": 0.7}}}
    result = drgsim.run(scn, cases=True)
    assert result.cases is not None
    cols = ["year", "case_id", "cost_yuan", "drg_true", "hospital", "drg_billed", "points"]
    base = result.cases[result.cases["variant"] == "baseline"][cols].reset_index(drop=True)
    lean = result.cases[result.cases["variant"] == "lean"][cols].reset_index(drop=True)
    assert len(base) > 1000
    pd.testing.assert_frame_equal(base, lean)
    _check_money(result)
    prepaid = result.hospital_month.groupby("variant")["prepaid_fen"].sum()
    assert prepaid["lean"] < prepaid["baseline"]
