"""Golden decks computed by hand beyond tests/test_golden.py: caught acts with deductions in the
pool; two years with weights re-set from year one's claims, budget growth and month shares from
last year; `blend` coefficients; the year-end designs of spec v2 §3 and §6 on the golden deck —
the reserve released in both modes, a floor the reserve can and cannot fund, a ceiling, true-up,
clearing with surplus retention and overrun sharing (funded by the reserve; the reserve short,
pro rata) — and a special-review nomination approved and one rejected, settled to the fen.

Every expected fen is derived below, step by step, from the rules of the spec with exact
fractions: the largest-remainder split and half-to-even rounding are written out here (`split`,
`fen`), not taken from drgsim. Each final number is also written as a literal, so a reader can
follow the arithmetic in the comments without running it.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path
from types import SimpleNamespace
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
# upcoding caught (detection 1), penalty 2 × the point difference. H2 expects no audit
# (perceived_risk 0): one that knew it would not upcode at all (spec v2 §8).
#   case 5  H2 ES25→ES23 1500 yuan: r = 1500/10000 = 0.15 < 0.4 → low, 100 × 0.15 = 15 points;
#           at its true ES25: 50 × 1500/5000 = 15 → caught, repriced at 15, deduction 2 × 0 = 0
#   case 6  H2 ES25→ES23 5000 yuan: r = 0.5 → normal, 100 × K 0.9 = 90; true 50 × 0.9 = 45 →
#           caught, repriced at 45, deduction 2 × (90 − 45) = 90 points; still the earlier stay
#           of P06's readmission (case 7, same ADRG ES2) → 45 × 0.5 = 22.5 points
# So every month's points are those of the golden pool deck, and so are the monthly
# allocations, pre-payments and withholdings (tests/test_golden.py, HOSPITAL_MONTH).

CAUGHT = {
    "hospitals.H2.upcoding.rate": 1.0,
    "hospitals.H2.upcoding.perceived_risk": 0.0,
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
# pool Π = 1 900 000 withheld + 1 123 105 deducted = 3 023 105: the withheld money shared by
# W_h × λ_h among all three, H2's deduction among H1 and H3 only (spec v2 §5: an offender never
# gets back a share of its own deduction; v1 shared all of Π by W_h × λ_h)
A_POOL = sum(A_WITHHELD) + sum(A_DEDUCTION)
A_WEIGHT = [w * lam for w, lam in zip(A_WITHHELD, A_LAMBDA, strict=True)]
A_OTHERS = A_WEIGHT[0] + A_WEIGHT[2]  # everyone's weight but the offender H2's
A_INCENTIVE = split(
    A_POOL,
    [
        sum(A_WITHHELD) * w / sum(A_WEIGHT) + (A_DEDUCTION[1] * w / A_OTHERS if h != 1 else 0)
        for h, w in enumerate(A_WEIGHT)
    ],
)
A_FINAL = [p + i - d for p, i, d in zip(A_PREPAID, A_INCENTIVE, A_DEDUCTION, strict=True)]


def test_deck_a_has_the_hand_computed_pool_numbers() -> None:
    """The literals a reader can check against the comments above."""
    assert A_DEDUCTION == [0, 1_123_105, 0]
    assert A_POOL == 3_023_105
    # λ: H1 CEI 1.434 and TEI 1.142 → S 0 + 20 × 0.145 + 30 + 10; H2 loses its 30 violation
    # points; H3 0.897 / 0.864 → 40 × 0.758 + 20 × 0.839 + 40
    assert [round(float(x), 6) for x in A_LAMBDA] == [0.971574, 1.046717, 1.148489]
    # exact shares (W·λ of 1 900 000, plus H2's deduction by W·λ of H1 and H3) 1794072.63…,
    # 511532.19…, 717500.17… → floors 3 023 104, the missing fen to .63 (H1). v1 (H2 sharing in
    # its own deduction) paid 1 578 082, 813 903, 631 120.
    assert A_INCENTIVE == [1_794_073, 511_532, 717_500]
    assert A_FINAL == [11_204_923, 3_893_671, 3_901_406]  # Σ 19 000 000: nothing retained
    assert sum(A_FINAL) == 19_000_000


@pytest.fixture(scope="module")
def caught() -> drgsim.Result:
    scn = with_overrides(load_scenario(GOLDEN / "golden.yaml"), CAUGHT)
    return drgsim.run(scn, cases=True, variants=["baseline"])


def test_caught_upcoding_is_repriced_and_deducted_claim_by_claim(caught) -> None:
    cases = caught.cases.set_index(caught.cases["record_id"].astype(int))  # golden/cases.csv's id
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


# === (b) two years, (c) blend coefficients ======================================================
#
# tests/golden/two_years.yaml: H1 and H2 tier 3 (K 1.0), H3 tier 2 (K 0.9); budget 480000 yuan
# growing 10%; reserve 5%; pool mode, α 0.9; no audit. Cases (tests/golden/two_years.csv), all
# normal discharges well inside their group's cost range:
#   2021 March: H1 FM19 24000 (oop 6000, 8 d), H2 FM19 18000 (4000, 6 d), H3 ES23 9000 (2000,
#               4 d), H2 ES23 10500 (2500, 4 d);  April: H1 ES23 12000 (3000, 5 d),
#               H3 FM19 16000 (4000, 7 d)
#   2022 March: H1 FM19 21000 (5000, 7 d), H2 ES23 9500 (2000, 4 d), H3 FM19 17000 (4000, 6 d);
#        April: H1 ES23 11000 (2500, 5 d), H2 FM19 20000 (5000, 7 d), H3 ES23 8000 (2000, 3 d)
ALPHA = F(9, 10)
TWO = ("baseline", "blend")


def settle_month(budget: int, points: list[F], oop: list[F]) -> tuple[F, list[int], list[int]]:
    """Spec §4 by hand: PV_m, allocations summing to B_m, pre-payments summing to round(α B_m)."""
    pv = (F(budget, 100) + sum(oop)) / sum(points)
    allocation = split(budget, [(pv * p - o) * 100 for p, o in zip(points, oop, strict=True)])
    prepaid = split(fen(ALPHA * budget), [ALPHA * a for a in allocation])
    return pv, allocation, prepaid


def settle_pool(months: list[tuple[list[int], list[int]]], lam: list[F]) -> dict[str, list[int]]:
    """Spec §6 pool mode without deductions: Π = Σ withheld, shared by W_h λ_h."""
    prepaid = [sum(p[h] for _, p in months) for h in range(3)]
    withheld = [sum(a[h] - p[h] for a, p in months) for h in range(3)]
    pool = sum(withheld)
    weight = [w * x for w, x in zip(withheld, lam, strict=True)]
    incentive = split(pool, [pool * w / sum(weight) for w in weight])
    final = [p + i for p, i in zip(prepaid, incentive, strict=True)]
    return {"prepaid": prepaid, "withheld": withheld, "incentive": incentive, "final": final}


def efficiency(cells: dict[str, list[tuple[int, F]]], group_mean: dict[str, F]) -> list[F]:
    """CEI or TEI: Σ_g n_hg (v̄_hg / v̄_g) / n_h from each hospital's (hospital, value) stays."""
    out = []
    for h in range(3):
        terms = [
            (v / group_mean[g]) for g, stays in cells.items() for hosp, v in stays if hosp == h
        ]
        out.append(sum(terms, F(0)) / len(terms))  # one stay per hospital and group here
    return out


