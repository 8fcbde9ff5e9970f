"""Reference-year weights, `weights.rebase: fixed` and money per case / per RW unit (spec §1).

A three-year version of the golden two-year deck (tests/golden/two_years.yaml: every DRG's
shipped reference cost 10000 yuan, no trimming, weights re-set from the two previous years).
Every expected number is written out from the case table below, not taken from drgsim.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import drgsim

GOLDEN = Path(__file__).resolve().parent / "golden"

# Reference claims (tests/golden/two_years.csv), charges in yuan:
#   2021  FM19: 24000, 18000, 16000 (Σ 58000)   ES23: 9000, 10500, 12000 (Σ 31500)
#   2022  FM19: 21000, 17000, 20000 (Σ 58000)   ES23: 9500, 11000, 8000  (Σ 28500)
# 2023 repeats 2022's claims (they only need to exist; 2023's weights come from 2021–2022).
FM19 = {2021: [24000, 18000, 16000], 2022: [21000, 17000, 20000]}
ES23 = {2021: [9000, 10500, 12000], 2022: [9500, 11000, 8000]}


def weighted_mean(groups: list[dict[int, list[int]]], weight: dict[int, int]) -> F:
    """Σ w_y × charge / Σ w_y over every claim of the groups (each claim weighs its year's w)."""
    num = sum(F(weight[y] * c) for g in groups for y, cs in g.items() for c in cs)
    den = sum(weight[y] * len(cs) for g in groups for y, cs in g.items())
    return num / den


EQUAL = {2021: 1, 2022: 1}
DIP = {2021: 1, 2022: 3}  # weights.year_weights: [1, 3], oldest first
# equal weights:  ā_ES23 = 60000 / 6 = 10000, ā_FM19 = 116000 / 6, ā = 176000 / 12
# 1:3 weights:    ā_ES23 = (31500 + 3 × 28500) / (3 + 9) = 117000 / 12 = 9750,
#                 ā_FM19 = (58000 + 3 × 58000) / 12 = 58000 / 3,
#                 ā = (89500 + 3 × 86500) / (6 + 18) = 349000 / 24
assert weighted_mean([ES23], DIP) == F(9750)
assert weighted_mean([FM19, ES23], DIP) == F(349000, 24)
assert weighted_mean([FM19, ES23], EQUAL) == F(176000, 12)


def close(got: float, want: F) -> bool:
    return abs(got - float(want)) <= 1e-9 * max(1.0, abs(float(want)))


@pytest.fixture(scope="module")
def three_years(tmp_path_factory: pytest.TempPathFactory) -> drgsim.Result:
    d = tmp_path_factory.mktemp("three_years")
    cases = pd.read_csv(GOLDEN / "two_years.csv", dtype=str)
    third = cases[cases["year"] == "2022"].assign(year="2023")
    third["case_id"] = [str(100 + i) for i in range(len(third))]
    third["patient_id"] = [f"R{i:02d}" for i in range(len(third))]
    pd.concat([cases, third]).to_csv(d / "three_years.csv", index=False)
    raw: dict[str, Any] = yaml.safe_load((GOLDEN / "two_years.yaml").read_text(encoding="utf-8"))
    raw["years"] = 3
    raw["catalogue"] = {"source": str(GOLDEN / "catalogue.csv")}
    raw["cases"] = {"source": str(d / "three_years.csv")}
    raw["variants"] = {
        "dip": {"weights.year_weights": [1, 3]},
        "fixed": {"weights.rebase": "fixed"},
        "double": {"base_points": 200},
    }
    return drgsim.run(raw)


def _catalogue(result: drgsim.Result, variant: str, year: int) -> pd.DataFrame:
    cat = result.catalogue
    return cat[(cat["variant"] == variant) & (cat["year"] == year)].set_index("drg")


def test_year_weights_weigh_each_reference_year(three_years: drgsim.Result) -> None:
    for variant, weight in (("baseline", EQUAL), ("dip", DIP)):
        cat = _catalogue(three_years, variant, 2023)
        mean = weighted_mean([FM19, ES23], weight)
        for code, group in (("ES23", ES23), ("FM19", FM19)):
            ref = weighted_mean([group], weight)
            assert close(cat.loc[code, "ref_mean_cost_yuan"], ref), (variant, code)
            assert close(cat.loc[code, "rw"], ref / mean), (variant, code)
            assert close(cat.loc[code, "base_points"], 100 * ref / mean), (variant, code)
    # 2022 has one reference year: its weight, whatever it is, changes nothing
    one = {2021: 1}
    for variant in ("baseline", "dip"):
        cat = _catalogue(three_years, variant, 2022)
        mean = weighted_mean([{2021: FM19[2021]}, {2021: ES23[2021]}], one)  # 89500 / 6
        assert close(cat.loc["ES23", "rw"], F(31500, 3) / mean)


def test_fixed_rebase_keeps_year_ones_mean(three_years: drgsim.Result) -> None:
    """Year one's ā is the shipped one, 10000 yuan, so RW_g = ā_g / 10000 in later years."""
    for year, years in ((2022, [2021]), (2023, [2021, 2022])):
        cat = _catalogue(three_years, "fixed", year)
        for code, group in (("ES23", ES23), ("FM19", FM19)):
            ref = weighted_mean([{y: group[y] for y in years}], EQUAL)
            assert close(cat.loc[code, "ref_mean_cost_yuan"], ref)
            assert close(cat.loc[code, "rw"], ref / 10000)
        assert close(cat.loc["ES25", "rw"], F(1))  # no claims: its shipped 10000 yuan
    yearly = _catalogue(three_years, "baseline", 2023)
    assert close(yearly.loc["FM19", "rw"], F(116000, 6) / F(176000, 12))  # re-based: 1.318…


def test_money_per_rw_unit_is_point_value_times_base_points(three_years: drgsim.Result) -> None:
    ry = three_years.region_year.set_index(["variant", "year"])
    for (variant, _), row in ry.iterrows():
        base = 200 if variant == "double" else 100
        assert row["money_per_rw_yuan"] == pytest.approx(row["point_value"] * base, rel=1e-12)
    for year in (2021, 2022, 2023):
        one, two = ry.loc[("baseline", year)], ry.loc[("double", year)]
        assert two["point_value"] == pytest.approx(one["point_value"] / 2, rel=1e-12)
        assert two["money_per_rw_yuan"] == pytest.approx(one["money_per_rw_yuan"], rel=1e-12)
        assert two["money_per_case_yuan"] == pytest.approx(one["money_per_case_yuan"], rel=1e-12)


def test_money_per_case_is_fund_and_patient_money_per_case(three_years: drgsim.Result) -> None:
    ry = three_years.region_year.set_index(["variant", "year"])
    cases = pd.read_csv(GOLDEN / "two_years.csv")
    oop = {2021: cases.loc[cases["year"] == 2021, "oop_yuan"].sum(), 2022: 0.0}
    oop[2022] = cases.loc[cases["year"] == 2022, "oop_yuan"].sum()  # 2023 repeats 2022
    oop[2023] = oop[2022]
    for year in (2021, 2022, 2023):
        row = ry.loc[("baseline", year)]
        assert row["cases"] == 6
        want = (F(int(row["paid_fen"]), 100) + F(int(oop[year]))) / 6
        assert close(row["money_per_case_yuan"], want)


@pytest.mark.parametrize(
    ("weights", "fragments"),
    [
        (
            "  reference_years: 2\n  year_weights: [1, 2, 7]\n",
            ["weights.year_weights", "[1.0, 2.0, 7.0]", "one weight per reference year (2)"],
        ),
        ("  year_weights: [1, 0]\n", ["weights.year_weights", "0", "> 0"]),
        ("  rebase: never\n", ["weights.rebase", "'never'", "yearly", "fixed"]),
    ],
)
def test_bad_weights_keys_are_one_line(tmp_path: Path, weights: str, fragments: list[str]) -> None:
    from drgsim.errors import DrgsimError
    from drgsim.scenario.loader import load_scenario

    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nextends: shanwei\nweights:\n" + weights, encoding="utf-8")
    with pytest.raises(DrgsimError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message.strip() and "bad.yaml" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
