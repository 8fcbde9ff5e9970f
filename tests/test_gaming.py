"""Gaming under the global budget, whole scenarios: who gains, who pays, what the audit does.

Small cities (20 000 admissions a year, the five Shanwei pilot hospitals plus two tier-2 and
two tier-1 hospitals, a fixed budget) so the whole file runs in seconds. Every variant sees
the baseline's patients (common random numbers), so differences are the acts' own effects.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import NO_AUDIT, import_table

import drgsim
from drgsim.cases import ACT_BITS
from drgsim.records.results import Result
from drgsim.scenario.loader import load_scenario, variant_scenario, with_overrides

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
TABLES = ("settlement", "hospital_month", "region_year")
KEYS = ["replication", "year", "hospital"]

#: Every act the Shanwei scenario varies, switched off explicitly.
ZERO_ACTS = {
    "hospitals.SW01.upcoding.rate": 0,
    "tiers.3.shifting.rate": 0,
    "hospitals.SW03.splitting.rate": 0,
    "tiers.1.induced.rate": 0,
    "hospitals.SW05.phantom.rate": 0,
    "hospitals.SW04.underservice.cut": 0,
    "behaviour.referral_down.rate": 0,
}


def small(**extra: Any) -> dict[str, Any]:
    """A small city: 20 000 admissions, 9 hospitals, a fixed budget of 150 M yuan, one year."""
    scn: dict[str, Any] = {
        "extends": "shanwei",
        "name": "gaming",
        "seed": 11,
        "years": 1,
        "replications": 1,
        "region": {"admissions": 20000},
        "other_hospitals": {"count": {2: 2, 1: 2}},
        "budget": {"annual": 1.5e8},
        "settlement": {"mode": "pool"},
    }
    scn.update(extra)
    return scn


def variant(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of one variant, indexed by replication, year and hospital."""
    return table[table["variant"] == name].set_index(KEYS).sort_index()


def change(result: Result, name: str, column: str) -> pd.Series:
    """Each hospital's change of `column` against the baseline, per replication and year."""
    s = result.settlement
    return variant(s, name)[column] - variant(s, "baseline")[column]


def one(result: Result, name: str, hospital: str, column: str) -> float:
    rows = variant(result.settlement, name).xs(hospital, level="hospital")
    assert len(rows) == 1
    return float(rows[column].iloc[0])


# --- an all-zero variant is the baseline ---------------------------------------------------


@pytest.fixture(scope="module")
def zero_run() -> Result:
    return drgsim.run(small(replications=2, variants={"zero": ZERO_ACTS}), cases=True)


@pytest.mark.parametrize("table", [*TABLES, "cases"])
def test_a_variant_whose_acts_are_all_zero_gives_the_baseline_tables(zero_run, table) -> None:
    frame = getattr(zero_run, table)
    base = frame[frame["variant"] == "baseline"].drop(columns="variant").reset_index(drop=True)
    zero = frame[frame["variant"] == "zero"].drop(columns="variant").reset_index(drop=True)
    assert len(base) > 0
    pd.testing.assert_frame_equal(zero, base)


# --- zero-sum under the fixed budget, and the comparison table ---------------------------


@pytest.fixture(scope="module")
def market() -> Result:
    """Pool mode, no audit, three replications: baseline, an all-zero variant, an upcoder."""
    return drgsim.run(
        small(
            replications=3,
            audit=NO_AUDIT,
            variants={"zero": ZERO_ACTS, "upcoding": {"hospitals.SW01.upcoding.rate": 0.3}},
        )
    )


def test_with_a_fixed_budget_the_total_paid_is_the_same_to_the_fen(market) -> None:
    s, ry = market.settlement, market.region_year
    for name in ("baseline", "upcoding"):
        paid = s[s["variant"] == name].groupby("replication")["final_fen"].sum()
        budget = ry[ry["variant"] == name].groupby("replication")["budget_fen"].sum()  # funds
        assert (paid == budget).all()
        assert (paid == 15_000_000_000).all()  # 150 M yuan in fen, the reserve released (§3)


def test_the_upcoders_gain_is_exactly_what_the_other_hospitals_lose(market) -> None:
    diff = change(market, "upcoding", "final_fen")
    for rep, d in diff.groupby(level="replication"):
        gain = int(d.xs("SW01", level="hospital").iloc[0])
        others = int(d.drop("SW01", level="hospital").sum())
        assert gain > 0, f"replication {rep}"
        assert gain == -others, f"replication {rep}"
        assert (d.drop("SW01", level="hospital") < 0).all(), f"replication {rep}"


