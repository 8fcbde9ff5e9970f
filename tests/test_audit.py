"""The audit of spec v2 §5: screening, sampling, targeted inspection, suspension, audit.parquet."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import drgsim
from drgsim.acts import ACT
from drgsim.engine.books import YearBooks
from drgsim.rules import audit, risk
from drgsim.rules.money import FUND, HOSPITALS, POOL, Transfer, share_fen
from drgsim.rules.settlement import YearClaims, settle_year
from drgsim.rules.suspension import suspend, suspended
from drgsim.scenario.loader import load_scenario
from drgsim.scenario.schema import Audit, Screening, Settlement, Suspension

UP, SPLIT, PHANTOM, UNDER = (
    ACT[k].bit for k in ("upcoding", "splitting", "phantom", "underservice")
)
KEY = 0x5EED


def within_binomial(hits: int, n: int, p: float, z: float = 5.0) -> bool:
    """Whether `hits` of `n` lies within z standard deviations of n × p."""
    return abs(hits - n * p) <= z * math.sqrt(n * p * (1 - p)) + 1


# --- smart screening: recall per act, false alarms on honest claims ------------------------------
def test_screening_flags_each_act_at_its_recall_and_honest_claims_at_the_false_alarm_rate() -> None:
    n = 200_000
    groups = [UP, SPLIT, PHANTOM, UNDER, 0, UP | SPLIT, ACT["induced"].bit]
    acts = np.repeat(np.array(groups, dtype=np.uint8), n)
    case_id = np.arange(acts.shape[0])
    cfg = Screening()  # recall upcoding 0.3, split 0.4, phantom 0.2, underservice 0.05; 0.005
    hit = audit.screen(acts, case_id, cfg, KEY)
    rate = {g: int(hit[acts == g].sum()) for g in groups}
    assert within_binomial(rate[UP], n, 0.3)
    assert within_binomial(rate[SPLIT], n, 0.4)
    assert within_binomial(rate[PHANTOM], n, 0.2)
    assert within_binomial(rate[UNDER], n, 0.05)
    assert within_binomial(rate[0], n, 0.005)
    # two acts, two independent rules: flagged unless both miss, 1 − 0.7 × 0.6 = 0.58
    assert within_binomial(rate[UP | SPLIT], n, 1 - 0.7 * 0.6)
    # induced admissions are not findable by the audit: to the rules such a claim is honest
    assert within_binomial(rate[ACT["induced"].bit], n, 0.005)


def test_screening_depends_on_the_claim_not_its_place_in_the_batch() -> None:
    rng = np.random.default_rng(3)
    acts = rng.choice(np.array([0, UP, SPLIT, PHANTOM, UNDER], np.uint8), 5000)
    case_id = rng.permutation(10**6)[:5000]
    cfg = Screening(false_alarm=0.2)
    hit = audit.screen(acts, case_id, cfg, KEY)
    order = rng.permutation(5000)
    np.testing.assert_array_equal(audit.screen(acts[order], case_id[order], cfg, KEY), hit[order])
    assert 0 < hit.sum() < 5000


def test_a_reviewed_act_is_confirmed_at_its_detection_rate_and_a_false_alarm_is_cleared() -> None:
    n = 100_000
    acts = np.repeat(np.array([UP, SPLIT, 0], np.uint8), n)
    case_id = np.arange(3 * n)
    points = np.full(3 * n, 100.0)
    true_points = np.full(3 * n, 60.0)
    reviewed = np.ones(3 * n, dtype=bool)
    found = audit.review(acts, reviewed, case_id, points, true_points, Audit(), KEY)
    assert within_binomial(int((found.caught[:n] == UP).sum()), n, 0.6)
    assert within_binomial(int((found.caught[n : 2 * n] == SPLIT).sum()), n, 0.5)
    assert not found.caught[2 * n :].any()  # honest claims reviewed: cleared, nothing deducted
    assert not found.deducted[2 * n :].any()
    np.testing.assert_array_equal(found.points[2 * n :], points[2 * n :])


def test_reviewing_a_claim_again_by_inspection_finds_what_its_first_review_found() -> None:
    n = 20_000
    rng = np.random.default_rng(5)
    acts = rng.choice(np.array([0, UP, SPLIT, PHANTOM, UNDER, UP | SPLIT], np.uint8), n)
    hospital = rng.integers(0, 4, n).astype(np.int32)
    case_id = np.arange(n)
    points = rng.uniform(50, 150, n)
    true_points = points * rng.uniform(0.5, 1.0, n)
    cfg = Audit()
    first = audit.audit_month(acts, hospital, case_id, points, true_points, cfg, KEY, 4)
    taken = rng.random(n) < 0.3
    again = audit.inspect(first, acts, case_id, true_points, np.flatnonzero(taken), cfg)
    was = first.reviewed
    np.testing.assert_array_equal(again.found.caught[was], first.found.caught[was])
    np.testing.assert_array_equal(again.found.points[was], first.found.points[was])
    assert (again.reviewed == (was | taken)).all()
    # the same as one review of every claim reviewed by any route
    full = audit.review(acts, was | taken, case_id, points, true_points, cfg, KEY)
    np.testing.assert_array_equal(again.found.caught, full.caught)
    np.testing.assert_array_equal(again.found.points, full.points)
    np.testing.assert_array_equal(again.found.deducted, full.deducted)
    # rows given out of order or twice are the same inspection
    rows = np.flatnonzero(taken)
    shuffled = audit.inspect(
        first, acts, case_id, true_points, np.concatenate([rows[::-1], rows[:9]]), cfg
    )
    np.testing.assert_array_equal(shuffled.inspected, again.inspected)
    assert np.array_equal(shuffled.found.points, again.found.points)
    # inspecting honest claims no route reviewed finds nothing and changes no finding
    honest = np.flatnonzero((acts == 0) & ~was)[:500]
    calm = audit.inspect(first, acts, case_id, true_points, honest, cfg)
    assert calm.inspected[honest].all() and calm.inspected.sum() == honest.size
    for name in ("caught", "points", "deducted_by_act"):
        assert np.array_equal(getattr(calm.found, name), getattr(first.found, name))
    # a claim only the inspection reviewed is confirmed as often as detection says (upcoding 0.6)
    new = taken & ~was & (acts == UP)
    assert within_binomial(int((again.found.caught[new] == UP).sum()), int(new.sum()), 0.6)


# --- targeted inspection: the risk score and its choice -----------------------------------------
def test_the_risk_score_is_the_mean_z_score_and_the_highest_scores_are_inspected() -> None:
    # four hospitals; hits per claim 0.02, 0.01, 0.01, 0.00: mean 0.01, population sd
    # sqrt((0.0001 + 0 + 0 + 0.0001) / 4) = 0.00707… → z = 1.414…, 0, 0, −1.414…;
    # low-cost share 0.1, 0.1, 0.3, 0.1: mean 0.15, sd sqrt((3 × 0.0025 + 0.0225) / 4) = 0.0866…
    # → z = −0.577…, −0.577…, 1.732…, −0.577…; readmission rate all 0: z = 0 (all equal);
    # CMI rise in a first year: no value for any hospital, left out.
    values = risk.risk_indicators(
        claims=np.array([100.0, 100.0, 100.0, 100.0]),
        rw=np.array([100.0, 100.0, 100.0, 100.0]),
        grouped=np.array([100.0, 100.0, 100.0, 100.0]),
        readmitted=np.zeros(4),
        low_cost=np.array([10.0, 10.0, 30.0, 10.0]),
        screened=np.array([2.0, 1.0, 1.0, 0.0]),
        last_cmi=None,
    )
    score = risk.risk_score(values)
    z_hits = np.array([math.sqrt(2), 0.0, 0.0, -math.sqrt(2)])
    z_low = np.array([-1.0, -1.0, 3.0, -1.0]) / math.sqrt(3)
    np.testing.assert_allclose(score, (z_hits + z_low + 0.0) / 3, rtol=1e-12)
    # (1.732 + 0 + 0) / 3 = 0.577 for C, (1.414 − 0.577) / 3 = 0.279 for A
    assert risk.targets(score, np.ones(4, bool), 1).tolist() == [2]
    assert risk.targets(score, np.ones(4, bool), 2).tolist() == [0, 2]
    assert risk.targets(score, np.array([True, True, False, True]), 1).tolist() == [0]


def test_the_cmi_rise_counts_against_last_year() -> None:
    values = risk.risk_indicators(
        claims=np.array([10.0, 10.0]),
        rw=np.array([12.0, 10.0]),
        grouped=np.array([10.0, 10.0]),
        readmitted=np.zeros(2),
        low_cost=np.zeros(2),
        screened=np.zeros(2),
        last_cmi=np.array([1.0, 1.0]),
    )
    np.testing.assert_allclose(values["cmi_rise"], [0.2, 0.0])
    assert risk.targets(risk.risk_score(values), np.ones(2, bool), 1).tolist() == [0]


def test_an_inspection_takes_the_share_of_each_chosen_hospitals_claims_whatever_their_order() -> (
    None
):
    hospital = np.repeat(np.arange(3, dtype=np.int32), [100, 47, 10])
    case_id = np.arange(157) * 7 + 3
    taken = risk.take(hospital, case_id, np.array([1, 2]), 0.3, KEY)
    # round(0.3 × 47) = 14, round(0.3 × 10) = 3; none of hospital 0
    assert np.bincount(hospital[taken], minlength=3).tolist() == [0, 14, 3]
    order = np.random.default_rng(1).permutation(157)
    again = risk.take(hospital[order], case_id[order], np.array([1, 2]), 0.3, KEY)
    assert set(case_id[order][again]) == set(case_id[taken])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=60), st.data())
def test_an_inspection_takes_the_lowest_draws_first_and_equal_draws_in_order(
    values: list[int], data: st.DataObject
) -> None:
    u = np.array(values, dtype=float)  # few values: many equal draws at the cut
    k = data.draw(st.integers(1, u.size))
    assert sorted(risk._lowest(u, k).tolist()) == sorted(np.argsort(u, kind="stable")[:k].tolist())


def inspection_city(**audit_keys: Any) -> dict[str, Any]:
    """Four hospitals over two years; SW01 upcodes and SW02 induces admissions; no readmission
    window (so the regulator's readmission counts are the same read from the final case rows)."""
    return {
        "extends": "shanwei",
        "name": "inspection",
        "seed": 23,
        "years": 2,
        "replications": 1,
        "region": {"admissions": 12000},
        "hospitals": {
            "SW01": {"upcoding": {"rate": 0.3}},
            "SW02": {"induced": {"rate": 0.1}},
        },
        "other_hospitals": {"count": {2: 1, 1: 1}},
        "budget": {"annual": 9e7},
        "readmission": {"window_days": 0},
        "audit": {"targeted": {"count": 1, "rate": 0.3}, **audit_keys},
    }


@pytest.fixture(scope="module")
def inspected() -> drgsim.Result:
    return drgsim.run(load_scenario(inspection_city()), cases=True)


def expected_targets(cases: pd.DataFrame, catalogue: pd.DataFrame) -> dict[tuple[int, int], str]:
    """The hospital each quarter's inspection should fall on, by the score of docs/rules.md §5.

    Computed from the case rows alone: billed DRGs' RW from the year's catalogue, case classes,
    readmissions and screening hits, z-scored across the hospitals with claims in the quarter.
    """
    rw = catalogue.set_index(["year", "drg"])["rw"]
    c = cases.assign(
        quarter=(cases["month"] - 1) // 3,
        rw=[
            rw.get((y, d), np.nan) for y, d in zip(cases["year"], cases["drg_billed"], strict=True)
        ],
        low=cases["case_class"] == "low",
    )
    yearly = c.groupby(["year", "hospital"])["rw"].mean()  # NaN RW (ungroupable) left out
    out = {}
    for (year, q), part in c.groupby(["year", "quarter"]):
        g = part.groupby("hospital")
        ind = pd.DataFrame(
            {
                "readmit": g["readmission"].mean(),
                "low": g["low"].mean(),
                "hits": g["screened"].mean(),
            }
        )
        if (year - 1, ind.index[0]) in yearly.index:
            ind["cmi_rise"] = g["rw"].mean() / yearly.loc[year - 1].reindex(ind.index) - 1
        z = (ind - ind.mean()) / ind.std(ddof=0)
        out[(year, q)] = str(z.fillna(0.0).mean(axis=1).idxmax())
    return out


def test_each_quarters_inspection_falls_on_the_hospital_with_the_highest_risk_score(
    inspected,
) -> None:
    cases = inspected.cases
    want = expected_targets(cases, inspected.catalogue)
    assert len(want) == 8  # two years of four quarters
    seen = cases[cases["inspected"]].assign(quarter=lambda d: (d["month"] - 1) // 3)
    got = {k: sorted(set(part["hospital"])) for k, part in seen.groupby(["year", "quarter"])}
    assert got == {k: [h] for k, h in want.items()}
    # 30% of the hospital's quarter's claims, round(0.3 × n)
    for (year, q), [h] in got.items():
        quarter = cases[(cases["year"] == year) & ((cases["month"] - 1) // 3 == q)]
        n = int((quarter["hospital"] == h).sum())
        assert int(quarter["inspected"].sum()) == math.floor(0.3 * n + 0.5)
    assert "SW01" in set(want.values())  # the upcoder stands out in some quarter


def test_without_targeted_inspection_no_claim_is_inspected() -> None:
    run = drgsim.run(
        load_scenario({**inspection_city(), "years": 1, "audit": {"targeted": {"count": 0}}}),
        cases=True,
    )
    assert not run.cases["inspected"].any()
    assert run.cases["screened"].any() and run.cases["sampled"].any()


# --- audit.parquet: the counts add up --------------------------------------------------------
def test_the_audit_table_adds_up_to_the_cases_and_the_settlement(inspected) -> None:
    a, s, cases = inspected.audit, inspected.settlement, inspected.cases
    keys = ["variant", "replication", "year", "hospital"]
    assert (a["confirmed"] <= a["reviewed"]).all() and (a["reviewed"] <= a["claims"]).all()
    for col in ("screened", "sampled", "inspected"):
        assert (a[col] <= a["reviewed"]).all()
    by_h = a.groupby(keys)[["deducted_points", "recovered_fen"]].sum()
    st = s.set_index(keys).loc[by_h.index]
    np.testing.assert_allclose(by_h["deducted_points"], st["deducted_points"], rtol=1e-9)
    assert (by_h["recovered_fen"] == st["deduction_fen"]).all()
    assert st["deduction_fen"].sum() > 0
    # each row against the case rows: claims carrying the act, reviewed, confirmed
    for act in ("upcoding", "induced", "none"):
        bit = ACT[act].bit if act != "none" else 0
        mine = cases[(cases["acts"] & bit) != 0] if bit else cases[cases["acts"] == 0]
        g = mine.groupby(["year", "hospital"])
        rows = a[a["act"] == act].set_index(["year", "hospital"])
        counted = pd.DataFrame(
            {
                "claims": g.size(),
                "reviewed": g["audited"].sum(),
                "inspected": g["inspected"].sum(),
            }
        ).reindex(rows.index, fill_value=0)
        assert (rows[["claims", "reviewed", "inspected"]] == counted).all().all(), act
    up = a[a["act"] == "upcoding"]
    caught = cases[(cases["caught"] & UP) != 0].groupby(["year", "hospital"]).size()
    assert up.set_index(["year", "hospital"])["confirmed"].sum() == caught.sum() > 0


# --- deductions never return to the offender ----------------------------------------------------
def year_claims(deducted: list[float], lam: list[float]) -> YearClaims:
    return YearClaims(
        1_000_000,
        np.array([3000.0, 1000.0, 1500.0, 500.0]),
        np.array(deducted),
        np.array([200.0, 50.0, 80.0, 10.0]),
        np.array([450_000, 150_000, 225_000, 75_000]),
        np.array([50_000, 16_000, 25_000, 9_000]),
        np.array(lam),
        np.array([11_000.0, 3_000.0, 6_000.0, 2_000.0]),
    )


@pytest.mark.parametrize("mode", ["pool", "clearing"])
@pytest.mark.parametrize("to", ["others", "fund"])
def test_an_offender_bears_its_whole_deduction_and_gets_none_of_it_back(mode: str, to: str) -> None:
    lam = [1.0, 1.0, 1.0, 1.0]  # equal coefficients: clearing pays each entitlement whole
    cfg = Settlement(mode=mode, prepay_share=0.9)
    clean = settle_year(year_claims([0.0, 0.0, 0.0, 0.0], lam), cfg, deductions_to=to)
    caught = settle_year(year_claims([300.0, 0.0, 0.0, 0.0], lam), cfg, deductions_to=to)
    taken = int(caught.deduction_fen[0])
    assert taken > 0
    # the offender's payment falls by its whole deduction (a fen of rounding aside) ...
    assert abs((clean.final_fen[0] - caught.final_fen[0]) - taken) <= 1
    # ... which the others receive in full, or the fund keeps
    others = int((caught.final_fen[1:] - clean.final_fen[1:]).sum())
    assert abs(others - (taken if to == "others" else 0)) <= 1


# --- suspension ------------------------------------------------------------------------------
def test_a_hospital_is_suspended_when_its_caught_claims_exceed_the_threshold() -> None:
    mask = suspended(np.array([11, 10, 0, 3]), np.array([100, 100, 0, 0]), 0.1)
    assert mask.tolist() == [True, False, False, False]
    assert not suspended(np.array([50]), np.array([50]), None).any()


@pytest.mark.parametrize("to", ["others", "fund"])
def test_a_suspended_hospital_forfeits_its_incentive_to_the_others_or_the_fund(to: str) -> None:
    year = YearClaims(
        100_000,
        np.array([300.0, 100.0, 100.0]),
        np.zeros(3),
        np.zeros(3),
        np.array([45_000, 18_000, 17_000]),
        np.array([9_000, 5_000, 6_000]),
        np.array([1.0, 1.0, 1.0]),
    )
    res = settle_year(year, Settlement(mode="pool"), deductions_to=to)
    assert res.incentive_fen.tolist() == [9_000, 5_000, 6_000]  # the withheld money by W × λ
    cfg = Audit(deductions_to=to, suspension=Suspension(threshold=0.05, share=0.5))
    after = suspend(res, np.array([10, 0, 0]), np.array([100, 50, 50]), year.points, cfg)
    # A caught 10 of 100 > 5%: it forfeits half its 9 000 = 4 500; with `others` B and C share
    # it by net points 100 : 100 → 2 250 each; with `fund` the fund keeps it
    if to == "others":
        assert after.final_fen.tolist() == [45_000 + 4_500, 23_000 + 2_250, 23_000 + 2_250]
        assert after.retained_fen == res.retained_fen
    else:
        assert after.final_fen.tolist() == [45_000 + 4_500, 23_000, 23_000]
        assert after.retained_fen == res.retained_fen + 4_500
    books = YearBooks(2021, 100_000, 0, 3)
    books.book([Transfer.of(FUND, HOSPITALS, year.prepaid_fen, "prepay")])
    books.book([Transfer.of(FUND, POOL, int(year.withheld_fen.sum()), "withhold")])
    books.book(after.transfers)
    assert books.close(after) == after.retained_fen


def test_suspension_in_a_run_cuts_the_offenders_payment_and_the_books_close() -> None:
    base = {**inspection_city(), "years": 1}
    run = drgsim.run(
        load_scenario({**base, "variants": {"suspended": {"audit.suspension.threshold": 0.05}}})
    )
    s = run.settlement.set_index(["variant", "hospital"])
    rate = s.loc[("baseline", "SW01"), "violation_rate"]
    assert rate > 0.05  # SW01's caught claims exceed 5% of its reviewed ones
    lost = s.loc[("baseline", "SW01"), "final_fen"] - s.loc[("suspended", "SW01"), "final_fen"]
    assert lost == s.loc[("baseline", "SW01"), "incentive_fen"] > 0  # share 1: all of it
    others = (
        s.loc["suspended"].drop("SW01")["final_fen"] - s.loc["baseline"].drop("SW01")["final_fen"]
    )
    assert int(others.sum()) == lost and (others >= 0).all()


@st.composite
def suspensions(draw: st.DrawFn) -> tuple[YearClaims, Settlement, Audit, np.ndarray, np.ndarray]:
    """A year of 2–5 hospitals, a settlement mode, an audit with suspension, caught and reviewed."""
    n = draw(st.integers(2, 5))
    ints = st.lists(st.integers(0, 10**7), min_size=n, max_size=n)
    # a hospital's points: none, or at least a hundredth (a claim earns far more; a point
    # value over 1e-300 points overflows to inf, which no settlement can pay in fen)
    point = st.one_of(st.just(0.0), st.floats(0.01, 5000.0))
    floats = st.lists(point, min_size=n, max_size=n)
    prepaid, withheld = np.array(draw(ints)), np.array(draw(ints))
    points = np.array(draw(floats))
    deducted = points * np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    year = YearClaims(
        int(prepaid.sum() + withheld.sum()),
        points,
        deducted,
        np.zeros(n),
        prepaid,
        withheld,
        np.array(draw(st.lists(st.floats(0.8, 1.2), min_size=n, max_size=n))),
    )
    mode = Settlement(mode=draw(st.sampled_from(["pool", "clearing"])), prepay_share=0.9)
    cfg = Audit(
        deductions_to=draw(st.sampled_from(["others", "fund"])),
        suspension=Suspension(threshold=draw(st.floats(0.0, 0.5)), share=draw(st.floats(0, 1))),
    )
    reviewed = np.array(draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)))
    caught = np.minimum(reviewed, draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)))
    return year, mode, cfg, caught, reviewed


