"""Sweeps: grid parsing, identical parts on 1 and 2 Dask workers, resume, YAML section, CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from drgsim.cli import main
from drgsim.errors import DrgsimError
from drgsim.scale.sweep import read_sweep, sweep
from drgsim.scenario.grid import parse_flags, parse_section, points

SMALL = {
    "extends": "shanwei",
    "name": "small",
    "region": {"admissions": 5000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 2,
}
GRID = {"settlement.prepay_share": [0.85, 0.95], "audit.sample_rate": [0.01, 0.1]}
YAML = """\
extends: shanwei
name: small
region: {admissions: 5000}
other_hospitals: {count: {2: 1, 1: 1}}
replications: 2
sweep:
  grid:
    settlement.prepay_share: [0.85, 0.95]
    audit.sample_rate: {start: 0.01, stop: 0.1, num: 2}
"""


def test_a_comma_list_reads_each_value_as_yaml() -> None:
    grid = parse_flags(["settlement.mode=pool,repricing", "x=1,2.5,true,null,[1,2]"])
    assert grid == {"settlement.mode": ["pool", "repricing"], "x": [1, 2.5, True, None, [1, 2]]}


def test_a_range_gives_n_points_inclusive_and_whole_numbers_stay_whole() -> None:
    grid = parse_flags(["audit.sample_rate=0.01:0.1:10", "region.admissions=1000:5000:5"])
    assert grid["audit.sample_rate"] == [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]
    assert grid["region.admissions"] == [1000, 2000, 3000, 4000, 5000]


def test_a_yaml_section_takes_lists_ranges_and_flag_specs() -> None:
    grid = parse_section(
        {"a": [1, 2], "b": {"start": 0, "stop": 1, "num": 3}, "c": "0.5,0.7", "d": 4}, "sweep.grid"
    )
    assert grid == {"a": [1, 2], "b": [0.0, 0.5, 1.0], "c": [0.5, 0.7], "d": [4]}
    assert len(points(grid)) == 2 * 3 * 2


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["settlement.prepay_share"], "expected KEY=VALUES"),
        (["a=1,,2"], "empty value"),
        (["a=0:1:x"], "start:stop:n"),
        (["a=0:1:0"], "n >= 1"),
        (["a=1", "a=2"], "swept twice"),
    ],
)
def test_a_bad_flag_is_one_line_naming_it(flags: list[str], words: str) -> None:
    with pytest.raises(DrgsimError) as err:
        parse_flags(flags)
    assert words in str(err.value)
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(f"--grid {flags[-1]}")


def test_a_value_the_scenario_refuses_is_reported_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(DrgsimError) as err:
        sweep(SMALL, {"settlement.prepay_share": [0.9, 1.5]}, out=tmp_path / "s", workers=0)
    assert "settlement.prepay_share" in str(err.value) and "1.5" in str(err.value)
    assert not (tmp_path / "s").exists()
    with pytest.raises(DrgsimError, match="unknown key"):
        sweep(SMALL, {"settlement.prepay_shar": [0.9]}, out=tmp_path / "s", workers=0)


def _parts(out: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(out)): pd.read_parquet(p) for p in sorted(out.rglob("*.parquet"))}


def test_one_and_two_dask_workers_write_identical_tables(tmp_path: Path) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    sweep(SMALL, GRID, out=one, workers=1, plots=False)
    sweep(SMALL, GRID, out=two, workers=2, plots=False)
    a, b = _parts(one), _parts(two)
    assert set(a) == set(b) and len(a) == 3 * 4 * 2 + 2  # parts + points + summary
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_grid_points_share_patients_so_case_counts_match(tmp_path: Path) -> None:
    sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False)
    ry = read_sweep(tmp_path)["region_year"]
    keys = ["replication", *(["fund"] if "fund" in ry.columns else [])]  # each fund's patients
    by_rep = ry.groupby(keys)["cases"].nunique()
    assert (by_rep == 1).all()  # the same patients at every grid point of a replication


def test_a_rerun_computes_only_the_missing_parts(tmp_path: Path) -> None:
    first = sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False)
    assert first.attrs["tasks_run"] == 8
    before = read_sweep(tmp_path)
    (tmp_path / "settlement" / "point=1" / "rep=0.parquet").unlink()
    (tmp_path / "hospital_month" / "point=3" / "rep=1.parquet").unlink()
    (tmp_path / "region_year" / "point=3" / ".rep=1.parquet.dead.tmp").write_bytes(b"half")
    again = sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False)
    assert again.attrs["tasks_run"] == 2
    assert read_sweep(tmp_path)["manifest"]["tasks_run"] == 2
    assert not list(tmp_path.rglob("*.tmp"))
    after = read_sweep(tmp_path)
    for name in ("settlement", "hospital_month", "region_year"):
        pd.testing.assert_frame_equal(before[name], after[name])
    assert sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False).attrs["tasks_run"] == 0
    more = sweep(SMALL, GRID, replications=3, out=tmp_path, workers=0, plots=False)
    assert more.attrs["tasks_run"] == 4  # one more replication of each point


def test_another_grid_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    sweep(SMALL, {"settlement.prepay_share": [0.9]}, out=tmp_path, workers=0, plots=False)
    with pytest.raises(DrgsimError, match="another scenario or grid"):
        sweep(SMALL, {"settlement.prepay_share": [0.8]}, out=tmp_path, workers=0, plots=False)


def test_the_yaml_sweep_section_and_the_command_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(YAML, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "0", "--quiet"]) == 0
    tables = read_sweep(out)
    assert tables["manifest"]["grid"] == GRID
    assert tables["points"].shape == (4, 3)
    assert len(tables["settlement"]) == 4 * 2 * 7
    assert {p.name for p in (out / "plots").iterdir()} == {f"{k}.png" for k in GRID}
    summary = tables["summary"]
    assert set(summary["metric"]) >= {"point_value", "final_fen"}
    assert set(summary["entity"]) >= {"region 职工", "region 居民", "SW01"}  # Shanwei's funds
    args = [
        "sweep",
        str(path),
        "--out",
        str(out),
        "--workers",
        "0",
        "--grid",
        "audit.sample_rate=2",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("drgsim: error: --grid audit.sample_rate=2")
