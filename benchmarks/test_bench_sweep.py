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


def test_a_sweeps_grid_points_share_each_replications_months(
    benchmark, tmp_path, monkeypatch
) -> None:
    """8 grid points × 4 replications here (--workers 0): the months drawn once per replication
    against drawn anew for every point, CPU time in turn in one run (median of 3 rounds)."""
    from conftest import median_cpu_seconds

    from drgsim.scale import shared_months

    grid = {"audit.sample_rate": [0.01, 0.05, 0.1, 0.2], "settlement.prepay_share": [0.85, 0.95]}
    runs = iter(range(100))
    kept = shared_months.MonthStore.get

    def once(share: bool) -> None:
        anew = lambda self, source, year, month, seed: source.month(year, month, seed)  # noqa: E731
        monkeypatch.setattr(shared_months.MonthStore, "get", kept if share else anew)
        out = tmp_path / f"run{next(runs)}"
        sweep(SHANWEI, grid, replications=4, out=out, workers=0, plots=False)

    shared, anew = median_cpu_seconds([lambda: once(True), lambda: once(False)], 3)
    benchmark.pedantic(lambda: once(True), rounds=1, iterations=1)
    benchmark.extra_info["shared_cpu_s"] = shared
    benchmark.extra_info["anew_cpu_s"] = anew
    benchmark.extra_info["sharing_speedup_x"] = anew / shared
    print(f"8 points x 4 replications: months shared {shared:.2f} s, drawn anew {anew:.2f} s (CPU)")
    print(f"speed-up from sharing: {anew / shared:.2f}x")
    assert shared < anew