# -- year one (2021): the catalogue's tariff, every DRG RW 1 → 100 base points; points = 100 × K
Y1_POINTS = {3: [F(100), F(100 + 100), F(90)], 4: [F(100), F(0), F(90)]}  # H1, H2, H3
Y1_OOP = {3: [F(6000), F(4000 + 2500), F(2000)], 4: [F(3000), F(0), F(4000)]}
# budget 48 000 000 fen, reserve 2 400 000, available 45 600 000; no history of monthly points,
# so each month gets 1/12: 3 800 000 fen; only March and April have claims
Y1_BUDGET, Y1_RESERVE = 480000 * 100, fen(F(480000 * 100) * F(5, 100))
Y1_AVAILABLE = Y1_BUDGET - Y1_RESERVE
Y1_MONTH = split(Y1_AVAILABLE, [F(Y1_AVAILABLE, 12)] * 12)
Y1 = {m: settle_month(Y1_MONTH[m - 1], Y1_POINTS[m], Y1_OOP[m]) for m in (3, 4)}
# indicators: FM19 24000/8 d (H1), 18000/6 d (H2), 16000/7 d (H3) → 58000/3 yuan, 7 d;
# ES23 12000/5 d (H1), 10500/4 d (H2), 9000/4 d (H3) → 10500 yuan, 13/3 d
Y1_CEI = efficiency(
    {"FM19": [(0, F(24000)), (1, F(18000)), (2, F(16000))],
     "ES23": [(0, F(12000)), (1, F(10500)), (2, F(9000))]},
    {"FM19": F(58000, 3), "ES23": F(10500)},
)  # fmt: skip
Y1_TEI = efficiency(
    {"FM19": [(0, F(8)), (1, F(6)), (2, F(7))], "ES23": [(0, F(5)), (1, F(4)), (2, F(4))]},
    {"FM19": F(7), "ES23": F(13, 3)},
)
Y1_LAMBDA = [coefficient(c, t, F(0)) for c, t in zip(Y1_CEI, Y1_TEI, strict=True)]
Y1_YEAR = settle_pool([(Y1[m][1], Y1[m][2]) for m in (3, 4)], Y1_LAMBDA)
Y1_RETAINED = Y1_AVAILABLE - Y1_MONTH[2] - Y1_MONTH[3]  # the other ten months had no claims

