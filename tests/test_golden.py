"""Golden scenario: fifteen hand-written cases in three hospitals, settled by hand.

Like the CMS pricer's test deck, every expected number below is computed by hand from
the rules of docs/rules.md, written out as a literal with its arithmetic in a comment; nothing is
taken from drgsim's internals. The scenario is tests/golden/golden.yaml (pool mode, the
baseline) with a variant `repricing` (repricing mode and a 25% special-review quota).

Catalogue (tests/golden/catalogue.csv): every DRG costs 10000 yuan, so ā = 10000 whatever case
mix the loader synthesises; weights.overrides set the weights and ā_g = RW_g × ā:

    DRG   ADRG  RW   BP    ā_g    H (high threshold, by BP band)
    ES23  ES2   1    100   10000  3.0   (BP ≤ 100)
    ES25  ES2   0.5  50    5000   3.0
    FM19  FM1   2    200   20000  2.0   (100 < BP ≤ 300)
    IB19  IB1   4    400   40000  1.5   (BP > 300)
    XJ19  XJ1   1    100   10000  —     stable: false → special review

Hospitals: H1 tier 3 (K = 1.0), H2 tier 2 (K = 0.9), H3 tier 1 (K = 0.8).
Budget: 200000 yuan = 20 000 000 fen; reserve 5% = 1 000 000; available B = 19 000 000 fen;
month shares March 0.6, April 0.4 → B_3 = 11 400 000 fen, B_4 = 7 600 000 fen.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import drgsim
from drgsim.records.results import Result

GOLDEN = Path(__file__).resolve().parent / "golden"
REL = 1e-9
POOL, REPRICING = "baseline", "repricing"
HOSPITALS = ("H1", "H2", "H3")

#: spec §7: in April the remainders of H1 and H3 are both 7/13 fen; the tie goes to H1 (the
#: lower index), so H1 gets 2 038 462 fen and H3 2 513 461.


@pytest.fixture(scope="module")
def result() -> Result:
    """Both variants of the golden scenario, with the case table."""
    return drgsim.run(GOLDEN / "golden.yaml", cases=True)


def _rows(frame: pd.DataFrame, variant: str, **keys: object) -> pd.DataFrame:
    sel = frame[frame["variant"] == variant]
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    return sel


def _row(frame: pd.DataFrame, variant: str, **keys: object) -> pd.Series:
    sel = _rows(frame, variant, **keys)
    assert len(sel) == 1, f"expected one row for {variant} {keys}, got {len(sel)}"
    return sel.iloc[0]


# --- 1. catalogue -----------------------------------------------------------------------------


def test_the_catalogue_has_a_mean_cost_of_10000_and_the_negotiated_weights(result) -> None:
    # rw, BP = 100 × rw, ā_g = rw × ā with ā = 10000
    expected = {
        "ES23": (1.0, 100.0, 10000.0, True),
        "ES25": (0.5, 50.0, 5000.0, True),
        "FM19": (2.0, 200.0, 20000.0, True),
        "IB19": (4.0, 400.0, 40000.0, True),
        "XJ19": (1.0, 100.0, 10000.0, False),
    }
    for variant in (POOL, REPRICING):
        for drg, (rw, bp, cost, stable) in expected.items():
            row = _row(result.catalogue, variant, drg=drg)
            assert row["rw"] == pytest.approx(rw, rel=REL)
            assert row["base_points"] == pytest.approx(bp, rel=REL)
            assert row["ref_mean_cost_yuan"] == pytest.approx(cost, rel=REL)
            assert row["ref_mean_cost_yuan"] / row["rw"] == pytest.approx(10000.0, rel=REL)  # ā
            assert bool(row["stable"]) is stable


# --- 2. case classes and points ----------------------------------------------------------------

#: the table's case id (record_id) → (class, points, earlier stay of a readmission) in pool mode (quota 0.05: no
#: hospital has 20 cases in a month, so floor(0.05 × n) = 0 nominations).
CASES_POOL = {
    1: ("normal", 200.0, False),  # H1 FM19 20000: r = 20000/20000 = 1 → BP×K = 200×1.0
    2: ("high", 600.0, False),  # H1 IB19 80000: r = 2 > 1.5 → 400×1.0 + 400×(2 − 1.5) = 600
    3: ("low", 60.0, False),  # H1 ES23 6000, transfer after 1 day: r = 0.6 → min(100×0.6, 100)
    4: ("normal", 200.0, False),  # H1 FM19 24000: r = 1.2 → 200×1.0
    5: ("low", 15.0, False),  # H2 ES25 1500: r = 1500/5000 = 0.3 < 0.4 → 50×0.3
    6: ("normal", 22.5, True),  # H2 ES25 5000: r = 1 → 50×0.9 = 45; readmitted → 45 × 0.5
    7: ("normal", 90.0, False),  # H2 ES23 9000 (same patient, admitted day 76): r 0.9 → 100×0.9
    8: ("special", 120.0, False),  # H2 XJ19 (unstable) 12000 → 100 × 12000 / 10000
    9: ("normal", 40.0, False),  # H3 ES25 4000: r = 0.8 → 50×0.8
    10: ("low", 80.0, False),  # H3 ES23 9000, against advice after 2 days: min(100×0.9, 100×0.8)
    11: ("high", 200.0, False),  # H1 ES23 40000: r = 4 > 3 → 100×1.0 + 100×(4 − 3) = 200
    12: ("special", 70.0, False),  # H2 ungroupable 7000 → 100 × 7000 / 10000
    13: ("normal", 160.0, False),  # H3 FM19 16000: r = 0.8 → 200×0.8
    14: ("normal", 40.0, False),  # H3 ES25 5000 (P10 again, 17 days after case 10) → 50×0.8
    15: ("normal", 180.0, False),  # H2 FM19 18000, transfer after 3 days: r = 0.9 → 200×0.9
}
#: The repricing variant has quota 0.25: H1 has 4 cases in March → floor(0.25×4) = 1
#: nomination, its high case 2 (special 100×80000/10000 = 800 > 600). H1 has 1 case in April →
#: floor(0.25) = 0, so case 11 stays high.
CASES_REPRICING = {**CASES_POOL, 2: ("special", 800.0, False)}


def _case(result, variant: str, case_id: int) -> pd.Series:
    return _row(result.cases, variant, record_id=str(case_id))  # ids are text as given


def _check_case(result, variant: str, case_id: int) -> None:
    klass, points, readmit = (CASES_POOL if variant == POOL else CASES_REPRICING)[case_id]
    row = _case(result, variant, case_id)
    assert row["case_class"] == klass
    assert row["points"] == pytest.approx(points, rel=REL)
    assert bool(row["readmission"]) is readmit


def test_every_case_has_its_hand_computed_class_points_and_readmission_flag(result) -> None:
    for variant, table in ((POOL, CASES_POOL), (REPRICING, CASES_REPRICING)):
        assert sorted(_rows(result.cases, variant)["record_id"].astype(int)) == sorted(table)
        for case_id in table:
            _check_case(result, variant, case_id)


def test_a_case_in_its_normal_range_earns_base_points_times_the_tier_coefficient(result) -> None:
    for case_id in (1, 4, 9, 13, 14):
        _check_case(result, POOL, case_id)
        assert _case(result, POOL, case_id)["case_class"] == "normal"


def test_a_case_above_the_high_threshold_earns_the_excess_cost_on_top(result) -> None:
    for case_id in (2, 11):  # IB19 with H = 1.5 and ES23 with H = 3.0
        _check_case(result, POOL, case_id)
        assert _case(result, POOL, case_id)["case_class"] == "high"


def test_a_case_below_four_tenths_of_its_group_cost_is_priced_as_low_cost(result) -> None:
    _check_case(result, POOL, 5)
    assert _case(result, POOL, 5)["points"] == pytest.approx(50 * 1500 / 5000, rel=REL)


def test_a_transfer_out_within_two_days_is_priced_as_low_cost(result) -> None:
    row = _case(result, POOL, 3)
    assert (row["discharge"], row["los"]) == ("transfer", 1)  # transfer after one day
    _check_case(result, POOL, 3)  # r = 0.6 ≥ 0.4: low only because the stay is incomplete


def test_an_incomplete_stay_earns_at_most_base_points_times_the_coefficient(result) -> None:
    _check_case(result, POOL, 10)  # H3 left against advice on day 2: min(90, 80) = 80
    assert _case(result, POOL, 10)["points"] == pytest.approx(min(100 * 0.9, 100 * 0.8), rel=REL)


def test_a_transfer_after_more_than_two_days_is_priced_normally(result) -> None:
    _check_case(result, POOL, 15)


def test_an_unstable_group_and_an_ungroupable_case_go_to_special_review(result) -> None:
    for case_id in (8, 12):
        _check_case(result, POOL, case_id)
    assert _case(result, POOL, 12)["drg_billed"] == "0000"


def test_a_readmission_in_the_same_adrg_within_15_days_halves_the_earlier_stay(result) -> None:
    # P06 at H2: ES25 discharged day 68, ES23 (same ADRG ES2) admitted day 80 − 4 = 76 (gap 8).
    _check_case(result, POOL, 6)
    _check_case(result, POOL, 7)  # the later stay keeps its full points


def test_a_return_after_more_than_15_days_is_not_a_readmission(result) -> None:
    # P10 at H3: discharged day 78 (case 10), admitted again day 100 − 5 = 95: gap 17 > 15.
    for case_id in (10, 14):
        assert not bool(_case(result, POOL, case_id)["readmission"])


def test_within_its_quota_a_hospital_nominates_its_high_case_for_special_review(result) -> None:
    _check_case(result, REPRICING, 2)  # 800 points instead of 600
    _check_case(result, REPRICING, 11)  # April: 1 case × 0.25 → no nomination, stays high
    assert _case(result, REPRICING, 2)["special"] == "approved"  # approval 1
    assert _case(result, REPRICING, 11)["special"] == "none"
    assert _case(result, REPRICING, 8)["special"] == "automatic"  # unstable XJ19


# Special review as a reviewed process (spec §2), variant `review`: quota 1, min_ratio 1.5,
# approval 0.3, pool mode. Candidates (ratio ≥ 1.5, formula-priced): March H1 case 2 (IB19,
# r = 80000 / 40000 = 2; special 100 × 80000 / 10000 = 800 > formula 600), April H1 case 11
# (ES23, r = 4; special 400 > formula 200 + 0 = 100 + 100 × (4 − 3) = 200). No other claim has
# r ≥ 1.5. The panel draws u = uniform of kind SPECIAL_APPROVAL for the claim's case id in the
# month's audit stream, approving when u < 0.3.

_MASK = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    """SplitMix64's output function (Steele, Lea & Flood 2014), in Python integers."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _panel_draw(month: int, case_id: int) -> float:
    """The panel's draw for a case: counter (kind × 4 + 0) << 52 | case id in the month's stream."""
    from numpy.random import SeedSequence

    from drgsim.kernels.rng import Draw

    # the month's key: seed 7, replication 0, year 0, the audit stream (2)
    key = int(SeedSequence(7, spawn_key=(0, 0, month, 2)).generate_state(1, "uint64")[0])
    counter = ((int(Draw.SPECIAL_APPROVAL) * 4) << 52) | case_id
    z = _splitmix64((key + counter * 0x9E3779B97F4A7C15) & _MASK)
    return (z >> 11) / 2.0**53


