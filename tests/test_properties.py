"""Hypothesis properties of money and settlement: every split and every year adds up to the fen."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import drgsim
from drgsim.rules.money import FUND, POOL, Ledger, apportion, share_fen, split_by_weights
from drgsim.rules.settlement import (
    MonthResult,
    YearClaims,
    YearResult,
    settle_month,
    settle_year_clearing,
    settle_year_pool,
)

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
    """Shares that do not add up: the missing (or excess) fen go round the floors evenly.

    With d fen missing over n parts each part is its floor moved by whole or whole+1 fen
    (whole = |d| // n), up when fen are missing and down when there are too many.
    """
    x = np.array(exact)
    floor = np.floor(x).astype(np.int64)
    parts = apportion(total, x)
    assert int(parts.sum()) == total
    missing = total - int(floor.sum())
    whole = abs(missing) // x.shape[0]
    allowed = {whole, whole + 1} if missing >= 0 else {-whole, -whole - 1}
    assert set((parts - floor).tolist()) <= allowed


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


def _apportion_reference(total: int, exact: np.ndarray) -> np.ndarray:
    """Largest remainder in plain numpy, from the rule: floors, the missing fen spread evenly,
    the rest one each to the largest (missing > 0) or smallest (< 0) remainders rounded to a
    millionth of a fen, ties to the lower index."""
    floor = np.floor(exact).astype(np.int64)
    missing = total - int(floor.sum())
    remainder = np.round(exact - floor, 6)
    order = np.argsort(-remainder if missing >= 0 else remainder, kind="stable")
    step = 1 if missing >= 0 else -1
    whole, rest = divmod(abs(missing), exact.shape[0])
    parts = floor + step * whole
    parts[order[:rest]] += step
    return parts


@PROPS
@given(
    total=MONEY,
    exact=st.lists(
        st.one_of(st.floats(-1e11, 1e11), st.integers(-5, 5).map(lambda k: k + 0.5)),
        min_size=1,
        max_size=40,
    ),
)
def test_apportion_kernel_matches_its_numpy_reference(total: int, exact: list[float]) -> None:
    """Half-fen amounts make exact ties, which must go to the lower index in both."""
    x = np.array(exact)
    np.testing.assert_array_equal(apportion(total, x), _apportion_reference(total, x))


@PROPS
@given(
    seed=SEEDS,
    n=st.integers(1, 600),
    levels=st.integers(1, 12),
    order=st.sampled_from(["random", "ascending", "descending"]),
    missing=st.integers(-700, 700),
)
def test_apportion_picks_the_remainders_of_many_parts_as_its_reference(
    seed: int, n: int, levels: int, order: str, missing: int
) -> None:
    """Hundreds of parts whose remainders take a few values (ties everywhere), in any order:
    the kernel's selection of the largest (or smallest) remainders is the stable sort's."""
    rng = np.random.default_rng(seed)
    remainder = rng.integers(0, levels, n) / levels
    if order != "random":
        remainder = np.sort(remainder)[:: 1 if order == "ascending" else -1]
    exact = rng.integers(-(10**6), 10**6, n) + remainder
    total = int(np.floor(exact).sum()) + missing
    np.testing.assert_array_equal(apportion(total, exact), _apportion_reference(total, exact))


@PROPS
@given(
    budget=BUDGETS,
    seed=SEEDS,
    n=st.integers(1, 60),
    share=SHARES,
    strided=st.booleans(),
)
def test_a_month_s_allocation_and_prepayment_are_the_numpy_rule_to_the_bit(
    budget: int, seed: int, n: int, share: float, strided: bool
) -> None:
    """settle_month's one-call kernel against the rule in plain numpy: the allocation is the
    budget apportioned by (PV × points − oop) × 100, the pre-payment the budget's share
    apportioned by share × allocation (spec §4); column views of a month's sums included."""
    rng = np.random.default_rng(seed)
    sums = rng.uniform(0.0, 1e7, (n, 2)) * rng.choice([0.0, 1.0, 1e-3], (n, 2))
    points, oop = (sums[:, 0], sums[:, 1]) if strided else (sums[:, 0].copy(), sums[:, 1].copy())
    assume(points.sum() > 0)
    res = settle_month(budget, points, oop, share)
    pv = (budget / 100 + float(oop.sum())) / float(points.sum())
    allocation = apportion(budget, (pv * points - oop) * 100)
    prepaid = apportion(share_fen(budget, share), share * allocation.astype(np.float64))
    assert res.point_value == pv
    np.testing.assert_array_equal(res.allocation_fen, allocation)
    np.testing.assert_array_equal(res.prepaid_fen, prepaid)
    np.testing.assert_array_equal(res.withheld_fen, allocation - prepaid)


def test_a_month_whose_points_price_beyond_int64_fen_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"^apportion: an exact amount of .* expected finite"):
        # patient payments of ±1e17 yuan: the first hospital is owed −1e19 fen, beyond int64
        settle_month(10**6, np.array([1.0, 1.0]), np.array([1e17, -1e17]), 0.5)