# -- year two (2022): weights from year one's claims (all kept: trim [0, 1])
REF = {"FM19": F(24000 + 18000 + 16000, 3), "ES23": F(12000 + 10500 + 9000, 3)}  # ā_g
MEAN = F(24000 + 18000 + 16000 + 12000 + 10500 + 9000, 6)  # ā = 89500/6 = 14916.67
BP = {g: 100 * REF[g] / MEAN for g in REF}  # FM19 23200/179 = 129.61, ES23 12600/179 = 70.39
# `tier` coefficients: H1, H2 1.0, H3 0.9.  `blend` (w 0.5 / 0.5): K = ½ own + ½ tier, where own
# is the hospital's year-one mean cost in the group over ā_g and tier is its tier's:
#   tier 3 FM19 (24000 + 18000)/2 / (58000/3) = 63/58, ES23 (12000 + 10500)/2 / 10500 = 15/14;
#   tier 2 (H3 alone) FM19 16000 / (58000/3) = 24/29, ES23 9000/10500 = 6/7
TIER3 = {"FM19": F(21000) / REF["FM19"], "ES23": F(11250) / REF["ES23"]}
OWN = {
    0: {"FM19": F(24000) / REF["FM19"], "ES23": F(12000) / REF["ES23"]},
    1: {"FM19": F(18000) / REF["FM19"], "ES23": F(10500) / REF["ES23"]},
    2: {"FM19": F(16000) / REF["FM19"], "ES23": F(9000) / REF["ES23"]},
}
K = {
    "baseline": {h: {g: F(1) if h < 2 else F(9, 10) for g in REF} for h in range(3)},
    "blend": {
        h: {g: (OWN[h][g] + (TIER3[g] if h < 2 else OWN[h][g])) / 2 for g in REF} for h in range(3)
    },
}
Y2_CASES = {3: [(0, "FM19"), (1, "ES23"), (2, "FM19")], 4: [(0, "ES23"), (1, "FM19"), (2, "ES23")]}
Y2_OOP = {3: [F(5000), F(2000), F(4000)], 4: [F(2500), F(5000), F(2000)]}
# budget 480000 × 1.1 = 528000 yuan: 52 800 000 fen, reserve 2 640 000, available 50 160 000;
# month shares from year one's points: March 390, April 190 of 580 →
# 33 728 275.86… and 16 431 724.14… → March gets the missing fen
Y2_BUDGET = 528000 * 100
Y2_RESERVE = fen(F(Y2_BUDGET) * F(5, 100))
Y2_AVAILABLE = Y2_BUDGET - Y2_RESERVE
Y1_MONTH_POINTS = [sum(Y1_POINTS[m]) if m in Y1_POINTS else F(0) for m in range(1, 13)]
Y2_MONTH = split(Y2_AVAILABLE, [Y2_AVAILABLE * p / sum(Y1_MONTH_POINTS) for p in Y1_MONTH_POINTS])


def year_two(variant: str) -> dict[str, Any]:
    """Year two of a variant by hand: points, months and the pool."""
    points = {
        m: [BP[g] * K[variant][h][g] for h, g in Y2_CASES[m]] for m in (3, 4)
    }  # one case per hospital and month, all normal
    months = {m: settle_month(Y2_MONTH[m - 1], points[m], Y2_OOP[m]) for m in (3, 4)}
    year = settle_pool([(months[m][1], months[m][2]) for m in (3, 4)], Y2_LAMBDA)
    return {"points": points, "months": months, **year}


# indicators (same in both variants: costs and stays do not depend on K):
# FM19 21000/7 d (H1), 20000/7 d (H2), 17000/6 d (H3) → 58000/3 yuan, 20/3 d;
# ES23 11000/5 d (H1), 9500/4 d (H2), 8000/3 d (H3) → 9500 yuan, 4 d
Y2_CEI = efficiency(
    {"FM19": [(0, F(21000)), (1, F(20000)), (2, F(17000))],
     "ES23": [(0, F(11000)), (1, F(9500)), (2, F(8000))]},
    {"FM19": F(58000, 3), "ES23": F(9500)},
)  # fmt: skip
Y2_TEI = efficiency(
    {"FM19": [(0, F(7)), (1, F(7)), (2, F(6))], "ES23": [(0, F(5)), (1, F(4)), (2, F(3))]},
    {"FM19": F(20, 3), "ES23": F(4)},
)
Y2_LAMBDA = [coefficient(c, t, F(0)) for c, t in zip(Y2_CEI, Y2_TEI, strict=True)]
Y2 = {v: year_two(v) for v in TWO}


def test_decks_b_and_c_have_the_hand_computed_literals() -> None:
    """The key numbers as literals, for a reader following the comments."""
    assert (Y1_BUDGET, Y1_RESERVE, Y1_AVAILABLE) == (48_000_000, 2_400_000, 45_600_000)
    assert Y1_MONTH[2] == Y1_MONTH[3] == 3_800_000
    # March PV (38000 + 14500)/390; allocations (PV·P − oop)·100: 746153.8, 2042307.7, 1011538.5
    assert Y1[3][1] == [746_154, 2_042_308, 1_011_538]
    assert Y1[4][1] == [2_068_421, 0, 1_731_579]  # PV (38000 + 7000)/190
    assert Y1_YEAR["final"] == [2_787_830, 2_049_916, 2_762_254]
    assert Y1_RETAINED == 38_000_000  # ten months' budgets, 3 800 000 each
    assert (Y2_BUDGET, Y2_RESERVE, Y2_AVAILABLE) == (52_800_000, 2_640_000, 50_160_000)
    assert Y2_MONTH[2:4] == [33_728_276, 16_431_724] and sum(Y2_MONTH) == Y2_AVAILABLE
    assert {"FM19": F(23200, 179), "ES23": F(12600, 179)} == BP
    assert K["blend"][0] == {"FM19": F(135, 116), "ES23": F(31, 28)}  # (36/29 + 63/58)/2 …
    assert K["blend"][1] == {"FM19": F(117, 116), "ES23": F(29, 28)}
    assert K["blend"][2] == {"FM19": F(24, 29), "ES23": F(6, 7)}
    assert Y2["baseline"]["final"] == [18_023_188, 15_583_240, 16_553_572]
    assert Y2["blend"]["final"] == [20_025_452, 15_413_994, 14_720_554]
    for v in TWO:  # every fen of year two is paid: all its months had claims
        assert sum(Y2[v]["final"]) == Y2_AVAILABLE