def test_a_nominated_claim_whose_draw_is_below_the_approval_rate_is_priced_as_special(
    result,
) -> None:
    row = _case(result, "review", 2)
    assert _panel_draw(3, int(row["case_id"])) < 0.3  # the draw that approves it
    assert (row["special"], row["case_class"]) == ("approved", "special")
    assert row["points"] == pytest.approx(100 * 80000 / 10000, rel=REL)  # 800


def test_a_rejected_nomination_keeps_its_formula_class_and_points(result) -> None:
    row = _case(result, "review", 11)
    assert _panel_draw(4, int(row["case_id"])) >= 0.3  # the draw that rejects it
    assert (row["special"], row["case_class"]) == ("rejected", "high")
    assert row["points"] == pytest.approx(100 * 1.0 + 100 * (40000 / 10000 - 3.0), rel=REL)


def test_the_review_months_point_values_count_the_approved_claim_only(result) -> None:
    # March: 1427.5 pool points + (800 − 600) for case 2 = 1627.5; April unchanged: 650
    months = _rows(result.hospital_month, "review").groupby("month")
    pv = months["point_value"].first()
    assert pv[3] == pytest.approx((114000 + 46500) / 1627.5, rel=REL)
    assert pv[4] == pytest.approx((76000 + 22750) / 650, rel=REL)
    assert months["points"].sum()[3] == pytest.approx(1627.5, rel=REL)