@PROPS
@given(total=MONEY, share=st.one_of(SHARES, st.fractions(0, 1, max_denominator=64)))
def test_share_fen_is_the_written_share_of_the_total_rounded_half_to_even(
    total: int, share: float | Fraction
) -> None:
    exact = total * (share if isinstance(share, Fraction) else Fraction(repr(share)))
    assert share_fen(total, share) == round(exact)  # Fraction rounds half to even


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, 2.0**63, 2.2e308])
def test_apportion_refuses_amounts_that_have_no_whole_fen(bad: float) -> None:
    """Without the check, an infinite point value made a hospital's fen INT64_MIN silently."""
    with pytest.raises(ValueError, match=r"apportion: an exact amount of .* fen; expected finite"):
        apportion(10, np.array([1.0, bad, 3.0]))


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
    # α as written (its decimal) × the budget, exactly, to the fen half to even (spec §7)
    assert int(res.prepaid_fen.sum()) == round(Fraction(repr(alpha)) * budget)
    assert abs(int(res.prepaid_fen.sum()) - alpha * budget) <= 0.5 + 1e-6
    assert np.all(np.abs(res.prepaid_fen - alpha * res.allocation_fen) <= 1.0 + 1e-9 * budget)


def test_a_half_fen_prepayment_rounds_half_to_even() -> None:
    """54.5 fen → 54 (once 55, from rounding 0.545 yuan × 100 = 54.500000000000007)."""
    res = settle_month(109, np.array([1.0]), np.array([0.0]), 0.5)
    assert int(res.prepaid_fen.sum()) == 54


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


@dataclass(frozen=True)
class Year:
    """A year of twelve settled months, ready for the year end."""

    claims: YearClaims
    alpha: float
    months: list[MonthResult]

    def books(self) -> Ledger:
        """A ledger in which the fund held the year's money and the months' transfers are booked."""
        ledger = Ledger({FUND: self.claims.available_fen}, self.claims.points.shape[0])
        for month in self.months:
            ledger.book(month.transfers)
        return ledger


@st.composite
def years(draw: st.DrawFn) -> Year:
    """A year of twelve monthly settlements, with deductions and incentive coefficients."""
    n = draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(SEEDS))
    available = draw(st.integers(0, 10**11))
    alpha = draw(st.one_of(st.sampled_from([0.0, 1.0]), SHARES))
    month_fen = apportion(available, np.full(12, available / 12))
    monthly = rng.uniform(0.0, 1e4, (12, n)) * (rng.random((12, n)) < 0.9)
    monthly[:, 0] += 1.0  # every month has points
    if draw(st.booleans()):  # patient-paid yuan per point below the fund's: no claw-backs
        per_point = month_fen / 100 / monthly.sum(axis=1)
        oop_m = monthly * rng.uniform(0.0, 1.0, (12, n)) * per_point[:, None]
    else:  # any patient-paid share: some hospitals' allocations may be negative
        oop_m = monthly * rng.uniform(0.0, 30.0, (12, n))
    res = [
        settle_month(int(b), p, o, alpha) for b, p, o in zip(month_fen, monthly, oop_m, strict=True)
    ]
    points = monthly.sum(axis=0)
    deducted = points * rng.uniform(0.0, 0.1, n) * draw(st.sampled_from([0.0, 1.0]))
    coefficient = draw(
        st.sampled_from(
            [np.full(n, 1.1), rng.uniform(0.8, 1.2, n), np.zeros(n)]  # equal, any, all zero
        )
    )
    claims = YearClaims(
        available,
        points,
        deducted,
        oop_m.sum(axis=0),
        sum(r.prepaid_fen for r in res),
        sum(r.withheld_fen for r in res),
        coefficient,
    )
    return Year(claims, alpha, res)


