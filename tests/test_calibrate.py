"""Calibration round trip: a synthetic history with known parameters → calibrate → recovered.

Tolerances (stated here, checked below), for a 2-year history of ~80 000 cases:
- reference cost of each group with ≥ 500 cases: within max(5%, 4 standard errors) of the
  truth (catalogue cost × one common factor for growth and trimming: the generator's stays of a
  group cost its catalogue reference on average, whatever its hospitals' cost levels);
- relative weights follow: rw ratio between groups within the same bound;
- pooled cost sigma within 0.05 of the generator's cost_sigma;
- hospital cost levels (normalised to a case-weighted mean of 1) within 5%;
- seasonality: each month within 4 sampling standard errors;
- discharge-type shares within 4 standard errors; patient-paid share by tier within 0.01;
- tilt difference between tier 3 and tier 1 within 0.4 of the truth (calibrate's power law
  approximates the generator's rescaled mixes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import NO_AUDIT, import_table

import drgsim
from drgsim.population.hospitals import hospital_table
from drgsim.records import catalogue_file as catalogue_mod
from drgsim.records.calibrate import calibrate
from drgsim.scenario.loader import load_scenario

LEVELS = {"SW01": 1.15, "SW02": 0.9, "SW03": 1.05, "SW04": 1.0, "SW05": 0.85}
CITY: dict[str, Any] = {
    "extends": "shanwei",
    "seed": 3,
    "years": 2,
    "region": {"admissions": 40000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "hospitals": {
        hid: {"name": hid, "tier": t, "beds": b, "cost_level": LEVELS[hid]}
        for hid, t, b in [
            ("SW01", 3, 1200),
            ("SW02", 2, 600),
            ("SW03", 3, 900),
            ("SW04", 3, 900),
            ("SW05", 2, 400),
        ]
    },
    "generator": {"transfer": 0.04, "death": 0.02, "against_advice": 0.03},
    "budget": {"annual": 3.0e8},
    "audit": NO_AUDIT,
    # one fund: its patients pay generator.oop_share, the tier shares calibrate recovers
    "funds": {"all": {"share": 1.0}},
}


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, pd.DataFrame, Path, dict]:
    result = drgsim.run(CITY, cases=True)
    assert result.cases is not None
    history = import_table(result.cases, without=("drg_true",))
    scn = load_scenario(CITY)
    hosp = hospital_table(scn)
    out = tmp_path_factory.mktemp("calib")
    tiers = dict(zip(hosp.ids, hosp.tier.tolist(), strict=True))
    summary = calibrate(
        [history[history["year"] == 2021], history[history["year"] == 2022]],
        catalogue_mod.builtin(),
        out_dir=out,
        tiers=tiers,
    )
    return hosp, result.cases, out, summary


def test_calibration_writes_every_table(calibrated) -> None:
    _, c, out, summary = calibrated
    for name in ("weights.csv", "catalogue.csv", "coefficients.csv", "month_shares.csv"):
        assert (out / name).is_file(), name
    assert summary["cases"] == len(c)
    assert json.loads((out / "calibration.json").read_text())["cases"] == len(c)
    w = pd.read_csv(out / "weights.csv")
    assert list(w.columns[:7]) == [
        "drg", "cases", "cv", "stable", "ref_mean_cost_yuan", "rw", "base_points",
    ]  # fmt: skip
    assert (w.loc[w["cases"] < 5, "stable"] == False).all()  # noqa: E712
    np.testing.assert_allclose(w["base_points"], 100 * w["rw"])
    shares = pd.read_csv(out / "month_shares.csv")
    assert shares["share"].sum() == pytest.approx(1.0)


def test_recovered_weights_match_the_generators_costs(calibrated) -> None:
    _, _, out, _ = calibrated
    cat = catalogue_mod.builtin()
    w = pd.read_csv(out / "weights.csv").set_index("drg")
    ref = pd.Series(cat.ref_cost, index=cat.drg)
    big = w.index[w["cases"] >= 500]
    truth = ref[big]  # the city's stays of a group cost its reference × common factors
    ratio = w.loc[big, "ref_mean_cost_yuan"] / truth
    ratio /= np.median(ratio)
    se = w.loc[big, "cv"] / np.sqrt(w.loc[big, "cases"])
    assert len(big) >= 20
    assert (np.abs(ratio - 1) <= np.maximum(0.05, 4 * se)).all()
    rw_ratio = (w.loc[big, "rw"] / ref[big]) / np.median(w.loc[big, "rw"] / ref[big])
    assert (np.abs(rw_ratio - 1) <= np.maximum(0.05, 4 * se)).all()


def test_recovered_generator_parameters(calibrated) -> None:
    hosp, c, out, summary = calibrated
    gen = summary["generator"]
    truth_gen = load_scenario(CITY).generator
    assert gen["cost_sigma"] == pytest.approx(truth_gen.cost_sigma, abs=0.05)
    n = len(c)
    for key in ("transfer", "death", "against_advice"):
        truth = CITY["generator"][key]
        assert abs(gen[key] - truth) <= 4 * np.sqrt(truth * (1 - truth) / n), key
    for tier, truth in truth_gen.oop_share.items():
        assert gen["oop_share"][tier] == pytest.approx(truth, abs=0.01)
    season = np.array(load_scenario({"extends": "shanwei"}).region.seasonality)
    expected = season / season.mean()
    per_month = n / 12
    got = np.array(gen["seasonality"])
    assert (np.abs(got - expected) <= 4 / np.sqrt(per_month) * expected + 1e-3).all()
    # spec §9: the history's yearly growth (charges per case, admissions; ~40,000 cases a year)
    assert gen["charges_growth"] == pytest.approx(0.04, abs=0.02)
    assert gen["admissions_growth"] == pytest.approx(0.02, abs=0.03)
    tilt = gen["complexity_tilt"]
    # calibrate fits each tier's mix as the city's × RW^tilt; the generator rescales its tilted
    # mixes so the tiers keep the city's shares, which the power law only approximates: at the
    # default tilts (1.5 and −1.0) the difference comes back within 0.4
    truth_tilt = truth_gen.complexity_tilt
    assert tilt[3] - tilt[1] == pytest.approx(truth_tilt[3] - truth_tilt[1], abs=0.4)
    # the share of stays followed by a readmission is the generator's rate (binomial bounds)
    rate = load_scenario(CITY).generator.readmission_rate
    assert abs(gen["readmission_rate"] - rate) <= 4 * np.sqrt(rate * (1 - rate) / n)
    fragment = yaml.safe_load((out / "scenario_fragment.yaml").read_text())
    levels = pd.Series({h: v["cost_level"] for h, v in fragment["hospitals"].items()})
    cases_h = c["hospital"].value_counts().reindex(levels.index)
    truth = pd.Series(dict(zip(hosp.ids, hosp.cost_level, strict=True)))[levels.index]
    truth /= np.average(truth, weights=cases_h)
    np.testing.assert_allclose(levels, truth, rtol=0.05)


def test_calibrated_catalogue_and_fragment_load_as_a_scenario(calibrated) -> None:
    _, _, out, _ = calibrated
    cat = catalogue_mod.load(out / "catalogue.csv")
    w = pd.read_csv(out / "weights.csv")
    np.testing.assert_allclose(cat.ref_cost, w["ref_mean_cost_yuan"])
    fragment = yaml.safe_load((out / "scenario_fragment.yaml").read_text())
    scn = load_scenario({"name": "calibrated", **fragment}, base_dir=out)
    assert scn.catalogue.source == str((out / "catalogue.csv").resolve())
    assert len(scn.hospitals) == 7
    result = drgsim.run({"name": "future", **fragment, "region": {
        **fragment["region"], "admissions": 5000}, "catalogue": {
        "source": str(out / "catalogue.csv")}})  # fmt: skip
    assert result.region_year["cases"].iloc[0] > 4000
