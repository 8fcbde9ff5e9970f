"""The kernels of the profit and loss by DRG (kernels/drg_split.py, kernels/pairwise.py) against
plain-numpy references written from the rules, bit for bit, and on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drgsim.kernels.checks import KernelInputError
from drgsim.kernels.drg_split import cells_over_funds, split_by_points, split_by_weights
from drgsim.kernels.pairwise import group_sums, pairwise_sum
from drgsim.rules.costs import (
    fixed_by_charges_each_yuan,
    payment_by_points_fen,
    payments_by_points_fen,
)

RESIDUE = 1e-9  # rules.settlement.NET_POINTS_RESIDUE


def _same_bits(got: np.ndarray, want: np.ndarray) -> bool:
    got, want = np.asarray(got), np.asarray(want)
    return got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()


# --- references, written from the rules with numpy ------------------------------------------
def _largest_remainder(total: int, exact: np.ndarray) -> np.ndarray:
    """Floors, then the missing (or excess) fen one each to the largest (smallest) remainders
    rounded to a millionth of a fen, ties to the lower index; whole rounds first."""
    floors = np.floor(exact)
    parts = floors.astype(np.int64)
    missing = total - int(parts.sum())
    if missing == 0:
        return parts
    step = 1 if missing > 0 else -1
    whole, rest = divmod(abs(missing), len(parts))
    parts += step * whole
    remainder = np.rint((exact - floors) * 1e6) / 1e6
    ranked = sorted(range(len(parts)), key=lambda i: (-step * remainder[i], i))
    for i in ranked[:rest]:
        parts[i] += step
    return parts


def _payment_reference(final_fen, oop, points, deducted, charges) -> np.ndarray:
    """One hospital's payment by points (costs.payment_by_points_fen's rule), numpy sums."""
    oop_fen = oop * 100.0
    total_points = np.sum(points)
    net_total = total_points - np.sum(deducted)
    if abs(net_total) <= RESIDUE * abs(total_points):
        net_total = 0.0
    if net_total > 0:
        exact = (final_fen + np.sum(oop_fen)) * ((points - deducted) / net_total) - oop_fen
    elif np.sum(charges) > 0:
        exact = final_fen * (charges / np.sum(charges))
    else:
        exact = np.full(len(points), final_fen / len(points))
    return _largest_remainder(final_fen, exact)


def _by_group(group: np.ndarray, n_groups: int, split) -> np.ndarray:
    """`split(g, rows)` of each group's rows in their order, put back in the rows' places."""
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for g in range(n_groups):
        rows = np.flatnonzero(group == g)
        if rows.size:
            out.append((rows, split(g, rows)))
    result = np.zeros(group.size, dtype=out[0][1].dtype if out else np.int64)
    for rows, values in out:
        result[rows] = values
    return result


# --- pairwise_sum ---------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(
    n=st.one_of(st.integers(0, 300), st.sampled_from([1023, 1024, 1025, 4097, 20_000])),
    start=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_pairwise_sum_is_numpy_s_sum_bit_for_bit(n: int, start: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n + start) * 10.0 ** rng.integers(-6, 9, n + start)
    got = pairwise_sum(values, start, start + n)
    assert _same_bits(np.float64(got), np.sum(values[start:]))


@settings(max_examples=60, deadline=None)
@given(
    n=st.one_of(st.integers(0, 300), st.sampled_from([1024, 4097, 20_000])),
    n_groups=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_group_sums_are_numpy_s_sums_of_each_group_bit_for_bit(
    n: int, n_groups: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n) * 10.0 ** rng.integers(-6, 9, n)
    group = rng.integers(0, n_groups, n).astype(np.int8)
    got = group_sums(values, group, n_groups)
    assert got.shape == (n_groups,)
    for g in range(n_groups):  # the rule: np.sum of the group's values, in index order
        assert _same_bits(np.float64(got[g]), np.sum(values[group == g]))


def test_group_sums_refuse_a_group_outside_the_groups() -> None:
    with pytest.raises(KernelInputError, match="group"):
        group_sums(np.ones(3), np.array([0, 2, 1]), 2)


def test_pairwise_sum_adds_in_numpy_s_order_not_left_to_right() -> None:
    """Nine values: eight running sums, then the ninth; 1e16 + 1 + … one by one loses the 1s."""
    values = np.array([1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    left_to_right = 0.0
    for v in values:
        left_to_right += v
    assert left_to_right == 1e16
    # ((1e16 + 1) + (1 + 1)) + ((1 + 1) + (1 + 1)) = 1e16 + 2 + 4, then + 1
    assert pairwise_sum(values, 0, 9) == np.sum(values) == 1e16 + 8


# --- the payment of each hospital split by points -----------------------------------------
def test_payments_of_two_hospitals_by_hand() -> None:
    """Hospital 0 (rows 1, 3): 101 fen by points 1 : 3 = 25.25 + 75.75 → 25 + 76.
    Hospital 1 (rows 0, 2, 4): no points, charges 1 : 1 : 1 → 10/3 each → 4 + 3 + 3 (tie: first).
    Hospital 2 (rows 5, 6): 900 fen and 1 yuan of patient payments on row 5, points 1 : 1 →
    each row's money (900 + 100) / 2 = 500, less its own patient payment: 400 and 500."""
    group = np.array([1, 0, 1, 0, 1, 2, 2])
    paid = np.array([101, 10, 900])
    points = np.array([0.0, 1.0, 0.0, 3.0, 0.0, 1.0, 1.0])
    oop = np.array([0.0, 0, 0, 0, 0, 1.0, 0])
    charges = np.array([1.0, 5, 1, 5, 1, 0, 0])
    got = payments_by_points_fen(group, paid, oop, points, np.zeros(7), charges)
    assert got.tolist() == [4, 25, 3, 76, 3, 400, 500]


