"""Runs give the same tables whatever the number of worker processes (no kernel is threaded)."""

from __future__ import annotations

import pandas as pd
import pytest

import drgsim

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
