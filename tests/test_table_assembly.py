"""The run's tables assembled in one go are those assembled simulation by simulation."""

from __future__ import annotations

import pandas as pd
import pytest

from drgsim.engine.rows import Tables
from drgsim.records.results import TABLES
from drgsim.scale import runner
from drgsim.scale.runner import _frame, _frame_by_parts, plan_jobs, simulate
from drgsim.scenario.loader import load_scenario

CITY = {
    "extends": "shanwei",
    "region": {"admissions": 3000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "years": 2,
    "variants": {"upcoding": {"hospitals.SW01.upcoding.rate": 0.15}},
}


@pytest.fixture(scope="module")
def collected() -> list[tuple[runner.Job, Tables]]:
    scn = load_scenario(CITY)
    cat = runner.load_catalogue(scn)
    jobs, _ = plan_jobs(scn, cat, ["baseline", "upcoding"], range(2), True, False, None, {})
    return [(job, simulate(job)) for job in jobs]


@pytest.mark.parametrize("key", [*TABLES, "fund_settlement", "cases"])
@pytest.mark.parametrize("with_region", [False, True])
def test_one_go_equals_frame_by_frame(collected, key: str, with_region: bool) -> None:
    keys = (["region"] if with_region else []) + runner.KEYS
    parts = [(job, getattr(t, key)) for job, t in collected if getattr(t, key)]
    got = _frame(collected, key, with_region)
    want = _frame_by_parts(parts, keys, with_region)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.columns[: len(keys)]) == keys
    assert len(got) == sum(len(b["year"]) for _, rows in parts for b in rows)
    assert set(got["variant"]) == {"baseline", "upcoding"}


def test_blocks_with_other_columns_are_joined_frame_by_frame(collected) -> None:
    """A simulation whose blocks lack a column gets NaN there, as pandas' concat gives."""
    (job_a, a), (job_b, b) = collected[:2]
    rows = [dict(block) for block in a.region_year]
    for block in rows:
        block.pop(next(k for k in block if k != "year"))
    partial = Tables()
    partial.region_year = rows
    mixed = [(job_a, partial), (job_b, b)]
    got = _frame(mixed, "region_year", False)
    want = _frame_by_parts([(job_a, rows), (job_b, b.region_year)], runner.KEYS, False)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.isna().any().any()