# --- 3. budget -------------------------------------------------------------------------------


def test_the_budget_is_split_into_reserve_and_available_money(result) -> None:
    for variant in (POOL, REPRICING):
        row = _row(result.region_year, variant)
        assert int(row["budget_fen"]) == 20_000_000  # 200000 yuan × 100
        assert int(row["reserve_fen"]) == 1_000_000  # round(20 000 000 × 0.05)
        assert int(row["available_fen"]) == 19_000_000  # 20 000 000 − 1 000 000
        assert int(row["cases"]) == 15


# --- 4. monthly settlement -------------------------------------------------------------------

PV_MARCH_POOL = (114000 + 46500) / 1427.5  # (B_3 + Σ oop) / Σ points = 112.4343257…
PV_MARCH_REPRICING = (114000 + 46500) / 1627.5  # case 2 at 800: 98.6175115…
PV_APRIL = (76000 + 22750) / 650  # 151.9230769… = 1975/13

#: (variant, month, hospital) → (cases, points, oop yuan, point value, allocation, prepaid,
#: withheld). Allocation: largest remainder of (PV × P_h − oop_h) × 100 summing to B_m;
#: prepaid: largest remainder of 0.9 × A_h summing to round(0.9 × B_m); withheld = A − prepaid.
HOSPITAL_MONTH = {
    # March, pool: points H1 200+600+60+200 = 1060, H2 15+22.5+90+120 = 247.5, H3 40+80 = 120.
    # Exact A: H1 8418038.529, H2 1957749.562, H3 1024211.909; floors sum to 11399998, the 2
    # missing fen go to H3 (.909) and H2 (.562). Prepaid total 0.9 × 11 400 000 = 10 260 000;
    # 0.9 × A = 7576234.2, 1761975.0, 921790.8 → the 1 missing fen goes to H3 (.8).
    (POOL, 3, "H1"): (4, 1060.0, 35000.0, PV_MARCH_POOL, 8418038, 7576234, 841804),
    (POOL, 3, "H2"): (4, 247.5, 8250.0, PV_MARCH_POOL, 1957750, 1761975, 195775),
    (POOL, 3, "H3"): (2, 120.0, 3250.0, PV_MARCH_POOL, 1024212, 921791, 102421),
    # April (same in both modes): points H1 200, H2 70+180 = 250, H3 160+40 = 200.
    # Exact A: H1 2038461 + 7/13, H2 3048076 + 12/13, H3 2513461 + 7/13; floors sum 7599998,
    # the 2 missing fen go to H2 (12/13) and to H1 (tie 7/13 with H3 → lower index).
    # Prepaid total 6 840 000; 0.9 × A = 1834615.8, 2743269.3, 2262114.9 → floors sum 6839998,
    # the 2 missing fen go to H3 (.9) and H1 (.8).
    (POOL, 4, "H1"): (1, 200.0, 10000.0, PV_APRIL, 2038462, 1834616, 203846),
    (POOL, 4, "H2"): (2, 250.0, 7500.0, PV_APRIL, 3048077, 2743269, 304808),
    (POOL, 4, "H3"): (2, 200.0, 5250.0, PV_APRIL, 2513461, 2262115, 251346),
    # March, repricing variant: H1 200+800+60+200 = 1260, total 1627.5.
    # Exact A: H1 8925806.452, H2 1615783.410, H3 858410.138; floors sum 11399999, the fen
    # goes to H1 (.452). 0.9 × A = 8033226.3, 1454204.7, 772569.0 → the fen goes to H2 (.7).
    (REPRICING, 3, "H1"): (4, 1260.0, 35000.0, PV_MARCH_REPRICING, 8925807, 8033226, 892581),
    (REPRICING, 3, "H2"): (4, 247.5, 8250.0, PV_MARCH_REPRICING, 1615783, 1454205, 161578),
    (REPRICING, 3, "H3"): (2, 120.0, 3250.0, PV_MARCH_REPRICING, 858410, 772569, 85841),
    (REPRICING, 4, "H1"): (1, 200.0, 10000.0, PV_APRIL, 2038462, 1834616, 203846),
    (REPRICING, 4, "H2"): (2, 250.0, 7500.0, PV_APRIL, 3048077, 2743269, 304808),
    (REPRICING, 4, "H3"): (2, 200.0, 5250.0, PV_APRIL, 2513461, 2262115, 251346),
}


