"""Hospital costs and margins (spec §8): a fixed part set by the baseline, a variable part by the
cases treated; margin = fund payment + patient payments − fixed cost − variable cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import import_table

import drgsim
from drgsim.cases import ACT_BITS
from drgsim.errors import ScenarioError
from drgsim.population.hospitals import hospital_table
from drgsim.records.results import Result
from drgsim.rules import costs
from drgsim.scale.runner import baseline_charges, load_catalogue
from drgsim.scenario.loader import load_scenario

KEYS = ["replication", "year", "hospital"]


def small(**extra: Any) -> dict[str, Any]:
    """A small city of 20 000 admissions and nine hospitals, one year, budget-neutral."""
    scn: dict[str, Any] = {
        "extends": "shanwei",
        "name": "costs",
        "seed": 5,
        "years": 1,
        "replications": 1,
        "region": {"admissions": 20000},
        "other_hospitals": {"count": {2: 2, 1: 2}},
    }
    scn.update(extra)
    return scn


def rows(result: Result, name: str) -> pd.DataFrame:
    st = result.settlement
    return st[st["variant"] == name].set_index(KEYS).sort_index()


# --- the rule by hand ---------------------------------------------------------------------------


def test_the_cost_rules_by_hand() -> None:
    # fixed: (1 − 0.6) × 1 000 = 400; variable: 0.6 × 500 = 300
    np.testing.assert_allclose(costs.fixed_cost_yuan(np.array([1000.0, 0.0]), 0.6), [400.0, 0.0])
    np.testing.assert_allclose(costs.variable_cost_yuan(np.array([500.0]), 0.6), [300.0])
    # 90 000 fen = 900 yuan paid + 100 yuan by patients − 400 − 300 = 300
    margin = costs.margin_yuan(np.array([90_000]), np.array([100.0]), [400.0], [300.0])
    np.testing.assert_allclose(margin, [300.0])
    # fund payment 900 over fund-eligible charges 1 000 − 100 = 900; no eligible charges: NaN
    ratio = costs.settlement_ratio(np.array([90_000, 5]), np.array([1000.0, 10.0]), [100.0, 10.0])
    assert ratio[0] == pytest.approx(1.0) and np.isnan(ratio[1])
    # all variable: no fixed cost; all fixed: no variable cost
    assert costs.fixed_cost_yuan(np.array([1000.0]), 1.0)[0] == 0.0
    assert costs.variable_cost_yuan(np.array([1000.0]), 0.0)[0] == 0.0


# --- the baseline's expected charges ------------------------------------------------------------


def test_the_baseline_s_expected_charges_grow_with_charges_and_volume() -> None:
    """Year y's expected charges are year one's × (1.04 × 1.02)^y: §9's growth of charges per
    case and of admissions; twice the admissions, twice the charges."""
    scn = load_scenario(small(years=3))
    cat = load_catalogue(scn)
    charges = baseline_charges(scn, cat)
    assert charges.shape == (3, 9) and (charges > 0).all()
    for y in range(3):
        np.testing.assert_allclose(charges[y], charges[0] * (1.04 * 1.02) ** y, rtol=1e-12)
    double = baseline_charges(load_scenario(small(region={"admissions": 40000})), cat)
    np.testing.assert_allclose(double[0], 2 * charges[0], rtol=1e-12)


# --- costs and margins in the settlement table ---------------------------------------------------


@pytest.fixture(scope="module")
def acts() -> Result:
    """A baseline and variants that cut service, add billed-only cases or add real volume."""
    return drgsim.run(
        small(
            audit={"sample_rate": 0},
            variants={
                "underservice": {"hospitals.SW04.underservice.cut": 0.3},
                "phantom": {"hospitals.SW05.phantom.rate": 0.1},
                "induced": {"hospitals.SW02.induced.rate": 0.1},
                "more_admissions": {"region.admissions": 22000},
            },
        ),
        cases=True,
    )


def test_each_hospital_s_fixed_cost_is_the_baseline_s_in_every_variant(acts: Result) -> None:
    """Fixed costs are (1 − 0.6) × the baseline's expected charges whatever a variant does, even
    one with 10% more admissions: added volume brings variable cost only."""
    base = rows(acts, "baseline")
    scn = load_scenario(small())
    expected = pd.Series(baseline_charges(scn, load_catalogue(scn))[0], hospital_table(scn).ids)
    got = base.xs((0, 2021), level=["replication", "year"])["fixed_cost_yuan"]
    np.testing.assert_allclose(got, 0.4 * expected.loc[got.index], rtol=1e-12)
    for name in ("underservice", "phantom", "induced", "more_admissions"):
        mine = rows(acts, name)
        np.testing.assert_array_equal(mine["fixed_cost_yuan"], base["fixed_cost_yuan"])
    assert rows(acts, "more_admissions")["charges_yuan"].sum() > 1.05 * base["charges_yuan"].sum()


def test_variable_cost_is_0_6_of_the_charges_of_the_cases_treated(acts: Result) -> None:
    """Summed from the case table: every case's charges but a phantom case's (never treated)."""
    c = acts.cases
    treated = c[(c["acts"] & ACT_BITS["phantom"]) == 0]
    want = 0.6 * treated.groupby(["variant", *KEYS])["cost_yuan"].sum()
    st = acts.settlement.set_index(["variant", *KEYS])
    np.testing.assert_allclose(st.loc[want.index, "variable_cost_yuan"], want, rtol=1e-12)
    billed = c.groupby(["variant", *KEYS])["cost_yuan"].sum()
    np.testing.assert_allclose(st.loc[billed.index, "charges_yuan"], billed, rtol=1e-12)
    phantom = rows(acts, "phantom").xs("SW05", level="hospital")
    assert float(phantom["charges_yuan"].iloc[0]) > float(phantom["true_cost_yuan"].iloc[0])


def test_margin_is_payment_plus_patient_payments_less_fixed_and_variable_cost(
    acts: Result,
) -> None:
    st = acts.settlement
    fund = st["final_fen"] / 100.0
    want = fund + st["oop_yuan"] - st["fixed_cost_yuan"] - st["variable_cost_yuan"]
    np.testing.assert_allclose(st["margin_yuan"], want, rtol=1e-12, atol=1e-6)
    ratio = fund / (st["charges_yuan"] - st["oop_yuan"])
    np.testing.assert_allclose(st["settlement_ratio"], ratio, rtol=1e-12)
    assert st["margin_yuan"].dtype == np.float64 and st["fixed_cost_yuan"].dtype == np.float64


def test_a_hospital_cutting_service_is_paid_less_and_earns_more(acts: Result) -> None:
    """SW04 cuts every case's charges by 30% (and some of its patients come back: readmissions
    the cut causes, spec §8): its payment falls a little (low-cost cases) while its variable cost
    falls by 0.6 × 0.3 × its baseline charges, less 0.6 × the readmissions' charges."""
    base = rows(acts, "baseline").xs("SW04", level="hospital").iloc[0]
    cut = rows(acts, "underservice").xs("SW04", level="hospital").iloc[0]
    c = acts.cases[acts.cases["hospital"] == "SW04"]
    was = c[c["variant"] == "baseline"].set_index("case_id")["cost_yuan"]
    now = c[c["variant"] == "underservice"]
    kept = now[now["origin_kind"] == ""].set_index("case_id")["cost_yuan"]
    np.testing.assert_allclose(kept, 0.7 * was.loc[kept.index], rtol=1e-12)
    assert len(kept) == len(was)
    added = now.loc[now["origin_kind"] == "underservice", "cost_yuan"].sum()
    variable = 0.6 * (0.7 * was.sum() + added)  # the cut cases and the readmissions they cause
    assert cut["variable_cost_yuan"] == pytest.approx(variable, rel=1e-9)
    paid = (cut["final_fen"] - base["final_fen"]) / 100 + cut["oop_yuan"] - base["oop_yuan"]
    change = paid - (variable - 0.6 * was.sum())  # the fixed cost does not move
    assert cut["margin_yuan"] - base["margin_yuan"] == pytest.approx(change, rel=1e-9)
    assert cut["final_fen"] < base["final_fen"] and cut["margin_yuan"] > base["margin_yuan"]


