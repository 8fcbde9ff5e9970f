"""A simulation builds only the optional tables it is asked for, and the settlement's tables the
same either way; a sweep, which writes three tables, asks for none of the others."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import drgsim
from drgsim.engine.rows import OPTIONAL_TABLES
from drgsim.scale.runner import load_catalogue, plan_jobs, simulate
from drgsim.scale.sweep import read_sweep, sweep
from drgsim.scenario.loader import load_scenario

SHANWEI = Path(__file__).resolve().parents[1] / "scenarios" / "shanwei.yaml"
#: Shanwei's two funds (fund_settlement) and every act of its shipped all_gaming variant on (the
#: audit's tally and inspections at work), in a small city.
CITY = {
    "extends": "shanwei",
    "name": "two funds, acts on",
    "region": {"admissions": 6000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "years": 2,
    "variants": {"all_gaming": yaml.safe_load(SHANWEI.read_text())["variants"]["all_gaming"]},
}
ALWAYS = ("hospital_month", "settlement", "region_year")


def _jobs(asked: frozenset[str] | None) -> list:
    scn = load_scenario(CITY)
    cat = load_catalogue(scn)
    jobs, _ = plan_jobs(scn, cat, ["all_gaming"], range(1), False, False, None, {})
    return [replace(j, tables=asked) for j in jobs]


@pytest.fixture(scope="module")
def every() -> object:
    """The tables of the city's simulation with every table asked for."""
    (tables,) = [simulate(j) for j in _jobs(None)]
    return tables


def _same_block(a: dict, b: dict, where: str) -> None:
    assert list(a) == list(b), where
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        assert x.dtype == y.dtype, f"{where}.{name}"
        if x.dtype.kind == "f":  # bit for bit, NaN where NaN
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), f"{where}.{name}"
        else:
            assert np.array_equal(x, y), f"{where}.{name}"


@pytest.mark.parametrize(
    "asked",
    [frozenset(), *(frozenset({t}) for t in OPTIONAL_TABLES), frozenset({"audit", "drg_margin"})],
)
def test_the_settlements_tables_do_not_depend_on_the_tables_asked_for(
    every: object, asked: frozenset
) -> None:
    (some,) = [simulate(j) for j in _jobs(asked)]
    for table in ALWAYS:
        full, part = getattr(every, table), getattr(some, table)
        assert len(full) == len(part) > 0, table
        for i, (a, b) in enumerate(zip(full, part, strict=True)):
            _same_block(a, b, f"{table}[{i}]")
    for table in OPTIONAL_TABLES:
        full, part = getattr(every, table), getattr(some, table)
        assert full, f"{table}: built when every table is asked for"
        if table in asked:
            for i, (a, b) in enumerate(zip(full, part, strict=True)):
                _same_block(a, b, f"{table}[{i}]")
        else:
            assert part == [], f"{table}: built though not asked for"


def test_a_table_that_is_not_optional_is_refused_by_name() -> None:
    (job,) = _jobs(frozenset({"drg_margin", "hospitals"}))
    with pytest.raises(ValueError, match=r"tables: hospitals; allowed fund_settlement, catalogue"):
        simulate(job)
    (job,) = _jobs("audit")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"tables: 'audit'; expected a collection of table names"):
        simulate(job)


def test_a_sweeps_parts_are_the_runs_tables_of_its_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import drgsim.scale.runner as runner

    asked = []

    def noting(job: object) -> object:
        asked.append(job.tables)  # type: ignore[attr-defined]
        return simulate(job)

    monkeypatch.setattr(runner, "simulate", noting)
    small = {**CITY, "years": 1, "replications": 2, "variants": {}}
    sweep(small, {"settlement.prepay_share": [0.85]}, out=tmp_path, workers=0, plots=False)
    assert asked == [frozenset(), frozenset()]  # a sweep's tasks ask for no optional table
    parts = read_sweep(tmp_path)
    run = drgsim.run({**small, "settlement": {"prepay_share": 0.85}}, variants=["baseline"])
    for table in ALWAYS:
        ours = parts[table].drop(columns="point").reset_index(drop=True)
        theirs = getattr(run, table).drop(columns="variant").reset_index(drop=True)
        assert sorted(ours.columns) == sorted(theirs.columns), table
        pd.testing.assert_frame_equal(ours[theirs.columns], theirs, check_exact=True, obj=table)
