"""drgsim against the two baselines: pandas settlement, and the per-patient SimPy model."""

from __future__ import annotations

import time

import pytest
from baselines import City, drgsim_settle, pandas_settle, simpy_year

import drgsim

SIMPY_PATIENTS = 50_000


@pytest.mark.parametrize("how", ["drgsim", "pandas"])
def test_settle_a_shanwei_year(benchmark, settlement_work, how: str) -> None:
    work, _ = settlement_work
    fn = drgsim_settle if how == "drgsim" else pandas_settle
    benchmark.pedantic(lambda: fn(work), rounds=7, iterations=1, warmup_rounds=1)
    benchmark.extra_info["claims_per_s"] = len(work.cases) / benchmark.stats.stats.median


def test_simpy_per_patient_year(benchmark) -> None:
    city = City.shanwei(SIMPY_PATIENTS)
    benchmark.pedantic(lambda: simpy_year(city, SIMPY_PATIENTS), rounds=3, iterations=1)
    benchmark.extra_info["cases_per_s"] = SIMPY_PATIENTS / benchmark.stats.stats.median


def test_speedups(shanwei) -> None:
    """Print the ratios measured in this process (no benchmark fixture: a report)."""
    from conftest import median_seconds

    run = lambda: drgsim.run(shanwei, replications=1, variants=["baseline"])  # noqa: E731
    cases = int(run().region_year["cases"].sum())
    pipeline = cases / median_seconds(run, 3)
    city = City.shanwei(SIMPY_PATIENTS)
    t0 = time.perf_counter()
    simpy_year(city, SIMPY_PATIENTS)
    simpy = SIMPY_PATIENTS / (time.perf_counter() - t0)
    print(
        f"pipeline {pipeline:,.0f} cases/s; SimPy per patient {simpy:,.0f} cases/s; "
        f"speed-up {pipeline / simpy:.1f}x (target 50x)"
    )