def test_one_hospital_s_payment_by_hand() -> None:
    """7 fen by points 2 : 1 : 1 = 3.5 + 1.75 + 1.75: floors 3 + 1 + 1, the two fen missing to
    the largest remainders (0.75, 0.75) → 3 + 2 + 2."""
    points, charges = np.array([2.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0])
    assert payment_by_points_fen(7, np.zeros(3), points, np.zeros(3), charges).tolist() == [3, 2, 2]


def _payment_inputs(seed: int, n: int, n_groups: int) -> tuple:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, n)
    paid = rng.integers(-5_000, 50_000_000, n_groups)
    points = rng.gamma(1.0, 500.0, n) * (rng.random(n) < 0.9)
    deducted = points * rng.random(n) * (rng.random(n) < 0.2)
    oop = np.round(rng.gamma(1.0, 300.0, n), 2) * (rng.random(n) < 0.95)
    charges = np.round(rng.gamma(1.0, 3000.0, n), 2) * (rng.random(n) < 0.9)
    kind = rng.integers(0, 4, n_groups)  # some hospitals fully deducted, or without anything
    whole = kind[group] == 1
    deducted[whole] = points[whole]
    for k in (2, 3):
        none = kind[group] == k
        points[none], deducted[none] = 0.0, 0.0
        if k == 3:
            charges[none] = 0.0
    return group, paid, oop, points, deducted, charges


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 700), n_groups=st.integers(1, 9))
def test_split_by_points_is_the_rule_bit_for_bit(seed: int, n: int, n_groups: int) -> None:
    group, paid, oop, points, deducted, charges = _payment_inputs(seed, n, n_groups)
    got = payments_by_points_fen(group, paid, oop, points, deducted, charges)

    def one(g: int, rows: np.ndarray) -> np.ndarray:
        return _payment_reference(
            int(paid[g]), oop[rows], points[rows], deducted[rows], charges[rows]
        )

    assert _same_bits(got, _by_group(group, n_groups, one))
    for g in range(n_groups):
        assert got[group == g].sum() == (paid[g] if (group == g).any() else 0)


def test_an_amount_without_whole_fen_in_int64_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"apportion: an exact amount of .* expected finite fen"):
        payment_by_points_fen(
            2**62 + 2**61, np.zeros(2), np.array([1.0, 0]), np.zeros(2), np.ones(2)
        )