def _month_params() -> list:
    return [pytest.param(*k, id=f"{k[0]}-m{k[1]}-{k[2]}") for k in HOSPITAL_MONTH]


@pytest.mark.parametrize(("variant", "month", "hospital"), [k for k in HOSPITAL_MONTH])
def test_each_hospital_month_has_the_hand_computed_points_and_point_value(
    result, variant: str, month: int, hospital: str
) -> None:
    cases, points, oop, pv, *_ = HOSPITAL_MONTH[(variant, month, hospital)]
    row = _row(result.hospital_month, variant, month=month, hospital=hospital)
    assert int(row["cases"]) == cases
    assert row["points"] == pytest.approx(points, rel=REL)
    assert row["oop_yuan"] == pytest.approx(oop, rel=REL)
    assert row["point_value"] == pytest.approx(pv, rel=REL)


@pytest.mark.parametrize(("variant", "month", "hospital"), _month_params())
def test_each_hospital_month_is_allocated_prepaid_and_withheld_to_the_fen(
    result, variant: str, month: int, hospital: str
) -> None:
    *_, allocation, prepaid, withheld = HOSPITAL_MONTH[(variant, month, hospital)]
    row = _row(result.hospital_month, variant, month=month, hospital=hospital)
    got = (int(row["allocation_fen"]), int(row["prepaid_fen"]), int(row["withheld_fen"]))
    assert got == (allocation, prepaid, withheld)


