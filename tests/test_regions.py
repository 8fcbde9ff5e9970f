"""Many pooling regions: each with its own budget, hospitals and settlement, in bounded memory."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

import drgsim
from drgsim.population.hospitals import hospital_table
from drgsim.scale.regions import region_scenarios
from drgsim.scenario.loader import load_scenario

SMALL = {
    "extends": "shanwei",
    "regions": {
        "count": 3,
        "admissions": 30_000,
        "listed": {"汕尾市": {"region.admissions": 9000}},
    },
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "variants": {"upcoding": {"behaviour.upcoding.rate": 0.1}},
}


def test_generated_regions_share_the_total_and_get_hospitals_by_tier_from_their_size() -> None:
    scn = load_scenario({"regions": {"count": 50, "admissions": 5_000_000}})
    regions = region_scenarios(scn)
    sizes = np.array([r.region.admissions for _, r in regions])
    assert len(regions) == 50
    assert sizes.sum() == pytest.approx(5_000_000)
    assert sizes.max() > 2 * sizes.min()  # lognormal sizes, not equal shares
    per = scn.regions.admissions_per_hospital
    for _, r in regions:
        table = hospital_table(r)
        for tier in (2, 1):
            assert np.count_nonzero(table.tier == tier) == round(r.region.admissions / per[tier])
        assert np.count_nonzero(table.tier == 3) >= 1
    assert len({r.seed for _, r in regions}) == 50  # every region sees its own patients


def test_listed_regions_are_dotted_overrides_of_the_scenario() -> None:
    regions = dict(region_scenarios(load_scenario(SMALL)))
    assert next(iter(regions)) == "汕尾市"
    assert regions["汕尾市"].region.admissions == 9000
    assert set(hospital_table(regions["汕尾市"]).ids) >= {"SW01", "SW05"}


@pytest.fixture(scope="module")
def multi() -> drgsim.records.results.Result:
    return drgsim.run(SMALL)


def test_every_table_carries_the_region_and_each_region_settles_its_own_budget(multi) -> None:
    ry = multi.region_year
    assert sorted(ry["region"].unique()) == sorted(["汕尾市", "R001", "R002", "R003"])
    # Shanwei's two funds: each region's rows are its funds' books, each adding up alone
    assert set(ry["fund"]) == {"职工", "居民"}
    kept = ry["reserve_kept_fen"]  # spec §3: paid + reserve kept + retained = budget
    assert (ry["paid_fen"] + ry["retained_fen"] + kept == ry["budget_fen"]).all()
    assert (ry["reserve_fen"] + ry["available_fen"] == ry["budget_fen"]).all()
    paid = multi.settlement.groupby(["region", "variant", "replication", "year"])["final_fen"].sum()
    pd.testing.assert_series_equal(
        paid.sort_index(),
        ry.groupby(["region", "variant", "replication", "year"])["paid_fen"].sum().sort_index(),
        check_names=False,
    )
    assert len(ry["budget_fen"].unique()) == 8  # budget-neutral per region and fund: all differ


def test_the_comparison_is_per_region(multi) -> None:
    comp = multi.comparison
    assert "region" in comp.columns
    sums = comp.groupby("region")["final_fen_change_mean"].sum()
    # zero-sum inside each region, except what the fund keeps: a region of one hospital keeps
    # that hospital's deductions (spec v2 §5: an offender never gets its own deduction back)
    ry = multi.region_year.groupby(["region", "variant", "replication"])["retained_fen"].sum()
    kept = ry.groupby(["region", "variant"]).mean().unstack()  # summed over the funds
    change = (kept["upcoding"] - kept["baseline"]).loc[sums.index]
    assert np.allclose(sums.to_numpy(), -change.to_numpy(), atol=1e-6)
    assert sums["汕尾市"] == pytest.approx(0.0, abs=1e-6)  # many hospitals: all paid out


def test_a_many_region_run_streams_its_cases_into_a_dataset_by_region(tmp_path) -> None:
    scenario = tmp_path / "regions.yaml"
    scenario.write_text(
        "regions: {count: 2, admissions: 8000}\nother_hospitals: {count: {2: 1, 1: 1}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "drgsim.cli",
            "run",
            str(scenario),
            "--out",
            str(out),
            "--cases",
            "--quiet",
            "--workers",
            "2",
        ],
        check=True,
    )
    data = ds.dataset(out / "cases", partitioning="hive").to_table().to_pandas()
    settlement = pd.read_parquet(out / "settlement.parquet")
    assert set(data["region"]) == {"R001", "R002"}
    assert len(data) == settlement["cases"].sum()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no staging left
