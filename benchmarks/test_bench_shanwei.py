"""A Shanwei year: the baseline, and every act on (the all_gaming variant)."""

from __future__ import annotations

import pytest

import drgsim
from drgsim.scenario.loader import variant_scenario


@pytest.mark.parametrize("variant", ["baseline", "all_gaming"])
def test_shanwei_year(benchmark, shanwei, variant: str) -> None:
    scn = variant_scenario(shanwei, variant)
    drgsim.run(scn, replications=1, variants=["baseline"])
    result = benchmark.pedantic(
        lambda: drgsim.run(scn, replications=1, variants=["baseline"]), rounds=5, iterations=1
    )
    cases = int(result.region_year["cases"].sum())
    benchmark.extra_info["cases_per_s"] = cases / benchmark.stats.stats.median
