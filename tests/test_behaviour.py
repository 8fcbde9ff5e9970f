"""Each hospital act of spec §8 on a tiny batch: this case, this act → exactly this change.

The acts are transforms of one month's CaseBatch (drgsim.population.behaviour.Behaviours.apply). Every
test sets the act's rate to 1 (or a rate whose count is exact), so each draw fires, and checks
the changed fields case by case.

Catalogue (written to a temporary file): ā = Σ case_share × cost = 10 000 yuan exactly, so
RW_g = cost / 10 000 and BP_g = 100 × RW_g:

    DRG   ADRG  split      cost   RW    BP    case_share
    ES11  ES1   {1,3,5}   30000  3.0   300   0.05
    ES13  ES1             15000  1.5   150   0.10
    ES15  ES1             10000  1.0   100   0.20
    ET11  ET1   {1,5}     24000  2.4   240   0.05
    ET15  ET1              7500  0.75   75   0.20
    EU19  EU1   {9}        3000  0.3    30   0.35
    FM19  FM1   {9}       25000  2.5   250   0.05   (procedure ADRG of MDC F)
    EK19  EK1   {9}       20000  2.0   200   0      (procedure ADRG of MDC E, never drawn)

Hospitals: A tier 3 (cost level 1.0), B tier 3 (1.25), C tier 2 (0.9), D tier 1 (0.8); K by
tier 1.0 / 0.9 / 0.8. Hospitals act on the published point value, here 100 yuan per point, so a
normal case of A is expected to earn BP × 1.0 × 100 = its group's reference cost. In year one a
hospital expects a case of group g to cost g's reference × its cost level (A: the reference; B:
1.25 × it, a predicted loss of 0.25 on every case); later, its own last year's mean charges.
A case is low-cost when its charges are below 0.4 × its group's reference: its points are then
BP × charges / reference.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import NO_AUDIT

import drgsim.cases
import drgsim.present.labels
import drgsim.present.report
import drgsim.records.catalogue_file
from drgsim.acts import ACTS, AUDITED
from drgsim.cases import ACT_BITS, CASE_DTYPES, CaseBatch
from drgsim.kernels.rng import Draw, stream_key, uniform_np
from drgsim.population.behaviour import Behaviours, View, resolve
from drgsim.population.generator import month_days
from drgsim.population.hospitals import hospital_table
from drgsim.rules import audit
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.pricing import readmission_earlier
from drgsim.rules.tariff import first_tariff
from drgsim.scenario.loader import load_scenario, with_overrides
from drgsim.scenario.schema import Audit, Behaviour, Scenario

CATALOGUE_CSV = """\
drg,mdc,adrg,adrg_type,suffix,name,ref_mean_cost_yuan,mean_los_days,case_share
ES11,E,ES1,medical,1,three-way with MCC,30000,10,0.05
ES13,E,ES1,medical,3,three-way with CC,15000,7,0.10
ES15,E,ES1,medical,5,three-way without,10000,5,0.20
ET11,E,ET1,medical,1,two-way with MCC,24000,9,0.05
ET15,E,ET1,medical,5,two-way without,7500,4,0.20
EU19,E,EU1,medical,9,light unsplit,3000,3,0.35
FM19,F,FM1,procedure,9,heavy unsplit,25000,8,0.05
EK19,E,EK1,procedure,9,procedure of MDC E,20000,6,0.0
"""
REF_COST = {
    "ES11": 30000,
    "ES13": 15000,
    "ES15": 10000,
    "ET11": 24000,
    "ET15": 7500,
    "EU19": 3000,
    "FM19": 25000,
    "EK19": 20000,
}
HOSPITALS = {
    "A": {"name": "tier-3 A", "tier": 3, "beds": 1000, "cost_level": 1.0},
    "B": {"name": "tier-3 B", "tier": 3, "beds": 500, "cost_level": 1.25},
    "C": {"name": "tier-2 C", "tier": 2, "beds": 400, "cost_level": 0.9},
    "D": {"name": "tier-1 D", "tier": 1, "beds": 200, "cost_level": 0.8},
}
A, B, C, D = 0, 1, 2, 3
LEVEL = {A: 1.0, B: 1.25, C: 0.9, D: 0.8}
POINT_VALUE = 100.0  # yuan per point = ā / base_points
YEAR, MONTH = 2021, 2
FEBRUARY_1 = month_days(YEAR, MONTH)[0]  # day 32
SUFFIX_LEVEL = {"1": 0, "3": 1, "5": 2, "9": 2}


@pytest.fixture(scope="module")
def catalogue_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("behaviour") / "catalogue.csv"
    path.write_text(CATALOGUE_CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base(catalogue_path: Path) -> Scenario:
    return load_scenario(
        {
            "name": "behaviour",
            "start_year": YEAR,
            "catalogue": {"source": str(catalogue_path)},
            "hospitals": HOSPITALS,
            "other_hospitals": {"count": {2: 0, 1: 0}},
            "audit": NO_AUDIT,
        }
    )


@pytest.fixture(scope="module")
def cat(catalogue_path: Path) -> Catalogue:
    return drgsim.records.catalogue_file.load(catalogue_path)


class Acts:
    """The scenario's behaviours with some dotted overrides, and a way to apply them."""

    def __init__(self, base: Scenario, cat: Catalogue, overrides: dict[str, Any]) -> None:
        self.scn = with_overrides(base, overrides)
        self.cat = cat
        self.hosp = hospital_table(self.scn)
        self.params = resolve(self.scn, self.hosp)
        self.b = Behaviours(self.scn, cat, self.hosp, self.params)
        self.tariff = first_tariff(cat, self.scn, self.hosp)
        self.view = View(self.tariff, POINT_VALUE, FEBRUARY_1)

    def apply(self, batch: CaseBatch, seed: int = 5) -> CaseBatch:
        return self.b.apply(batch, 0, np.random.SeedSequence(seed), self.view)

    def code(self, batch: CaseBatch) -> list[str]:
        """The DRG each case is billed to."""
        g = self.cat.group_table[batch.adrg, batch.billed_severity]
        return [str(self.cat.drg[i]) for i in g]