@pytest.fixture(scope="module")
def two_years() -> drgsim.Result:
    return drgsim.run(GOLDEN / "two_years.yaml", cases=True)


def _of(frame: pd.DataFrame, variant: str, **keys: Any) -> pd.DataFrame:
    sel = frame[frame["variant"] == variant]
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    return sel


@pytest.mark.parametrize("variant", TWO)
def test_year_two_weights_are_reset_from_year_ones_claims(two_years, variant: str) -> None:
    cat = _of(two_years.catalogue, variant, year=2022).set_index("drg")
    for g in REF:
        assert close(cat.loc[g, "ref_mean_cost_yuan"], REF[g])
        assert close(cat.loc[g, "rw"], REF[g] / MEAN)
        assert close(cat.loc[g, "base_points"], BP[g])
        assert bool(cat.loc[g, "stable"]) and int(cat.loc[g, "reference_cases"]) == 3
    # a group without year-one claims keeps its reference cost (10000) and is unstable
    assert close(cat.loc["ES25", "rw"], F(10000) / MEAN) and not bool(cat.loc["ES25", "stable"])
    first = _of(two_years.catalogue, variant, year=2021).set_index("drg")
    assert all(close(x, F(100)) for x in first.loc[list(REF), "base_points"])


@pytest.mark.parametrize("variant", TWO)
def test_each_year_has_its_grown_budget_and_month_shares(two_years, variant: str) -> None:
    ry = _of(two_years.region_year, variant).set_index("year")
    assert ry.loc[2021, ["budget_fen", "reserve_fen", "available_fen"]].tolist() == [
        Y1_BUDGET,
        Y1_RESERVE,
        Y1_AVAILABLE,
    ]
    assert ry.loc[2022, ["budget_fen", "reserve_fen", "available_fen"]].tolist() == [
        Y2_BUDGET,
        Y2_RESERVE,
        Y2_AVAILABLE,
    ]
    hm = _of(two_years.hospital_month, variant)
    month = hm.groupby(["year", "month"])["allocation_fen"].sum()
    assert month.loc[2021].loc[[3, 4]].tolist() == Y1_MONTH[2:4]
    assert month.loc[2022].loc[[3, 4]].tolist() == Y2_MONTH[2:4]
    assert int(month.drop([3, 4], level="month").abs().sum()) == 0
    # year one keeps the budgets of its ten empty months; year two pays out everything
    assert ry.loc[2021, "retained_fen"] == Y1_RETAINED
    assert ry.loc[2022, "retained_fen"] == 0


@pytest.mark.parametrize("variant", TWO)
def test_every_case_earns_base_points_times_its_coefficient(two_years, variant: str) -> None:
    cases = _of(two_years.cases, variant)
    cases = cases.set_index(cases["record_id"].astype(int))  # the case table's id, as text
    y1 = {1: 100, 2: 100, 3: 90, 4: 100, 5: 100, 6: 90}  # 100 × K (tier) in year one
    for record, points in y1.items():
        assert close(cases.loc[record, "points"], F(points))
    for m, ids in ((3, (7, 8, 9)), (4, (10, 11, 12))):
        for record, want in zip(ids, Y2[variant]["points"][m], strict=True):
            assert close(cases.loc[record, "points"], want), (record, want)
    assert (cases["case_class"] == "normal").all()


@pytest.mark.parametrize("variant", TWO)
def test_every_hospital_month_is_settled_to_the_fen(two_years, variant: str) -> None:
    hm = _of(two_years.hospital_month, variant)
    for year, months in ((2021, Y1), (2022, Y2[variant]["months"])):
        for m, (pv, allocation, prepaid) in months.items():
            rows = hm[(hm["year"] == year) & (hm["month"] == m)].set_index("hospital")
            assert rows.loc[list(HOSPITALS), "allocation_fen"].tolist() == allocation
            assert rows.loc[list(HOSPITALS), "prepaid_fen"].tolist() == prepaid
            assert all(close(x, pv) for x in rows["point_value"])


@pytest.mark.parametrize("variant", TWO)
def test_each_years_pool_is_shared_by_withheld_money_times_the_coefficient(
    two_years, variant: str
) -> None:
    st = two_years.settlement
    for year, lam, cei, tei, want in (
        (2021, Y1_LAMBDA, Y1_CEI, Y1_TEI, Y1_YEAR),
        (2022, Y2_LAMBDA, Y2_CEI, Y2_TEI, Y2[variant]),
    ):
        rows = _of(st, variant, year=year)
        for column, values in (("cei", cei), ("tei", tei), ("coefficient", lam)):
            got = by_hospital(rows, column)
            assert all(close(g, w) for g, w in zip(got, values, strict=True)), (year, column)
        for column in ("prepaid", "withheld", "incentive", "final"):
            assert by_hospital(rows, f"{column}_fen") == want[column], (year, column)