def test_the_upcoder_bills_more_points_and_the_others_the_same(market) -> None:
    diff = change(market, "upcoding", "points")
    assert (diff.xs("SW01", level="hospital") > 0).all()
    assert (diff.drop("SW01", level="hospital") == 0).all()


def test_the_comparison_has_a_row_per_variant_hospital_and_year(market) -> None:
    comp = market.comparison
    assert comp is not None
    hospitals = market.settlement["hospital"].nunique()
    assert len(comp) == 2 * hospitals  # zero and upcoding, one year
    assert set(comp["variant"]) == {"zero", "upcoding"}
    assert not comp.duplicated(["variant", "hospital", "year"]).any()
    assert (comp["replications"] == 3).all()


def test_the_comparison_interval_is_the_paired_t_interval(market) -> None:
    """mean ± t × sd/√n of the three paired differences; with 2 degrees of freedom Student's
    0.975 quantile has the closed form t = (2p − 1) / √(2p(1 − p)), p = 0.975: 4.30265…"""
    p = 0.975
    t = (2 * p - 1) / np.sqrt(2 * p * (1 - p))
    comp = market.comparison.set_index(["variant", "hospital", "year"]).sort_index()
    for m in ("final_fen", "margin_yuan", "points"):
        diff = change(market, "upcoding", m).groupby(level=["hospital", "year"])
        half = t * diff.std(ddof=1) / np.sqrt(diff.size())
        got = comp.loc["upcoding"]
        want_lo, want_hi = diff.mean() - half, diff.mean() + half
        assert (half > 0).any(), m  # the upcoder's gain differs between replications
        slack = 1e-4 * half + 1e-9  # the table's quantile is 4.303, to three decimals
        assert (abs(got.loc[half.index, f"{m}_change_lo"] - want_lo) <= slack).all(), m
        assert (abs(got.loc[half.index, f"{m}_change_hi"] - want_hi) <= slack).all(), m


def test_the_comparison_mean_is_the_mean_of_the_paired_differences(market) -> None:
    comp = market.comparison.set_index(["variant", "hospital", "year"]).sort_index()
    for name in ("zero", "upcoding"):
        for m in ("final_fen", "margin_yuan", "points"):
            want = change(market, name, m).groupby(level=["hospital", "year"]).mean()
            got = comp.loc[name, f"{m}_change_mean"]
            np.testing.assert_allclose(
                got.loc[want.index].to_numpy(), want.to_numpy(), rtol=1e-12, atol=1e-9
            )


def test_the_comparison_of_an_all_zero_variant_is_exactly_zero(market) -> None:
    comp = market.comparison
    zero = comp[comp["variant"] == "zero"]
    cols = [c for c in comp.columns if "_change_" in c]
    assert (zero[cols].to_numpy() == 0.0).all()


# --- inflating every hospital's volume alike changes no payment -------------------------


@pytest.fixture(scope="module")
def inflated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Result]:
    """One year's cases replayed once, and with every case twice (new patient and case ids).

    Patient payments are 0, so PV = B / points; no special-review quota (its floor(quota × n)
    would let the doubled city nominate more than twice as many cases) and no audit.
    """
    rules = {"audit": NO_AUDIT, "special_review": {"quota": 0}}
    c = drgsim.run(small(**rules), cases=True).cases
    table = import_table(c, without=("year", "oop_yuan")).assign(
        patient_id=lambda t: t["patient_id"].astype(str), oop_yuan=0.0
    )
    copy = table.assign(case_id=table["case_id"] + 10**9, patient_id="twin-" + table["patient_id"])
    folder = tmp_path_factory.mktemp("inflated")
    once, twice = folder / "once.csv", folder / "twice.csv"
    table.to_csv(once, index=False)
    pd.concat([table, copy], ignore_index=True).to_csv(twice, index=False)
    return (
        drgsim.run(small(cases={"source": str(once)}, **rules)),
        drgsim.run(small(cases={"source": str(twice)}, **rules)),
    )


