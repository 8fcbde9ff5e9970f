"""Runs give the same tables whatever the number of worker processes (no kernel is threaded)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

import drgsim
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
