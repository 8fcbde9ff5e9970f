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
    FM19  FM1   {9}       25000  2.5   250   0.05

Hospitals: A tier 3 (cost level 1.0), B tier 3 (1.25), C tier 2 (0.9), D tier 1 (0.8); K by
tier 1.0 / 0.9 / 0.8. Hospitals act on the published point value, here 100 yuan per point, so a
normal case of A is expected to earn BP × 1.0 × 100 = its group's reference cost.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import drgsim.cases
import drgsim.present.labels
import drgsim.present.report
import drgsim.records.catalogue_file
from drgsim.acts import ACTS, AUDITED
from drgsim.cases import ACT_BITS, CASE_DTYPES, CaseBatch
from drgsim.population.behaviour import Behaviours, View, resolve
from drgsim.population.generator import month_days
from drgsim.population.hospitals import hospital_table
from drgsim.rules import audit
from drgsim.rules.catalogue import Catalogue
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
"""
REF_COST = {
    "ES11": 30000,
    "ES13": 15000,
    "ES15": 10000,
    "ET11": 24000,
    "ET15": 7500,
    "EU19": 3000,
    "FM19": 25000,
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
            "audit": {"sample_rate": 0},
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


def test_upcoding_bills_each_case_one_severity_level_up_where_its_adrg_has_one(acts, cat) -> None:
    a = acts({"hospitals.A.upcoding.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "ES15"},  # 5 of a three-way ADRG → 3
        {"drg": "ES13"},  # 3 → 1
        {"drg": "ES11"},  # 1: already the top
        {"drg": "FM19"},  # 9: not split
        {"drg": "ET15"},  # 5 of a {1,5} ADRG → 1
    )
    out = a.apply(batch)
    assert out.n == batch.n
    assert a.code(out) == ["ES13", "ES11", "ES11", "FM19", "ET11"]
    assert out.billed_severity.tolist() == [1, 0, 0, 2, 0]
    assert out.severity.tolist() == batch.severity.tolist()  # the true severity is unchanged
    assert out.drg_true.tolist() == batch.drg_true.tolist()
    assert bits(out) == [1, 1, 0, 0, 1]
    np.testing.assert_array_equal(out.cost, batch.cost)


def test_upcoding_leaves_the_cases_of_hospitals_that_do_not_upcode_alone(acts, cat) -> None:
    a = acts({"hospitals.A.upcoding.rate": 1.0})
    batch = cases(cat, {"hospital": B}, {"hospital": C, "drg": "ET15"}, {"hospital": D})
    assert_same_cases(a.apply(batch), batch)


# --- patient shifting 推诿 -----------------------------------------------------------------------


def test_shifting_sends_loss_making_cases_to_another_hospital_of_the_same_or_higher_tier(
    acts, cat
) -> None:
    a = acts({"hospitals.A.shifting.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "ES15", "cost": 13000.0},  # expected 10000: loss 0.3 > 0.2 → refused
        {"drg": "ES15", "cost": 11000.0},  # loss 0.1: kept
        {"drg": "ES15", "cost": 9000.0},  # profitable: kept
        {"drg": "ET11", "cost": 36000.0},  # expected 24000: loss 0.5 → refused, RW 2.4 ≥ 2
        {"drg": "FM19", "cost": 29000.0},  # expected 25000: loss 0.16: kept
        {"drg": "ES15", "cost": 20000.0, "hospital": B},  # B does not shift
    )
    out = a.apply(batch)
    moved = [0, 3]
    # A's only other hospital of tier ≥ 3 is B; the cost follows B's cost level (1.25 / 1.0)
    assert out.hospital.tolist() == [B, A, A, B, A, B]
    np.testing.assert_allclose(out.cost[moved], [13000.0 * 1.25, 36000.0 * 1.25], rtol=1e-12)
    np.testing.assert_allclose(out.oop[moved], batch.oop[moved] * 1.25, rtol=1e-12)
    assert bits(out) == [2, 0, 0, 2, 0, 0]
    kept = [1, 2, 4, 5]
    np.testing.assert_array_equal(out.cost[kept], batch.cost[kept])
    assert out.case_id.tolist() == batch.case_id.tolist()
    assert out.patient.tolist() == batch.patient.tolist()


def test_shifting_counts_refused_high_weight_cases_of_the_refusing_hospital(acts, cat) -> None:
    a = acts({"hospitals.A.shifting.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "ES15", "cost": 13000.0},  # refused, RW 1
        {"drg": "ET11", "cost": 36000.0},  # refused, RW 2.4
        {"drg": "ES11", "cost": 40000.0},  # refused, RW 3 (loss 1/3)
        {"drg": "FM19", "cost": 25000.0},  # kept, RW 2.5
    )
    a.apply(batch)
    assert a.b.record.refused_high.tolist() == [2, 0, 0, 0]
    # losses avoided: 3000 + 12000 + 10000 yuan
    assert a.b.record.saved_yuan["shifting"][A] == pytest.approx(25000.0)


def test_shifting_uses_the_hospitals_loss_threshold(acts, cat) -> None:
    a = acts({"hospitals.A.shifting.rate": 1.0, "hospitals.A.shifting.loss_threshold": 0.5})
    batch = cases(cat, {"cost": 14000.0}, {"cost": 16000.0})  # loss 0.4 kept, 0.6 refused
    out = a.apply(batch)
    assert out.hospital.tolist() == [A, B]


def test_a_tier_two_hospital_shifts_only_to_tier_two_or_three_hospitals(acts, cat) -> None:
    a = acts({"hospitals.C.shifting.rate": 1.0})
    # C's K is 0.9: expected 9000 for ES15; 15000 is a loss of 2/3
    batch = cases(cat, *({"hospital": C, "cost": 15000.0} for _ in range(40)))
    out = a.apply(batch)
    assert set(out.hospital.tolist()) <= {A, B}
    assert set(out.hospital.tolist()) == {A, B}  # both tier-3 hospitals get some of 40
    scale = np.array([LEVEL[int(h)] / LEVEL[C] for h in out.hospital])
    np.testing.assert_allclose(out.cost, 15000.0 * scale, rtol=1e-12)
    assert set(bits(out)) == {ACT_BITS["shifting"]}


def test_a_refused_case_moves_once_even_when_its_new_hospital_also_shifts(acts, cat) -> None:
    a = acts({"tiers.3.shifting.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "ET11", "cost": 36000.0},  # A refuses it (loss 0.5): to B
        {"drg": "ES15", "cost": 13000.0, "hospital": B},  # B refuses it (loss 0.3): to A
    )
    out = a.apply(batch)
    assert out.hospital.tolist() == [B, A]
    np.testing.assert_allclose(out.cost, [36000.0 * 1.25, 13000.0 / 1.25], rtol=1e-12)
    assert bits(out) == [2, 2]
    assert a.b.record.refused_high.tolist() == [1, 0, 0, 0]
    np.testing.assert_allclose(a.b.record.saved_yuan["shifting"], [12000.0, 3000.0, 0, 0])


# --- split admission 分解住院 -------------------------------------------------------------------


def test_splitting_makes_two_stays_that_share_the_cost_and_the_days(acts, cat) -> None:
    a = acts({"hospitals.A.splitting.rate": 1.0})
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
    # 6 days: 34 → 37 and 37 → 40; 7 days: 38 → 41 and 41 → 45
    assert first.admit_day.tolist() == [34, 38]
    assert first.day.tolist() == [37, 41]
    assert first.los.tolist() == [3, 3]
    assert second.admit_day.tolist() == [37, 41]  # admitted the day the first is discharged
    assert second.day.tolist() == [40, 45]
    assert second.los.tolist() == [3, 4]
    np.testing.assert_allclose(first.cost, [6000.0, 6000.0], rtol=1e-12)
    np.testing.assert_allclose(second.cost, [6000.0, 8000.0], rtol=1e-12)
    np.testing.assert_allclose(first.oop, [1500.0, 300.0], rtol=1e-12)
    np.testing.assert_allclose(second.oop, [1500.0, 400.0], rtol=1e-12)
    np.testing.assert_array_equal(first.cost + second.cost, batch.cost)
    np.testing.assert_array_equal(first.oop + second.oop, batch.oop)
    for f in ("patient", "hospital", "adrg", "severity", "billed_severity", "month"):
        np.testing.assert_array_equal(getattr(first, f), getattr(batch, f), f)
        np.testing.assert_array_equal(getattr(second, f), getattr(batch, f), f)
    assert bits(first) == [0, 0]
    assert bits(second) == [ACT_BITS["splitting"]] * 2


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
    want = [0.5 * REF_COST[c] * LEVEL[int(h)] for c, h in zip(codes, new.hospital, strict=True)]
    np.testing.assert_allclose(new.cost, want, rtol=1e-12)
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
    a = acts({"hospitals.A.shifting.rate": 1.0, "behaviour.referral_down.rate": 1.0})
    batch = cases(
        cat,
        {"drg": "ES15", "cost": 13000.0, "case_id": 31},  # A refuses it (loss 0.3): to B
        {"drg": "ES15", "cost": 9000.0, "case_id": 32},  # kept
        {"drg": "EU19", "hospital": B, "case_id": 33},  # RW 0.3 < 0.6: B sends it down
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


def test_induced_cases_cost_and_stay_the_schemas_ratios_of_their_group(acts, cat) -> None:
    a = acts(
        {
            "hospitals.A.induced.rate": 1.0,
            "hospitals.A.induced.charge_ratio": 0.8,
            "tiers.3.induced.los_ratio": 1.5,
        }
    )
    batch = cases(cat, {"drg": "ES11"}, {"drg": "FM19"}, {"drg": "ET11"})
    new = a.apply(batch).take(np.arange(3, 6))
    mean_los = {"ES15": 5, "FM19": 8, "ET15": 4}  # the catalogue's mean_los_days
    codes = a.code(new)
    np.testing.assert_allclose(new.cost, [0.8 * REF_COST[c] for c in codes], rtol=1e-12)
    assert new.los.tolist() == [round(1.5 * mean_los[c]) for c in codes]


def test_induced_cases_of_a_later_year_cost_what_grown_charges_cost(acts, cat) -> None:
    # spec §9: the generator's charges grow by growth.charges a year; an induced case copies
    # them, so in year three (index 2) it costs 0.8 × its group's reference × 1.05²
    a = acts(
        {
            "growth.charges": 0.05,
            "hospitals.A.induced.rate": 1.0,
            "hospitals.A.induced.charge_ratio": 0.8,
        }
    )
    batch = cases(cat, {"drg": "ES11"}, {"drg": "FM19"})
    new = a.b.apply(batch, 2, np.random.SeedSequence(5), a.view).take(np.arange(2, 4))
    want = [0.8 * REF_COST[c] * 1.05**2 for c in a.code(new)]
    np.testing.assert_allclose(new.cost, want, rtol=1e-12)


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
    assert a.b.record.saved_yuan["underservice"][A] == pytest.approx(1500.0)


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
    assert settings["induced"]["charge_ratio"].tolist() == [0.5] * 4
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
    assert shown("behaviour.induced.charge_ratio") == (0.5, 0.5)
