"""Replaying a case table: a synthetic run's own cases settle to the fen; variants act on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import NO_AUDIT, import_table

import drgsim
from drgsim.population.hospitals import hospital_table
from drgsim.records.replay import TableSource
from drgsim.records.results import Result
from drgsim.scale.runner import load_catalogue
from drgsim.scenario.loader import load_scenario

SHANWEI_SEASONALITY = load_scenario({"extends": "shanwei"}).region.seasonality


EMPLOYEE = {3: 0.165, 2: 0.126, 1: 0.106}
RESIDENT = {3: 0.368, 2: 0.276, 1: 0.192}


def city(**extra: Any) -> dict[str, Any]:
    """A small city over two years: 12 000 admissions a year, 7 hospitals, a fixed budget."""
    scn: dict[str, Any] = {
        "extends": "shanwei",
        "name": "replay",
        "seed": 5,
        "years": 2,
        "region": {"admissions": 12000},
        "other_hospitals": {"count": {2: 1, 1: 1}},
        # the synthetic run forecasts its months from its seasonality, a replay from its table's
        # months: written shares make both runs' month budgets the same
        "budget": {"month_shares": list(SHANWEI_SEASONALITY)},
        # Shanwei's two funds with budgets written: a synthetic run would split a total by its
        # expected fund cost, a replay by its table's (each case's fund is in its table)
        "funds": {
            "职工": {"share": 0.25, "patient_share_tiers": EMPLOYEE, "budget": 2.0e7},
            "居民": {"share": 0.75, "patient_share_tiers": RESIDENT, "budget": 6.0e7},
        },
        "audit": NO_AUDIT,
    }
    scn.update(extra)
    return scn


def case_table(result: Result) -> pd.DataFrame:
    """The run's cases as a bureau would hand them over (drgsim's import column names)."""
    assert result.cases is not None
    return import_table(result.cases)


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
    for table in ("hospital_month", "region_year", "catalogue"):
        pd.testing.assert_frame_equal(getattr(replayed, table), getattr(result, table))
    # fixed costs (spec §8) come from the expected charges of synthetic patients and from the
    # recorded charges of a table; the margins differ by exactly that, nothing else does
    fixed = ["fixed_cost_yuan", "margin_yuan"]
    st, st0 = replayed.settlement, result.settlement
    pd.testing.assert_frame_equal(st.drop(columns=fixed), st0.drop(columns=fixed))
    np.testing.assert_allclose(st["fixed_cost_yuan"], 0.4 * st["charges_yuan"], rtol=1e-12)
    np.testing.assert_allclose(
        st["margin_yuan"] - st0["margin_yuan"],
        st0["fixed_cost_yuan"] - st["fixed_cost_yuan"],
        rtol=1e-9,
        atol=1e-4,
    )
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
    a = TableSource.read(path, cat, hosp, scn.start_year, encoding="utf-8")
    b = TableSource.read(path, cat, hosp, scn.start_year, encoding=None)
    c = TableSource.read(path, cat, hosp, scn.start_year, salt="bureau secret")
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


def test_drgsim_run_writes_rejected_rows_and_strict_refuses_them(tmp_path: Path) -> None:
    import subprocess
    import sys

    import yaml

    golden = Path(__file__).parent / "golden"
    cases = pd.read_csv(golden / "cases.csv", dtype=str)
    bad = cases.iloc[[0]].assign(drg="ZZ99", case_id="999")
    pd.concat([cases, bad]).to_csv(tmp_path / "cases.csv", index=False)
    (tmp_path / "catalogue.csv").write_bytes((golden / "catalogue.csv").read_bytes())
    scenario = yaml.safe_load((golden / "golden.yaml").read_text(encoding="utf-8"))
    scenario.pop("variants", None)
    scenario |= {"catalogue": {"source": "catalogue.csv"}, "cases": {"source": "cases.csv"}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")

    def run(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "drgsim.cli",
                "run",
                str(path),
                "--no-report",
                "--quiet",
                *flags,
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    ok = run("--out", str(tmp_path / "out"))
    assert ok.returncode == 0, ok.stderr
    assert "1 rows rejected (unknown_drg 1)" in ok.stderr
    rejected = pd.read_parquet(tmp_path / "out" / "rejected.parquet")
    assert rejected[["row", "column", "value", "reason"]].values.tolist() == [
        [len(cases) + 2, "drg", "ZZ99", "unknown_drg"]
    ]
    strict = run("--out", str(tmp_path / "strict"), "--strict")
    assert strict.returncode == 2
    assert strict.stderr.startswith("drgsim: error: ") and "ZZ99" in strict.stderr
    assert "Traceback" not in strict.stderr
    assert not (tmp_path / "strict").exists()


def test_a_case_table_with_no_usable_row_is_refused_with_its_reasons(tmp_path: Path) -> None:
    from drgsim.errors import DrgsimError

    table = tmp_path / "cases.csv"
    table.write_text(
        "hospital,month,drg,cost_yuan,oop_yuan\nSW01,1,XX99,1000,0\n", encoding="utf-8"
    )
    with pytest.raises(DrgsimError, match=r"no usable case rows \(rejected: unknown_drg 1\)"):
        drgsim.run({"extends": "shanwei", "cases": {"source": str(table)}})
