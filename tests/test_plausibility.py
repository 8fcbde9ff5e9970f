"""A plausible city (spec v2 §11, case classes and scale): the Shanwei baseline beside the figures.

One Shanwei year, one replication, the baseline only. Each figure is computed here from the
case and settlement tables and printed beside its published target (`pytest -s` shows them):

- high-cost cases 3–6% and low-cost cases 5–15% of all cases (spec §11);
- special review under its quota: at most `special_review.quota` of each hospital's cases in
  each month nominated, and fewer than that share of the city's cases priced as special review;
- mean length of stay 8–9 days (NHC 2023: 8.8);
- tier-3 charges per case about twice tier 2's, [1.8, 2.2] (NHC 2023: 12,879 vs 6,425 yuan);
- the share of stays followed by a readmission within the window (same patient, hospital and
  ADRG, admitted 0…window days after the discharge: found here from the cases, not from the
  engine's flag) within four binomial standard errors of `generator.readmission_rate`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import drgsim
from drgsim.scenario.loader import load_scenario, with_overrides
from drgsim.scenario.schema import Scenario

SHANWEI = Path(__file__).resolve().parents[1] / "scenarios" / "shanwei.yaml"


@pytest.fixture(scope="module")
def year() -> tuple[Scenario, dict[str, float]]:
    """The Shanwei scenario and its baseline year's figures."""
    scn = with_overrides(load_scenario(SHANWEI), {"years": 1, "variants": {}})
    return scn, figures(scn, drgsim.run(scn, replications=1, variants=["baseline"], cases=True))


def stays_followed(cases: pd.DataFrame, window: int) -> np.ndarray:
    """Whether each stay is followed by a stay of its patient in its hospital and ADRG that is
    admitted 0…window days after its discharge (the next such stay by admission day)."""
    df = pd.DataFrame(
        {
            "patient": cases["patient_id"].to_numpy(),
            "hospital": cases["hospital"].to_numpy(),
            "adrg": cases["drg_true"].str[:3].to_numpy(),
            "admit": cases["admit_day"].to_numpy().astype(np.int64),
            "day": cases["day"].to_numpy().astype(np.int64),
            "row": np.arange(len(cases)),
        }
    ).sort_values(["patient", "hospital", "adrg", "admit", "row"])
    same = df[["patient", "hospital", "adrg"]].shift(-1) == df[["patient", "hospital", "adrg"]]
    gap = df["admit"].shift(-1) - df["day"]
    followed = same.all(axis=1) & (gap >= 0) & (gap <= window)
    out = np.zeros(len(cases), dtype=bool)
    out[df["row"].to_numpy()] = followed.to_numpy()
    return out


def figures(scn: Scenario, result: drgsim.Result) -> dict[str, float]:
    """The §11 case-class and scale figures of a run's baseline."""
    cases, st = result.cases, result.settlement
    assert cases is not None
    n = len(cases)
    classes = cases["case_class"].value_counts() / n
    nominated = cases["special"].isin(["approved", "rejected"])
    per_month = (
        pd.DataFrame({"hospital": cases["hospital"], "month": cases["month"], "nom": nominated})
        .groupby(["hospital", "month"])["nom"]
        .agg(["sum", "size"])
    )
    by_tier = st.groupby("tier")[["charges_yuan", "cases"]].sum()
    per_case = by_tier["charges_yuan"] / by_tier["cases"]
    return {
        "high": float(classes.get("high", 0.0)),
        "low": float(classes.get("low", 0.0)),
        "special": float(classes.get("special", 0.0)),
        "nominated_month_max": float((per_month["sum"] / per_month["size"]).max()),
        "mean_stay": float(cases["los"].mean()),
        "tier3_over_tier2": float(per_case[3] / per_case[2]),
        "readmitted": float(stays_followed(cases, scn.readmission.window_days).mean()),
        "paid_over_eligible": float(
            st["final_fen"].sum() / 100 / (st["charges_yuan"] - st["oop_yuan"]).sum() - 1
        ),
        "cases": float(n),
    }


def test_the_figures_print_beside_their_targets(year: tuple[Scenario, dict[str, float]]) -> None:
    scn, f = year
    quota, rate = scn.special_review.quota, scn.generator.readmission_rate
    lines = [
        ("high-cost cases", f"{f['high']:.2%}", "3–6% (spec §11)"),
        ("low-cost cases", f"{f['low']:.2%}", "5–15% (spec §11)"),
        ("special review", f"{f['special']:.2%}", f"< quota {quota:.0%} (NHSA 2024)"),
        ("most nominated, hospital-month", f"{f['nominated_month_max']:.2%}", f"≤ {quota:.0%}"),
        ("mean length of stay", f"{f['mean_stay']:.2f} d", "8–9 d (NHC 2023: 8.8)"),
        (
            "tier-3 / tier-2 charges per case",
            f"{f['tier3_over_tier2']:.2f}",
            "≈ 2 (12,879 / 6,425)",
        ),
        ("stays followed by a readmission", f"{f['readmitted']:.3%}", f"{rate:.3%} (parameter)"),
        (
            "paid over fund-eligible charges",
            f"{f['paid_over_eligible']:+.2%}",
            "±1% (neutral budget)",
        ),
    ]
    print()
    for name, value, target in lines:
        print(f"{name:34s} {value:>10s}   target {target}")
    assert f["cases"] > 250_000


def test_special_review_stays_under_its_quota(year: tuple[Scenario, dict[str, float]]) -> None:
    scn, f = year
    assert f["nominated_month_max"] <= scn.special_review.quota
    assert 0 < f["special"] < scn.special_review.quota


def test_low_cost_cases_are_5_to_15_percent(year: tuple[Scenario, dict[str, float]]) -> None:
    assert 0.05 <= year[1]["low"] <= 0.15


def test_high_cost_cases_are_3_to_6_percent(year: tuple[Scenario, dict[str, float]]) -> None:
    assert 0.03 <= year[1]["high"] <= 0.06


def test_mean_stay_is_8_to_9_days(year: tuple[Scenario, dict[str, float]]) -> None:
    assert 8.0 <= year[1]["mean_stay"] <= 9.0


def test_tier_3_charges_per_case_are_about_twice_tier_2s(
    year: tuple[Scenario, dict[str, float]],
) -> None:
    assert 1.8 <= year[1]["tier3_over_tier2"] <= 2.2


def test_readmission_share_matches_its_parameter(year: tuple[Scenario, dict[str, float]]) -> None:
    scn, f = year
    p, n = scn.generator.readmission_rate, f["cases"]
    assert abs(f["readmitted"] - p) <= 4 * math.sqrt(p * (1 - p) / n)