def test_billed_only_cases_cost_nothing_so_the_margin_moves_with_the_payment_alone(
    acts: Result,
) -> None:
    """A phantom case costs nothing: SW05 bills more charges, its cost does not move, and its
    margin changes by its payment's and patient payments' change (whatever the audit takes)."""
    base = rows(acts, "baseline").xs("SW05", level="hospital").iloc[0]
    mine = rows(acts, "phantom").xs("SW05", level="hospital").iloc[0]
    assert mine["charges_yuan"] > base["charges_yuan"]
    assert mine["variable_cost_yuan"] == pytest.approx(base["variable_cost_yuan"], rel=1e-12)
    paid = (mine["final_fen"] - base["final_fen"]) / 100 + mine["oop_yuan"] - base["oop_yuan"]
    assert mine["margin_yuan"] - base["margin_yuan"] == pytest.approx(paid, rel=1e-9, abs=1e-6)


# --- a replayed table ---------------------------------------------------------------------------


def test_a_replayed_table_s_baseline_costs_what_it_charges(acts: Result, tmp_path: Path) -> None:
    """Fixed cost = 0.4 × the table's charges of the hospital that year, so with no act a
    replayed hospital's margin is its payment and patient payments less its charges."""
    c = acts.cases
    path = tmp_path / "cases.csv"
    import_table(c[c["variant"] == "baseline"]).to_csv(path, index=False)
    replay = drgsim.run(small(cases={"source": str(path)}))
    st = replay.settlement
    charges = c[c["variant"] == "baseline"].groupby("hospital")["cost_yuan"].sum()
    np.testing.assert_allclose(
        st.set_index("hospital").loc[charges.index, "fixed_cost_yuan"], 0.4 * charges, rtol=1e-9
    )
    want = st["final_fen"] / 100 + st["oop_yuan"] - st["charges_yuan"]
    np.testing.assert_allclose(st["margin_yuan"], want, rtol=1e-9, atol=1e-3)


