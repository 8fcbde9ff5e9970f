"""Five years of adaptation (scenarios/point_value_race.yaml) beside Guangzhou's point method
(spec v2 §11; BMC Health Services Research 2023: insured discharges +43% in two years).

Prints drgsim's volume and point-value paths for the race, the strict audit and no gaming;
it reports, it does not pass or fail on matching 43%. One replication at the shipped size.
"""

from __future__ import annotations

import pandas as pd
from conftest import ROOT

import drgsim
from drgsim.scenario.loader import load_scenario

RACE = ROOT / "scenarios" / "point_value_race.yaml"
#: Guangzhou DIP (BMC HSR 2023): insured discharges two years after the point method began.
GUANGZHOU_TWO_YEARS = 0.43


def paths(result: drgsim.Result) -> pd.DataFrame:
    """Per variant and year: cases and point value against year one, total margin (万元)."""
    ry = result.region_year.groupby(["variant", "year"])[["cases", "point_value"]].mean()
    first = ry.groupby(level="variant").transform("first")
    out = (ry / first - 1).rename(columns={"cases": "volume", "point_value": "pv"})
    margin = result.settlement.groupby(["variant", "year", "replication"])["margin_yuan"].sum()
    out["margin_wan"] = margin.groupby(["variant", "year"]).mean() / 1e4
    return out


def test_adaptation_paths_beside_guangzhou(benchmark) -> None:
    scn = load_scenario(RACE)
    result = benchmark.pedantic(lambda: drgsim.run(scn, replications=1), rounds=1, iterations=1)
    table = paths(result)
    two = table.xs(table.index.get_level_values("year").min() + 2, level="year")
    lines = [
        "",
        "point-value race, five years of adaptation (scenarios/point_value_race.yaml, 1 replication)",
        f"Guangzhou DIP (BMC HSR 2023): insured discharges {GUANGZHOU_TWO_YEARS:+.0%} in two years",
        "drgsim after two years: "
        + ", ".join(
            f"{v} volume {r.volume:+.1%}, point value {r.pv:+.1%}" for v, r in two.iterrows()
        ),
        "paths (against year one; margin: all hospitals, 万元):",
        table.to_string(float_format=lambda x: f"{x:+.3f}"),
    ]
    print("\n".join(lines))
    benchmark.extra_info["volume_two_years"] = {v: float(r.volume) for v, r in two.iterrows()}
    benchmark.extra_info["pv_two_years"] = {v: float(r.pv) for v, r in two.iterrows()}
    # the race shows: with everyone adapting, volume outgrows no gaming and the point value falls
    race, honest = two.loc["baseline"], two.loc["no_gaming"]
    assert race.volume > honest.volume and race.pv < honest.pv
