"""Months drawn one ahead on a second thread, and reported months priced on a third: the same
months and claims, in order, errors where they were, and the threads gone when the run is,
however it ends."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from drgsim.engine.months_ahead import MonthsAhead, PricingAhead

WAIT = 10.0  # seconds a test waits for the drawing thread before it fails


class Recorder:
    """A source whose month is a list naming it; notes which thread drew each month, in order."""

    def __init__(self, fail_at: tuple[int, int] | None = None, delay: float = 0.0) -> None:
        self.fail_at, self.delay = fail_at, delay
        self.drawn: list[tuple[int, int, str]] = []
        self.begun = 0
        self.changed = threading.Condition()

    def month(self, year: int, month: int, seed: np.random.SeedSequence) -> list[int]:
        with self.changed:
            self.begun += 1
            self.changed.notify_all()
        time.sleep(self.delay)
        with self.changed:
            self.drawn.append((year, month, threading.current_thread().name))
            self.changed.notify_all()
        if (year, month) == self.fail_at:
            raise ValueError(f"no cases for {year}-{month}")
        return [year, month, int(np.asarray(seed.entropy))]

    def wait_for(self, count: int, *, begun: bool = False) -> bool:
        """Whether `count` months get drawn (with `begun`, begin to be) within WAIT seconds."""
        with self.changed:
            return self.changed.wait_for(
                lambda: (self.begun if begun else len(self.drawn)) >= count, timeout=WAIT
            )


def plan(n: int) -> list[tuple[int, int, np.random.SeedSequence]]:
    return [(k // 12, k % 12 + 1, np.random.SeedSequence(100 + k)) for k in range(n)]


def drawing_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("drgsim-months")]


@pytest.mark.parametrize("ahead", [False, True])
def test_months_come_in_the_plans_order_as_the_source_draws_them(ahead: bool) -> None:
    source = Recorder()
    with MonthsAhead(source, plan(14), ahead) as months:
        got = [months.take() for _ in range(14)]
    assert got == [[k // 12, k % 12 + 1, 100 + k] for k in range(14)]
    assert [(y, m) for y, m, _ in source.drawn] == [(k // 12, k % 12 + 1) for k in range(14)]


def test_ahead_every_month_is_drawn_on_the_thread_the_next_before_it_is_taken() -> None:
    source = Recorder()
    with MonthsAhead(source, plan(3), True) as months:
        assert source.wait_for(1)  # month 1 drawn before anything is taken
        assert months.take() == [0, 1, 100]
        assert source.wait_for(2)  # month 2 drawn while the caller works on month 1
        assert months.take() == [0, 2, 101]
        assert months.take() == [0, 3, 102]
    here = threading.current_thread().name
    assert all(name.startswith("drgsim-months") and name != here for *_, name in source.drawn)
    assert drawing_threads() == []


def test_without_ahead_every_month_is_drawn_here_when_taken() -> None:
    source = Recorder()
    with MonthsAhead(source, plan(3), False) as months:
        assert source.drawn == []
        months.take()
        assert len(source.drawn) == 1
        months.take()
    assert {name for *_, name in source.drawn} == {threading.current_thread().name}


def test_a_month_that_fails_raises_when_it_is_taken_not_before() -> None:
    source = Recorder(fail_at=(0, 3))
    with MonthsAhead(source, plan(5), True) as months:
        months.take()
        months.take()
        assert source.wait_for(3)  # month 3 failed on the thread meanwhile
        with pytest.raises(ValueError, match="no cases for 0-3"):
            months.take()
    assert drawing_threads() == []


def test_taking_past_the_plan_says_so() -> None:
    with MonthsAhead(Recorder(), plan(1), True) as months:
        months.take()
        with pytest.raises(IndexError, match="all 1 months of the plan are taken"):
            months.take()


def test_leaving_on_an_error_waits_for_the_month_in_progress_and_stops_the_thread() -> None:
    source = Recorder(delay=0.05)
    with (
        pytest.raises(RuntimeError, match="the calendar failed"),
        MonthsAhead(source, plan(4), True) as months,
    ):
        months.take()
        assert source.wait_for(2, begun=True)  # month 2 is being drawn
        raise RuntimeError("the calendar failed")
    assert drawing_threads() == []
    assert [(y, m) for y, m, _ in source.drawn] == [(0, 1), (0, 2)]  # no month 3 began


def pricing_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("drgsim-pricing")]


def priced_on_thread(tariff: object, y: int, m: int, batch: list[int]) -> tuple[object, ...]:
    """A stand-in for the calendar's pricing: what it was given, and the thread it ran on."""
    if batch == [-1]:
        raise ValueError(f"claims of {y}-{m} refused")
    return tariff, y, m, batch, threading.current_thread().name


def test_priced_ahead_on_its_own_thread_at_the_tariff_it_was_given() -> None:
    tariff = object()
    with PricingAhead(True) as pricing:
        begun = [pricing.start(tariff, 0, m, [m], priced_on_thread) for m in (1, 2)]
        got = [pricing.result(b, tariff) for b in begun]
    assert [g[:4] for g in got] == [(tariff, 0, 1, [1]), (tariff, 0, 2, [2])]
    assert all(g[4].startswith("drgsim-pricing") for g in got)
    assert pricing_threads() == []


def test_priced_at_another_tariff_than_the_years_gives_nothing_to_settle() -> None:
    """A month priced at a tariff that is not its year's when it settles is priced again."""
    with PricingAhead(True) as pricing:
        begun = pricing.start(object(), 1, 1, [1], priced_on_thread)
        assert pricing.result(begun, object()) is None


@pytest.mark.parametrize(("ahead", "tariff"), [(False, object()), (True, None)])
def test_nothing_is_priced_ahead_without_a_thread_or_a_known_tariff(
    ahead: bool, tariff: object
) -> None:
    with PricingAhead(ahead) as pricing:
        begun = pricing.start(tariff, 1, 1, [1], priced_on_thread)
        assert begun is None and pricing.result(begun, tariff) is None
    assert pricing_threads() == []


def test_a_month_that_fails_to_price_raises_when_it_is_settled() -> None:
    tariff = object()
    with PricingAhead(True) as pricing:
        begun = pricing.start(tariff, 0, 4, [-1], priced_on_thread)
        with pytest.raises(ValueError, match="claims of 0-4 refused"):
            pricing.result(begun, tariff)
    assert pricing_threads() == []