def test_doubling_every_hospitals_volume_halves_the_point_value(inflated) -> None:
    once, twice = inflated
    pv1 = once.region_year["point_value"].to_numpy()
    pv2 = twice.region_year["point_value"].to_numpy()
    np.testing.assert_allclose(pv2, pv1 / 2, rtol=1e-9)
    m1, m2 = once.hospital_month, twice.hospital_month
    np.testing.assert_allclose(m2["point_value"], m1["point_value"] / 2, rtol=1e-9)
    np.testing.assert_allclose(twice.settlement["points"], 2 * once.settlement["points"])
    assert (twice.settlement["cases"] == 2 * once.settlement["cases"]).all()


def test_doubling_every_hospitals_volume_leaves_every_payment_unchanged(inflated) -> None:
    once, twice = inflated
    for col in ("prepaid_fen", "withheld_fen", "incentive_fen", "final_fen"):
        assert twice.settlement[col].tolist() == once.settlement[col].tolist(), col
    assert twice.hospital_month["allocation_fen"].tolist() == (
        once.hospital_month["allocation_fen"].tolist()
    )


# --- the audit -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def audited() -> Result:
    """Every claim reviewed; upcoding (SW01) and phantom cases (SW05) caught or never caught."""
    full = {"upcoding": 1, "split": 1, "phantom": 1, "underservice": 1}
    never = {"upcoding": 0, "split": 0, "phantom": 0, "underservice": 0}
    up, ph = {"hospitals.SW01.upcoding.rate": 0.3}, {"hospitals.SW05.phantom.rate": 0.05}
    # an upcoder weighs the audit it expects (spec §8): at a 20% sample it still upcodes
    sampled = {**up, "audit.sample_rate": 0.2, "audit.screening.recall.upcoding": 0}
    return drgsim.run(
        small(
            audit={"sample_rate": 1, "detection": full},
            variants={
                "upcoding_certain": {**up, "audit.penalty.upcoding": 1},
                "upcoding_penalty_1": {**sampled, "audit.penalty.upcoding": 1},
                "upcoding_penalty_2": {**sampled, "audit.penalty.upcoding": 2},
                "upcoding_undetected": {**up, "audit.detection": never},
                "phantom_penalty_3": {**ph, "audit.penalty.phantom": 3},
                "phantom_undetected": {**ph, "audit.detection": never},
            },
        )
    )


def test_a_caught_and_penalised_act_pays_less_than_honesty(audited) -> None:
    name, hospital = "phantom_penalty_3", "SW05"
    for col in ("final_fen", "margin_yuan"):
        assert one(audited, name, hospital, col) < one(audited, "baseline", hospital, col), col
    assert one(audited, name, hospital, "deducted_points") > 0
    assert one(audited, name, hospital, "violation_rate") > 0


def test_an_upcoder_that_expects_every_claim_caught_does_not_upcode(audited) -> None:
    # every claim reviewed and confirmed, penalty 1: a gain g would cost g + 1 × g
    for col in ("final_fen", "points", "deducted_points"):
        got = one(audited, "upcoding_certain", "SW01", col)
        assert got == one(audited, "baseline", "SW01", col), col


def test_a_double_penalty_costs_more_than_a_single_one(audited) -> None:
    # both upcode the same claims (the penalty scales every gain alike) and are caught alike
    p1 = one(audited, "upcoding_penalty_1", "SW01", "final_fen")
    p2 = one(audited, "upcoding_penalty_2", "SW01", "final_fen")
    assert p2 < p1
    d1 = one(audited, "upcoding_penalty_1", "SW01", "deducted_points")
    assert one(audited, "upcoding_penalty_2", "SW01", "deducted_points") == pytest.approx(2 * d1)


@pytest.mark.parametrize(
    ("name", "hospital"), [("upcoding_undetected", "SW01"), ("phantom_undetected", "SW05")]
)
def test_an_act_the_audit_never_catches_pays_more_than_honesty(audited, name, hospital) -> None:
    for col in ("final_fen", "margin_yuan"):
        assert one(audited, name, hospital, col) > one(audited, "baseline", hospital, col), col
    assert one(audited, name, hospital, "deducted_points") == 0
    assert one(audited, name, hospital, "violation_rate") == 0


# --- split admissions and the readmission rule -------------------------------------------