@pytest.fixture
def acts(base: Scenario, cat: Catalogue):
    return lambda overrides: Acts(base, cat, overrides)


def cases(cat: Catalogue, *rows: dict[str, Any]) -> CaseBatch:
    """A February batch of the given cases; unnamed fields take plain defaults.

    Defaults: case_id 1, 2, …; patient 101, 102, …; hospital A; DRG ES15 at its reference cost;
    oop 30% of cost; a 5-day stay discharged on day 40 (9 February), normal discharge.
    """
    index = {str(code): i for i, code in enumerate(cat.drg)}
    cols: dict[str, list[Any]] = {k: [] for k in CASE_DTYPES}
    for i, row in enumerate(rows):
        drg = row.get("drg", "ES15")
        g = index[drg]
        cost = row.get("cost", float(REF_COST[drg]))
        los = row.get("los", 5)
        day = row.get("day", 40)
        severity = SUFFIX_LEVEL[str(cat.suffix[g])]
        values = {
            "case_id": row.get("case_id", i + 1),
            "patient": row.get("patient", 101 + i),
            "hospital": row.get("hospital", A),
            "adrg": cat.drg_adrg[g],
            "severity": severity,
            "drg_true": g,
            "billed_severity": severity,
            "cost": cost,
            "oop": row.get("oop", 0.3 * cost),
            "los": los,
            "admit_day": row.get("admit_day", day - los),
            "day": day,
            "month": MONTH,
            "discharge": 0,
            "ungroupable": False,
            "acts": 0,
            "origin_id": -1,
            "origin_act": 0,
            "record_row": row.get("record_row", -1),
            "fund": row.get("fund", 0),
        }
        for k, v in values.items():
            cols[k].append(v)
    return CaseBatch(**{k: np.asarray(v, dtype=CASE_DTYPES[k]) for k, v in cols.items()})


def assert_same_cases(got: CaseBatch, want: CaseBatch) -> None:
    for f in dataclasses.fields(CaseBatch):
        np.testing.assert_array_equal(getattr(got, f.name), getattr(want, f.name), f.name)


def bits(batch: CaseBatch) -> list[int]:
    return [int(x) for x in batch.acts]


# --- the tiny catalogue is what the docstring says -----------------------------------------


def test_the_tiny_catalogue_has_mean_cost_ten_thousand_and_weights_cost_over_ten_thousand(
    acts,
) -> None:
    t = acts({}).tariff
    assert t.mean_cost == pytest.approx(10000.0, rel=1e-12)
    codes = [str(c) for c in acts({}).cat.drg]
    np.testing.assert_allclose(t.rw, [REF_COST[c] / 10000 for c in codes], rtol=1e-12)


# --- upcoding 套高病组 ---------------------------------------------------------------------------
#
# A's expected charges are its groups' references (year one, cost level 1.0); the points a claim
# of expected charges e earns when billed at DRG t are BP_t if e ≥ 0.4 × ref_t, else
# BP_t × e / ref_t. Worked out for the tiny catalogue (gain over billing the true DRG):
#
#   true   e       one level up            two levels up           procedure EK19 (ref 20000)
#   ES15   10000   ES13: 150 − 100 = 50    ES11: 300 × 1/3 = 100: 0  200 − 100 = 100
#   ES13   15000   ES11: 300 − 150 = 150   —                        200 − 150 = 50
#   ES11   30000   —                       —                        200 − 300 < 0
#   ET15    7500   ET11: 240 × 0.3125 = 75: 0                        200 × 0.375 = 75: 0
#   EU19    3000   — (unsplit)                                      200 × 0.15 = 30: 0
#   FM19   25000   — (unsplit, not medical)


def test_upcoding_bills_each_claim_the_option_that_gains_most_at_its_expected_charges(
    acts, cat
) -> None:
    a = acts({"hospitals.A.upcoding.rate": 1.0, "hospitals.A.upcoding.procedure_share": 0.0})
    batch = cases(
        cat,
        {"drg": "ES15"},  # ES13 gains 50; ES11 would make it a low-cost case: gains 0
        {"drg": "ES13"},  # ES11 gains 150
        {"drg": "ES11"},  # already the top
        {"drg": "FM19"},  # not split
        {"drg": "ET15"},  # ET11 at 7 500 is a low-cost case earning the same 75 points: no gain
        {"drg": "EU19"},  # not split
    )
    out = a.apply(batch)
    assert out.n == batch.n
    assert a.code(out) == ["ES13", "ES11", "ES11", "FM19", "ET15", "EU19"]
    assert out.severity.tolist() == batch.severity.tolist()  # the true severity is unchanged
    assert out.drg_true.tolist() == batch.drg_true.tolist()
    assert bits(out) == [1, 1, 0, 0, 0, 0]
    np.testing.assert_array_equal(out.cost, batch.cost)


def test_an_upcoder_adapted_down_to_rate_zero_stops_and_cannot_start_again(acts, cat) -> None:
    a = acts({"hospitals.A.upcoding.rate": 0.5, "hospitals.A.upcoding.procedure_share": 0.0})
    batch = cases(cat, {"drg": "ES15"}, {"drg": "ES13"})
    assert bits(a.apply(batch)) == [0, 1]  # half of two claims: the one that gains most
    a.b.adapt({"upcoding": np.full(a.hosp.n, -1.0)}, step=0.6, max_rate=1.0)  # 0.5 − 0.6: 0
    assert a.b.apply(batch, 0, np.random.SeedSequence(5), a.view) is batch  # no act, no copy
    a.b.adapt({"upcoding": np.full(a.hosp.n, 1.0)}, step=0.6, max_rate=1.0)  # a gain: stays 0
    assert a.params.rates["upcoding"].max() == 0.0
    assert bits(a.apply(batch)) == [0, 0]