# === (d) year-end designs on the golden deck: the reserve, floor, ceiling, true-up, clearing ====
#
# tests/golden/golden.yaml's baseline (pool, α 0.9, reserve 5% kept, city peers, no audit) with
# only its year end changed, so its months are those of tests/test_golden.py: prepaid and
# withheld as deck (a)'s A_PREPAID and A_WITHHELD (Σ withheld 1 900 000 fen). Year totals:
# points 1260, 497.5, 320 (Σ 2077.5); patient-paid 45000, 15750, 8500 yuan (Σ 69250); charges
# 170000, 52500, 34000 yuan, so fund-eligible charges C = 125000, 36750, 25500 yuan.
# Budget 20 000 000 fen, reserve 1 000 000, available B = 19 000 000 (spec §3).
D_POINTS = [F(1260), F(4975, 10), F(320)]
D_OOP = [F(45000), F(15750), F(8500)]
D_CHARGES_FEN = [12_500_000, 3_675_000, 2_550_000]  # (Σ c − o) × 100
D_BUDGET, D_RESERVE, D_AVAILABLE = 20_000_000, 1_000_000, 19_000_000
# Indicators (no audit, the ungroupable case left out), exact: group means FM19 19500 yuan
# 23/4 d, ES23 16000 yuan 17/4 d, ES25 3875 yuan 21/4 d; IB19 and XJ19 one case each (ratio 1)
D_CEI = [
    (2 * F(22000) / 19500 + 1 + 2 * F(23000) / 16000) / 5,
    (2 * F(3250) / 3875 + F(9000) / 16000 + 1 + F(18000) / 19500) / 5,
    (2 * F(4500) / 3875 + F(9000) / 16000 + F(16000) / 19500) / 4,
]
D_TEI = [
    (2 * F(7) / F(23, 4) + 1 + 2 * F(11, 2) / F(17, 4)) / 5,
    (2 * F(6) / F(21, 4) + F(4) / F(17, 4) + 1 + F(3) / F(23, 4)) / 5,
    (2 * F(9, 2) / F(21, 4) + F(2) / F(17, 4) + F(6) / F(23, 4)) / 4,
]
D_LAMBDA = [coefficient(c, t, F(0)) for c, t in zip(D_CEI, D_TEI, strict=True)]
# PV_ref (spec §3): the year's money (B, plus the reserve where released) and patient payments
# over the points the claims earn before readmissions: case 6 earns 45, not 22.5 → 2100 points
D_BASELINE_POINTS = F(2100)


def pv_ref(money_fen: int) -> F:
    return (F(money_fen, 100) + sum(D_OOP)) / D_BASELINE_POINTS


def money_at(pv: F) -> int:
    """The fund's fen that price the year's points at `pv`: round((pv × ΣP − Σo) × 100)."""
    return fen((pv * sum(D_POINTS) - sum(D_OOP)) * 100)


def pool_by_weight(pool: int, weights: list[F]) -> list[int]:
    """The pool by weight, largest remainder (no deductions in these decks)."""
    return split(pool, [pool * w / sum(weights) for w in weights])


def withheld_times_lambda() -> list[F]:
    return [w * lam for w, lam in zip(A_WITHHELD, D_LAMBDA, strict=True)]


def entitlements(money: int) -> tuple[F, list[int]]:
    """PV_y = (money + Σo) / ΣP and E_h = (PV_y × P_h − o_h) × 100 shared out of `money`."""
    pv = (F(money, 100) + sum(D_OOP)) / sum(D_POINTS)
    exact = [(pv * p - o) * 100 for p, o in zip(D_POINTS, D_OOP, strict=True)]
    return pv, split(money, exact)


def cleared(money: int) -> list[int]:
    """F'_h = round(E_h × (0.9 + 0.1 × λ_h / max λ)) (spec §6)."""
    _, e = entitlements(money)
    top = max(D_LAMBDA)
    return [fen(x * (ALPHA + (1 - ALPHA) * lam / top)) for x, lam in zip(e, D_LAMBDA, strict=True)]


def test_deck_d_has_the_hand_computed_basics() -> None:
    # H1: CEI 1.226, TEI 1.205 → S 0 + 0 + 30 + 10 = 40 → λ 0.96; H2 S 89.254, H3 87.006
    assert D_LAMBDA[0] == F(96, 100)
    assert [round(float(x), 6) for x in D_LAMBDA] == [0.96, 1.157015, 1.148023]
    assert sum(A_WITHHELD) == 1_900_000 and sum(A_PREPAID) == 17_100_000
    assert round(float(pv_ref(D_AVAILABLE)), 6) == 123.452381  # 259250 / 2100


