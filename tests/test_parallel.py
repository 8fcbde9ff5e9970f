"""Runs give the same tables whatever the number of worker processes and threads."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numba
import pandas as pd
import pytest

import drgsim
from drgsim.engine import months_ahead
from drgsim.kernels.jit import launch_on
from drgsim.scale import runner

SMALL = {
    "extends": "shanwei",
    "region": {"admissions": 8000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 2,
    "variants": {"upcoding": {"hospitals.SW01.upcoding.rate": 0.2}},
}
TABLES = ("settlement", "hospital_month", "region_year", "catalogue", "comparison")


def test_two_worker_processes_give_the_tables_of_one() -> None:
    one = drgsim.run(SMALL, workers=1)
    two = drgsim.run(SMALL, workers=2)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))


def test_months_drawn_ahead_on_a_second_thread_give_the_tables_of_one_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[tuple[str, int]] = []

    def noting(count: int) -> None:
        threads.append((threading.current_thread().name, count))
        launch_on(count)

    monkeypatch.setattr(months_ahead, "launch_on", noting)
    priced: list[str] = []
    start = months_ahead.PricingAhead.start

    def noting_prices(self: months_ahead.PricingAhead, *args: object) -> object:
        begun = start(self, *args)  # type: ignore[arg-type]
        if begun is not None:
            priced.append(threading.current_thread().name)
        return begun

    monkeypatch.setattr(months_ahead.PricingAhead, "start", noting_prices)
    monkeypatch.setattr(runner, "spare_core", lambda: True)
    ahead = drgsim.run(SMALL, workers=1)
    # one drawing thread a simulation, its kernel on as many threads as the calendar's
    assert threads and all(name.startswith("drgsim-months") for name, _ in threads)
    assert {count for _, count in threads} == {numba.get_num_threads()}
    # every month of the one-year runs priced ahead: 12 a simulation, 2 variants × 2 replications
    assert len(priced) == 48
    assert not [
        t for t in threading.enumerate() if t.name.startswith(("drgsim-months", "drgsim-pricing"))
    ]
    monkeypatch.setattr(runner, "spare_core", lambda: False)
    drawn = len(threads)
    alone = drgsim.run(SMALL, workers=1)
    assert len(threads) == drawn and len(priced) == 48  # no thread drew or priced a month
    for name in (*TABLES, "audit", "drg_margin"):
        pd.testing.assert_frame_equal(getattr(ahead, name), getattr(alone, name))


@pytest.mark.parametrize("lag", [0, 2])
def test_claims_priced_ahead_give_the_tables_of_claims_priced_when_settled(
    monkeypatch: pytest.MonkeyPatch, lag: int
) -> None:
    """Over three years, whatever the reporting lag: a later year's months reported before
    its tariff is set are priced when settled, the rest on the pricing thread; the same tables."""
    scn = {**SMALL, "years": 3, "replications": 1, "reporting": {"lag_months": lag}}
    monkeypatch.setattr(runner, "spare_core", lambda: True)
    ahead = drgsim.run(scn, workers=1)
    monkeypatch.setattr(runner, "spare_core", lambda: False)
    alone = drgsim.run(scn, workers=1)
    for name in (*TABLES, "audit", "drg_margin"):
        pd.testing.assert_frame_equal(getattr(ahead, name), getattr(alone, name))


def test_a_worker_process_has_no_core_to_spare() -> None:
    with ProcessPoolExecutor(1, initializer=runner.start_worker, initargs=(os.getpid(),)) as pool:
        assert pool.submit(runner.spare_core).result() is False


def test_a_dask_cluster_gives_the_tables_of_one_process() -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        on_dask = drgsim.run(SMALL, scheduler=cluster.scheduler_address)
    here = drgsim.run(SMALL, workers=1)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(here, name), getattr(on_dask, name))


#: A sweep and a run on a Dask worker that runs three tasks at once on threads (as `dask
#: worker` does by default, one thread a core), checked against this process's own tables.
ON_THREADS = """
import tempfile
import pandas as pd
from distributed import LocalCluster
import drgsim
from drgsim.scale.sweep import read_sweep, sweep

city = {"extends": "shanwei", "region": {"admissions": 5000},
        "other_hospitals": {"count": {2: 1, 1: 1}}, "replications": 2,
        "variants": {"upcoding": {"hospitals.SW01.upcoding.rate": 0.3}}}
grid = {"settlement.prepay_share": [0.85, 0.95], "audit.sample_rate": [0.01, 0.1]}
with LocalCluster(n_workers=1, threads_per_worker=3, processes=False,
                  dashboard_address=None) as cluster:
    there = sweep(city, grid, out=tempfile.mkdtemp(), scheduler=cluster.scheduler_address,
                  plots=False)
    run_there = drgsim.run(city, scheduler=cluster.scheduler_address)
here = sweep(city, grid, out=tempfile.mkdtemp(), workers=0, plots=False)
pd.testing.assert_frame_equal(there, here)
run_here = drgsim.run(city, workers=1)
for name in ("settlement", "hospital_month", "region_year"):
    pd.testing.assert_frame_equal(getattr(run_there, name), getattr(run_here, name))
print("same")
"""


def test_a_dask_worker_running_tasks_on_threads_gives_the_tables_of_one_process() -> None:
    """numba's workqueue layer ends the process when two threads start a parallel kernel at
    once; a worker's threads take turns with the generation kernel (it ended the worker before)."""
    pytest.importorskip("distributed")
    done = subprocess.run(
        [sys.executable, "-c", ON_THREADS], capture_output=True, text=True, timeout=300
    )
    assert (done.returncode, done.stdout) == (0, "same\n"), done.stderr[-3000:]


def _noting(job: runner.Job) -> object:
    """runner.simulate, noting in DRGSIM_TEST_RUNNING that a worker process is simulating."""
    Path(os.environ["DRGSIM_TEST_RUNNING"]).write_text(str(os.getpid()))
    return _SIMULATE(job)


_SIMULATE = runner.simulate


def test_meanwhile_runs_here_while_the_worker_processes_simulate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = tmp_path / "running"
    monkeypatch.setenv("DRGSIM_TEST_RUNNING", str(running))
    monkeypatch.setattr(runner, "simulate", _noting)
    seen: list[tuple[int, bool]] = []

    def meanwhile() -> None:  # waits for a worker to have started simulating
        deadline = time.monotonic() + 120
        while not running.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append((os.getpid(), running.exists() and running.read_text() != str(os.getpid())))

    two = drgsim.run(SMALL, workers=2)  # no hook
    with_hook = runner.run(SMALL, workers=2, meanwhile=meanwhile)
    assert seen == [(os.getpid(), True)]  # once, here, while a worker simulated
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(two, name), getattr(with_hook, name))


def test_meanwhile_runs_before_simulations_in_this_process() -> None:
    calls: list[str] = []
    runner.run(
        {**SMALL, "replications": 1},
        workers=1,
        variants=["baseline"],
        meanwhile=lambda: calls.append("meanwhile"),
        progress=lambda done, total, label: calls.append(f"{done}/{total}"),
    )
    assert calls == ["0/1", "meanwhile", "1/1"]