def _books_close(year: Year, res: YearResult) -> Ledger:
    """Book the year end's transfers after the months'; each hospital then holds its final pay."""
    ledger = year.books()
    ledger.book(res.transfers)
    ledger.check()
    np.testing.assert_array_equal(ledger.hospitals, res.final_fen)
    assert ledger.held(POOL) == 0
    assert ledger.held(FUND) == res.retained_fen
    return ledger


@PROPS
@given(year=years())
def test_pool_mode_pays_out_prepayments_and_the_pool_and_keeps_the_rest(year: Year) -> None:
    y = year.claims
    res = settle_year_pool(y)
    _books_close(year, res)
    np.testing.assert_array_equal(
        res.final_fen, y.prepaid_fen + res.incentive_fen - res.deduction_fen
    )
    pool = int(y.withheld_fen.sum() + res.deduction_fen.sum())
    assert pool >= 0
    assert np.all((res.incentive_fen >= 0) & (res.incentive_fen <= pool))
    placed, exact = _pool_reference(y, res.deduction_fen)
    # every hospital has points, so the pool goes to the hospitals except a deduction no other
    # hospital can take (a city of one hospital): the offender never gets it back (spec §5)
    assert int(res.incentive_fen.sum()) == placed
    assert res.retained_fen == pool - placed  # every month had points: nothing else is kept
    assert np.all(np.abs(res.incentive_fen - exact) <= 1.0 + 1e-9 * pool)


def _pool_reference(y: YearClaims, deduction: np.ndarray) -> tuple[int, np.ndarray]:
    """Spec §5–§6 written out: the withheld money by W_h λ_h (or net points if no weight), each
    hospital's deduction among the other hospitals by the same rule; what has no taker is kept."""
    weights = np.maximum(y.withheld_fen, 0) * y.coefficient
    net = np.maximum(y.points - y.deducted, 0.0)
    exact, placed = np.zeros(len(net)), 0
    base = weights if weights.sum() > 0 else net
    if base.sum() > 0:
        exact += int(y.withheld_fen.sum()) * base / base.sum()
        placed += int(y.withheld_fen.sum())
    for h, d in enumerate(deduction.tolist()):
        for layer in (weights, net):
            others = np.where(np.arange(len(net)) == h, 0.0, layer)
            if d > 0 and others.sum() > 0:
                exact += d * others / others.sum()
                placed += d
                break
    return placed, exact


def test_pool_mode_shares_deductions_by_net_points_when_nothing_is_withheld() -> None:
    """Regression: with prepay_share 1 the deductions had no weight, stayed in the pool and the
    engine's re-enactment of the transfers failed (AssertionError with a ledger dump)."""
    months = [settle_month(100_000, np.array([300.0, 100.0]), np.zeros(2), 1.0, month=1)]
    assert months[0].withheld_fen.tolist() == [0, 0]  # 75 000 and 25 000 fen, all pre-paid
    claims = YearClaims(
        100_000,
        np.array([300.0, 100.0]),
        np.array([60.0, 0.0]),  # A: 60 penalty points
        np.zeros(2),
        months[0].prepaid_fen,
        months[0].withheld_fen,
        np.array([0.9, 1.1]),
    )
    res = settle_year_pool(claims)
    # PV = 1000 yuan / 400 points = 2.5 yuan; A's deduction 60 × 2.5 = 150 yuan = 15 000 fen;
    # the pool of 15 000 fen goes by net points to the hospitals other than the offender A
    # (spec v2 §5: it never gets back a share of its own deduction; v1 gave A 10 588): all to B
    assert res.deduction_fen.tolist() == [15_000, 0]
    assert res.incentive_fen.tolist() == [0, 15_000]
    assert res.final_fen.tolist() == [75_000 + 0 - 15_000, 25_000 + 15_000]
    assert res.retained_fen == 0
    _books_close(Year(claims, 1.0, months), res)