def test_equal_allocation_remainders_go_to_the_hospital_listed_first(result) -> None:
    april = _rows(result.hospital_month, POOL, month=4).set_index("hospital")
    assert april.loc["H1", "allocation_fen"] == 2038462  # 2038461 + 7/13, wins the tie
    assert april.loc["H3", "allocation_fen"] == 2513461  # 2513461 + 7/13


def test_each_month_allocates_exactly_its_budget_and_prepays_ninety_percent(result) -> None:
    budgets = {3: 11_400_000, 4: 7_600_000}  # 19 000 000 × 0.6 and × 0.4
    for variant in (POOL, REPRICING):
        for month, budget in budgets.items():
            rows = _rows(result.hospital_month, variant, month=month)
            assert int(rows["allocation_fen"].sum()) == budget
            assert int(rows["prepaid_fen"].sum()) == round(0.9 * budget)
        others = _rows(result.hospital_month, variant)
        others = others[~others["month"].isin([3, 4])]
        assert len(others) == 30 and int(others["cases"].sum()) == 0
        assert int(others["allocation_fen"].sum()) == 0


# --- 5. indicators, score and incentive coefficient ---------------------------------------------

# Grouped cases by billed DRG (the ungroupable case 12 is left out):
#   FM19: H1 20000/8d, 24000/6d; H2 18000/3d; H3 16000/6d → mean 19500 yuan, 23/4 = 5.75 days
#   IB19: H1 80000/20d only → ratio 1
#   ES23: H1 6000/1d, 40000/10d; H2 9000/4d; H3 9000/2d → mean 16000 yuan, 17/4 = 4.25 days
#   ES25: H2 1500/5d, 5000/7d; H3 4000/4d, 5000/5d → mean 3875 yuan, 21/4 = 5.25 days
#   XJ19: H2 12000/3d only → ratio 1
CEI = {
    "H1": (2 * 22000 / 19500 + 1 * 1 + 2 * 23000 / 16000) / 5,  # 1913/1560 = 1.22628…
    "H2": (2 * 3250 / 3875 + 9000 / 16000 + 1 + 18000 / 19500) / 5,  # 0.83260…
    "H3": (2 * 4500 / 3875 + 9000 / 16000 + 16000 / 19500) / 4,  # 0.92640…
}
TEI = {
    "H1": (2 * 7 / 5.75 + 1 + 2 * 5.5 / 4.25) / 5,  # 1.20460…
    "H2": (2 * 6 / 5.25 + 4 / 4.25 + 1 + 3 / 5.75) / 5,  # 0.94973…
    "H3": (2 * 4.5 / 5.25 + 2 / 4.25 + 6 / 5.75) / 4,  # 0.80709…
}
CMI = {
    "H1": (2 + 4 + 1 + 2 + 1) / 5,  # FM19, IB19, ES23, FM19, ES23
    "H2": (0.5 + 0.5 + 1 + 1 + 2) / 5,  # ES25, ES25, ES23, XJ19, FM19
    "H3": (0.5 + 1 + 2 + 0.5) / 4,  # ES25, ES23, FM19, ES25
}


