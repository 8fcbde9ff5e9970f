"""scenarios/validation/identities.yaml: the identities of spec v2 §11 on the shipped file.

tests/test_properties.py (base points, a random small city), tests/test_funds.py (per fund)
and tests/test_gaming.py (an all-zero variant, one year) check the first two on their own
cities; here they hold on the validation scenario as shipped (two years, adaptation on in the
zero variant), and a case moved between two hospitals of equal coefficient moves its money and
nothing else.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import import_table

import drgsim
from drgsim.scenario.loader import load_scenario, with_overrides

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "identities.yaml"
MONEY = {
    "hospital_month": ["allocation_fen", "prepaid_fen", "withheld_fen"],
    "settlement": ["prepaid_fen", "withheld_fen", "deduction_fen", "incentive_fen", "final_fen"],
    "region_year": ["budget_fen", "reserve_fen", "available_fen", "paid_fen", "retained_fen"],
}


@pytest.fixture(scope="module")
def result() -> drgsim.Result:
    return drgsim.run(SCENARIO, cases=True)


def _of(result: drgsim.Result, table: str, variant: str) -> pd.DataFrame:
    frame = getattr(result, table)
    return frame[frame["variant"] == variant].drop(columns="variant").reset_index(drop=True)


@pytest.mark.parametrize("table", list(MONEY))
def test_doubling_base_points_halves_every_point_value_and_changes_no_fen(result, table) -> None:
    base, double = _of(result, table, "baseline"), _of(result, table, "double_points")
    assert len(base) > 0
    pd.testing.assert_frame_equal(double[MONEY[table]], base[MONEY[table]])
    if "point_value" in base:
        np.testing.assert_allclose(double["point_value"], base["point_value"] / 2, rtol=1e-9)
    np.testing.assert_allclose(double["points"], 2 * base["points"], rtol=1e-12)


@pytest.mark.parametrize("table", [*MONEY, "cases"])
def test_a_variant_with_every_act_at_rate_zero_equals_the_baseline(result, table) -> None:
    base, zero = _of(result, table, "baseline"), _of(result, table, "zero_rates")
    assert len(base) > 0
    pd.testing.assert_frame_equal(zero, base)


@pytest.fixture(scope="module")
def moved(result, tmp_path_factory: pytest.TempPathFactory) -> tuple[drgsim.Result, ...]:
    """Year one's baseline cases replayed as they are, and with one case of T2-01 at T2-02.

    The case is a single-stay patient's (no readmission pair to break), in the middle of the
    year; both hospitals are tier 2 (the same tariff coefficient) and every incentive
    coefficient is 1.
    """
    c = result.cases
    c = c[(c["variant"] == "baseline") & (c["year"] == c["year"].min())]
    table = import_table(c).assign(patient_id=lambda t: t["patient_id"].astype(str))
    single = table.groupby("patient_id")["case_id"].transform("size") == 1
    pick = table[single & (table["hospital"] == "T2-01") & (table["month"] == 6)].index[0]
    other = table.copy()
    other.loc[pick, "hospital"] = "T2-02"
    folder = tmp_path_factory.mktemp("moved")
    runs = []
    for name, frame in (("as_is", table), ("moved", other)):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        scn = with_overrides(load_scenario(SCENARIO), {"years": 1, "cases.source": str(path)})
        runs.append(drgsim.run(scn, variants=["baseline"], cases=True))
    return (*runs, table.loc[pick])


def test_moving_a_case_between_equal_coefficients_moves_its_money_and_nothing_else(
    moved,
) -> None:
    as_is, after, case = moved
    a, b = "T2-01", "T2-02"
    s0 = as_is.settlement.set_index("hospital")
    s1 = after.settlement.set_index("hospital")
    assert s0.loc[a, "tier"] == s0.loc[b, "tier"] == 2
    c0, c1 = (r.cases.set_index("record_id").loc[str(case["case_id"])] for r in (as_is, after))
    assert (c0["hospital"], c1["hospital"]) == (a, b)
    assert c1["points"] == pytest.approx(c0["points"], rel=1e-12)  # same coefficient: same points
    # the region: same points, same patient payments, so the same point values and money
    for table in ("region_year", "hospital_month"):
        np.testing.assert_allclose(
            getattr(after, table)["point_value"], getattr(as_is, table)["point_value"], rtol=1e-12
        )
    pd.testing.assert_frame_equal(
        after.region_year[MONEY["region_year"]], as_is.region_year[MONEY["region_year"]]
    )
    # the two hospitals: the case's points, patient payment and money move from a to b
    # pool mode (spec §4, §6): the month allocates PV_m × points − patient payment, pre-pays α
    # of it and withholds the rest; the year's pool goes out by withholding, each withheld fen
    # returning R = pool paid / withheld (the reserve released raises R above 1)
    hm = as_is.hospital_month
    pv = float(hm.loc[hm["month"] == case["month"], "point_value"].iloc[0])
    alpha = load_scenario(SCENARIO).settlement.prepay_share
    r = s0["incentive_fen"].sum() / s0["withheld_fen"].sum()
    money_fen = (c0["points"] * pv - c0["oop_yuan"]) * 100 * (alpha + (1 - alpha) * r)
    d = s1["final_fen"] - s0["final_fen"]
    assert s0.loc[a, "points"] - s1.loc[a, "points"] == pytest.approx(c0["points"], rel=1e-9)
    assert s1.loc[b, "points"] - s0.loc[b, "points"] == pytest.approx(c0["points"], rel=1e-9)
    assert abs(d[a] + money_fen) <= 2 and abs(d[b] - money_fen) <= 2
    assert d[b] == -d[a] - d.drop([a, b]).sum()  # the budget is paid to the fen either way
    # every other hospital: its claims and its money, but for a fen of rounding
    others = s0.index.drop([a, b])
    for col in ("cases", "points", "oop_yuan"):
        np.testing.assert_array_equal(s1.loc[others, col], s0.loc[others, col])
    assert (d[others].abs() <= 1).all(), d[others]