@pytest.fixture(scope="module")
def splits() -> Result:
    """SW03 splits 30% of its stays, no audit; once at the readmission factor 0.5, once at 1;
    then with every pair evading the rule."""
    split = {"hospitals.SW03.splitting.rate": 0.3, "hospitals.SW03.splitting.evade": 0.0}
    return drgsim.run(
        small(
            audit=NO_AUDIT,
            variants={
                "split": split,
                "split_factor_1": {**split, "readmission.factor": 1.0},
                "split_evading": {**split, "hospitals.SW03.splitting.evade": 1.0},
            },
        ),
        cases=True,
    )


def test_the_first_stay_of_every_split_pair_is_flagged_a_readmission(splits) -> None:
    c = splits.cases[splits.cases["variant"] == "split"]
    second = c[(c["acts"] & ACT_BITS["splitting"]) != 0]
    assert len(second) > 100
    assert (second["hospital"] == "SW03").all()
    first = c.set_index("case_id").loc[second["origin_id"]]
    assert first["readmission"].all()
    assert (first["patient_id"].to_numpy() == second["patient_id"].to_numpy()).all()
    assert (first["day"].to_numpy() + 1 == second["admit_day"].to_numpy()).all()  # gap_days


def test_the_first_stay_of_a_split_pair_that_evades_is_not_cut(splits) -> None:
    c = splits.cases[splits.cases["variant"] == "split_evading"]
    second = c[(c["acts"] & ACT_BITS["splitting"]) != 0]
    assert len(second) > 100
    first = c.set_index("case_id").loc[second["origin_id"]]
    # only a stay the generator itself readmits within the window may be flagged
    assert first["readmission"].mean() < 0.05
    gap = second["admit_day"].to_numpy() - first["day"].to_numpy()
    other_adrg = first["drg_true"].str[:3].to_numpy() != second["drg_true"].str[:3].to_numpy()
    assert ((gap == 1) & other_adrg | (gap == 16) & ~other_adrg).all()


def test_the_first_stay_of_a_split_pair_earns_the_readmission_factor_times_its_points(
    splits,
) -> None:
    c = splits.cases
    half = c[c["variant"] == "split"].set_index("case_id")
    full = c[c["variant"] == "split_factor_1"].set_index("case_id")
    second = half[(half["acts"] & ACT_BITS["splitting"]) != 0]
    firsts = second["origin_id"]
    np.testing.assert_allclose(
        half.loc[firsts, "points"], 0.5 * full.loc[firsts, "points"], rtol=1e-12
    )
    # every other claim too: factor × points when it is an earlier stay, else unchanged
    assert (half["readmission"] == full["readmission"]).all()
    factor = np.where(half["readmission"], 0.5, 1.0)
    np.testing.assert_allclose(half["points"], factor * full["points"], rtol=1e-12)


# --- every case has an id of its own and an origin -----------------------------------------

#: Every act at once, at rates that make each happen hundreds of times in the small city.
EVERY_ACT = {
    "hospitals.SW01.upcoding.rate": 0.2,
    "hospitals.SW01.shifting.rate": 0.5,
    "hospitals.SW03.splitting.rate": 0.3,
    "tiers.1.induced.rate": 0.1,
    "hospitals.SW05.phantom.rate": 0.05,
    "hospitals.SW04.underservice.cut": 0.1,
    "hospitals.SW04.underservice.readmit_uplift": 0.1,
    "behaviour.referral_down.rate": 0.2,
}
CREATING = ("splitting", "induced", "phantom")
MOVING = ("shifting", "referral_down")
#: Acts done to a case that may bring a later case (under-service: a readmission).
FOLLOWED = ("underservice",)
GROUP = ["variant", "replication", "year"]


@pytest.fixture(scope="module")
def every_act(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, pd.DataFrame, Result]:
    """Two years with every act; then that run's own case table replayed with every act again.

    The replayed table already holds split stays, induced and phantom cases, so the ids the
    acts give new cases must not be ones the table uses.
    """
    first = drgsim.run(small(years=2, variants={"every_act": EVERY_ACT}), cases=True)
    c = first.cases
    table = import_table(c[c["variant"] == "every_act"])
    path = tmp_path_factory.mktemp("every_act") / "cases.csv"
    table.to_csv(path, index=False)
    replay = drgsim.run(
        small(years=2, cases={"source": str(path)}, variants={"every_act": EVERY_ACT}),
        cases=True,
    )
    return first, table, replay


