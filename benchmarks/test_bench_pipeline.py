"""Cases per second of the full pipeline (generate, behave, group, price, settle) via drgsim.run."""

from __future__ import annotations

import pytest

import drgsim
from drgsim.scenario.loader import with_overrides


@pytest.mark.parametrize(
    "admissions",
    [1_000_000, 10_000_000, pytest.param(100_000_000, marks=pytest.mark.slow)],
    ids=["1M", "10M", "100M"],
)
def test_pipeline_cases_per_second(benchmark, shanwei, admissions: int) -> None:
    scn = with_overrides(shanwei, {"region.admissions": admissions})
    drgsim.run(scn, replications=1, variants=["baseline"])  # compile, warm the caches
    result = benchmark.pedantic(
        lambda: drgsim.run(scn, replications=1, variants=["baseline"]),
        rounds=3 if admissions <= 1_000_000 else 1,
        iterations=1,
    )
    cases = int(result.region_year["cases"].sum())
    benchmark.extra_info["cases"] = cases
    benchmark.extra_info["cases_per_s"] = cases / benchmark.stats.stats.median