# --- a budget-neutral baseline --------------------------------------------------------------------


def test_a_budget_neutral_shanwei_baseline_has_margins_near_zero_every_year() -> None:
    """Spec §9: the hospitals' total margin stays within ±1% of their payments every year."""
    result = drgsim.run({"extends": "shanwei", "years": 3}, replications=1, variants=["baseline"])
    st = result.settlement
    for year, d in st.groupby("year"):
        payment = d["final_fen"].sum() / 100 + d["oop_yuan"].sum()
        assert abs(d["margin_yuan"].sum()) < 0.01 * payment, year


def test_a_variable_share_outside_0_to_1_is_refused_in_one_line() -> None:
    with pytest.raises(ScenarioError, match=r"cost\.variable_share: got 1\.5; allowed: >= 0"):
        load_scenario(small(cost={"variable_share": 1.5}))


def test_a_variable_share_of_1_makes_the_margin_payment_less_the_charges_treated(
    acts: Result,
) -> None:
    """With no fixed part a hospital's cost is the charges of the cases it treated (v1's margin)."""
    one = drgsim.run(small(audit={"sample_rate": 0}, cost={"variable_share": 1.0}))
    st = one.settlement
    assert (st["fixed_cost_yuan"] == 0).all()
    want = st["final_fen"] / 100 + st["oop_yuan"] - st["true_cost_yuan"]
    np.testing.assert_allclose(st["margin_yuan"], want, rtol=1e-12, atol=1e-6)
    # the payments do not depend on the cost model: the same fen as at 0.6
    base = rows(acts, "baseline")
    np.testing.assert_array_equal(
        st.set_index(KEYS).sort_index()["final_fen"].to_numpy(), base["final_fen"].to_numpy()
    )