def test_with_every_act_synthetic_and_replayed_case_ids_are_unique_in_each_year(
    every_act,
) -> None:
    first, _, replay = every_act
    for result in (first, replay):
        c = result.cases
        assert len(c[c["variant"] == "every_act"]) > 20000
        repeated = c[c.duplicated([*GROUP, "case_id"], keep=False)]
        assert repeated.empty, repeated[[*GROUP, "case_id", "origin_kind"]].head()


def test_each_created_case_comes_from_a_case_of_its_hospital_month_and_group(every_act) -> None:
    first, _, replay = every_act
    for result in (first, replay):
        c = result.cases.assign(adrg=lambda t: t["drg_true"].str[:3])
        for keys, part in c.groupby(GROUP):
            by_id = part.set_index("case_id")
            for kind in CREATING:
                made = part[part["origin_kind"] == kind]
                if keys[0] == "every_act":
                    assert len(made) > 50, (keys, kind)
                else:
                    assert made.empty, (keys, kind)
                assert made["origin_id"].isin(by_id.index).all(), (keys, kind)
                origin = by_id.loc[made["origin_id"]]
                assert (origin["hospital"].to_numpy() == made["hospital"].to_numpy()).all(), kind
                if kind == "splitting":  # the second stay ends this or a later month, in its MDC
                    assert (origin["month"].to_numpy() <= made["month"].to_numpy()).all()
                    same = origin["adrg"].str[0].to_numpy() == made["adrg"].str[0].to_numpy()
                else:
                    assert (origin["month"].to_numpy() == made["month"].to_numpy()).all(), kind
                    same = origin["adrg"].to_numpy() == made["adrg"].to_numpy()
                assert same.all(), kind
                assert (origin["origin_kind"] != kind).all(), kind  # made from an older case
            split = part[part["origin_kind"] == "splitting"]
            first_stays = by_id.loc[split["origin_id"]]
            assert (first_stays["patient_id"].to_numpy() == split["patient_id"].to_numpy()).all()
            assert (first_stays["day"].to_numpy() < split["admit_day"].to_numpy()).all()


def test_a_case_has_an_origin_exactly_when_an_act_made_or_moved_it(every_act) -> None:
    first, _, replay = every_act
    for result in (first, replay):
        c = result.cases
        for kind in CREATING:
            carries = (c["acts"] & ACT_BITS[kind]) != 0
            assert ((c["origin_kind"] == kind) == carries).all(), kind
        moved = c["origin_kind"].isin(MOVING)
        assert moved.sum() > 100
        assert (c.loc[moved, "origin_id"] == c.loc[moved, "case_id"]).all()
        for kind in MOVING:
            assert ((c.loc[c["origin_kind"] == kind, "acts"] & ACT_BITS[kind]) != 0).all()
        plain = c["origin_kind"] == ""
        assert (c.loc[plain, "origin_id"] == -1).all()
        for kind in FOLLOWED:  # the later case is not itself the act; its origin carries it
            later = c[c["origin_kind"] == kind]
            assert ((later["acts"] & ACT_BITS[kind]) == 0).all(), kind
            keyed = c.set_index([*GROUP, "case_id"])["acts"]
            origin = keyed.loc[
                list(zip(*(later[k] for k in GROUP), later["origin_id"], strict=True))
            ]
            assert ((origin.to_numpy() & ACT_BITS[kind]) != 0).all(), kind
        assert set(c["origin_kind"]) == {"", *CREATING, *MOVING, *FOLLOWED}


def test_a_hospitals_cost_is_that_of_its_cases_except_phantom_ones(every_act) -> None:
    first, _, _ = every_act
    c = first.cases
    borne = c[(c["acts"] & ACT_BITS["phantom"]) == 0]
    want = borne.groupby([*GROUP, "hospital"])["cost_yuan"].sum()
    got = first.settlement.set_index([*GROUP, "hospital"])["true_cost_yuan"]
    np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-12)
    phantom = c[(c["acts"] & ACT_BITS["phantom"]) != 0]
    assert phantom["cost_yuan"].sum() > 0  # billed, but never borne


