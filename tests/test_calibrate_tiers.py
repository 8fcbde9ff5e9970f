"""calibrate never invents a tier silently: it takes them from a column or --tiers, infers them
only when asked (--tiers infer) and says what it inferred; assumed beds are said too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import NO_AUDIT, import_table

import drgsim
from drgsim import cli
from drgsim.errors import DrgsimError
from drgsim.records import catalogue_file
from drgsim.records.calibrate import calibrate

CITY: dict[str, Any] = {
    "extends": "shanwei",
    "seed": 3,
    "years": 1,
    "region": {"admissions": 6000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "audit": NO_AUDIT,
    "funds": {"all": {"share": 1.0}},
    "variants": {},
}


def tier_of(beds: int) -> int:
    """医疗机构基本标准: a tier-3 general hospital has 500 beds or more, tier 2 from 100."""
    return 3 if beds >= 500 else 2 if beds >= 100 else 1


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    result = drgsim.run(CITY, cases=True)
    assert result.cases is not None
    return import_table(result.cases, without=("drg_true",))


def test_without_tiers_calibrate_refuses_naming_the_hospitals_and_the_ways_out(
    history: pd.DataFrame, tmp_path: Path
) -> None:
    with pytest.raises(DrgsimError) as err:
        calibrate(history, catalogue_file.builtin(), out_dir=tmp_path / "a")
    text = str(err.value)
    assert "no tier for hospital(s) SW01, SW02, SW03, SW04, SW05 and 2 more" in text
    assert "--tiers SW01=3" in text and "--tiers infer" in text
    with pytest.raises(DrgsimError, match=r"tiers XX: no such hospital"):
        calibrate(history, catalogue_file.builtin(), out_dir=tmp_path / "b", tiers={"XX": 2})


def test_the_command_refuses_in_one_line_and_writes_nothing(
    history: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.csv"
    history.to_csv(path, index=False)
    assert cli.main(["calibrate", str(path), "--out", str(tmp_path / "calib")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"drgsim: error: {path}: no tier for hospital(s) SW01")
    assert not (tmp_path / "calib").exists()
    assert (
        cli.main(["calibrate", str(path), "--out", str(tmp_path / "c"), "--tiers", "SW01=4"]) == 2
    )
    assert (
        "--tiers SW01=4: SW01: got '4'; allowed: at least 1 and at most 3"
        in capsys.readouterr().err
    )


def test_tiers_come_from_the_column_then_the_flag_then_inference_and_every_guess_is_said(
    history: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = history.copy()
    column = {"SW03": 3, "SW04": 3, "SW05": 2}  # a bureau's 医院等级 for three hospitals
    table["医院等级"] = table["hospital"].map(column)  # empty for the others
    path = tmp_path / "history.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "calib"
    argv = ["calibrate", str(path), "--out", str(out), "--tiers", "T2-01=2", "--tiers", "infer"]
    assert cli.main([*argv, "--beds", "SW01=800,SW02=150"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines()]
    yearly = history["hospital"].value_counts()
    beds = {h: max(1, round(n / 30)) for h, n in yearly.items()} | {"SW01": 800, "SW02": 150}
    expected = column | {"T2-01": 2} | {h: tier_of(beds[h]) for h in ("SW01", "SW02", "T1-01")}
    assert (expected["SW01"], expected["SW02"], expected["T1-01"]) == (3, 2, 1)
    fragment = yaml.safe_load((out / "scenario_fragment.yaml").read_text(encoding="utf-8"))
    got = {h: (v["tier"], v["beds"]) for h, v in fragment["hospitals"].items()}
    assert got == {h: (expected[h], beds[h]) for h in yearly.index}
    inferred = ", ".join(f"{h} {expected[h]}" for h in ("SW01", "SW02", "T1-01"))
    assert len(notes) == 2 and notes[0].startswith("drgsim: note: tiers inferred from beds")
    assert notes[0].endswith(f"else tier 1): {inferred}")
    assumed = ", ".join(f"{h} {beds[h]}" for h in sorted(yearly.index) if h not in ("SW01", "SW02"))
    assert f"beds not given: assumed yearly cases / 30 ({assumed})" in notes[1]
    header = (out / "scenario_fragment.yaml").read_text(encoding="utf-8").splitlines()
    assert [line.removeprefix("# ") for line in header[1:3]] == [
        n.removeprefix("drgsim: note: ") for n in notes
    ]