def test_pool_mode_gives_the_pool_back_to_the_fund_when_no_hospital_has_net_points() -> None:
    """Every point deducted (and more): nobody can share the pool, so the fund keeps it."""
    months = [settle_month(100_000, np.array([300.0, 100.0]), np.zeros(2), 1.0, month=1)]
    claims = YearClaims(
        100_000,
        np.array([300.0, 100.0]),
        np.array([300.0, 200.0]),
        np.zeros(2),
        months[0].prepaid_fen,
        months[0].withheld_fen,
        np.ones(2),
    )
    res = settle_year_pool(claims)
    # PV 2.5 yuan: deductions 750 and 500 yuan, back in the fund
    assert res.deduction_fen.tolist() == [75_000, 50_000]
    assert res.incentive_fen.tolist() == [0, 0]
    assert res.retained_fen == 125_000
    _books_close(Year(claims, 1.0, months), res)


@pytest.mark.parametrize("lam_b", [1.2, 1.19])
def test_pool_mode_hands_out_the_pool_when_a_hospital_owes_a_claw_back(lam_b: float) -> None:
    """Once Σ W·λ with a negative W was 0 (λ_B 1.2: pool kept) or near 0 (λ_B 1.19: ±2.4 M fen)."""
    # month: B's patients paid 1000 yuan on 1 point, more than the point value: A 600, B −400
    month = settle_month(20_000, np.array([1.0, 1.0]), np.array([0.0, 1000.0]), 0.9)
    assert month.allocation_fen.tolist() == [60_000, -40_000]
    assert month.withheld_fen.tolist() == [6_000, -4_000]
    claims = YearClaims(
        20_000,
        np.array([1.0, 1.0]),
        np.zeros(2),
        np.array([0.0, 1000.0]),
        month.prepaid_fen,
        month.withheld_fen,
        np.array([0.8, lam_b]),  # 6000 × 0.8 − 4000 × 1.2 = 0
    )
    res = settle_year_pool(claims)
    assert res.retained_fen == 0
    assert res.incentive_fen.tolist() == [2_000, 0]  # the 2000-fen pool, to A alone
    _books_close(Year(claims, 0.9, [month]), res)


@PROPS
@given(year=years())
def test_repricing_mode_pays_entitlements_scaled_by_the_coefficient(year: Year) -> None:
    y = year.claims
    res = settle_year_clearing(y, year.alpha)
    _books_close(year, res)
    np.testing.assert_array_equal(res.final_fen, y.prepaid_fen + res.incentive_fen)
    top = y.coefficient.max()
    # E_h = PV_y (over all points) × net points − oop, plus the other hospitals' deductions by
    # net points (spec v2 §5: never its own); a deduction no other hospital can take is kept
    net = y.points - y.deducted
    entitlement = (res.point_value * net - y.oop_yuan) * 100
    kept = 0
    for h, d in enumerate(res.deduction_fen.tolist()):
        others = np.where(np.arange(len(net)) == h, 0.0, np.maximum(net, 0.0))
        if d > 0 and others.sum() > 0:
            entitlement += d * others / others.sum()
        else:
            kept += d
    if (np.ptp(y.coefficient) == 0 and top > 0) or year.alpha == 1.0:  # everyone paid in full
        assert res.retained_fen == kept
    assert res.retained_fen >= 0  # the global budget caps what the fund pays
    owes = entitlement <= -1.0  # a claw-back is recovered in full, never scaled
    slack = 1.0 + 1e-9 * y.available_fen
    assert np.all(np.abs(res.final_fen[owes] - entitlement[owes]) <= slack)
    # a payment is the entitlement × (α + (1 − α) λ / max λ), to a fen or two
    share = y.coefficient / top if top > 0 else np.zeros_like(y.coefficient)
    scale = year.alpha + (1 - year.alpha) * share
    paid = entitlement >= 1.0
    assert np.all(np.abs(res.final_fen[paid] - entitlement[paid] * scale[paid]) <= 1.5 + slack)