def _part(x: float, best: float, worst: float) -> float:
    return min(max((worst - x) / (worst - best), 0.0), 1.0)


# S = 40·part(CEI) + 20·part(TEI) + 30·1 (no reviews: violation rate 0) + 10·1 (no referrals)
SCORE = {
    h: 40 * _part(CEI[h], 0.8, 1.2) + 20 * _part(TEI[h], 0.8, 1.2) + 30 + 10 for h in HOSPITALS
}
# H1: both efficiency indices above 1.2 → 0 + 0 + 30 + 10 = 40; H2 ≈ 89.2538; H3 ≈ 87.0058
LAMBDA = {h: 0.8 + (1.2 - 0.8) * SCORE[h] / 100 for h in HOSPITALS}  # H1 0.96, H2 ≈ 1.157015


@pytest.mark.parametrize("variant", [POOL, REPRICING])
@pytest.mark.parametrize("hospital", HOSPITALS)
def test_each_hospital_has_the_hand_computed_indicators_score_and_coefficient(
    result, variant: str, hospital: str
) -> None:
    row = _row(result.settlement, variant, hospital=hospital)
    assert row["cmi"] == pytest.approx(CMI[hospital], rel=REL)
    assert row["cei"] == pytest.approx(CEI[hospital], rel=REL)
    assert row["tei"] == pytest.approx(TEI[hospital], rel=REL)
    assert row["violation_rate"] == 0.0
    assert row["referral_out_high"] == 0.0
    assert row["score"] == pytest.approx(SCORE[hospital], rel=REL)
    assert row["coefficient"] == pytest.approx(LAMBDA[hospital], rel=REL)


def test_the_hand_computed_score_of_the_least_efficient_hospital_is_forty(result) -> None:
    assert SCORE["H1"] == 40.0 and LAMBDA["H1"] == pytest.approx(0.96)
    assert _row(result.settlement, POOL, hospital="H1")["score"] == pytest.approx(40.0, rel=REL)


# --- 6. year end -------------------------------------------------------------------------------

