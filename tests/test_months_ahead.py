"""Months drawn one ahead on a second thread: the same months, in order, errors where they were."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from drgsim.engine.months_ahead import MonthsAhead


class Recorder:
    """A source whose month is a list naming it; notes which thread drew each month."""

    def __init__(self, fail_at: tuple[int, int] | None = None, delay: float = 0.0) -> None:
        self.fail_at, self.delay = fail_at, delay
        self.drawn: list[tuple[int, int, str]] = []

    def month(self, year: int, month: int, seed: np.random.SeedSequence) -> list[int]:
        time.sleep(self.delay)
        self.drawn.append((year, month, threading.current_thread().name))
        if (year, month) == self.fail_at:
            raise ValueError(f"no cases for {year}-{month}")
        return [year, month, int(seed.entropy)]


def plan(n: int) -> list[tuple[int, int, np.random.SeedSequence]]:
    return [(k // 12, k % 12 + 1, np.random.SeedSequence(100 + k)) for k in range(n)]


@pytest.mark.parametrize("ahead", [False, True])
def test_months_come_in_the_plans_order_as_the_source_draws_them(ahead: bool) -> None:
    source = Recorder()
    with MonthsAhead(source, plan(14), ahead) as months:
        got = [months.take() for _ in range(14)]
    assert got == [[k // 12, k % 12 + 1, 100 + k] for k in range(14)]
    # each month drawn once (ahead, the first and second at the same time)
    assert sorted((y, m) for y, m, _ in source.drawn) == [(k // 12, k % 12 + 1) for k in range(14)]


def test_ahead_each_next_month_is_drawn_on_another_thread_before_it_is_taken() -> None:
    source = Recorder(delay=0.05)
    here = threading.current_thread().name
    with MonthsAhead(source, plan(3), True) as months:
        assert months.take() == [0, 1, 100]  # drawn here while the thread draws month 2
        time.sleep(0.2)
        assert sorted((y, m) for y, m, _ in source.drawn) == [(0, 1), (0, 2)]
        assert months.take() == [0, 2, 101]
        time.sleep(0.2)  # month 3 drawn meanwhile
        assert len(source.drawn) == 3
        months.take()
    threads = {(y, m): name for y, m, name in source.drawn}
    assert threads[0, 1] == here
    assert threads[0, 2] != here and threads[0, 3] != here


def test_without_ahead_every_month_is_drawn_here_when_taken() -> None:
    source = Recorder()
    with MonthsAhead(source, plan(3), False) as months:
        months.take()
        time.sleep(0.05)
        assert len(source.drawn) == 1
        months.take()
    assert {name for _, _, name in source.drawn} == {threading.current_thread().name}


def test_a_month_that_fails_raises_when_it_is_taken_not_before() -> None:
    source = Recorder(fail_at=(0, 3))
    with MonthsAhead(source, plan(5), True) as months:
        months.take()
        months.take()  # month 3 fails on the thread meanwhile
        with pytest.raises(ValueError, match="no cases for 0-3"):
            months.take()


def test_taking_past_the_plan_says_so() -> None:
    with MonthsAhead(Recorder(), plan(1), True) as months:
        months.take()
        with pytest.raises(IndexError, match="all 1 months of the plan are taken"):
            months.take()


def test_closing_waits_for_a_month_in_progress_and_stops_the_thread() -> None:
    source = Recorder(delay=0.1)
    months = MonthsAhead(source, plan(4), True)
    months.take()  # month 2 starts drawing
    months.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("drgsim-months")]
    assert len(source.drawn) == 2  # month 2 finished, no month 3 began
