"""Money conversions are exact (spec §3, §7): written decimals, exact products, one rounding half to even.

Each expected value is worked out in the comment beside it from the decimals as written; the
cases are the ones where float arithmetic on yuan lands on the wrong side of a half fen.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from drgsim.rules.money import grown_fen, scale_fen, share_fen, written
from drgsim.rules.settlement import YearClaims, settle_month, settle_year_clearing


def test_a_written_float_is_the_decimal_it_is_written_as() -> None:
    assert written(0.1) == Fraction(1, 10)
    assert written(67_108_865.742) == Fraction(67_108_865_742, 1000)
    assert written(np.float64(0.25)) == Fraction(1, 4)
    assert written(7) == 7
    with pytest.raises(ValueError, match="not a finite amount"):
        written(float("nan"))


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        (8.345, 834),  # 834.5 fen: half, to the even 834 (8.345 × 100 in floats is 834.50…01)
        (1.015, 102),  # 101.5 fen: half, to the even 102 (in floats 101.49…99)
        (0.285, 28),  # 28.5 fen: half, to the even 28
        (1_234_567.895, 123_456_790),  # 123 456 789.5 fen: to the even …790
        (67_108_865.742, 6_710_886_574),  # 6 710 886 574.2 fen: down
        (3, 300),
    ],
)
def test_a_first_years_budget_becomes_whole_fen_exactly_half_to_even(yuan: float, fen: int) -> None:
    assert grown_fen(yuan, 0.06, 0) == fen


def test_the_reserve_is_its_exact_share_of_the_budget_in_fen() -> None:
    # found by the engine property test: 6 710 886 574 / 4 = 1 677 721 643.5, a half, to the even
    # …644 (float yuan × share / 100 × 100 gave 1 677 721 643.499…, rounded to …643)
    assert share_fen(6_710_886_574, 0.25) == 1_677_721_644
    assert share_fen(45, 0.7) == 32  # 31.5 → 32 (0.7 × 45 in floats is 31.499…)
    assert share_fen(110, 0.55) == 60  # 60.5 → 60 (0.55 × 110 in floats is 60.500…01)
    assert share_fen(20_000_000, 0.05) == 1_000_000


@pytest.mark.parametrize(
    ("yuan", "growth", "years", "fen"),
    [
        (40.5, 0.1, 2, 4_900),  # 40.5 × 1.21 = 49.005 yuan = 4900.5 fen → 4900
        (250.5, 0.05, 1, 26_302),  # 250.5 × 1.05 = 263.025 yuan = 26302.5 fen → 26302
        (1000.25, 0.06, 1, 106_026),  # 1060.265 yuan = 106026.5 fen → 106026
        (200_000, 0.06, 0, 20_000_000),
    ],
)
def test_a_grown_budget_is_rounded_once_from_its_exact_value(
    yuan: float, growth: float, years: int, fen: int
) -> None:
    assert grown_fen(yuan, growth, years) == fen


def test_scaled_amounts_are_exact_products_rounded_half_to_even() -> None:
    got = scale_fen(
        np.array([45, 45, -3, 7]), [Fraction(7, 10), Fraction(1), Fraction(1, 2), Fraction(1)]
    )
    assert got.tolist() == [32, 45, -2, 7]  # 31.5 → 32, −1.5 → −2


def test_a_month_prepays_its_exact_share_of_the_month_budget() -> None:
    # one hospital: it is allocated the whole 45 fen and pre-paid 0.7 × 45 = 31.5 → 32 fen
    res = settle_month(45, np.array([10.0]), np.array([0.0]), 0.7)
    assert res.allocation_fen.tolist() == [45]
    assert res.prepaid_fen.tolist() == [32]
    assert res.withheld_fen.tolist() == [13]


def test_repricing_pays_the_exact_scaled_entitlement() -> None:
    # 145 fen, 100 and 45 points, no patient payments: PV = 0.01 yuan, entitlements 100 and 45
    # fen; λ = (1, 0) scales them by 1 and by α = 0.7: 100 and 31.5 → 32 fen
    year = YearClaims(
        available_fen=145,
        points=np.array([100.0, 45.0]),
        deducted=np.zeros(2),
        oop_yuan=np.zeros(2),
        prepaid_fen=np.zeros(2, dtype=np.int64),
        withheld_fen=np.zeros(2, dtype=np.int64),
        coefficient=np.array([1.0, 0.0]),
    )
    res = settle_year_clearing(year, 0.7)
    assert res.final_fen.tolist() == [100, 32]
    assert res.retained_fen == 145 - 132
