"""A source's months drawn, and reported months priced, on threads of their own beside the calendar."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

import numpy as np

from drgsim.cases import CaseBatch
from drgsim.kernels.jit import launch_on, threads_here


class MonthsAhead:
    """The months of `plan` (year index, month, seed) from `source`, in order; with `ahead`, each
    month is drawn on a thread of its own, the next one while the caller works on the last.

    A month's cases depend on its seed and the scenario only (not on what the calendar did
    before), so drawing it early draws the same cases. Every month is then drawn on that thread,
    one at a time, and only that thread launches numba's parallel work (the generation kernel,
    on as many of numba's threads as the caller has: while the calendar has little to do, at a
    year's start, generation is what it waits for; one thread fewer made a Shanwei year 3 ms
    slower on 2 cores). The source is read by that thread alone while the caller takes months,
    so its caches (the month inputs) see one thread of this run (the store of months shared
    between runs has a lock of its own). Use it
    as a context manager: leaving it, on an error too, stops the thread.
    """

    def __init__(
        self, source: Any, plan: Sequence[tuple[int, int, np.random.SeedSequence]], ahead: bool
    ) -> None:
        self.source, self.plan = source, list(plan)
        self.taken = 0
        self.pool: ThreadPoolExecutor | None = None
        self.next: Future[CaseBatch] | None = None
        if ahead and self.plan:
            setup = functools.partial(launch_on, threads_here())
            self.pool = ThreadPoolExecutor(1, "drgsim-months", initializer=setup)
            self.next = self.pool.submit(self._draw, 0)  # while the calendar starts

    def __enter__(self) -> MonthsAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the drawing thread, after the month it is drawing (one drawn ahead and not
        taken is dropped)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool, self.next = None, None

    def take(self) -> CaseBatch:
        """The plan's next month; the one after it starts drawing ahead."""
        k = self.taken
        if k >= len(self.plan):
            raise IndexError(f"all {len(self.plan)} months of the plan are taken")
        self.taken += 1
        future, self.next = self.next, None
        if future is None:  # not drawing ahead (or closed): drawn here
            return self._draw(k)
        batch = future.result()
        if self.pool is not None and k + 1 < len(self.plan):
            self.next = self.pool.submit(self._draw, k + 1)
        return batch

    def _draw(self, k: int) -> CaseBatch:
        """Month k of the plan, from the source."""
        year, month, seed = self.plan[k]
        return self.source.month(year, month, seed)


class PricingAhead:
    """Each month's claims priced (and audited) on a thread of its own from when the hospitals
    report them, while the calendar goes on to the next month, where `ahead` is set.

    Pricing is a pure function of the claims and the year's tariff (and the month's seeds), so
    pricing early prices alike; a month whose year's tariff is not set when it is reported (a
    later year's first months) is priced by the calendar when it settles it. Use it as a context
    manager: leaving it, on an error too, stops the thread.
    """

    def __init__(self, ahead: bool) -> None:
        self.pool = ThreadPoolExecutor(1, "drgsim-pricing") if ahead else None

    def __enter__(self) -> PricingAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def start(
        self, tariff: Any, y: int, m: int, batch: CaseBatch, price: Callable[..., Any]
    ) -> tuple[Any, Future[Any]] | None:
        """`price(tariff, y, m, batch)` begun on the thread (None without a thread or tariff)."""
        if self.pool is None or tariff is None:
            return None
        return tariff, self.pool.submit(price, tariff, y, m, batch)

    def result(self, started: tuple[Any, Future[Any]] | None, tariff: Any) -> Any:
        """What `start` began, once done (its error raised here), if begun at `tariff`; else None."""
        if started is None:
            return None
        at, future = started
        claims = future.result()
        return claims if at is tariff else None