def test_upcoding_two_levels_up_where_the_expected_charges_keep_the_claim_normal(acts, cat) -> None:
    a = acts({"hospitals.A.upcoding.rate": 1.0, "hospitals.A.upcoding.procedure_share": 0.0})
    a.b.history.remember(cases(cat, {"drg": "ES15", "cost": 15000.0}), 0)
    # last year A's ES15 cases cost 15 000: billed ES11 (ref 30 000) they are normal (r = 0.5),
    # 300 points against ES13's 150 and ES15's 100
    out = a.b.apply(cases(cat, {"drg": "ES15"}), 1, np.random.SeedSequence(5), a.view)
    assert a.code(out) == ["ES11"]
    one = acts({"hospitals.A.upcoding.rate": 1.0, "hospitals.A.upcoding.levels": 1})
    one.b.history.remember(cases(cat, {"drg": "ES15", "cost": 15000.0}), 0)
    out = one.b.apply(cases(cat, {"drg": "ES15"}), 1, np.random.SeedSequence(5), one.view)
    assert one.code(out) == ["ES13"]


def test_upcoding_picks_the_claims_with_the_largest_gain(acts, cat) -> None:
    a = acts({"hospitals.A.upcoding.rate": 0.5, "hospitals.A.upcoding.procedure_share": 0.0})
    # 4 claims × 0.5 = 2 upcoded: ES13 (gain 150) and one of the two ES15 (50 each), not ET15 (0)
    batch = cases(cat, {"drg": "ES15"}, {"drg": "ET15"}, {"drg": "ES13"}, {"drg": "ES15"})
    for seed in range(6):
        out = a.apply(batch, seed)
        codes = a.code(out)
        assert codes[1:3] == ["ET15", "ES11"]
        assert sorted([codes[0], codes[3]]) == ["ES13", "ES15"]
        assert bits(out).count(ACT_BITS["upcoding"]) == 2


def test_a_procedure_share_of_the_upcoded_claims_goes_to_a_procedure_adrg_of_the_mdc(
    acts, cat
) -> None:
    a = acts({"hospitals.A.upcoding.rate": 0.5, "hospitals.A.upcoding.procedure_share": 0.5})
    # 2 upcoded, 1 by procedure: an ES15 (EK19 gains 100, ES13's 50), then by level: ES13 → ES11
    batch = cases(cat, {"drg": "ES15"}, {"drg": "ES13"}, {"drg": "ES15"}, {"drg": "EU19"})
    out = a.apply(batch)
    codes = a.code(out)
    assert codes[1] == "ES11" and codes[3] == "EU19"
    assert sorted([codes[0], codes[2]]) == ["EK19", "ES15"]
    k = [0, 2][codes[2] == "EK19"]
    assert cat.adrg[out.adrg[k]] == "EK1"  # billed in the procedure ADRG
    assert str(cat.drg[out.drg_true[k]]) == "ES15"  # its true DRG stays (the audit reprices it)
    assert bits(out) == [ACT_BITS["upcoding"] * (i in (k, 1)) for i in range(4)]


def test_upcoding_rate_is_the_share_of_the_hospitals_claims_upcoded(acts, cat) -> None:
    a = acts({"hospitals.A.upcoding.rate": 0.13})
    batch = cases(cat, *({"drg": "ES13"} for _ in range(100)))  # 0.13 × 100 = 13 exactly
    out = a.apply(batch)
    assert bits(out).count(ACT_BITS["upcoding"]) == 13


@pytest.mark.parametrize(
    ("sample_rate", "recall", "perceived", "upcoded"),
    [
        (0.4, 0.0, 1.0, 1),  # p = 0.4: 1 − 0.8 of the gain kept
        (0.5, 0.0, 1.0, 0),  # p = 0.5: nothing kept
        (0.9, 0.0, 1.0, 0),
        (0.9, 0.0, 0.0, 1),  # it expects no audit
        (0.2, 0.0, 3.0, 0),  # p = 3 × 0.2 = 0.6
        (0.2, 0.25, 1.0, 1),  # reviewed unless neither sampled nor flagged: 1 − 0.8 × 0.75 = 0.4
        (0.2, 0.4, 1.0, 0),  # 1 − 0.8 × 0.6 = 0.52
    ],
)
def test_a_hospital_upcodes_only_while_the_audit_it_expects_leaves_a_gain(
    acts, cat, sample_rate, recall, perceived, upcoded
) -> None:
    # confirmed with certainty when reviewed, penalty 1: the gain kept is 1 − p × (1 + 1),
    # p = perceived_risk × the chance of a review (sampled or flagged by the screening rules)
    a = acts(
        {
            "hospitals.A.upcoding.rate": 1.0,
            "hospitals.A.upcoding.perceived_risk": perceived,
            "audit.sample_rate": sample_rate,
            "audit.screening.recall.upcoding": recall,
            "audit.detection.upcoding": 1.0,
            "audit.penalty.upcoding": 1.0,
        }
    )
    out = a.apply(cases(cat, {"drg": "ES13"}))
    assert bits(out).count(ACT_BITS["upcoding"]) == upcoded


def test_upcoding_leaves_the_cases_of_hospitals_that_do_not_upcode_alone(acts, cat) -> None:
    a = acts({"hospitals.A.upcoding.rate": 1.0})
    batch = cases(cat, {"hospital": B}, {"hospital": C, "drg": "ES13"}, {"hospital": D})
    assert_same_cases(a.apply(batch), batch)


# --- patient shifting 推诿 -----------------------------------------------------------------------
#
# Year one: B (cost level 1.25, K 1) predicts a loss of (1.25 − 1) / 1 = 0.25 on every case, above
# the 0.2 threshold; A, C and D (cost level = K) predict none. Destinations of a tier-3 refuser:
# same tier 0.3, no higher tier, lower 0.1 → A with 0.75, C or D (by volume) with 0.25.