# -- released reserve, pool: Π = 1 900 000 withheld + 1 000 000 released, by W × λ
D_RELEASE_POOL = pool_by_weight(sum(A_WITHHELD) + D_RESERVE, withheld_times_lambda())
# -- released reserve, clearing: M = 20 000 000, PV_y = 269250 / 2077.5, F' by λ / max λ
D_RELEASE_CLEARING = cleared(D_BUDGET)
# -- floor 1.02 × PV_ref under cover, the reserve can fund it: the money that prices 2077.5
#    points at 1.02 × 259250/2100: 1.02 × 259250 × 2077.5 / 2100 − 69250 = 192 351.767… yuan
D_FLOOR_FUNDED_TOPUP = money_at(F(102, 100) * pv_ref(D_AVAILABLE)) - D_AVAILABLE
D_FLOOR_FUNDED = pool_by_weight(sum(A_WITHHELD) + D_FLOOR_FUNDED_TOPUP, withheld_times_lambda())
# -- floor 1.1: it wants 1.1 × 259250 × 2077.5 / 2100 − 69250 = 212 869.55… yuan, 2 286 955 fen
#    more than B; the reserve gives its 1 000 000 and the point value stays below the floor
D_FLOOR_SHORT_WANTED = money_at(F(11, 10) * pv_ref(D_AVAILABLE)) - D_AVAILABLE
D_FLOOR_SHORT = D_RELEASE_POOL  # the same money in the pool as when the reserve is released
# -- ceiling 1.0 × PV_ref with the reserve released: PV_ref = 269250 / 2100 = 128.214…, the
#    year's 269250 / 2077.5 = 129.603… is above it; the money at the ceiling is
#    269250 × 2077.5 / 2100 − 69250 = 197 115.178… yuan → 19 711 518 fen; the surplus
#    20 000 000 − 19 711 518 = 288 482 is taken from the reserve not yet released
D_CEILING_MONEY = money_at(pv_ref(D_BUDGET))
D_CEILING_SURPLUS = D_BUDGET - D_CEILING_MONEY
D_CEILING = pool_by_weight(sum(A_WITHHELD) + D_RESERVE - D_CEILING_SURPLUS, withheld_times_lambda())
# -- true-up (reserve kept): PV_y = 259250 / 2077.5; weights max(E_h − prepaid_h, 0) × λ_h with
#    E_h = (PV_y × P_h − o_h) × 100 unrounded: H1 11 223 401.9… − 9 410 850, H2 4 633 259.9… −
#    4 505 244, H3 3 143 249.0… − 3 183 906 < 0 → 0: H3, pre-paid past its entitlement by its
#    heavy April, gets none of the pool
D_PV_KEEP = (F(D_AVAILABLE, 100) + sum(D_OOP)) / sum(D_POINTS)
D_OUTSTANDING = [
    max((D_PV_KEEP * p - o) * 100 - pp, F(0))
    for p, o, pp in zip(D_POINTS, D_OOP, A_PREPAID, strict=True)
]
D_TRUE_UP = pool_by_weight(
    sum(A_WITHHELD), [x * lam for x, lam in zip(D_OUTSTANDING, D_LAMBDA, strict=True)]
)


def test_deck_d_pool_and_clearing_literals() -> None:
    # released, pool: W λ = 1 003 824, 579 182.09…, 406 132.66… → 2 900 000 × each / Σ
    assert D_RELEASE_POOL == [1_463_492, 844_400, 592_108]
    # released, clearing: PV_y = 269250 / 2077.5 = 129.603…; E = (PV_y × P_h − o_h) × 100 =
    # 11 829 963.9…, 4 872 743.6…, 3 297 292.4… → the fen to H1 (.9): 11 829 964, 4 872 744,
    # 3 297 292; × (0.9 + 0.1 λ/λ_H2): H1 × 0.98297…, H3 × 0.99922…
    assert entitlements(D_BUDGET)[1] == [11_829_964, 4_872_744, 3_297_292]
    assert D_RELEASE_CLEARING == [11_628_525, 4_872_744, 3_294_729]
    # floor: 19 235 176.79 fen → 19 235 177, a top-up of 235 177; pool 2 135 177 by W λ
    assert D_FLOOR_FUNDED_TOPUP == 235_177
    assert D_FLOOR_FUNDED == [1_077_523, 621_704, 435_950]
    assert D_FLOOR_SHORT_WANTED == 2_286_955
    # ceiling: pool 1 900 000 + (1 000 000 − 288 482) = 2 611 518 by W λ
    assert (D_CEILING_MONEY, D_CEILING_SURPLUS) == (19_711_518, 288_482)
    assert D_CEILING == [1_317_909, 760_402, 533_207]
    # true-up: weights 1 812 615.70… × 0.96, 128 029.16… × 1.157…, 0 → 1 900 000 by them
    assert D_TRUE_UP == [1_750_946, 149_054, 0]


# Clearing against charges (spec §6), reserve under cover, both decks with the golden months.
# (e) surplus half kept, overruns from ρ 0.85 shared in full: PV_y = 259250 / 2077.5 =
#     124.789…, E = 112 234.66, 46 332.73, 31 432.61 yuan → 11 223 466, 4 633 273, 3 143 261 fen
#     (Σ 19 000 000); F' = E × (0.9 + 0.1 λ/λ_H2) = 11 032 354, 4 633 273, 3 140 818.
#     H1 ρ = 11 032 354 / 12 500 000 = 0.883 → asks 1 467 646; H2 ρ 1.26 → 3 675 000 + ½ ×
#     958 273 (479 136.5, to even) = 4 154 136; H3 ρ 1.23 → 2 550 000 + ½ × 590 818 = 2 845 409.
#     Unpaid 19 000 000 − 18 031 899 = 968 101; the rest, 499 545, from the reserve:
#     H1 is paid 12 500 000 and the fund keeps 500 455 of the reserve.
E_RULES = {"surplus_keep": 0.5, "overrun_floor": 0.85, "overrun_share": 1.0}
# (f) budget 150 000 yuan: reserve 750 000, available 14 250 000; every surplus kept, overruns
#     from ρ 0.5 shared in full: every hospital is short of its charges and the unpaid money
#     and the reserve do not cover them: pro rata.
F_RULES = {"surplus_keep": 1.0, "overrun_floor": 0.5, "overrun_share": 1.0}
F_BUDGET, F_RESERVE = 15_000_000, 750_000
F_AVAILABLE = F_BUDGET - F_RESERVE


