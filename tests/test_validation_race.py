"""scenarios/validation/race.yaml beside the point-value race of a global budget (spec v2 §11;
Taiwan, Benstetter & Wambach 2006): all hospitals +10% real volume → the point value falls and
no margin rises; one hospital alone +10% → its margin rises and the others' fall.

Every variant sees the baseline's patients (common random numbers); the added cases are the
only difference, flagged `induced` in the case table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import drgsim
from drgsim.cases import ACT_BITS

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "race.yaml"
ALONE = "SW02"


@pytest.fixture(scope="module")
def result() -> drgsim.Result:
    return drgsim.run(SCENARIO, cases=True)


def _settlement(result: drgsim.Result, variant: str) -> pd.DataFrame:
    s = result.settlement
    return s[s["variant"] == variant].set_index("hospital")


def _added(result: drgsim.Result, variant: str) -> pd.DataFrame:
    """The variant's added cases."""
    c = result.cases
    assert c is not None
    mine = c[c["variant"] == variant]
    return mine[(mine["acts"] & ACT_BITS["induced"]) != 0]


def test_when_every_hospital_adds_ten_percent_the_point_value_falls_and_no_margin_rises(
    result,
) -> None:
    base, every = _settlement(result, "baseline"), _settlement(result, "everyone")
    added = _added(result, "everyone")
    # 10% more cases at every hospital: each month floor(0.1 × its cases + u), u uniform, so
    # within one case a month of a tenth of the baseline's
    extra = every["cases"] - base["cases"]
    assert ((extra - 0.1 * base["cases"]).abs() <= 12).all(), extra / base["cases"]
    assert added.groupby("hospital").size().reindex(extra.index, fill_value=0).equals(extra)
    ry = result.region_year.set_index("variant")
    drop = 1 - ry.loc["everyone", "point_value"] / ry.loc["baseline", "point_value"]
    # PV = (money + patient payments) / points (spec §3): the added points dilute it by their
    # share; the added cases' patient payments are money too, and soften the fall
    share = added["points"].sum() / ry.loc["everyone", "points"]
    paid = ry.loc["baseline", "available_fen"] + ry.loc["baseline", "reserve_released_fen"]
    money = paid / 100 + base["oop_yuan"].sum()
    softened = 1 - (1 + added["oop_yuan"].sum() / money) * (1 - share)
    margin = every["margin_yuan"] - base["margin_yuan"]
    print(
        f"\nrace (Benstetter & Wambach 2006), every hospital +10% volume:\n"
        f"  point value {-drop:+.2%}  (published: falls by about the volume's share of points, "
        f"{share:.2%} here, softened by patient payments to {softened:.2%})\n"
        f"  hospitals whose margin rose: {int((margin > 0).sum())} of {len(margin)} "
        f"(published: none); total margin {margin.sum() / 1e4:+,.0f} 万元"
    )
    assert 0 < drop < share
    assert drop == pytest.approx(softened, rel=5e-3)  # readmission factors move a few points
    assert (margin < 0).all(), margin[margin >= 0]


def test_when_one_hospital_adds_ten_percent_alone_its_margin_rises_and_the_others_fall(
    result,
) -> None:
    base, alone = _settlement(result, "baseline"), _settlement(result, "one_alone")
    added = _added(result, "one_alone")
    assert set(added["hospital"]) == {ALONE}
    assert abs(alone.loc[ALONE, "cases"] - 1.1 * base.loc[ALONE, "cases"]) <= 12
    margin = alone["margin_yuan"] - base["margin_yuan"]
    others = margin.drop(ALONE)
    # its margin gains the added cases' payment less their variable cost only (spec §8: the
    # fixed cost is paid whatever it does)
    variable = load_variable_share() * added["cost_yuan"].sum()
    payment = (alone.loc[ALONE, "final_fen"] - base.loc[ALONE, "final_fen"]) / 100 + (
        alone.loc[ALONE, "oop_yuan"] - base.loc[ALONE, "oop_yuan"]
    )
    print(
        f"\nrace, {ALONE} alone +10% volume:\n"
        f"  its margin {margin[ALONE] / 1e4:+,.1f} 万元 (published: rises; paid "
        f"{payment / 1e4:+,.1f} 万元 for a variable cost of {variable / 1e4:,.1f} 万元)\n"
        f"  the others' margins: {int((others < 0).sum())} of {len(others)} fall "
        f"(published: all), together {others.sum() / 1e4:+,.1f} 万元"
    )
    assert margin[ALONE] == pytest.approx(payment - variable, rel=1e-6)
    assert margin[ALONE] > 0
    assert (others < 0).all(), others[others >= 0]


def load_variable_share() -> float:
    """The scenario's cost.variable_share."""
    return drgsim.load_scenario(SCENARIO).cost.variable_share