def test_replayed_cases_keep_the_tables_own_id_as_their_record_id(every_act) -> None:
    first, table, replay = every_act
    c = replay.cases
    assert (first.cases["record_id"] == "").all() and (first.cases["record_row"] == -1).all()
    for name in ("baseline", "every_act"):
        mine = c[c["variant"] == name]
        recorded = mine[mine["record_row"] != -1]
        assert not recorded["origin_kind"].isin(CREATING).any()
        made = mine.loc[mine["record_row"] == -1, "origin_kind"]
        assert made.isin((*CREATING, *FOLLOWED)).all()
        assert (mine.loc[mine["record_row"] == -1, "record_id"] == "").all()
        for year, ids in recorded.groupby("year")["record_id"]:
            want = table.loc[table["year"] == year, "case_id"].astype(str)  # the ids as text
            assert sorted(ids.tolist()) == sorted(want.tolist()), (name, year)


# --- patient shifting ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shifting() -> Result:
    """SW01 alone refuses 30% of the cases it predicts to lose; or every tier-3 hospital does.

    The budget is neutral: at the small city's fixed 150 M yuan the forecast point value pays a
    tier-3 hospital more than its own charges of every group, and nobody refuses. At a neutral
    budget, the groups whose charges at SW01 (cost level 1.18) exceed their expected payment
    (most of its cases) are predicted to lose (spec §8).
    """
    refuse = {"rate": 0.3, "loss_threshold": 0.0}
    return drgsim.run(
        small(
            budget={"annual": None},
            audit=NO_AUDIT,
            variants={
                "sw01_shifts": {f"hospitals.SW01.shifting.{k}": v for k, v in refuse.items()},
                "tier3_shifts": {f"tiers.3.shifting.{k}": v for k, v in refuse.items()},
            },
        ),
        cases=True,
    )


def refusals(result: Result, name: str) -> pd.DataFrame:
    """The variant's refused cases with the hospital that had them in the baseline."""
    c = result.cases
    base = c[c["variant"] == "baseline"].set_index("case_id")["hospital"]
    got = c[(c["variant"] == name) & ((c["acts"] & ACT_BITS["shifting"]) != 0)].copy()
    got["refused_by"] = base.loc[got["case_id"]].to_numpy()
    rw = result.catalogue.drop_duplicates(["year", "drg"]).set_index(["year", "drg"])["rw"]
    got["rw"] = rw.loc[list(zip(got["year"], got["drg_billed"], strict=True))].to_numpy()
    return got


def high_weight(result: Result, name: str, hospital: str) -> int:
    """A hospital's own grouped cases in the variant whose group weighs at least 2."""
    c = result.cases
    c = c[(c["variant"] == name) & (c["hospital"] == hospital) & (c["drg_billed"] != "0000")]
    rw = result.catalogue.drop_duplicates(["year", "drg"]).set_index(["year", "drg"])["rw"]
    weights = rw.loc[list(zip(c["year"], c["drg_billed"], strict=True))].to_numpy()
    return int(np.count_nonzero(weights >= 2.0))


def test_the_hospitals_receiving_refused_patients_treat_more_cases(shifting) -> None:
    got = refusals(shifting, "sw01_shifts")
    assert set(got["refused_by"]) == {"SW01"}
    receivers = set(got["hospital"])
    assert "SW01" not in receivers
    assert {"SW03", "SW04"} < receivers  # its own tier (0.3), lower tiers (0.1; no higher)
    cases = change(shifting, "sw01_shifts", "cases").droplevel(["replication", "year"])
    received = got.groupby("hospital").size()
    for h in receivers:
        assert cases[h] == received[h] > 0
    assert cases["SW01"] == -len(got)
    assert (cases.drop(["SW01", *receivers]) == 0).all()
    to_peers = got["hospital"].isin(["SW03", "SW04"]).sum()
    assert abs(to_peers - 0.75 * len(got)) < 4 * np.sqrt(len(got) * 0.75 * 0.25)


def test_a_receivers_case_mix_index_takes_in_the_weights_of_the_cases_it_receives(
    shifting,
) -> None:
    """CMI′ = (Σ RW of its own cases + Σ RW of the received ones) / (n own + n received).

    (Refused cases are the costly cases of their group, not of heavier groups: in this city
    they are lighter than the receivers' average, so the receivers' CMI falls.)
    """
    got = refusals(shifting, "sw01_shifts")
    base = variant(shifting.settlement, "baseline").droplevel(["replication", "year"])
    new = variant(shifting.settlement, "sw01_shifts").droplevel(["replication", "year"])
    c = shifting.cases
    for h in set(got["hospital"]):
        own = c[(c["variant"] == "baseline") & (c["hospital"] == h) & (c["drg_billed"] != "0000")]
        mine = got[(got["hospital"] == h) & (got["drg_billed"] != "0000")]
        want = (base.loc[h, "cmi"] * len(own) + mine["rw"].sum()) / (len(own) + len(mine))
        assert new.loc[h, "cmi"] == pytest.approx(want, rel=1e-12)