#: Yearly cases, points, patient-paid and true cost per hospital (both variants but points).
YEAR = {
    "H1": (5, 35000 + 10000, 20000 + 80000 + 6000 + 24000 + 40000),  # oop 45000, cost 170000
    "H2": (6, 8250 + 7500, 1500 + 5000 + 9000 + 12000 + 7000 + 18000),  # 15750, 52500
    "H3": (4, 3250 + 5250, 4000 + 9000 + 16000 + 5000),  # 8500, 34000
}
POINTS = {
    POOL: {"H1": 1060 + 200, "H2": 247.5 + 250, "H3": 120 + 200},  # 1260, 497.5, 320
    REPRICING: {"H1": 1260 + 200, "H2": 247.5 + 250, "H3": 120 + 200},  # 1460, 497.5, 320
}

#: Pool mode. prepaid = March + April, withheld likewise:
#:   H1 7576234 + 1834616 = 9410850, withheld 841804 + 203846 = 1045650
#:   H2 1761975 + 2743269 = 4505244, withheld 195775 + 304808 = 500583
#:   H3 921791 + 2262115 = 3183906,  withheld 102421 + 251346 = 353767
#: Pool Π = 1045650 + 500583 + 353767 = 1 900 000 (no deductions); incentive ∝ W_h λ_h:
#:   exact 958839.896, 553226.354, 387932.750 → floors sum 1899997, one fen to each.
#: final = prepaid + incentive: H1 10369690, H2 5058471, H3 3571839 (Σ 19 000 000).
#: margin = final/100 + oop − cost: H1 103696.90 + 45000 − 170000 = −21303.10,
#:   H2 50584.71 + 15750 − 52500 = 13834.71, H3 35718.39 + 8500 − 34000 = 10218.39.
POOL_YEAR = {
    # hospital: (prepaid, withheld, incentive, deduction, final, margin)
    "H1": (9410850, 1045650, 958840, 0, 10369690, -21303.10),
    "H2": (4505244, 500583, 553227, 0, 5058471, 13834.71),
    "H3": (3183906, 353767, 387933, 0, 3571839, 10218.39),
}

#: Repricing mode. prepaid: H1 8033226 + 1834616 = 9867842, H2 1454205 + 2743269 = 4197474,
#:   H3 772569 + 2262115 = 3034684; withheld: H1 892581 + 203846 = 1096427,
#:   H2 161578 + 304808 = 466386, H3 85841 + 251346 = 337187.
#: PV_y = (190000 + 69250) / 2277.5 = 113.83095…; entitlement exact (PV_y × P_h − oop_h) × 100:
#:   H1 12119318.43, H2 4088090.01, H3 2792590.56 → floors sum 18999998, fen to H3 and H1:
#:   E = 12119319, 4088090, 2792591.
#: final = round(E × (0.9 + 0.1 × λ_h / λ_H2)) (H2 has the largest λ):
#:   H1 11912952.73 → 11912953, H2 4088090, H3 2790420.66 → 2790421 (Σ 18 791 464).
#: incentive (top-up) = final − prepaid: 2045111, −109384, −244263.
#: margin: H1 119129.53 + 45000 − 170000 = −5870.47, H2 40880.90 + 15750 − 52500 = 4130.90,
#:   H3 27904.21 + 8500 − 34000 = 2404.21.
REPRICING_YEAR = {
    # hospital: (prepaid, withheld, incentive, deduction, final, margin)
    "H1": (9867842, 1096427, 2045111, 0, 11912953, -5870.47),
    "H2": (4197474, 466386, -109384, 0, 4088090, 4130.90),
    "H3": (3034684, 337187, -244263, 0, 2790421, 2404.21),
}


def _year(variant: str) -> dict:
    return POOL_YEAR if variant == POOL else REPRICING_YEAR


def _hosp_params(variants: tuple[str, ...]) -> list:
    return [pytest.param(v, h, id=f"{v}-{h}") for v in variants for h in HOSPITALS]


