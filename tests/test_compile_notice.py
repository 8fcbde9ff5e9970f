"""A first run says that it compiles the kernels and for about how long; a later run says nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from drgsim import cli
from drgsim.kernels import jit

TINY = "extends: shanwei\nname: tiny\nyears: 1\nreplications: 1\nregion: {admissions: 2000}\n"


def run(scenario: Path, out: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DRGSIM_CACHE_DIR": str(cache)}
    env.pop("DRGSIM_NUMBA_CACHE", None)
    args = ["run", scenario, "--variant", "baseline", "--no-report", "--out", out]
    return subprocess.run(
        [sys.executable, "-m", "drgsim.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_a_cold_run_says_it_compiles_and_a_warm_one_says_nothing_extra(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY, encoding="utf-8")
    cache = tmp_path / "cache"  # empty: nothing compiled yet
    cold = run(scenario, tmp_path / "first", cache)
    assert cold.returncode == 0, cold.stderr
    (line,) = cold.stderr.splitlines()
    assert line.startswith("drgsim: compiling the simulation kernels first")
    assert f"about {jit.COMPILE_SECONDS} s" in line and str(cache) in line
    warm = run(scenario, tmp_path / "second", cache)
    assert warm.returncode == 0, warm.stderr
    assert warm.stderr == ""
    assert warm.stdout == cold.stdout.replace(
        f"{tmp_path}/first", f"{tmp_path}/second"
    )  # the same summary, nothing more
    assert (cache / jit.cache_dir().name / ".warm").is_file()
    # compiled by scale.warm_up's shares, though the baseline alone never calls it
    assert list((cache / jit.cache_dir().name).glob("upcode.upcode_claims-*.nbi"))


def test_quiet_says_nothing_and_a_cache_left_unwritten_is_not_taken_as_warm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRGSIM_CACHE_DIR", str(tmp_path))
    cli._compile_notice(quiet=True)
    assert capsys.readouterr().err == ""
    jit.mark_compiled()  # numba wrote nothing there: still cold
    cli._compile_notice(quiet=False)
    assert capsys.readouterr().err.startswith("drgsim: compiling the simulation kernels first")
    jit.cache_dir().mkdir(parents=True)
    (jit.cache_dir() / "group.group_cases-1.py311.nbi").write_bytes(b"")
    jit.mark_compiled()
    cli._compile_notice(quiet=False)
    assert capsys.readouterr().err == ""


def test_a_refused_catalogue_on_a_cold_cache_is_still_one_line(tmp_path: Path) -> None:
    """The notice waits until the work starts: input refused before then is its one line."""
    header = "drg,mdc,adrg,adrg_type,suffix,name,ref_mean_cost_yuan,mean_los_days\n"
    (tmp_path / "codes.csv").write_text(header, encoding="utf-8")
    scenario = tmp_path / "city.yaml"
    scenario.write_text(TINY + "catalogue: {source: codes.csv}\n", encoding="utf-8")
    proc = run(scenario, tmp_path / "out", tmp_path / "cache")  # the cache is empty: cold
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert "codes.csv" in line and "no DRG rows" in line
