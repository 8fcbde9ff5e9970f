"""Golden decks computed by hand beyond tests/test_golden.py: caught acts with deductions in the
pool; two years with weights re-set from year one's claims, budget growth and month shares from
last year; and `blend` coefficients.

Every expected fen is derived below, step by step, from the rules of the spec with exact
fractions: the largest-remainder split and half-to-even rounding are written out here (`split`,
`fen`), not taken from drgsim. Each final number is also written as a literal, so a reader can
follow the arithmetic in the comments without running it.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import drgsim
from drgsim.scenario.loader import load_scenario, with_overrides

GOLDEN = Path(__file__).resolve().parent / "golden"
HOSPITALS = ("H1", "H2", "H3")


def split(total: int, exact: list[F]) -> list[int]:
    """Largest remainder: floors, then one fen each to the largest remainders (ties: first)."""
    parts = [x.numerator // x.denominator for x in exact]
    missing = total - sum(parts)
    assert 0 <= missing <= len(parts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:missing]:
        parts[i] += 1
    return parts


def fen(x: F) -> int:
    """Round to the nearest whole fen, half to even."""
    return round(x)


def part(x: F, best: F, worst: F) -> F:
    """An indicator's share of its weight: (worst − x) / (worst − best), clipped to [0, 1]."""
    return min(max((worst - x) / (worst - best), F(0)), F(1))


def coefficient(cei: F, tei: F, violation: F) -> F:
    """λ = 0.8 + 0.4 × S / 100, S = 40·CEI part + 20·TEI part + 30·violation part + 10."""
    score = (
        40 * part(cei, F(8, 10), F(12, 10))
        + 20 * part(tei, F(8, 10), F(12, 10))
        + 30 * part(violation, F(0), F(1, 10))
        + 10  # nobody refers high-weight patients away
    )
    return F(8, 10) + F(4, 10) * score / 100


def close(got: float, want: F) -> bool:
    return abs(got - float(want)) <= 1e-9 * max(1.0, abs(float(want)))


def by_hospital(frame: pd.DataFrame, column: str, **keys: Any) -> list:
    sel = frame
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    sel = sel.set_index("hospital")
    return [sel.loc[h, column] for h in HOSPITALS if h in sel.index]


# === (a) caught upcoding: penalties, deductions in the pool ======================================
#
# The golden scenario (tests/golden/golden.yaml, pool mode) with H2 upcoding every claim it can
# (rate 1: ES25 → ES23, the only DRG with a higher severity), every claim reviewed and every
# upcoding caught (detection 1), penalty 2 × the point difference.
#   case 5  H2 ES25→ES23 1500 yuan: r = 1500/10000 = 0.15 < 0.4 → low, 100 × 0.15 = 15 points;
#           at its true ES25: 50 × 1500/5000 = 15 → caught, repriced at 15, deduction 2 × 0 = 0
#   case 6  H2 ES25→ES23 5000 yuan: r = 0.5 → normal, 100 × K 0.9 = 90; true 50 × 0.9 = 45 →
#           caught, repriced at 45, deduction 2 × (90 − 45) = 90 points; still the earlier stay
#           of P06's readmission (case 7, same ADRG ES2) → 45 × 0.5 = 22.5 points
# So every month's points are those of the golden pool deck, and so are the monthly
# allocations, pre-payments and withholdings (tests/test_golden.py, HOSPITAL_MONTH).

CAUGHT = {
    "hospitals.H2.upcoding.rate": 1.0,
    "audit.sample_rate": 1.0,
    "audit.detection.upcoding": 1.0,
    "audit.penalty.upcoding": 2.0,
}

# Year totals of the pool deck: points 1260, 497.5, 320 (Σ 2077.5); patient-paid 69250 yuan;
# prepaid and withheld as in tests/test_golden.py POOL_YEAR.
A_PREPAID = [7576234 + 1834616, 1761975 + 2743269, 921791 + 2262115]
A_WITHHELD = [841804 + 203846, 195775 + 304808, 102421 + 251346]  # 1045650, 500583, 353767
A_PV = F(190000 + 69250) / F(20775, 10)  # (B/100 + Σ oop) / Σ points = 124.789…
A_DEDUCTION = [0, fen(A_PV * 90 * 100), 0]  # 2 333 250 000 / 2077.5 = 1 123 104.69 → 1 123 105