def test_shifting_refuses_by_predicted_loss_whatever_the_cases_own_charges(acts, cat) -> None:
    a = acts({"tiers.3.shifting.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "ES15", "cost": 90000.0},  # A: a huge actual loss, but none predicted: kept
        {"drg": "ES15", "hospital": B, "cost": 1000.0},  # B: profitable in fact, refused
        {"drg": "ET11", "hospital": B, "cost": 30000.0},  # B: refused
    )
    out = a.apply(batch)
    assert out.hospital[0] == A
    assert out.hospital[1] != B and out.hospital[2] != B
    assert bits(out) == [0, ACT_BITS["shifting"], ACT_BITS["shifting"]]
    for i in (1, 2):  # cost follows the new hospital's cost level
        assert out.cost[i] == pytest.approx(batch.cost[i] * LEVEL[int(out.hospital[i])] / 1.25)
    assert out.case_id.tolist() == batch.case_id.tolist()


def test_refused_patients_go_to_the_tiers_by_the_destination_weights(acts, cat) -> None:
    a = acts({"hospitals.B.shifting.rate": 1.0})
    n = 2000
    out = a.apply(cases(cat, *({"hospital": B} for _ in range(n))))
    assert B not in out.hospital.tolist()  # never back to the refuser
    to_a = np.count_nonzero(out.hospital == A)
    sd = np.sqrt(n * 0.75 * 0.25)
    assert abs(to_a - 0.75 * n) < 4 * sd
    assert set(out.hospital.tolist()) == {A, C, D}


def test_a_tier_two_refuser_sends_patients_to_higher_and_lower_tiers(acts, cat) -> None:
    # C (tier 2, the only one) has no peer: higher 0.6 and lower 0.1 → tier 3 with 6/7, D 1/7
    a = acts({"hospitals.C.shifting.rate": 1.0, "hospitals.C.cost_level": 1.2})
    n = 2000
    out = a.apply(cases(cat, *({"hospital": C} for _ in range(n))))
    to_d = np.count_nonzero(out.hospital == D)
    assert abs(to_d - n / 7) < 4 * np.sqrt(n / 7 * 6 / 7)
    assert set(out.hospital.tolist()) == {A, B, D}


def test_a_refuser_with_only_same_tier_weight_sends_patients_to_its_peer(acts, cat) -> None:
    a = acts(
        {
            "hospitals.B.shifting.rate": 1.0,
            "hospitals.B.shifting.destination.lower": 0.0,
        }
    )
    out = a.apply(cases(cat, *({"hospital": B} for _ in range(50))))
    assert set(out.hospital.tolist()) == {A}


def test_shifting_learns_its_expected_charges_from_last_years_cases(acts, cat) -> None:
    a = acts({"hospitals.A.shifting.rate": 1.0})
    last_year = cases(
        cat,
        {"drg": "ES15", "cost": 12000.0},
        {"drg": "ES15", "cost": 14000.0},  # mean 13 000: loss (13 000 − 10 000) / 10 000 = 0.3
        {"drg": "ET15", "cost": 8000.0},  # 8 000 against 7 500: loss 0.067
    )
    a.b.history.remember(last_year, 0)
    batch = cases(cat, {"drg": "ES15", "cost": 5000.0}, {"drg": "ET15"}, {"drg": "ES13"})
    out = a.b.apply(batch, 1, np.random.SeedSequence(5), a.view)
    assert out.hospital[0] != A
    assert out.hospital[1:].tolist() == [A, A]  # ES13: no history, the reference: no loss
    # in year one the same cases are not refused: A expects the references
    assert a.apply(batch).hospital.tolist() == [A, A, A]


def test_shifting_uses_the_hospitals_loss_threshold(acts, cat) -> None:
    a = acts({"tiers.3.shifting.rate": 1.0, "hospitals.B.shifting.loss_threshold": 0.3})
    out = a.apply(cases(cat, {"hospital": B}))  # predicted loss 0.25 < 0.3: kept
    assert out.hospital.tolist() == [B]


def test_shifting_counts_refused_high_weight_cases_and_the_losses_avoided(acts, cat) -> None:
    a = acts({"hospitals.B.shifting.rate": 1.0})
    batch = cases(
        cat,
        {"hospital": B, "drg": "ES15", "cost": 12500.0},  # RW 1; paid 100 points: saves 2 500
        {"hospital": B, "drg": "ET11", "cost": 30000.0},  # RW 2.4; paid 240: saves 6 000
        {"hospital": B, "drg": "ES11", "cost": 37500.0},  # RW 3; paid 300: saves 7 500
    )
    a.apply(batch)
    assert a.b.record.refused_high.tolist() == [0, 2, 0, 0]
    # what adaptation weighs (spec §8): the charges no longer borne, the points given up
    assert a.b.record.saved_charges["shifting"][B] == pytest.approx(12500.0 + 30000 + 37500)
    assert a.b.record.lost_points["shifting"][B] == pytest.approx(100.0 + 240 + 300)


# --- split admission 分解住院 -------------------------------------------------------------------


def split_share(case_id: int, seed: int = 5) -> float:
    """The first stay's share of charges: Beta(2, 2) as the median of the case's three draws."""
    key = stream_key(np.random.SeedSequence(seed))
    return float(
        np.median([uniform_np(key, Draw.SPLIT_SHARE, np.array([case_id]), k) for k in range(3)])
    )


def test_splitting_makes_two_stays_a_gap_apart_that_share_the_charges_by_a_beta_share(
    acts, cat
) -> None:
    a = acts({"hospitals.A.splitting.rate": 1.0, "hospitals.A.splitting.evade": 0.0})
    batch = cases(
        cat,
        {"case_id": 11, "patient": 7, "los": 6, "day": 40, "cost": 12000.0, "oop": 3000.0},
        {"case_id": 12, "patient": 8, "los": 7, "day": 45, "cost": 14000.0, "oop": 700.0},
    )
    out = a.apply(batch)
    assert out.n == 4
    first, second = out.take(np.array([0, 1])), out.take(np.array([2, 3]))
    assert first.case_id.tolist() == [11, 12]
    assert second.case_id.tolist() == [13, 14]  # the numbers after the month's largest id
    assert second.origin_id.tolist() == [11, 12]
    assert second.origin_act.tolist() == [ACT_BITS["splitting"]] * 2
    # 6 days: 34 → 37, a day at home, 38 → 41; 7 days: 38 → 41, 42 → 46
    assert first.admit_day.tolist() == [34, 38]
    assert first.day.tolist() == [37, 41]
    assert first.los.tolist() == [3, 3]
    assert second.admit_day.tolist() == [38, 42]
    assert second.day.tolist() == [41, 46]
    assert second.los.tolist() == [3, 4]
    share = np.array([split_share(11), split_share(12)])
    np.testing.assert_allclose(first.cost, [12000.0, 14000.0] * share, rtol=1e-12)
    np.testing.assert_allclose(first.oop, [3000.0, 700.0] * share, rtol=1e-12)
    np.testing.assert_allclose(first.cost + second.cost, batch.cost, rtol=1e-12)
    np.testing.assert_allclose(first.oop + second.oop, batch.oop, rtol=1e-12)
    for f in ("patient", "hospital", "adrg", "severity", "billed_severity", "month"):
        np.testing.assert_array_equal(getattr(first, f), getattr(batch, f), f)
        np.testing.assert_array_equal(getattr(second, f), getattr(batch, f), f)
    assert bits(first) == [0, 0]
    assert bits(second) == [ACT_BITS["splitting"]] * 2
    # the readmission rule (admitted 0 … 15 days after a discharge) cuts both first stays
    assert readmitted(out).tolist() == [True, True, False, False]


def readmitted(out: CaseBatch, window: int = 15) -> np.ndarray:
    """The stays the insurer's readmission rule cuts (same patient, hospital and ADRG)."""
    return readmission_earlier(
        out.patient, out.hospital, out.adrg, out.admit_day, out.day, np.ones(out.n, bool), window
    )


def test_the_first_stays_share_of_charges_is_beta_two_two(acts, cat) -> None:
    a = acts({"hospitals.A.splitting.rate": 1.0, "hospitals.A.splitting.evade": 0.0})
    n = 4000
    out = a.apply(cases(cat, *({"cost": 1000.0, "los": 4, "day": 40} for _ in range(n))))
    share = np.sort(out.cost[:n] / 1000.0)
    cdf = 3 * share**2 - 2 * share**3  # Beta(2, 2)
    ks = np.max(np.abs(cdf - np.arange(1, n + 1) / n))
    assert ks < 1.63 / np.sqrt(n)  # the 1% Kolmogorov–Smirnov bound


def test_a_split_pair_that_evades_into_another_adrg_is_not_cut_by_the_readmission_rule(
    acts, cat
) -> None:
    a = acts({"hospitals.A.splitting.rate": 1.0, "hospitals.A.splitting.evade": 1.0})
    batch = cases(
        cat, *({"drg": "ES15", "los": 6, "day": 40, "patient": 101 + i} for i in range(40))
    )
    out = a.apply(batch)
    second = out.take(np.arange(40, 80))
    # another medical ADRG of MDC E (ET1 or EU1, not the procedure EK1), at no-complication level
    assert set(str(c) for c in cat.drg[second.drg_true]) <= {"ET15", "EU19"}
    assert set(a.code(second)) <= {"ET15", "EU19"}
    assert (second.admit_day == out.day[:40] + 1).all()  # after the usual gap of a day
    assert not readmitted(out).any()


def test_a_split_pair_that_evades_after_the_window_is_not_cut_and_ends_next_month(
    acts, cat
) -> None:
    # FM1 is MDC F's only ADRG: the second stay comes 16 days after the first (window 15)
    a = acts({"hospitals.A.splitting.rate": 1.0, "hospitals.A.splitting.evade": 1.0})
    february = cases(cat, {"drg": "FM19", "case_id": 20_000_001, "los": 8, "day": 50})
    out = a.apply(february)
    assert out.n == 1 and out.day.tolist() == [46] and out.los.tolist() == [4]
    march = cases(cat, {"drg": "EU19", "case_id": 30_000_001, "patient": 9, "day": 70, "los": 1})
    march.month[:] = 3
    a.view = View(a.tariff, POINT_VALUE, month_days(YEAR, 3)[0])
    later = a.apply(march)
    assert later.n == 2
    second = later.take(np.array([1]))
    assert second.case_id.tolist() == [30_000_002]  # numbered as a March case
    assert second.month.tolist() == [3]
    assert second.origin_id.tolist() == [20_000_001]
    assert second.admit_day.tolist() == [46 + 16] and second.day.tolist() == [66]
    assert str(cat.drg[second.drg_true[0]]) == "FM19"
    assert not readmitted(CaseBatch.concat([out, second])).any()


def test_a_one_day_stay_is_not_split(acts, cat) -> None:
    a = acts({"hospitals.A.splitting.rate": 1.0})
    batch = cases(cat, {"los": 1})
    assert_same_cases(a.apply(batch), batch)


def test_a_stay_whose_first_half_would_end_before_the_month_starts_is_not_split(acts, cat) -> None:
    a = acts({"hospitals.A.splitting.rate": 1.0})
    # admitted day 25, discharged day 35 (4 February): the first half would end on day 30
    batch = cases(cat, {"los": 10, "day": 35})
    assert_same_cases(a.apply(batch), batch)


# --- induced 低标入院 and phantom 虚报 cases ------------------------------------------------------


def test_induced_admissions_add_rate_times_volume_cheap_low_severity_cases(acts, cat) -> None:
    a = acts({"hospitals.A.induced.rate": 0.5, "hospitals.C.induced.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "ES11"},
        {"drg": "ES13"},
        {"drg": "FM19"},
        {"drg": "ET11"},  # A: 4 cases → floor(0.5 × 4 + u) = 2
        {"drg": "ES13", "hospital": B},  # B: rate 0
        {"drg": "ET11", "hospital": C},
        {"drg": "ET11", "hospital": C},  # C: 2 cases → floor(1.0 × 2 + u) = 2
    )
    out = a.apply(batch)
    assert_same_cases(out.take(np.arange(batch.n)), batch)
    new = out.take(np.arange(batch.n, out.n))
    assert sorted(new.hospital.tolist()) == [A, A, C, C]
    assert set(bits(new)) == {ACT_BITS["induced"]}
    assert new.severity.tolist() == [2] * 4
    assert new.billed_severity.tolist() == [2] * 4
    codes = a.code(new)
    for h, code, adrg in zip(new.hospital, codes, new.adrg, strict=True):
        # an ADRG the hospital treats, at its least severe DRG
        assert adrg in batch.adrg[batch.hospital == h]
        assert code in {"ES15", "FM19", "ET15"}
    assert len(set(new.case_id.tolist()) | set(batch.case_id.tolist())) == out.n


def test_phantom_cases_are_added_flagged_and_paid_nothing_by_the_patient(acts, cat) -> None:
    a = acts({"hospitals.B.phantom.rate": 0.5})
    batch = cases(cat, *({"hospital": B, "drg": d} for d in ("ES11", "ET15", "FM19", "EU19")))
    batch = CaseBatch.concat([batch, cases(cat, {"hospital": A, "case_id": 5})])
    out = a.apply(batch)
    assert_same_cases(out.take(np.arange(batch.n)), batch)
    new = out.take(np.arange(batch.n, out.n))
    assert new.n == 2  # floor(0.5 × 4 + u)
    assert new.hospital.tolist() == [B, B]
    assert set(bits(new)) == {ACT_BITS["phantom"]}
    assert new.oop.tolist() == [0.0, 0.0]
    assert not set(new.case_id.tolist()) & set(batch.case_id.tolist())


def test_an_added_case_takes_the_next_free_id_and_names_its_template_as_origin(acts, cat) -> None:
    a = acts({"hospitals.B.phantom.rate": 1.0, "hospitals.C.induced.rate": 1.0})
    batch = cases(
        cat,
        {"hospital": B, "drg": "ET15", "case_id": 7, "record_row": 900},
        {"hospital": B, "drg": "FM19", "case_id": 3, "record_row": 901},
        {"hospital": C, "drg": "EU19", "case_id": 20_000_004, "record_row": 902},
        {"hospital": A, "drg": "ES13", "case_id": 20_000_009, "record_row": 903},
    )
    out = a.apply(batch)
    new = out.take(np.arange(batch.n, out.n))
    assert new.n == 3  # 1 × 1 induced at C, then 1 × 2 phantom at B
    assert new.case_id.tolist() == [20_000_010, 20_000_011, 20_000_012]
    assert new.record_row.tolist() == [-1, -1, -1]
    assert new.origin_act.tolist() == [ACT_BITS["induced"], *[ACT_BITS["phantom"]] * 2]
    template = {int(i): k for k, i in enumerate(batch.case_id)}
    for case, origin in zip(range(new.n), new.origin_id, strict=True):
        k = template[int(origin)]  # an original case of the same hospital and ADRG
        assert batch.hospital[k] == new.hospital[case]
        assert batch.adrg[k] == new.adrg[case]
    assert out.origin_id[: batch.n].tolist() == [-1] * 4
    assert out.record_row[: batch.n].tolist() == [900, 901, 902, 903]


def test_a_moved_case_keeps_its_id_and_is_its_own_origin(acts, cat) -> None:
    a = acts({"hospitals.B.shifting.rate": 1.0, "behaviour.referral_down.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "ES15", "hospital": B, "case_id": 31},  # B refuses it (predicted loss 0.25)
        {"drg": "ES15", "case_id": 32},  # kept
        {"drg": "EU19", "case_id": 33},  # RW 0.3 < 0.6: A sends it down
    )
    out = a.apply(batch)
    assert out.case_id.tolist() == [31, 32, 33]
    assert out.origin_id.tolist() == [31, -1, 33]
    assert out.origin_act.tolist() == [ACT_BITS["shifting"], 0, ACT_BITS["referral_down"]]


def test_a_month_cannot_number_more_cases_than_its_id_range_holds() -> None:
    stride = drgsim.cases.CASE_ID_STRIDE
    assert drgsim.cases.month_ids(3, 2).tolist() == [3 * stride, 3 * stride + 1]
    with pytest.raises(ValueError, match="cases in month 3"):
        drgsim.cases.month_ids(3, stride + 1)
    full = CaseBatch.empty()
    full.case_id = np.array([4 * stride - 2])
    assert full.new_ids(1).tolist() == [4 * stride - 1]
    with pytest.raises(ValueError, match="in one month"):
        full.new_ids(2)


def induced(a: Acts, batch: CaseBatch, year: int = 0, seed: int = 5) -> CaseBatch:
    """The cases induced admissions add to `batch`."""
    out = a.b.apply(batch, year, np.random.SeedSequence(seed), a.view)
    return out.take(np.arange(batch.n, out.n))


def test_induced_cases_stay_the_schemas_ratio_of_their_groups_mean_stay(acts, cat) -> None:
    a = acts({"hospitals.A.induced.rate": 1.0, "tiers.3.induced.los_ratio": 1.5})
    new = induced(a, cases(cat, {"drg": "ES11"}, {"drg": "FM19"}, {"drg": "ET11"}))
    mean_los = {"ES15": 5, "FM19": 8, "ET15": 4}  # the catalogue's mean_los_days
    assert new.los.tolist() == [round(1.5 * mean_los[c]) for c in a.code(new)]


def test_induced_charges_are_lognormal_around_the_charge_ratio_of_the_group_mean(acts, cat) -> None:
    # D (cost level 0.8) induces 4 000 ES15 cases: mean 0.6 × 10 000 × 0.8 = 4 800, log-sd 0.55
    a = acts({"hospitals.D.induced.rate": 1.0, "generator.cost_sigma": 0.55})
    n = 4000
    new = induced(a, cases(cat, *({"hospital": D} for _ in range(n))))
    assert new.n == n and set(a.code(new)) == {"ES15"}
    sigma = 0.55  # generator.cost_sigma
    z = np.log(new.cost / 4800.0)
    assert abs(z.mean() + sigma**2 / 2) < 4 * sigma / np.sqrt(n)
    assert abs(z.std() - sigma) < 4 * sigma / np.sqrt(2 * n)
    assert abs(new.cost.mean() / 4800.0 - 1) < 4 * np.sqrt(np.exp(sigma**2) - 1) / np.sqrt(n)


def test_an_induced_cases_class_is_not_fixed_by_its_parameters(acts, cat) -> None:
    # low-cost below 0.4 × 10 000: P = Φ((ln(4 000 / 4 800) + σ²/2) / σ) = Φ(−0.0565) = 0.4775
    a = acts({"hospitals.D.induced.rate": 1.0, "generator.cost_sigma": 0.55})
    n = 4000
    new = induced(a, cases(cat, *({"hospital": D} for _ in range(n))))
    sigma = 0.55
    p_low = 0.5 * math.erfc(-(math.log(4000 / 4800) + sigma**2 / 2) / sigma / math.sqrt(2))
    low = np.count_nonzero(new.cost < 0.4 * 10000)
    assert 0 < low < n
    assert abs(low - p_low * n) < 4 * math.sqrt(n * p_low * (1 - p_low))


def test_induced_cases_of_a_later_year_cost_what_grown_charges_cost(acts, cat) -> None:
    # spec §9: the generator's charges grow by growth.charges a year; an induced case copies
    # them, so in year three (index 2) the same draws cost 1.05² × what they cost in year one
    a = acts({"growth.charges": 0.05, "hospitals.A.induced.rate": 1.0})
    batch = cases(cat, {"drg": "ES11"}, {"drg": "FM19"})
    first, third = induced(a, batch, 0), induced(a, batch, 2)
    np.testing.assert_allclose(third.cost, first.cost * 1.05**2, rtol=1e-12)


def test_a_fractional_volume_rate_adds_the_floor_or_one_more(acts, cat) -> None:
    a = acts({"hospitals.A.induced.rate": 0.25})
    batch = cases(cat, {}, {})  # 0.25 × 2 = 0.5 → 0 or 1
    counts = {a.apply(batch, seed).n - batch.n for seed in range(40)}
    assert counts == {0, 1}


# --- under-service 减少服务 ---------------------------------------------------------------------


def test_underservice_cuts_cost_and_patient_payment_by_the_cut(acts, cat) -> None:
    a = acts({"hospitals.A.underservice.cut": 0.15})
    batch = cases(cat, {"cost": 10000.0, "oop": 2000.0}, {"hospital": B, "cost": 8000.0})
    out = a.apply(batch)
    np.testing.assert_allclose(out.cost, [8500.0, 8000.0], rtol=1e-12)
    np.testing.assert_allclose(out.oop, [1700.0, 2400.0], rtol=1e-12)
    assert bits(out) == [ACT_BITS["underservice"], 0]
    assert a.b.record.saved_charges["underservice"][A] == pytest.approx(1500.0)


def test_underservice_records_the_points_a_cut_loses_below_the_low_cost_line(acts, cat) -> None:
    # ES15 (reference 10 000, 100 points): 10 000 → 8 500 stays normal (100 points); 4 400 →
    # 3 740 falls below 0.4 × 10 000 and is paid 100 × 3 740 / 10 000 = 37.4 points
    a = acts({"hospitals.A.underservice.cut": 0.15})
    a.apply(cases(cat, {"cost": 10000.0}, {"cost": 4400.0}))
    assert a.b.record.saved_charges["underservice"][A] == pytest.approx(1500.0 + 660.0)
    assert a.b.record.lost_points["underservice"][A] == pytest.approx(100.0 - 37.4)
    assert a.b.record.lost_points["underservice"][[B, C, D]].tolist() == [0, 0, 0]


def test_a_cut_stay_is_readmitted_with_the_uplift_probability(acts, cat) -> None:
    a = acts({"hospitals.A.underservice.cut": 0.15, "hospitals.A.underservice.readmit_uplift": 1.0})
    batch = cases(
        cat,
        {"case_id": 5, "patient": 77, "drg": "ET11", "cost": 20000.0, "los": 2, "day": 35},
        {"case_id": 6, "hospital": B, "los": 2, "day": 35},  # B does not cut
    )
    out = a.apply(batch)
    assert out.n == 3
    back = out.take(np.array([2]))
    assert back.case_id.tolist() == [7]
    assert back.origin_id.tolist() == [5]
    assert back.origin_act.tolist() == [ACT_BITS["underservice"]]
    assert bits(back) == [0]  # the readmission itself is not cut
    assert back.patient.tolist() == [77] and back.hospital.tolist() == [A]
    assert a.code(back) == ["ET11"]
    assert back.cost.tolist() == [20000.0]  # the care the cut stay did not give
    assert 35 + 1 <= back.admit_day[0] <= 35 + 15  # within the readmission window
    assert back.day[0] == back.admit_day[0] + 2
    assert readmitted(out).tolist() == [True, False, False]


def test_cut_stays_are_readmitted_at_the_uplift_rate(acts, cat) -> None:
    a = acts({"hospitals.A.underservice.cut": 0.15})  # readmit_uplift 0.02
    n = 5000
    out = a.apply(cases(cat, *({"los": 2, "day": 33} for _ in range(n))))
    readmissions = out.n - n
    assert abs(readmissions - 0.02 * n) < 4 * np.sqrt(n * 0.02 * 0.98)
    assert (out.origin_act[n:] == ACT_BITS["underservice"]).all()


def test_underservice_at_rate_zero_changes_nothing(acts, cat) -> None:
    a = acts({"hospitals.A.underservice.cut": 0.15, "hospitals.A.underservice.rate": 0.0})
    batch = cases(cat, {}, {"drg": "FM19"})
    assert_same_cases(a.apply(batch), batch)


# --- down-referral 分级诊疗 ---------------------------------------------------------------------


def test_a_tier_three_hospital_sends_light_cases_down_to_tier_one_or_two(acts, cat) -> None:
    a = acts({"behaviour.referral_down.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "EU19"},  # A, RW 0.3 < 0.6: sent down
        {"drg": "ET15"},  # A, RW 0.75: stays
        {"drg": "EU19", "hospital": B},  # B, RW 0.3: sent down
        {"drg": "EU19", "hospital": C},  # tier 2 never refers down
        {"drg": "EU19", "hospital": D},  # tier 1 never refers down
    )
    out = a.apply(batch)
    assert out.hospital[0] in (C, D) and out.hospital[2] in (C, D)
    assert out.hospital[[1, 3, 4]].tolist() == [A, C, D]
    assert bits(out) == [64, 0, 64, 0, 0]
    for i, src in ((0, A), (2, B)):
        assert out.cost[i] == pytest.approx(3000.0 * LEVEL[int(out.hospital[i])] / LEVEL[src])


def test_down_referral_uses_the_tiers_weight_limit(acts, cat) -> None:
    a = acts({"tiers.3.referral_down.rate": 1.0, "tiers.3.referral_down.max_rw": 1.0})
    batch = cases(cat, {"drg": "ET15"}, {"drg": "ES15"})  # RW 0.75 < 1 sent; RW 1 stays
    out = a.apply(batch)
    assert out.hospital[0] in (C, D) and out.hospital[1] == A
    assert bits(out) == [64, 0]


# --- resolution: hospital → tier → region → default ----------------------------------------


def test_a_hospital_setting_beats_its_tier_which_beats_the_region(acts) -> None:
    a = acts(
        {
            "behaviour.upcoding.rate": 0.1,
            "tiers.3.upcoding.rate": 0.2,
            "hospitals.A.upcoding.rate": 0.3,
        }
    )
    assert a.params.rates["upcoding"].tolist() == [0.3, 0.2, 0.1, 0.1]


def test_a_hospital_rate_of_zero_overrides_a_positive_tier_rate(acts) -> None:
    a = acts({"tiers.3.splitting.rate": 0.5, "hospitals.A.splitting.rate": 0.0})
    assert a.params.rates["splitting"].tolist() == [0.0, 0.5, 0.0, 0.0]


def test_thresholds_resolve_hospital_then_tier_then_region(acts) -> None:
    a = acts(
        {
            "behaviour.shifting.loss_threshold": 0.4,
            "tiers.3.shifting.loss_threshold": 0.3,
            "hospitals.A.shifting.loss_threshold": 0.1,
            "tiers.3.referral_down.max_rw": 0.9,
            "hospitals.C.underservice.cut": 0.2,
        }
    )
    settings = a.params.settings
    assert settings["shifting"]["loss_threshold"].tolist() == [0.1, 0.3, 0.4, 0.4]
    assert settings["referral_down"]["max_rw"].tolist() == [0.9, 0.9, 0.6, 0.6]
    assert settings["underservice"]["cut"].tolist() == [0.0, 0.0, 0.2, 0.0]
    assert a.params.rates["underservice"].tolist() == [0.0, 0.0, 1.0, 0.0]


def test_unset_acts_resolve_to_zero_with_the_default_thresholds(acts, cat) -> None:
    a = acts({})
    for act, rate in a.params.rates.items():
        assert rate.tolist() == [0.0] * 4, act
    assert not a.params.any()
    settings = a.params.settings
    assert settings["shifting"]["loss_threshold"].tolist() == [0.2] * 4
    assert settings["referral_down"]["max_rw"].tolist() == [0.6] * 4
    assert settings["underservice"]["cut"].tolist() == [0.0] * 4
    assert settings["induced"]["charge_ratio"].tolist() == [0.6] * 4
    assert settings["induced"]["los_ratio"].tolist() == [0.5] * 4
    batch = cases(cat, {"cost": 50000.0}, {"drg": "EU19"}, {"los": 8})
    assert_same_cases(a.apply(batch), batch)


# --- the act registry: each act named once, and what the audit does to it -------------------


def test_each_act_of_the_registry_has_its_own_bit_a_scenario_key_and_a_label() -> None:
    names = [a.name for a in ACTS]
    assert len(set(names)) == len(names)
    bits = [a.bit for a in ACTS]
    assert all(b > 0 and b & (b - 1) == 0 and b < 256 for b in bits)  # one bit of a uint8
    assert len(set(bits)) == len(bits)
    assert [f.name for f in dataclasses.fields(Behaviour)] == names
    for name in names:
        assert drgsim.present.labels.act(name, "en") != name, name
        assert drgsim.present.labels.act(name, "zh") != name, name
    assert set(Audit().detection) == {a.audit_key for a in AUDITED}
    assert set(Audit().penalty) == {a.penalty_key for a in AUDITED if a.penalty_key}


def test_a_caught_act_is_repriced_voided_or_counted_and_penalised_by_its_key() -> None:
    up, split, phantom, under = (
        ACT_BITS[k] for k in ("upcoding", "splitting", "phantom", "underservice")
    )
    acts = np.array([up, split, phantom, under, 0, up | split, up], dtype=np.uint8)
    audited = np.array([True] * 6 + [False])
    points = np.array([150.0, 80.0, 60.0, 70.0, 50.0, 150.0, 150.0])
    true_points = np.array([100.0, 80.0, 60.0, 70.0, 50.0, 100.0, 100.0])
    cfg = Audit(
        detection={"upcoding": 1.0, "split": 1.0, "phantom": 1.0, "underservice": 1.0},
        penalty={"upcoding": 2.0, "split": 1.0, "phantom": 3.0},
    )
    found = audit.review(acts, audited, np.arange(7), points, true_points, cfg, key=12345)
    assert found.caught.tolist() == [up, split, phantom, under, 0, up | split, 0]
    # upcoding: true points, 2 × (150 − 100) deducted; split: 0, 1 × 80; phantom: 0, 3 × 60;
    # under-service: a violation only; both upcoding and split: 0, 2 × 50 + 1 × 150
    np.testing.assert_allclose(found.points, [100.0, 0.0, 0.0, 70.0, 50.0, 0.0, 150.0])
    np.testing.assert_allclose(found.deducted, [100.0, 80.0, 180.0, 0.0, 0.0, 250.0, 0.0])
    never = Audit(detection={}, penalty=cfg.penalty)
    missed = audit.review(acts, audited, np.arange(7), points, true_points, never, key=12345)
    assert missed.caught.tolist() == [0] * 7
    np.testing.assert_array_equal(missed.points, points)


def test_the_reports_parameter_table_shows_what_an_unset_act_key_resolves_to(base) -> None:
    scn = with_overrides(base, {"behaviour.shifting.rate": 0.3})
    rows = {p.key: p for p in drgsim.present.report.parameters(scn, {"behaviour.shifting.rate"})}

    def shown(key: str) -> tuple[float, float]:
        return float(rows[key].value), float(rows[key].default)

    assert shown("behaviour.shifting.rate") == (0.3, 0.0)
    assert shown("behaviour.shifting.loss_threshold") == (0.2, 0.2)
    assert shown("behaviour.referral_down.max_rw") == (0.6, 0.6)
    assert shown("behaviour.underservice.rate") == (1.0, 1.0)
    assert shown("behaviour.induced.charge_ratio") == (0.6, 0.6)
    assert shown("behaviour.shifting.destination.higher") == (0.6, 0.6)
