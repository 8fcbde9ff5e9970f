"""The settlement's kernels against their rules in plain numpy, bit for bit: a year's months
settled in one call (settle_months) and the pool's shares (pool_shares)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drgsim.rules.money import apportion, share_fen
from drgsim.rules.settlement import pool_shares, settle_month, settle_months

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
PROPS = settings(max_examples=120, deadline=None)


# --- settle_months ---------------------------------------------------------------------------
@PROPS
@given(
    seed=SEEDS,
    rows=st.integers(1, 13),
    n=st.integers(1, 50),
    share=st.floats(0.0, 1.0),
    strided=st.booleans(),
)
def test_each_row_of_settle_months_is_the_month_rule_in_numpy(
    seed: int, rows: int, n: int, share: float, strided: bool
) -> None:
    """Row i: PV = (budget / 100 + Σ oop) / Σ points, the budget apportioned by
    (PV × points − oop) × 100, the budget's share apportioned by share × allocation (spec §4);
    a row without points allocates nothing. Column views of a year's sums included."""
    rng = np.random.default_rng(seed)
    budgets = rng.integers(0, 10**10, rows)
    sums = rng.uniform(0.0, 1e7, (rows, n, 2)) * rng.choice([0.0, 1.0, 1e-3], (rows, n, 2))
    sums[rng.random(rows) < 0.2, :, 0] = 0.0  # months without points
    points = sums[:, :, 0] if strided else sums[:, :, 0].copy()
    oop = sums[:, :, 1] if strided else sums[:, :, 1].copy()
    got = settle_months(budgets, points, oop, share)
    for i in range(rows):
        total = float(points[i].sum())
        if total <= 0:
            assert np.isnan(got.point_value[i])
            assert not got.allocation_fen[i].any() and not got.prepaid_fen[i].any()
            assert got.row(i).unallocated_fen == budgets[i] and got.row(i).transfers == ()
            continue
        pv = (int(budgets[i]) / 100 + float(oop[i].sum())) / total
        allocation = apportion(int(budgets[i]), (pv * points[i] - oop[i]) * 100)
        prepaid = apportion(
            share_fen(int(budgets[i]), share), share * allocation.astype(np.float64)
        )
        assert got.point_value[i] == pv
        np.testing.assert_array_equal(got.allocation_fen[i], allocation)
        np.testing.assert_array_equal(got.prepaid_fen[i], prepaid)
        np.testing.assert_array_equal(got.withheld_fen[i], allocation - prepaid)
        one = settle_month(int(budgets[i]), points[i], oop[i], share, month=i + 1)
        row = got.row(i, month=i + 1)
        assert [(t.src, t.dst, t.amount_fen.tolist(), t.memo) for t in row.transfers] == [
            (t.src, t.dst, t.amount_fen.tolist(), t.memo) for t in one.transfers
        ]
        assert [t.memo for t in row.transfers] == [f"prepay {i + 1}", f"withhold {i + 1}"]


def test_settle_months_refuses_rows_that_do_not_match_the_budgets_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"^settle_months: budgets of shape \(3,\), points of"):
        settle_months([1, 2, 3], np.ones((2, 4)), np.zeros((2, 4)), 0.5)
    with pytest.raises(ValueError, match=r"patient payments of shape \(2, 3\); expected one row"):
        settle_months([1, 2], np.ones((2, 4)), np.zeros((2, 3)), 0.5)


def test_a_row_whose_points_price_beyond_int64_fen_is_refused_in_one_line() -> None:
    points = np.ones((2, 2))
    oop = np.array([[0.0, 0.0], [1e17, -1e17]])  # row 1: −1e19 fen for its first hospital
    with pytest.raises(ValueError, match=r"^apportion: an exact amount of .* expected finite"):
        settle_months([10**6, 10**6], points, oop, 0.5)