# Indicators by billed DRG (ungroupable case 12 left out). ES23 now holds H2's two upcoded
# stays: H1 6000/1d, 40000/10d; H2 9000/4d, 1500/5d, 5000/7d; H3 9000/2d → mean cost
# 70500/6 = 11750, mean stay 29/6 days. ES25: H3 4000/4d, 5000/5d → 4500, 4.5 d.
# FM19: 20000/8d, 24000/6d (H1), 18000/3d (H2), 16000/6d (H3) → 19500, 5.75 d. IB19, XJ19: one
# case each → ratio 1.
ES23_COST, ES23_LOS = F(70500, 6), F(29, 6)
FM19_COST, FM19_LOS = F(19500), F(575, 100)
A_CEI = [
    (2 * F(22000) / FM19_COST + 1 + 2 * F(23000) / ES23_COST) / 5,
    (3 * F(15500, 3) / ES23_COST + 1 + F(18000) / FM19_COST) / 5,
    (2 * 1 + F(9000) / ES23_COST + F(16000) / FM19_COST) / 4,
]
A_TEI = [
    (2 * F(7) / FM19_LOS + 1 + 2 * F(11, 2) / ES23_LOS) / 5,
    (3 * F(16, 3) / ES23_LOS + 1 + F(3) / FM19_LOS) / 5,
    (2 * 1 + F(2) / ES23_LOS + F(6) / FM19_LOS) / 4,
]
A_VIOLATION = [F(0), F(2, 6), F(0)]  # H2: 2 caught of 6 reviewed claims
A_LAMBDA = [coefficient(c, t, v) for c, t, v in zip(A_CEI, A_TEI, A_VIOLATION, strict=True)]
# pool Π = 1 900 000 withheld + 1 123 105 deducted = 3 023 105, shared by W_h × λ_h
A_POOL = sum(A_WITHHELD) + sum(A_DEDUCTION)
A_WEIGHT = [w * lam for w, lam in zip(A_WITHHELD, A_LAMBDA, strict=True)]
A_INCENTIVE = split(A_POOL, [A_POOL * w / sum(A_WEIGHT) for w in A_WEIGHT])
A_FINAL = [p + i - d for p, i, d in zip(A_PREPAID, A_INCENTIVE, A_DEDUCTION, strict=True)]


def test_deck_a_has_the_hand_computed_pool_numbers() -> None:
    """The literals a reader can check against the comments above."""
    assert A_DEDUCTION == [0, 1_123_105, 0]
    assert A_POOL == 3_023_105
    # λ: H1 CEI 1.434 and TEI 1.142 → S 0 + 20 × 0.145 + 30 + 10; H2 loses its 30 violation
    # points; H3 0.897 / 0.864 → 40 × 0.758 + 20 × 0.839 + 40
    assert [round(float(x), 6) for x in A_LAMBDA] == [0.971574, 1.046717, 1.148489]
    # exact W·λ shares 1578082.3…, 813902.9…, 631119.7… → floors 3023102, 3 fen to .9, .7, .3
    assert A_INCENTIVE == [1_578_082, 813_903, 631_120]
    assert A_FINAL == [10_988_932, 4_196_042, 3_815_026]  # Σ 19 000 000: nothing retained
    assert sum(A_FINAL) == 19_000_000


@pytest.fixture(scope="module")
def caught() -> drgsim.Result:
    scn = with_overrides(load_scenario(GOLDEN / "golden.yaml"), CAUGHT)
    return drgsim.run(scn, cases=True, variants=["baseline"])


def test_caught_upcoding_is_repriced_and_deducted_claim_by_claim(caught) -> None:
    cases = caught.cases.set_index("record_id")  # the case id of tests/golden/cases.csv
    for case_id, (points, deducted) in {5: (15.0, 0.0), 6: (22.5, 90.0), 7: (90.0, 0.0)}.items():
        row = cases.loc[case_id]
        assert row["drg_billed"] == "ES23"
        assert row["points"] == pytest.approx(points, rel=1e-12)
        assert row["deducted_points"] == pytest.approx(deducted, rel=1e-12)
        assert bool(row["audited"])
    assert cases.loc[[5, 6], "caught"].tolist() == [1, 1]  # the upcoding bit
    assert cases["caught"].drop([5, 6]).eq(0).all() and cases["audited"].all()


def test_caught_upcoding_leaves_the_months_as_in_the_golden_pool_deck(caught) -> None:
    hm = caught.hospital_month
    assert by_hospital(hm, "allocation_fen", month=3) == [8418038, 1957750, 1024212]
    assert by_hospital(hm, "allocation_fen", month=4) == [2038462, 3048077, 2513461]
    st = caught.settlement
    assert by_hospital(st, "prepaid_fen") == A_PREPAID
    assert by_hospital(st, "withheld_fen") == A_WITHHELD


def test_caught_upcoding_changes_every_hospitals_indicators_and_coefficient(caught) -> None:
    st = caught.settlement
    for column, want in (
        ("cei", A_CEI),
        ("tei", A_TEI),
        ("violation_rate", A_VIOLATION),
        ("coefficient", A_LAMBDA),
    ):
        got = by_hospital(st, column)
        assert all(close(g, w) for g, w in zip(got, want, strict=True)), (column, got)
    assert close(by_hospital(st, "cmi")[1], F(1 + 1 + 1 + 1 + 2, 5))  # ES23 ×3, XJ19, FM19


def test_deductions_go_into_the_pool_shared_by_withheld_money_times_the_coefficient(
    caught,
) -> None:
    st = caught.settlement
    assert by_hospital(st, "deducted_points") == pytest.approx([0.0, 90.0, 0.0], rel=1e-12)
    assert by_hospital(st, "deduction_fen") == A_DEDUCTION
    assert by_hospital(st, "incentive_fen") == A_INCENTIVE
    assert by_hospital(st, "final_fen") == A_FINAL
    ry = caught.region_year.iloc[0]
    assert close(ry["point_value"], A_PV)
    assert int(ry["paid_fen"]) == sum(A_FINAL) and int(ry["retained_fen"]) == 0