def test_repricing_never_pays_more_than_the_available_budget_with_a_claw_back() -> None:
    """Once B's −40,000 was scaled by 0.9667 to −38,667: 21,333 fen paid out of 20,000."""
    # entitlements at PV 600 yuan: A 60,000 fen, B −40,000 fen (its patients paid 1000 yuan)
    claims = YearClaims(
        20_000,
        np.array([1.0, 1.0]),
        np.zeros(2),
        np.array([0.0, 1000.0]),
        np.array([54_000, -36_000]),
        np.array([6_000, -4_000]),
        np.array([1.2, 0.8]),
    )
    res = settle_year_clearing(claims, 0.9)
    assert res.final_fen.tolist() == [60_000, -40_000]
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
    claims = YearClaims(available, zero, zero, zero, none, none, np.ones(n))
    res = settle_year_pool(claims) if mode == "pool" else settle_year_clearing(claims, alpha)
    assert not res.final_fen.any() and res.retained_fen == available
    ledger = Ledger({FUND: available}, n)
    ledger.book(res.transfers)
    assert ledger.held(FUND) == available and not ledger.hospitals.any()


# --- whole runs ------------------------------------------------------------------------------

SMALL = {
    "extends": "shanwei",
    "region": {"admissions": 3000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "budget": {"annual": 20_000_000},
    "years": 2,
    "seed": 7,
}


def test_doubling_base_points_doubles_every_case_and_changes_no_class_and_no_fen() -> None:
    """Every case's points double exactly (powers of two), so every fen stays where it was.

    The high-cost bands are on relative weight (spec §2 v2: RW ≤ 1 → 3.0, ≤ 3 → 2.0), so no
    group changes band when only `base_points` changes (v1's bands on base points moved them).
    """
    one = drgsim.run(SMALL, cases=True)
    two = drgsim.run({**SMALL, "base_points": 200}, cases=True)
    assert one.cases is not None and two.cases is not None
    np.testing.assert_array_equal(two.cases["case_class"], one.cases["case_class"])
    np.testing.assert_array_equal(two.cases["special"], one.cases["special"])
    np.testing.assert_array_equal(two.cases["points"], 2 * one.cases["points"])
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
    np.testing.assert_array_equal(two.settlement["points"], 2 * one.settlement["points"])
    assert (one.cases["case_class"] == "high").any()  # the bands are exercised


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


def _check_month_budgets(result: drgsim.records.results.Result, scn: dict) -> None:
    """Each month allocates its forecast share of the year's money (spec §4)."""
    season = np.asarray(drgsim.load_scenario(scn).region.seasonality, dtype=np.float64)
    ry, hm = result.region_year, result.hospital_month
    # each fund's months (where there are several) share that fund's budget
    funds = ["fund"] if "fund" in ry.columns else []
    keys = ["variant", "replication", *funds, "year"]
    year = ry.set_index(keys)
    month = hm.groupby([*keys, "month"]).agg(
        allocation=("allocation_fen", "sum"), points=("points", "sum")
    )
    for key, grp in month.groupby(level=keys):
        available = int(year.loc[key, "available_fen"])
        if (grp["points"] > 0).all():
            assert int(grp["allocation"].sum()) == available
        # each month gets its forecast share of the year: in year one the generator's expected
        # admissions (its seasonality), then last year's points
        last = (*key[:-1], key[-1] - 1)
        prev = month.loc[last] if key[-1] > ry["year"].min() else None
        shares = season / season.sum() if prev is None else prev["points"] / prev["points"].sum()
        budget_m = available * np.asarray(shares)
        paid_m = grp["allocation"].to_numpy()
        has_points = grp["points"].to_numpy() > 0
        assert np.all(np.abs(paid_m - budget_m)[has_points] <= 1.0 + 1e-6)


@settings(max_examples=10, deadline=None)
@given(scn=scenarios())
def test_every_year_of_a_random_city_adds_up_to_the_fen_and_replays_exactly(scn: dict) -> None:
    result = drgsim.run(scn)
    _check_month_budgets(result, scn)
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
    _check_month_budgets(result, scn)
    prepaid = result.hospital_month.groupby("variant")["prepaid_fen"].sum()
    assert prepaid["lean"] < prepaid["baseline"]
