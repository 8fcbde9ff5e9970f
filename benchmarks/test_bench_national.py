"""The national year (many regions): wall time and peak memory, once drgsim can run one."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import pytest
from conftest import ROOT

NATIONAL = ROOT / "scenarios" / "national.yaml"


@pytest.mark.slow
def test_national_year(benchmark, tmp_path) -> None:
    from drgsim.scenario.schema import Scenario

    if "regions" not in Scenario.__dataclass_fields__ or not NATIONAL.is_file():
        pytest.skip("drgsim has no many-regions scenarios yet (scenarios/national.yaml, issue 5)")
    cmd = [sys.executable, "-m", "drgsim.cli", "run", str(NATIONAL), "--quiet", "--force"]

    def once() -> None:
        subprocess.run([*cmd, "--out", str(tmp_path / "out")], check=True)

    t0 = time.perf_counter()
    benchmark.pedantic(once, rounds=1, iterations=1)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    benchmark.extra_info["wall_s"] = time.perf_counter() - t0
    benchmark.extra_info["peak_memory_gib"] = peak_kib / 2**20
