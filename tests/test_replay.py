"""Replaying a case table: a synthetic run's own cases settle to the fen; variants act on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import drgsim
from drgsim.hospitals import hospital_table
from drgsim.replay import TableSource
from drgsim.runner import Result, load_catalogue
from drgsim.scenario import load_scenario


def city(**extra: Any) -> dict[str, Any]:
    """A small city over two years: 12 000 admissions a year, 7 hospitals, a fixed budget."""
    scn: dict[str, Any] = {
        "name": "replay",
        "seed": 5,
        "years": 2,
        "region": {"admissions": 12000},
        "other_hospitals": {"count": {2: 1, 1: 1}},
        "budget": {"annual": 8.0e7},
        "audit": {"sample_rate": 0},
    }
    scn.update(extra)
    return scn


def case_table(result: Result) -> pd.DataFrame:
    """The run's cases as a bureau would hand them over (drgsim's import column names)."""
    c = result.cases
    assert c is not None
    return pd.DataFrame(
        {
            "case_id": c["case_id"],
            "patient_id": c["patient_id"],
            "hospital": c["hospital"],
            "year": c["year"],
            "month": c["month"],
            "day": c["day"],
            "los": c["los"],
            "drg": c["drg_billed"],
            "drg_true": c["drg_true"],
            "cost_yuan": c["cost_yuan"],
            "oop_yuan": c["oop_yuan"],
            "discharge": c["discharge"].to_numpy(),
        }
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    result = drgsim.run(city(), cases=True)
    path = tmp_path_factory.mktemp("replay") / "cases.parquet"
    case_table(result).to_parquet(path, index=False)
    return result, path


def test_replaying_a_synthetic_runs_own_cases_reproduces_its_settlement_to_the_fen(
    synthetic: tuple[Result, Path],
) -> None:
    result, path = synthetic
    replayed = drgsim.run(city(cases={"source": str(path)}), cases=True)
    assert replayed.cases is not None and result.cases is not None
    assert (result.cases["readmission"].sum() > 0) and (result.cases["drg_billed"] == "0000").any()
    for table in ("settlement", "hospital_month", "region_year", "catalogue"):
        pd.testing.assert_frame_equal(getattr(replayed, table), getattr(result, table))
    cols = ["case_id", "hospital", "drg_billed", "case_class", "points", "readmission"]
    pd.testing.assert_frame_equal(replayed.cases[cols], result.cases[cols])


def test_replayed_cases_carry_pseudonyms_not_the_input_patient_ids(
    synthetic: tuple[Result, Path],
) -> None:
    result, path = synthetic
    replayed = drgsim.run(city(cases={"source": str(path)}), cases=True)
    assert replayed.cases is not None and result.cases is not None
    given = result.cases["patient_id"].to_numpy()
    written = replayed.cases["patient_id"].to_numpy()
    assert not np.isin(written, given).any()
    # the same patient keeps one pseudonym: the pairing of stays is unchanged
    assert pd.factorize(written)[0].tolist() == pd.factorize(given)[0].tolist()


def test_the_same_file_gets_the_same_pseudonyms_and_a_given_salt_other_ones(
    synthetic: tuple[Result, Path],
) -> None:
    _, path = synthetic
    scn = load_scenario(city(cases={"source": str(path)}))
    cat = load_catalogue(scn)
    hosp = hospital_table(scn)
    a = TableSource(path, cat, hosp, scn.start_year, encoding="utf-8")
    b = TableSource(path, cat, hosp, scn.start_year, encoding=None)
    c = TableSource(path, cat, hosp, scn.start_year, salt="bureau secret")
    pa, pb, pc = (s.imported.cases["patient_id"] for s in (a, b, c))
    assert pa.equals(pb)
    assert not np.isin(pc.to_numpy(), pa.to_numpy()).any()


def test_a_variant_upcodes_real_cases_and_gains_points(synthetic: tuple[Result, Path]) -> None:
    _, path = synthetic
    scn = city(
        years=1,
        cases={"source": str(path)},
        variants={"upcode": {"hospitals.SW01.upcoding.rate": 0.1}},
    )
    result = drgsim.run(scn, cases=True)
    cases = result.cases
    assert cases is not None
    up = cases[(cases["variant"] == "upcode") & (cases["hospital"] == "SW01")]
    share = float(((up["acts"] & 1) != 0).mean())
    assert 0.04 < share < 0.12  # 10% of the cases that can be coded one level up
    s = result.settlement.set_index(["variant", "hospital"])
    assert s.loc[("upcode", "SW01"), "points"] > s.loc[("baseline", "SW01"), "points"]
    assert s.loc[("upcode", "SW02"), "final_fen"] < s.loc[("baseline", "SW02"), "final_fen"]
    # the other hospitals' cases are the same real cases in both variants
    base = cases[(cases["variant"] == "baseline") & (cases["hospital"] == "SW02")]
    other = cases[(cases["variant"] == "upcode") & (cases["hospital"] == "SW02")]
    assert base["case_id"].tolist() == other["case_id"].tolist()