@pytest.mark.parametrize(("variant", "hospital"), _hosp_params((POOL, REPRICING)))
def test_each_hospitals_year_totals_of_cases_points_and_patient_payments(
    result, variant: str, hospital: str
) -> None:
    cases, oop, cost = YEAR[hospital]
    row = _row(result.settlement, variant, hospital=hospital)
    assert int(row["cases"]) == cases
    assert row["points"] == pytest.approx(POINTS[variant][hospital], rel=REL)
    assert row["deducted_points"] == 0.0
    assert row["oop_yuan"] == pytest.approx(oop, rel=REL)
    assert row["true_cost_yuan"] == pytest.approx(cost, rel=REL)


@pytest.mark.parametrize(("variant", "hospital"), _hosp_params((POOL, REPRICING)))
def test_each_hospitals_yearly_prepayment_is_the_sum_of_its_months(
    result, variant: str, hospital: str
) -> None:
    row = _row(result.settlement, variant, hospital=hospital)
    assert int(row["prepaid_fen"]) == _year(variant)[hospital][0]


@pytest.mark.parametrize(("variant", "hospital"), _hosp_params((POOL, REPRICING)))
def test_each_hospitals_yearly_withholding_is_the_sum_of_its_months(
    result, variant: str, hospital: str
) -> None:
    row = _row(result.settlement, variant, hospital=hospital)
    assert int(row["withheld_fen"]) == _year(variant)[hospital][1]
    assert int(row["deduction_fen"]) == 0


@pytest.mark.parametrize("hospital", HOSPITALS)
def test_the_pool_is_shared_by_withheld_money_times_the_coefficient(result, hospital) -> None:
    row = _row(result.settlement, POOL, hospital=hospital)
    assert int(row["incentive_fen"]) == POOL_YEAR[hospital][2]


@pytest.mark.parametrize(("variant", "hospital"), _hosp_params((POOL,)))
def test_in_pool_mode_the_final_payment_is_prepayment_plus_incentive(
    result, variant: str, hospital: str
) -> None:
    *_, final, margin = POOL_YEAR[hospital]
    row = _row(result.settlement, variant, hospital=hospital)
    assert int(row["final_fen"]) == final
    assert row["margin_yuan"] == pytest.approx(margin, abs=1e-6)


@pytest.mark.parametrize("hospital", HOSPITALS)
def test_in_repricing_mode_the_entitlement_is_paid_scaled_by_the_coefficient(
    result, hospital: str
) -> None:
    *_, final, margin = REPRICING_YEAR[hospital]
    row = _row(result.settlement, REPRICING, hospital=hospital)
    assert int(row["final_fen"]) == final
    assert row["margin_yuan"] == pytest.approx(margin, abs=1e-6)


@pytest.mark.parametrize(("variant", "hospital"), _hosp_params((REPRICING,)))
def test_in_repricing_mode_the_top_up_is_final_payment_minus_prepayment(
    result, variant: str, hospital: str
) -> None:
    row = _row(result.settlement, variant, hospital=hospital)
    assert int(row["incentive_fen"]) == REPRICING_YEAR[hospital][2]


def test_in_pool_mode_the_whole_available_budget_is_paid_out(result) -> None:
    row = _row(result.region_year, POOL)
    assert row["point_value"] == pytest.approx((190000 + 69250) / 2077.5, rel=REL)  # 124.789…
    assert row["points"] == pytest.approx(1260 + 497.5 + 320, rel=REL)  # 2077.5
    assert int(row["paid_fen"]) == 19_000_000  # 10369690 + 5058471 + 3571839
    assert int(row["retained_fen"]) == 0


def test_in_repricing_mode_the_fund_keeps_what_the_coefficients_do_not_pay(result) -> None:
    row = _row(result.region_year, REPRICING)
    assert row["point_value"] == pytest.approx((190000 + 69250) / 2277.5, rel=REL)  # 113.831…
    assert row["points"] == pytest.approx(1460 + 497.5 + 320, rel=REL)  # 2277.5
    assert int(row["paid_fen"]) == 18_791_464  # 11912953 + 4088090 + 2790421
    assert int(row["retained_fen"]) == 208_536  # 19 000 000 − 18 791 464