# --- the fixed cost split by charges ------------------------------------------------------
def test_fixed_costs_of_three_hospitals_by_hand() -> None:
    """Hospital 0: 100 yuan by treated charges 1 : 3; hospital 1: no treated charges, 60 by
    cases 1 : 2; hospital 2: neither, 9 evenly over three rows."""
    group = np.array([0, 1, 2, 0, 1, 2, 2])
    borne = np.array([1.0, 0, 0, 3, 0, 0, 0])
    cases = np.array([1.0, 1, 0, 1, 2, 0, 0])
    got = fixed_by_charges_each_yuan(group, np.array([100.0, 60.0, 9.0]), borne, cases)
    np.testing.assert_allclose(got, [25.0, 20.0, 3.0, 75.0, 40.0, 3.0, 3.0], rtol=1e-15)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 700), n_groups=st.integers(1, 9))
def test_split_by_weights_is_the_rule_bit_for_bit(seed: int, n: int, n_groups: int) -> None:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, n)
    total = rng.gamma(1.0, 1e6, n_groups)
    kind = rng.integers(0, 3, n_groups)
    first = rng.gamma(1.0, 2000.0, n) * (kind[group] == 0)
    second = rng.integers(0, 40, n).astype(float) * (kind[group] < 2)

    def one(g: int, rows: np.ndarray) -> np.ndarray:
        for w in (first[rows], second[rows], np.ones(rows.size)):
            if np.sum(w) > 0:
                return total[g] * (w / np.sum(w))
        raise AssertionError("a group has rows")

    got = split_by_weights(group, total, first, second)
    assert _same_bits(got, _by_group(group, n_groups, one))


# --- the funds' rows of a cell made one -----------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 500), n_drg=st.integers(1, 40))
def test_cells_over_funds_are_unique_cells_with_bincount_sums(
    seed: int, n: int, n_drg: int
) -> None:
    rng = np.random.default_rng(seed)
    n_hosp = 5
    hospital, drg = rng.integers(0, n_hosp, n), rng.integers(0, n_drg, n)
    sums = rng.standard_normal((n, 3)) * 10.0 ** rng.integers(-3, 6, (n, 3))
    fen = rng.integers(-(2**40), 2**40, n)
    cell, at = np.unique(hospital * n_drg + drg, return_inverse=True)
    want = np.stack([np.bincount(at, weights=sums[:, k], minlength=cell.size) for k in range(3)], 1)
    want_fen = np.zeros(cell.size, np.int64)
    np.add.at(want_fen, at, fen)
    h, g, got, got_fen = cells_over_funds(hospital, drg, sums, fen, n_hosp, n_drg)
    assert h.tolist() == (cell // n_drg).tolist() and g.tolist() == (cell % n_drg).tolist()
    assert _same_bits(got, want) and _same_bits(got_fen, want_fen)


def test_cells_over_funds_of_no_rows_are_none() -> None:
    h, g, sums, fen = cells_over_funds(
        *[np.zeros(0, np.int64)] * 2, np.zeros((0, 6)), np.zeros(0, np.int64), 3, 4
    )
    assert h.size == g.size == fen.size == 0 and sums.shape == (0, 6)


def test_cells_over_funds_by_hand() -> None:
    """Rows of two funds: hospital 1's DRG 0 in both, added; hospital 0's DRG 2 alone."""
    h, g, sums, fen = cells_over_funds(
        np.array([1, 0, 1]),
        np.array([0, 2, 0]),
        np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        np.array([10, 20, 30]),
        2,
        3,
    )
    assert h.tolist() == [0, 1] and g.tolist() == [2, 0]
    assert sums.tolist() == [[3.0, 4.0], [6.0, 8.0]] and fen.tolist() == [20, 40]


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (
            lambda: split_by_points(
                np.array([0, 2]), np.zeros(2, np.int64), *[np.zeros(2)] * 4, RESIDUE
            ),
            "group",
        ),
        (
            lambda: split_by_weights(np.array([0, 0]), np.zeros(1), np.zeros(2), np.zeros(3)),
            "second",
        ),
        (
            lambda: cells_over_funds(
                np.array([0, 1]), np.array([0, 3]), np.zeros((2, 1)), np.zeros(2, np.int64), 2, 3
            ),
            "drg",
        ),
    ],
)
def test_the_fronts_refuse_rows_outside_their_tables(call, word: str) -> None:
    with pytest.raises(KernelInputError, match=word) as caught:
        call()
    assert "\n" not in str(caught.value)