def test_the_refusers_referral_out_high_is_its_share_of_high_weight_patients_sent_away(
    shifting,
) -> None:
    got = refusals(shifting, "sw01_shifts")
    refused = int(np.count_nonzero(got["rw"] >= 2.0))
    kept = high_weight(shifting, "sw01_shifts", "SW01")
    assert refused > 0
    assert one(shifting, "sw01_shifts", "SW01", "referral_out_high") == pytest.approx(
        refused / (kept + refused), rel=1e-12
    )
    assert one(shifting, "baseline", "SW01", "referral_out_high") == 0.0


def test_every_tier_three_hospital_that_shifts_reports_patients_sent_away(shifting) -> None:
    for h in ("SW01", "SW03", "SW04"):
        assert one(shifting, "tier3_shifts", h, "referral_out_high") > 0
    for h in ("SW02", "SW05", "T2-01", "T1-01"):
        assert one(shifting, "tier3_shifts", h, "referral_out_high") == 0


def test_when_every_tier_three_hospital_shifts_each_refused_patient_ends_elsewhere(
    shifting,
) -> None:
    got = refusals(shifting, "tier3_shifts")
    assert len(got) > 0
    assert (got["hospital"] != got["refused_by"]).all()
    assert {"SW01", "SW03", "SW04"} < set(got["hospital"])


def test_when_every_tier_three_hospital_shifts_referral_out_high_counts_its_own_refusals(
    shifting,
) -> None:
    got = refusals(shifting, "tier3_shifts")
    for h in ("SW01", "SW03", "SW04"):
        refused = int(np.count_nonzero(got.loc[got["refused_by"] == h, "rw"] >= 2.0))
        kept = high_weight(shifting, "tier3_shifts", h)
        assert one(shifting, "tier3_shifts", h, "referral_out_high") == pytest.approx(
            refused / (kept + refused), rel=1e-12
        ), h


# --- adaptation ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adapting() -> Result:
    """Three years; SW01 upcodes 10% and adapts by 0.02 a year, unaudited or always caught.

    A third variant adds SW05's billed-only cases at 0.6, above max_rate, which always gain
    (no cost, no audit). (Under-service need not gain by margin: it saves the variable share of
    the charges it cuts and loses the points of cases paid by their charges.)
    """
    scn = small(
        years=3,
        audit=NO_AUDIT,
        adaptation={"enabled": True, "step": 0.02, "max_rate": 0.5},
        variants={
            "caught": {
                "audit.sample_rate": 1,
                "audit.detection.upcoding": 1,
                "audit.penalty.upcoding": 3,
            },
            # the same audit, but SW01 expects none (it misjudges the audit)
            "caught_unaware": {
                "audit.sample_rate": 1,
                "audit.detection.upcoding": 1,
                "audit.penalty.upcoding": 3,
                "hospitals.SW01.upcoding.perceived_risk": 0,
            },
            "phantom": {"hospitals.SW05.phantom.rate": 0.6},
        },
    )
    return drgsim.run(with_overrides(load_scenario(scn), {"hospitals.SW01.upcoding.rate": 0.1}))


def rates(result: Result, name: str, hospital: str, act: str) -> list[float]:
    s = result.settlement
    rows = s[(s["variant"] == name) & (s["hospital"] == hospital)].sort_values("year")
    return rows[f"rate_{act}"].tolist()


def test_an_unaudited_upcoder_raises_its_rate_by_the_step_each_year(adapting) -> None:
    assert rates(adapting, "baseline", "SW01", "upcoding") == pytest.approx([0.1, 0.12, 0.14])


def test_an_upcoder_that_expects_to_be_always_caught_never_upcodes_and_keeps_its_rate(
    adapting,
) -> None:
    # spec §8: it weighs the audit before it acts, so it gains (and loses) nothing
    assert rates(adapting, "caught", "SW01", "upcoding") == pytest.approx([0.1, 0.1, 0.1])
    s = adapting.settlement
    assert (s.loc[s["variant"] == "caught", "deducted_points"] == 0).all()


