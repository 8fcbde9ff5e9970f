"""A Shanwei sweep of 200 replications on 2 Dask workers, extrapolated to 1,000 replications."""

from __future__ import annotations

from conftest import SHANWEI

from drgsim.scale.sweep import sweep

REPLICATIONS = 200


def test_sweep_200_replications_on_2_workers(benchmark, tmp_path) -> None:
    runs = iter(range(100))

    def once() -> None:
        out = tmp_path / f"run{next(runs)}"
        grid = {"settlement.prepay_share": [0.9]}
        sweep(SHANWEI, grid, replications=REPLICATIONS, out=out, workers=2, plots=False)

    benchmark.pedantic(once, rounds=1, iterations=1)
    seconds = benchmark.stats.stats.median
    benchmark.extra_info["replications_per_s"] = REPLICATIONS / seconds
    benchmark.extra_info["1000_replications_s_extrapolated"] = seconds * 1000 / REPLICATIONS