# --- pool_shares -----------------------------------------------------------------------------
def pool_shares_numpy(
    withheld_fen: int, deduction_fen: np.ndarray, weights: np.ndarray, fallback: np.ndarray
) -> tuple[int, np.ndarray, int]:
    """The rule in plain numpy: the withheld money by weights (by fallback where they sum to
    nothing positive); h's deduction by the first layer in which another hospital has a
    positive weight, in shares of the others' weight (summed with h's taken out)."""
    n = weights.shape[0]
    placed = from_deductions = 0
    exact = np.zeros(n)
    owed = deduction_fen.astype(np.float64)
    todo = owed > 0
    w_done = False
    for w in (weights, fallback):
        if (w_done or not withheld_fen) and not todo.any():
            break
        total = float(w.sum())
        if withheld_fen and not w_done and total > 0:
            exact += withheld_fen * w / total
            placed += withheld_fen
            w_done = True
        positive = w > 0
        here = todo & (np.count_nonzero(positive) - positive.astype(np.int64) > 0)
        if here.any():
            rest = np.ones(n)
            for h in np.flatnonzero(here):
                rest[h] = np.delete(w, h).sum()
            per = np.where(here, owed / rest, 0.0)
            exact += w * (per.sum() - per)
            placed += int(deduction_fen[here].sum())
            from_deductions += int(deduction_fen[here].sum())
            todo &= ~here
    return placed, exact, from_deductions


@st.composite
def pools(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Withheld money, deductions and two layers of weights, with zeros, ties and tiny weights."""
    n = draw(st.integers(0, 40))
    rng = np.random.default_rng(draw(SEEDS))
    withheld = draw(st.sampled_from([0, 1, 9_999_999, -12_345, 10**11]))
    deduction = rng.integers(0, 10**7, n) * (rng.random(n) < draw(st.sampled_from([0, 0.2, 1])))

    def layer() -> np.ndarray:
        w = rng.uniform(0.0, 1e7, n) * rng.choice([0.0, 1.0, 1e-80, 3.0], n)
        return w * (rng.random(n) < draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])))

    return withheld, deduction.astype(np.int64), layer(), layer()


@PROPS
@given(case=pools())
def test_pool_shares_is_its_numpy_rule_bit_for_bit(
    case: tuple[int, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    withheld, deduction, weights, fallback = case
    placed, exact, from_deductions = pool_shares(withheld, deduction, weights, fallback)
    want_placed, want_exact, want_from = pool_shares_numpy(withheld, deduction, weights, fallback)
    assert (placed, from_deductions) == (want_placed, want_from)
    assert exact.tobytes() == want_exact.tobytes()


def test_pool_shares_by_hand() -> None:
    """10 000 fen withheld by weights 1 : 3 : 0; hospital 0's 400 fen of deduction to hospital
    1 alone (the only other positive weight); hospital 2's 90 fen to 0 and 1 by 1 : 3."""
    placed, exact, from_deductions = pool_shares(
        10_000, np.array([400, 0, 90]), np.array([1.0, 3.0, 0.0]), np.array([5.0, 5.0, 5.0])
    )
    assert (placed, from_deductions) == (10_490, 490)
    np.testing.assert_allclose(exact, [2_500 + 22.5, 7_500 + 400 + 67.5, 0.0])


def test_pool_shares_refuses_layers_of_another_length_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"^pool_shares: deductions of shape \(2,\)"):
        pool_shares(10, np.array([1, 2]), np.ones(3), np.ones(3))


# --- largest remainder on long arrays ----------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 3000), shift=st.integers(-2000, 2000))
def test_apportion_of_many_parts_with_ties_is_the_stable_sort_rule(
    seed: int, n: int, shift: int
) -> None:
    """Hundreds of parts (a hospital's DRGs), many with equal remainders: the fen still missing
    (or in excess) go to the largest (smallest) remainders rounded to a millionth, ties to the
    lower index, as a stable sort of the remainders orders them."""
    rng = np.random.default_rng(seed)
    exact = rng.uniform(-1e6, 1e6, n)
    tied = rng.random(n) < 0.5
    ties = int(tied.sum())
    exact[tied] = rng.integers(-50, 50, ties) + rng.choice([0.25, 0.5, 0.7500004], ties)
    total = int(np.floor(exact).sum()) + shift
    floor = np.floor(exact).astype(np.int64)
    missing = total - int(floor.sum())
    remainder = np.round(exact - floor, 6)
    order = np.argsort(-remainder if missing >= 0 else remainder, kind="stable")
    whole, rest = divmod(abs(missing), n)
    step = 1 if missing >= 0 else -1
    want = floor + step * whole
    want[order[:rest]] += step
    np.testing.assert_array_equal(apportion(total, exact), want)