def against_charges(paid: list[int], keep: F, floor: F, share: F) -> tuple[list[int], list[int]]:
    """Surplus retention and each hospital's overrun ask, by hand (spec §6)."""
    after, need = [], []
    for f, c in zip(paid, D_CHARGES_FEN, strict=True):
        if f >= c:
            after.append(c + fen(keep * (f - c)))
            need.append(0)
        else:
            after.append(f)
            need.append(fen(share * (c - f)) if f >= floor * c else 0)
    return after, need


def clearing_deck(money: int, reserve: int, keep: F, floor: F) -> dict[str, Any]:
    """A clearing year by hand: F', surplus kept, overrun paid from unpaid money + the reserve."""
    after, need = against_charges(cleared(money), keep, floor, F(1))
    unpaid = money - sum(after)
    spare = unpaid + reserve  # cover: the reserve kept funds the overrun
    paid = need if sum(need) <= spare else split(spare, [F(n) * spare / sum(need) for n in need])
    from_reserve = max(sum(paid) - unpaid, 0)
    return {
        "final": [a + p for a, p in zip(after, paid, strict=True)],
        "overrun": sum(paid),
        "unpaid": unpaid - min(sum(paid), unpaid),
        "from_reserve": from_reserve,
        "kept": reserve - from_reserve,
    }


E_DECK = clearing_deck(D_AVAILABLE, D_RESERVE, F(1, 2), F(85, 100))
F_DECK = clearing_deck(F_AVAILABLE, F_RESERVE, F(1), F(1, 2))


def test_deck_e_and_f_literals() -> None:
    assert cleared(D_AVAILABLE) == [11_032_354, 4_633_273, 3_140_818]
    assert E_DECK == {
        "final": [12_500_000, 4_154_136, 2_845_409],
        "overrun": 1_467_646,
        "unpaid": 0,
        "from_reserve": 499_545,
        "kept": 500_455,
    }
    # (f) PV_y = (142500 + 69250) / 2077.5 = 101.925…; E = 8 342 599, 3 495 788, 2 411 613;
    # F' = 8 200 542, 3 495 788, 2 409 739; asks 4 299 458, 179 212, 140 261 (Σ 4 618 931)
    # from 143 931 unpaid + 750 000 reserve = 893 931: 893 931 × ask / 4 618 931 = 832 101.36…,
    # 34 684.03…, 27 145.60… → floors 893 930, the fen to .60 (H3)
    assert entitlements(F_AVAILABLE)[1] == [8_342_599, 3_495_788, 2_411_613]
    assert cleared(F_AVAILABLE) == [8_200_542, 3_495_788, 2_409_739]
    assert F_DECK == {
        "final": [8_200_542 + 832_101, 3_495_788 + 34_684, 2_409_739 + 27_146],
        "overrun": 893_931,
        "unpaid": 0,
        "from_reserve": 750_000,
        "kept": 0,
    }


#: deck → (overrides of golden.yaml, final per hospital, region_year money columns)
YEAR_END_DECKS: dict[str, tuple[dict[str, Any], list[int], dict[str, int]]] = {
    "reserve released, pool": (
        {"budget.reserve_use": "release"},
        [p + i for p, i in zip(A_PREPAID, D_RELEASE_POOL, strict=True)],
        {"reserve_released_fen": D_RESERVE, "reserve_kept_fen": 0, "unpaid_withholding_fen": 0},
    ),
    "reserve released, clearing": (
        {"budget.reserve_use": "release", "settlement.mode": "clearing"},
        D_RELEASE_CLEARING,
        {
            "reserve_released_fen": D_RESERVE,
            "reserve_kept_fen": 0,
            "unpaid_withholding_fen": D_BUDGET - sum(D_RELEASE_CLEARING),
        },
    ),
    "floor the reserve can fund": (
        {"budget.reserve_use": "cover", "point_value.floor": 1.02},
        [p + i for p, i in zip(A_PREPAID, D_FLOOR_FUNDED, strict=True)],
        {
            "floor_topup_fen": D_FLOOR_FUNDED_TOPUP,
            "reserve_kept_fen": D_RESERVE - D_FLOOR_FUNDED_TOPUP,
            "reserve_released_fen": 0,
        },
    ),
    "floor the reserve cannot fund": (
        {"budget.reserve_use": "cover", "point_value.floor": 1.1},
        [p + i for p, i in zip(A_PREPAID, D_FLOOR_SHORT, strict=True)],
        {"floor_topup_fen": D_RESERVE, "reserve_kept_fen": 0, "reserve_released_fen": 0},
    ),
    "ceiling": (
        {"budget.reserve_use": "release", "point_value.ceiling": 1.0},
        [p + i for p, i in zip(A_PREPAID, D_CEILING, strict=True)],
        {
            "ceiling_surplus_fen": D_CEILING_SURPLUS,
            "reserve_released_fen": D_RESERVE - D_CEILING_SURPLUS,
            "reserve_kept_fen": 0,
        },
    ),
    "true-up": (
        {"settlement.true_up": True},
        [p + i for p, i in zip(A_PREPAID, D_TRUE_UP, strict=True)],
        {"reserve_kept_fen": D_RESERVE, "unpaid_withholding_fen": 0},
    ),
    "clearing, surplus kept, overrun from unpaid money and the reserve": (
        {
            "budget.reserve_use": "cover",
            "settlement.mode": "clearing",
            **{f"clearing.{k}": v for k, v in E_RULES.items()},
        },
        E_DECK["final"],
        {
            "overrun_shared_fen": E_DECK["overrun"],
            "reserve_overrun_fen": E_DECK["from_reserve"],
            "reserve_kept_fen": E_DECK["kept"],
            "unpaid_withholding_fen": 0,
        },
    ),
    "clearing, overrun pro rata, the reserve short": (
        {
            "budget.annual": 150000,
            "budget.reserve_use": "cover",
            "settlement.mode": "clearing",
            **{f"clearing.{k}": v for k, v in F_RULES.items()},
        },
        F_DECK["final"],
        {
            "overrun_shared_fen": F_DECK["overrun"],
            "reserve_overrun_fen": F_RESERVE,
            "reserve_kept_fen": 0,
            "unpaid_withholding_fen": 0,
        },
    ),
}


