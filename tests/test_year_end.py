"""Year-end settlement v2 (spec §5–§6) on hand-computed cases, every fen written out.

Three hospitals A, B, C; 1 000 yuan (100 000 fen) available; the months' pre-payments and
withholdings are given (their sum is the available budget); the ledger books the months and the
year end and must close on each settlement's numbers.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

import drgsim
from drgsim.engine.books import YearBooks
from drgsim.rules.money import FUND, HOSPITALS, POOL, Transfer
from drgsim.rules.settlement import YearClaims, YearResult, settle_year
from drgsim.scenario.loader import load_scenario, with_overrides
from drgsim.scenario.schema import Clearing, Settlement

GOLDEN = Path(__file__).resolve().parent / "golden"
AVAILABLE = 100_000
POINTS = np.array([300.0, 100.0, 100.0])
PREPAID = np.array([45_000, 18_000, 17_000])
WITHHELD = np.array([9_000, 5_000, 6_000])  # Σ prepaid + Σ withheld = 100 000


def claims(
    lam: list[float],
    oop: list[float] | None = None,
    deducted: list[float] | None = None,
    charges: list[float] | None = None,
    prepaid: np.ndarray = PREPAID,
    withheld: np.ndarray = WITHHELD,
) -> YearClaims:
    return YearClaims(
        AVAILABLE,
        POINTS,
        np.array(deducted or [0.0, 0.0, 0.0]),
        np.array(oop or [0.0, 0.0, 0.0]),
        prepaid,
        withheld,
        np.array(lam),
        None if charges is None else np.array(charges),
    )


def closed(year: YearClaims, res: YearResult) -> int:
    """Book the months and the year end; the books must close; the fen the fund keeps."""
    books = YearBooks(2021, AVAILABLE, 0, len(year.points))
    books.book(
        [
            Transfer.of(FUND, HOSPITALS, year.prepaid_fen, "prepay"),
            Transfer.of(FUND, POOL, int(year.withheld_fen.sum()), "withhold"),
        ]
    )
    books.book(res.transfers)
    return books.close(res)


# --- pool with true-up ----------------------------------------------------------------------------
def test_true_up_weights_the_pool_by_outstanding_entitlement_times_the_coefficient() -> None:
    year = claims([1.0, 1.2, 0.8], oop=[100.0, 0.0, 0.0])
    res = settle_year(year, Settlement(mode="pool", true_up=True))
    # PV = (1000 + 100 yuan) / 500 points = 2.2 yuan; E = 2.2 × 300 − 100 = 560 yuan, 220, 220
    # → 56 000, 22 000, 22 000 fen; outstanding E − prepaid = 11 000, 4 000, 5 000;
    # × λ 1.0, 1.2, 0.8 = 11 000, 4 800, 4 000 (Σ 19 800); pool Π = 20 000 withheld:
    # 20000 × 11000/19800 = 11 111.11…, × 4800/19800 = 4 848.48…, × 4000/19800 = 4 040.40…
    # → floors 19 999, the missing fen to the largest remainder (.48: B)
    assert res.incentive_fen.tolist() == [11_111, 4_849, 4_040]
    assert res.final_fen.tolist() == [45_000 + 11_111, 18_000 + 4_849, 17_000 + 4_040]
    assert closed(year, res) == 0 == res.retained_fen


def test_without_true_up_the_same_year_goes_by_withheld_money_times_the_coefficient() -> None:
    year = claims([1.0, 1.2, 0.8], oop=[100.0, 0.0, 0.0])
    res = settle_year(year, Settlement(mode="pool"))
    # W λ = 9 000, 6 000, 4 800 (Σ 19 800): 20000 × 9000/19800 = 9 090.90…, 6 060.60…, 4 848.48…
    # → floors 19 998, 2 fen to .90 (A) and .60 (B)
    assert res.incentive_fen.tolist() == [9_091, 6_061, 4_848]
    assert closed(year, res) == 0


def test_true_up_gives_no_weight_to_a_hospital_already_paid_its_entitlement() -> None:
    # A was pre-paid 60 000 of its 56 000 entitlement (a seasonal month budget): weight 0
    year = claims(
        [1.0, 1.0, 1.0],
        oop=[100.0, 0.0, 0.0],
        prepaid=np.array([60_000, 10_000, 10_000]),
        withheld=np.array([6_000, 7_000, 7_000]),
    )
    res = settle_year(year, Settlement(mode="pool", true_up=True))
    # outstanding 56 000 − 60 000 < 0 → 0; 22 000 − 10 000 = 12 000 each: 10 000 fen each
    assert res.incentive_fen.tolist() == [0, 10_000, 10_000]
    assert res.final_fen.tolist() == [60_000, 20_000, 20_000]
    assert closed(year, res) == 0


# --- deductions: never back to the offender; or kept by the fund ---------------------------------
def test_an_offenders_deduction_is_shared_among_the_other_hospitals_only() -> None:
    year = claims([1.0, 1.0, 1.0], deducted=[50.0, 0.0, 0.0])
    res = settle_year(year, Settlement(mode="pool"))
    # PV = 1000 yuan / 500 points = 2 yuan; A's deduction 50 × 2 = 100 yuan = 10 000 fen.
    # Withheld 20 000 by W λ 9 000 : 5 000 : 6 000 → 9 000, 5 000, 6 000; A's 10 000 among B and
    # C by 5 000 : 6 000 → 4 545.45…, 5 454.54…; totals 9 000, 9 545.45…, 11 454.54… → floors
    # 29 999, the missing fen to .54 (C). (v1 gave A 9/20 of its own deduction back.)
    assert res.deduction_fen.tolist() == [10_000, 0, 0]
    assert res.incentive_fen.tolist() == [9_000, 9_545, 11_455]
    assert res.final_fen.tolist() == [45_000 + 9_000 - 10_000, 18_000 + 9_545, 17_000 + 11_455]
    assert closed(year, res) == 0


def test_with_true_up_an_offenders_deduction_is_taken_once() -> None:
    year = claims([1.0, 1.0, 1.0], deducted=[50.0, 0.0, 0.0])
    res = settle_year(year, Settlement(mode="pool", true_up=True))
    # PV_y = 1000 yuan / 500 points = 2 yuan; A's deduction 50 × 2 = 100 yuan = 10 000 fen.
    # Outstanding before the deduction: A 300 × 2 × 100 − 45 000 = 15 000, B 20 000 − 18 000 =
    # 2 000, C 20 000 − 17 000 = 3 000 (Σ 20 000, the withheld money): 15 000, 2 000, 3 000;
    # A's 10 000 among B and C by 2 000 : 3 000 → 4 000, 6 000.
    assert res.deduction_fen.tolist() == [10_000, 0, 0]
    assert res.incentive_fen.tolist() == [15_000, 6_000, 9_000]
    # A ends at PV_y × (300 − 50) = 500 yuan: its 50 points taken once. (Weighted by the
    # entitlement net of the deduction, 5 000 : 2 000 : 3 000, A got 10 000 from the pool and
    # ended at 45 000 fen: its deduction taken one and a half times.)
    assert res.final_fen.tolist() == [50_000, 20_000 + 4_000, 20_000 + 6_000]
    assert closed(year, res) == 0


def test_with_deductions_to_fund_the_fund_keeps_the_deducted_money() -> None:
    year = claims([1.0, 1.0, 1.0], deducted=[50.0, 0.0, 0.0])
    res = settle_year(year, Settlement(mode="pool"), deductions_to="fund")
    # the pool is the withheld 20 000 only: 9 000, 5 000, 6 000; A pays its 10 000 to the fund
    assert res.incentive_fen.tolist() == [9_000, 5_000, 6_000]
    assert res.final_fen.tolist() == [45_000 + 9_000 - 10_000, 23_000, 23_000]
    assert res.retained_fen == 10_000
    assert closed(year, res) == 10_000  # 90 000 paid + 10 000 kept = 100 000


def test_a_lone_offender_gets_nothing_back_and_the_fund_keeps_its_deduction() -> None:
    year = YearClaims(
        AVAILABLE,
        np.array([500.0]),
        np.array([50.0]),
        np.zeros(1),
        np.array([90_000]),
        np.array([10_000]),
        np.array([1.0]),
    )
    res = settle_year(year, Settlement(mode="pool"))
    # PV 1000 / 500 = 2 yuan → deduction 10 000 fen; no other hospital to take it: kept
    assert res.incentive_fen.tolist() == [10_000]
    assert res.final_fen.tolist() == [90_000 + 10_000 - 10_000]
    books = YearBooks(2021, AVAILABLE, 0, 1)
    books.book([Transfer.of(FUND, HOSPITALS, year.prepaid_fen, "p")])
    books.book([Transfer.of(FUND, POOL, 10_000, "w")])
    books.book(res.transfers)
    assert books.close(res) == 10_000


# --- clearing: surplus retention and overrun sharing ----------------------------------------------
CLEARING = Settlement(mode="clearing", prepay_share=0.9)
PREPAID_C = np.array([54_000, 18_000, 18_000])
WITHHELD_C = np.array([6_000, 2_000, 2_000])


def test_clearing_keeps_half_the_surplus_and_shares_an_overrun_above_the_floor() -> None:
    year = claims(
        [1.2, 1.2, 0.9], charges=[499.99, 250.0, 210.0], prepaid=PREPAID_C, withheld=WITHHELD_C
    )
    rules = Clearing(surplus_keep=0.5, overrun_floor=0.85, overrun_share=0.5)
    res = settle_year(year, CLEARING, rules)
    # PV = 1000 / 500 = 2 yuan; E = 60 000, 20 000, 20 000 fen; F' = E × (0.9 + 0.1 λ/1.2):
    # 60 000, 20 000, 20 000 × 0.975 = 19 500. Fund-eligible charges C = 49 999, 25 000, 21 000.
    # A: ρ = 60000/49999 ≥ 1 → 49 999 + 0.5 × 10 001 = 49 999 + 5 000 (5 000.5, half to even)
    # B: ρ = 0.8 < 0.85 → 20 000. C: ρ = 19500/21000 = 0.93 → + 0.5 × 1 500 = 750, from the
    # fund's 100 000 − (54 999 + 20 000 + 19 500) = 5 501: enough
    assert res.final_fen.tolist() == [54_999, 20_000, 20_250]
    assert res.retained_fen == 100_000 - 95_249
    assert closed(year, res) == 4_751


def test_clearing_shares_overruns_pro_rata_when_the_fund_is_short() -> None:
    year = claims(
        [1.0, 1.0, 1.0],
        oop=[0.0, 0.0, 60.0],
        charges=[530.0, 265.0, 250.0],
        prepaid=PREPAID_C,
        withheld=WITHHELD_C,
    )
    rules = Clearing(surplus_keep=0.5, overrun_floor=0.8, overrun_share=1.0)
    res = settle_year(year, CLEARING, rules)
    # PV = (1000 + 60) / 500 = 2.12 yuan; E = 636 − 0, 212, 212 − 60 → 63 600, 21 200, 15 200 fen
    # = F' (every λ is the top). C = 53 000, 26 500, 250 − 60 = 190 yuan → 19 000.
    # A: surplus 10 600, keeps half → 58 300; the fund keeps 100 000 − 58 300 − 21 200 − 15 200
    # = 5 300. B: ρ = 0.8 (the floor counts) → needs 5 300; C: ρ = 0.8 → needs 3 800; Σ 9 100
    # > 5 300: pro rata 5300 × 5300/9100 = 3 086.81…, 5300 × 3800/9100 = 2 213.18… → floors
    # 5 299, the missing fen to .81 (B)
    assert res.final_fen.tolist() == [58_300, 21_200 + 3_087, 15_200 + 2_213]
    assert res.retained_fen == 0
    assert closed(year, res) == 0


def test_clearing_with_the_default_rules_pays_the_scaled_entitlement() -> None:
    year = claims(
        [1.2, 1.2, 0.9], charges=[100.0, 900.0, 900.0], prepaid=PREPAID_C, withheld=WITHHELD_C
    )
    res = settle_year(year, CLEARING)  # surplus_keep 1, overrun_share 0: F = F'
    assert res.final_fen.tolist() == [60_000, 20_000, 19_500]
    assert closed(year, res) == 500


def test_repricing_is_read_as_clearing(tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("extends: shanwei\nsettlement: {mode: repricing}\n", encoding="utf-8")
    assert load_scenario(path).settlement.mode == "clearing"


# --- indicators against peers of the same tier --------------------------------------------------
def test_cei_and_tei_compare_a_hospital_with_its_own_tier() -> None:
    """tests/golden/two_years.yaml, 2021, with incentive.peers: tier (the deck itself uses city).

    H1 and H2 are tier 3, H3 tier 2 (alone: CEI = TEI = 1). Tier 3's cases: FM19 H1 24000 yuan
    8 d, H2 18000 6 d (mean 21000, 7 d); ES23 H2 10500 4 d, H1 12000 5 d (mean 11250, 4.5 d).
    """
    golden = GOLDEN / "two_years.yaml"
    scn = with_overrides(load_scenario(golden), {"incentive.peers": "tier"})
    st = drgsim.run(scn, variants=["baseline"]).settlement
    st = st[st["year"] == 2021].set_index("hospital")
    cei = [(F(24000, 21000) + F(12000, 11250)) / 2, (F(18000, 21000) + F(10500, 11250)) / 2, F(1)]
    tei = [(F(8, 7) + F(5, F(9, 2))) / 2, (F(6, 7) + F(4, F(9, 2))) / 2, F(1)]

    def part(x: F) -> F:  # best 0.8, worst 1.2
        return min(max((F(12, 10) - x) / F(4, 10), F(0)), F(1))

    # no audit, no refusals: violation and referral score their full 30 + 10
    lam = [
        F(8, 10) + F(4, 10) * (40 * part(c) + 20 * part(t) + 40) / 100
        for c, t in zip(cei, tei, strict=True)
    ]
    # H1: CEI (8/7 + 16/15)/2 = 1.10476, TEI (8/7 + 10/9)/2 = 1.12698 → S = 40 × 0.23810
    # + 20 × 0.18254 + 40 = 53.175 → λ 1.0127; H2: CEI (6/7 + 14/15)/2 = 0.89524, TEI (6/7 +
    # 8/9)/2 = 0.87302 → S = 30.476 + 16.349 + 40 = 86.825 → 1.1473; H3, alone in its tier:
    # S = 20 + 10 + 40 = 70 → λ = 1.08
    assert [round(float(x), 4) for x in lam] == [1.0127, 1.1473, 1.08]
    for h, want_cei, want_tei, want_lam in zip(("H1", "H2", "H3"), cei, tei, lam, strict=True):
        assert st.loc[h, "cei"] == pytest.approx(float(want_cei), rel=1e-12)
        assert st.loc[h, "tei"] == pytest.approx(float(want_tei), rel=1e-12)
        assert st.loc[h, "coefficient"] == pytest.approx(float(want_lam), rel=1e-12)


def test_on_the_shanwei_baseline_no_tier_is_rewarded_for_being_a_tier() -> None:
    """City peers: tier-1 hospitals' mean λ 1.15, tier 3's 1.02 (cheaper cases of simpler
    patients scored as efficiency); tier peers: every tier's mean within 0.02 of the others."""
    scn = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "shanwei.yaml")
    spread = {}
    for peers in ("tier", "city"):
        one = with_overrides(scn, {"incentive.peers": peers, "replications": 1})
        run = drgsim.run(one, variants=["baseline"])
        st = run.settlement[run.settlement["replication"] == 0]
        means = st.groupby("tier")["coefficient"].mean()
        spread[peers] = float(means.max() - means.min())
    assert spread["tier"] < 0.02 < 0.1 < spread["city"]
