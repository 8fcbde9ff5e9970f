"""Sizes a run cannot hold, numbers out of range on the command line, and inputs `validate` reads.

Each is refused in one line with exit code 2 before anything runs.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from conftest import run_cli

from drgsim.errors import ScenarioError
from drgsim.scale.regions import region_sizes
from drgsim.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[1]
FLAT = "region: {seasonality: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}\n"  # every month 1/12
ONE = "hospitals: {A: {tier: 2, beds: 100}}\n"


def _cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, timeout=120)


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith("drgsim: error: ")
    return line


def test_cases_per_month_are_capped_at_ten_million_in_the_busiest_month() -> None:
    # 12 equal months: the busiest holds 1/12 of the year, so the cap is 120 M a year
    load_scenario(ONE + FLAT.replace("{", "{admissions: 120000000, "))
    with pytest.raises(
        ScenarioError, match=r"region.admissions: got 120000001.0; allowed: at most"
    ):
        load_scenario(ONE + FLAT.replace("{", "{admissions: 120000001, "))


def test_growth_counts_toward_the_last_year_s_busiest_month() -> None:
    text = (
        ONE
        + "years: 3\n"
        + "growth: {volume: 0.1}\n"
        + FLAT.replace("{", "{admissions: 100000000, ")
    )
    # 100 M × 1.1² = 121 M in year 3, above the 120 M a flat year allows
    with pytest.raises(ScenarioError, match="busiest month of year 3"):
        load_scenario(text)


def test_the_budget_must_fit_int64_fen_with_headroom_after_growth() -> None:
    limit = (2**63 - 1) / 1000 / 100  # yuan: × 100 fen, 1,000× headroom for sums
    load_scenario(ONE + f"budget: {{annual: {limit * 0.999:.6e}}}\n")
    with pytest.raises(ScenarioError, match=r"budget\.annual"):
        load_scenario(ONE + f"budget: {{annual: {limit * 1.001:.6e}}}\n")
    two = ONE + "years: 2\n"
    load_scenario(two + f"budget: {{annual: {limit / 1.06 * 0.999:.6e}, growth: 0.06}}\n")
    with pytest.raises(ScenarioError, match=r"growth 0.06 over 2 year\(s\)"):
        load_scenario(two + f"budget: {{annual: {limit / 1.06 * 1.001:.6e}, growth: 0.06}}\n")


def test_more_hospitals_than_a_region_holds_is_refused() -> None:
    with pytest.raises(ScenarioError, match="at most 10,000 hospitals in a region"):
        load_scenario(ONE + "other_hospitals: {count: {1: 10000}, beds: {1: 1}}\n")


def test_huge_sizes_are_refused_before_anything_runs(tmp_path: Path) -> None:
    bad = REPO / "tests" / "bad_scenarios"
    for name, key in (
        ("size_admissions_1e12.yaml", "region.admissions: got 1000000000000.0"),
        ("size_other_hospitals_1e9.yaml", "other_hospitals.count.1: got 1000000000.0"),
    ):
        start = time.perf_counter()
        line = _one_error_line(_cli("run", bad / name, "--out", tmp_path / "out"))
        assert time.perf_counter() - start < 30
        assert name in line and key in line
        assert not (tmp_path / "out").exists()


def test_a_generated_region_too_big_for_memory_is_refused_by_validate(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    # on average 100 M a year, within the cap; σ = 2 makes one of the two regions larger
    path.write_text("regions: {count: 2, admissions: 2e8, size_sigma: 2}\n", encoding="utf-8")
    scn = load_scenario(path)
    assert region_sizes(scn.regions, scn.seed).max() > 10_000_000 * 12.0 / 1.10
    line = _one_error_line(_cli("validate", path))
    assert f"{path}: regions: R00" in line and "region.admissions" in line


@pytest.mark.parametrize(
    ("command", "flag", "value", "allowed"),
    [
        ("run", "--replications", "-1", "allowed: at least 1 and at most 100,000"),
        ("run", "--replications", "0", "allowed: at least 1 and at most 100,000"),
        ("run", "--replications", "100001", "allowed: at least 1 and at most 100,000"),
        ("run", "--replications", "many", "expected a whole number at least 1"),
        ("run", "--workers", "0", "allowed: at least 1 and at most 1,024"),
        ("run", "--seed", "-3", "allowed: at least 0"),
        ("sweep", "--replications", "100001", "allowed: at least 1 and at most 100,000"),
        ("sweep", "--workers", "-1", "allowed: at least 0 and at most 1,024"),
    ],
)
def test_a_numeric_flag_out_of_range_is_one_line(
    command: str, flag: str, value: str, allowed: str, tmp_path: Path
) -> None:
    scenario = REPO / "scenarios" / "shanwei.yaml"
    line = _one_error_line(_cli(command, scenario, flag, value, "--out", tmp_path / "out"))
    assert f"argument {flag}: got '{value}'; {allowed}" in line


def _validate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "study.yaml"
    path.write_text("extends: shanwei\nname: study\n" + text, encoding="utf-8")
    return _cli("validate", path)


def test_validate_reads_a_variant_s_catalogue_relative_to_the_scenario(tmp_path: Path) -> None:
    line = _one_error_line(
        _validate(tmp_path, "variants:\n  mine: {catalogue.source: codes.csv}\n")
    )
    assert f"{tmp_path / 'study.yaml'}: variants.mine: " in line
    assert str(tmp_path / "codes.csv") in line
    (tmp_path / "codes.csv").write_text("drg\n", encoding="utf-8")  # a header and no DRG
    line = _one_error_line(
        _validate(tmp_path, "variants:\n  mine: {catalogue.source: codes.csv}\n")
    )
    assert "variants.mine: " in line


def test_validate_checks_negotiated_weights_against_the_catalogue(tmp_path: Path) -> None:
    line = _one_error_line(_validate(tmp_path, "variants:\n  w: {weights.overrides.XX99: 1.2}\n"))
    assert line.endswith(
        "variants.w: weights.overrides.XX99: got 'XX99'; allowed: a DRG of the catalogue (builtin)"
    )


def test_validate_reads_a_variant_s_case_table(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text("nothing,useful\n1,2\n", encoding="utf-8")
    line = _one_error_line(_validate(tmp_path, "variants:\n  replay: {cases.source: cases.csv}\n"))
    assert "variants.replay: " in line and "cases.csv" in line
