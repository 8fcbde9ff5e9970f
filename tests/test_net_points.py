"""A fully deducted hospital's rounding residue of points is no weight in the pool."""

from __future__ import annotations

import warnings

import numpy as np

from drgsim.rules.settlement import YearClaims, net_points, pool_shares, settle_year_pool

RESIDUE_POINTS = 0.1 + 0.2 + 0.3  # 0.6000000000000001
SAME_POINTS_OTHER_ORDER = 0.3 + 0.2 + 0.1  # 0.6


def test_points_deducted_in_another_order_leave_no_net_points() -> None:
    assert RESIDUE_POINTS - SAME_POINTS_OTHER_ORDER > 0  # the residue the rule must read as 0
    net = net_points(np.array([RESIDUE_POINTS, 10.0]), np.array([SAME_POINTS_OTHER_ORDER, 4.0]))
    assert net.tolist() == [0.0, 6.0]


def test_a_deduction_with_one_tiny_other_weight_goes_to_it_without_nan() -> None:
    # seen in a suspension run: total − w_h cancelled to 0 and the share became inf − inf
    weights = np.array([0.0, 7999999.2])
    fallback = np.array([4.44645394e-83, 455.958303])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        placed, exact, from_deductions = pool_shares(
            9999999, np.array([0, 5567065]), weights, fallback
        )
    assert placed == 9999999 + 5567065 and from_deductions == 5567065
    # withheld money by weight (all to hospital 1), its deduction to the only other taker
    np.testing.assert_allclose(exact, [5567065.0, 9999999.0])


def test_a_fully_deducted_hospital_takes_no_other_hospital_s_deduction() -> None:
    # hospital 0 lost every point; hospital 1's deduction has no other taker: the fund keeps it
    year = YearClaims(
        available_fen=100_000,
        points=np.array([RESIDUE_POINTS, 100.0]),
        deducted=np.array([SAME_POINTS_OTHER_ORDER, 10.0]),
        oop_yuan=np.zeros(2),
        prepaid_fen=np.array([0, 90_000]),
        withheld_fen=np.array([0, 10_000]),
        coefficient=np.ones(2),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = settle_year_pool(year)
    pv = 100_000 / 100 / (RESIDUE_POINTS + 100.0)  # yuan per point over the points
    deduction = [round(pv * SAME_POINTS_OTHER_ORDER * 100), round(pv * 10.0 * 100)]  # fen
    assert res.deduction_fen.tolist() == deduction
    # the withheld money by weight, and hospital 0's deduction to hospital 1, not the reverse
    assert res.incentive_fen.tolist() == [0, 10_000 + deduction[0]]
    assert res.final_fen[0] <= 0  # hospital 0 is paid nothing of hospital 1's deduction
    assert int(res.final_fen.sum()) + res.retained_fen == 100_000


def test_a_deduction_no_other_hospital_can_take_is_kept_not_unpaid_withholding() -> None:
    # one hospital (a region of one): its deduction has no taker; the fund keeps it as a
    # deduction, and the withheld money, which it can take, is paid as its incentive
    year = YearClaims(
        available_fen=100_000,
        points=np.array([100.0]),
        deducted=np.array([10.0]),
        oop_yuan=np.zeros(1),
        prepaid_fen=np.array([90_000]),
        withheld_fen=np.array([10_000]),
        coefficient=np.ones(1),
    )
    res = settle_year_pool(year)
    deduction = round(100_000 / 100 / 100.0 * 10.0 * 100)  # PV 10 yuan/point × 10 points, fen
    assert res.deduction_fen.tolist() == [deduction]
    assert res.incentive_fen.tolist() == [10_000]
    assert res.unpaid_fen == 0  # no withholding went unpaid
    assert res.other_fen == deduction  # the deduction, kept by the fund
    assert int(res.final_fen.sum()) + res.retained_fen == 100_000