def test_an_upcoder_that_misjudges_the_audit_and_is_always_caught_lowers_its_rate(
    adapting,
) -> None:
    assert rates(adapting, "caught_unaware", "SW01", "upcoding") == pytest.approx([0.1, 0.08, 0.06])


def test_acts_at_rate_zero_stay_at_zero_while_hospitals_adapt(adapting) -> None:
    s = adapting.settlement
    s = s[s["variant"] != "phantom"]
    cols = [c for c in s.columns if c.startswith("rate_")]
    assert len(cols) == 7
    others = s[cols].copy()
    others.loc[s["hospital"] == "SW01", "rate_upcoding"] = 0.0
    assert (others.to_numpy() == 0.0).all()


def test_an_act_that_gains_above_the_highest_rate_keeps_its_rate(adapting) -> None:
    # adaptation raises a gainer's rate up to max_rate (0.5) and never lowers one above it
    assert rates(adapting, "phantom", "SW05", "phantom") == pytest.approx([0.6, 0.6, 0.6])


@pytest.fixture(scope="module")
def dear_volume() -> Result:
    """Two years; SW02 adds 5% cases dearer than their group (1.3 × its mean), adapting."""
    induced = {"rate": 0.05, "charge_ratio": 1.3, "los_ratio": 1.0}
    scn = small(
        years=2,
        budget={"annual": 1.2e8},
        audit={"sample_rate": 0},
        adaptation={"enabled": True, "step": 0.02, "max_rate": 0.5},
        hospitals={"SW02": {"induced": induced}},
    )
    return drgsim.run(scn, cases=True)


def test_added_volume_paid_under_its_charges_but_above_its_variable_cost_grows(
    dear_volume,
) -> None:
    # spec §8: adaptation weighs the margin, and a case costs its hospital only the variable
    # share of its charges (the fixed cost is paid whatever it does)
    c = dear_volume.cases
    assert c is not None
    first = c[(c["year"] == c["year"].min()) & ((c["acts"] & ACT_BITS["induced"]) != 0)]
    assert set(first["hospital"]) == {"SW02"}
    pv = float(dear_volume.region_year["point_value"].iloc[0])
    paid, charges = pv * first["points"].sum(), first["cost_yuan"].sum()
    share = load_scenario(small()).cost.variable_share
    assert share * charges < paid < charges  # a loss by charges, a gain by margin
    assert rates(dear_volume, "baseline", "SW02", "induced") == pytest.approx([0.05, 0.07])


# --- every shipped scenario adds up ----------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_each_shipped_scenario_pays_out_exactly_its_available_budget(path: Path) -> None:
    small = {"years": 1, "region.admissions": 20000}
    if load_scenario(path).regions.count:
        small |= {"regions.count": 3, "regions.admissions": 30000}
    scn = with_overrides(load_scenario(path), small)
    result = drgsim.run(scn, replications=1)
    keys = [
        *(["region"] if "region" in result.region_year else []),
        "variant",
        "replication",
        "year",
    ]
    paid = result.settlement.groupby(keys)["final_fen"].sum()
    ry = result.region_year.set_index(keys)  # a row per fund where there are several
    assert set(ry.index.get_level_values("variant")) == {"baseline", *scn.variants}
    # the reserve is the budget's reserve share, rounded to the fen
    for name in ry.index.get_level_values("variant").unique():
        rules = variant_scenario(scn, name)
        year = ry.xs(name, level="variant")
        share = Fraction(repr(rules.budget.reserve))  # the share as written, exactly
        reserve = [round(int(b) * share) for b in year["budget_fen"]]  # half to even
        assert year["reserve_fen"].tolist() == reserve, name
        # pool mode pays every fen of a year whose months all had points; repricing keeps at
        # most the withheld share of the entitlements (each is paid at least α × itself)
        retained = year["retained_fen"]
        if rules.settlement.mode == "pool":
            assert (retained == 0).all(), name
        else:
            alpha = rules.settlement.prepay_share
            money = year["available_fen"] + year["reserve_released_fen"]
            assert ((retained >= 0) & (retained <= (1 - alpha) * money + 12)).all()
    whole = ry.groupby(level=keys)[["retained_fen", "reserve_kept_fen", "budget_fen"]].sum()
    kept = whole["reserve_kept_fen"]  # the reserve is released by default (spec §3)
    assert (paid.loc[whole.index] + whole["retained_fen"] + kept == whole["budget_fen"]).all()
