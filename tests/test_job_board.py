"""Worker processes keep to a replication, so that its months are drawn by as few as can share
its jobs; every job is run once and the tables do not change."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

import drgsim
from drgsim.scale import runner, shared_months
from drgsim.scale.job_board import JobBoard

CITY = {
    "extends": "shanwei",
    "region": {"admissions": 3000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 4,
    "variants": {
        "upcoding": {"hospitals.SW01.upcoding.rate": 0.3},
        "splitting": {"hospitals.SW03.splitting.rate": 0.2},
        "shifting": {"tiers.3.shifting.rate": 0.3},
    },
}


def _board(groups: list[object]) -> JobBoard:
    return JobBoard(groups, multiprocessing.get_context())


def test_two_workers_taking_in_turn_split_only_the_last_replication() -> None:
    groups = [rep for _ in range(9) for rep in range(5)]  # planned variant by variant
    board = _board(groups)
    current: list[int | None] = [None, None]
    taken: list[int] = []
    runs: list[set[int]] = [set(), set()]  # the replications each worker ran jobs of
    for turn in range(len(groups)):
        w = turn % 2
        i, current[w] = board.take(current[w])
        assert groups[i] == current[w]
        taken.append(i)
        runs[w].add(groups[i])
    assert sorted(taken) == list(range(len(groups)))  # each job once
    assert runs == [{0, 2, 4}, {1, 3, 4}]  # 0 and 1 alone, then 2 and 3, then both on 4
    with pytest.raises(LookupError):
        board.take(None)


def test_a_worker_keeps_to_its_replication_when_others_start_new_ones() -> None:
    board = _board(["a", "a", "b", "b", "c"])
    first, g = board.take(None)
    assert (first, g) == (0, 0)
    assert board.take(None) == (2, 1)  # another worker: a replication no one has started
    assert board.take(g) == (1, 0)  # the first keeps to its own
    assert board.take(None) == (4, 2)
    assert board.take(0) == (3, 1)  # its own done, none fresh: the one with most jobs left


def _counting(job: runner.Job) -> object:
    """runner.simulate, noting in DRGSIM_TEST_DRAWS how many months this process drew for it."""
    before = shared_months.STORE.drawn
    tables = runner.simulate.__wrapped__(job)  # type: ignore[attr-defined]
    with open(os.environ["DRGSIM_TEST_DRAWS"], "a") as log:
        log.write(f"{shared_months.STORE.drawn - before}\n")
    return tables


def test_two_worker_processes_draw_each_replications_months_once_but_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "draws.txt"
    monkeypatch.setenv("DRGSIM_TEST_DRAWS", str(log))
    _counting.__wrapped__ = runner.simulate  # type: ignore[attr-defined]
    monkeypatch.setattr(runner, "simulate", _counting)
    two = drgsim.run(CITY, workers=2)
    draws = [int(n) for n in log.read_text().split()]
    assert len(draws) == 4 * 4  # every job run once
    # 4 replications × 12 months, one of them at most drawn by both workers (handed out in
    # order of submission, each worker drew nearly every replication's months)
    assert 4 * 12 <= sum(draws) <= 5 * 12
    monkeypatch.setattr(runner, "simulate", _counting.__wrapped__)  # type: ignore[attr-defined]
    one = drgsim.run(CITY, workers=1)
    for name in ("settlement", "hospital_month", "region_year", "audit", "drg_margin"):
        assert getattr(two, name).equals(getattr(one, name)), name