@settings(max_examples=200, deadline=None)
@given(case=suspensions())
def test_suspension_moves_only_the_forfeit_and_the_books_close(case: Any) -> None:
    year, mode, cfg, caught, reviewed = case
    res = settle_year(year, mode, deductions_to=cfg.deductions_to)
    after = suspend(res, caught, reviewed, year.points - year.deducted, cfg)
    out = suspended(caught, reviewed, cfg.suspension.threshold)
    # a suspended hospital loses exactly its share of a positive incentive, in whole fen
    lost = [share_fen(max(int(i), 0), cfg.suspension.share) for i in res.incentive_fen]
    for h in np.flatnonzero(out):
        assert after.final_fen[h] == res.final_fen[h] - lost[h]
    # the others only gain (with `fund`, nothing), and every fen stays paid or retained
    gained = after.final_fen[~out] - res.final_fen[~out]
    assert (gained >= 0).all() and (cfg.deductions_to == "others" or not gained.any())
    assert after.final_fen.sum() + after.retained_fen == res.final_fen.sum() + res.retained_fen
    books = YearBooks(2021, year.available_fen, 0, len(year.points))
    books.book([Transfer.of(FUND, HOSPITALS, year.prepaid_fen, "prepay")])
    books.book([Transfer.of(FUND, POOL, int(year.withheld_fen.sum()), "withhold")])
    books.book(after.transfers)
    assert books.close(after) == after.retained_fen