@pytest.fixture(scope="module")
def year_end_runs() -> dict[str, drgsim.Result]:
    golden = load_scenario(GOLDEN / "golden.yaml")
    return {
        name: drgsim.run(with_overrides(golden, change), variants=["baseline"])
        for name, (change, _, _) in YEAR_END_DECKS.items()
    }


@pytest.mark.parametrize("deck", YEAR_END_DECKS)
def test_each_year_end_design_pays_the_hand_computed_fen(year_end_runs, deck: str) -> None:
    _, final, columns = YEAR_END_DECKS[deck]
    run = year_end_runs[deck]
    assert by_hospital(run.settlement, "final_fen") == final
    ry = run.region_year.iloc[0]
    for column, want in columns.items():
        assert int(ry[column]) == want, column
    # where every fen went (spec §6): the parts add up to the budget
    parts = ("paid_fen", "reserve_kept_fen", "ceiling_surplus_fen", "unpaid_withholding_fen")
    assert int(ry["paid_fen"]) == sum(final)
    assert sum(int(ry[c]) for c in parts) == int(ry["budget_fen"])


# === (g) special review: one nomination approved, one rejected, settled to the fen ==============
#
# golden.yaml's variant `review` (pool, quota 1, min_ratio 1.5, approval 0.3): the panel approves
# H1's case 2 (IB19, 800 special-review points instead of 600 high) and rejects H1's case 11
# (ES23, stays high at 200); tests/test_golden.py draws both by hand. So March's points are
# H1 200 + 800 + 60 + 200 = 1260, H2 247.5, H3 120; April's are the baseline's: 200, 250, 200.
G_MONTHS = {
    3: settle_month(11_400_000, [F(1260), F(2475, 10), F(120)], [F(35000), F(8250), F(3250)]),
    4: settle_month(7_600_000, [F(200), F(250), F(200)], [F(10000), F(7500), F(5250)]),
}
# indicators do not look at points: the baseline's λ (D_LAMBDA); the reserve is kept, the pool
# Π = Σ withheld = 1 900 000 shared by W × λ
G_YEAR = settle_pool([(G_MONTHS[m][1], G_MONTHS[m][2]) for m in (3, 4)], D_LAMBDA)


def test_deck_g_literals() -> None:
    # March PV (114000 + 46500) / 1627.5 = 98.617…: allocations 8 925 806.45 → 8 925 807,
    # 1 615 783.41, 858 410.14; pre-paid 8 033 226, 1 454 205, 772 569
    assert G_MONTHS[3][1] == [8_925_807, 1_615_783, 858_410]
    assert G_MONTHS[3][2] == [8_033_226, 1_454_205, 772_569]
    assert G_YEAR["prepaid"] == [9_867_842, 4_197_474, 3_034_684]
    assert G_YEAR["withheld"] == [1_096_427, 466_386, 337_187]
    # W λ = 1 052 569.92, 539 615.64…, 387 098.44… (Σ 1 979 284.01…) → 1 900 000 × each / Σ =
    # 1 010 407.22, 518 000.31, 371 592.48 → floors 1 899 999, the fen to .48 (H3)
    assert G_YEAR["incentive"] == [1_010_407, 518_000, 371_593]
    assert G_YEAR["final"] == [10_878_249, 4_715_474, 3_406_277]
    assert sum(G_YEAR["final"]) == 19_000_000


@pytest.fixture(scope="module")
def review() -> SimpleNamespace:
    """The `review` variant's tables (the baseline runs beside it)."""
    result = drgsim.run(GOLDEN / "golden.yaml", cases=True, variants=["review"])
    return SimpleNamespace(
        **{
            name: getattr(result, name)[getattr(result, name)["variant"] == "review"]
            for name in ("cases", "settlement", "hospital_month")
        }
    )


def test_an_approved_and_a_rejected_nomination_settle_to_the_fen(review) -> None:
    cases = review.cases.set_index(review.cases["record_id"].astype(int))
    assert cases.loc[2, ["special", "case_class"]].tolist() == ["approved", "special"]
    assert cases.loc[11, ["special", "case_class"]].tolist() == ["rejected", "high"]
    st = review.settlement
    for column in ("prepaid", "withheld", "incentive", "final"):
        assert by_hospital(st, f"{column}_fen") == G_YEAR[column], column
    hm = review.hospital_month
    for m, (_, allocation, prepaid) in G_MONTHS.items():
        assert by_hospital(hm[hm["month"] == m], "allocation_fen") == allocation
        assert by_hospital(hm[hm["month"] == m], "prepaid_fen") == prepaid
