"""A source's months drawn one ahead on a second thread while the calendar works on the last."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

import numpy as np

from drgsim.cases import CaseBatch
from drgsim.population.generator import draw_on_this_thread


class MonthsAhead:
    """The months of `plan` (year index, month, seed) from `source`, in order; with `ahead`, each
    next month is drawn on a thread of its own while the caller works on the one it took.

    A month's cases depend on its seed and the scenario only (not on what the calendar did
    before), so drawing it early draws the same cases. The drawing thread runs the generation
    kernel on itself alone (population.generator.draw_on_this_thread), the calendar's kernels
    run on the caller's: a process with two cores settles one month while it draws the next.
    """

    def __init__(
        self, source: Any, plan: Sequence[tuple[int, int, np.random.SeedSequence]], ahead: bool
    ) -> None:
        self.source, self.plan = source, list(plan)
        self.taken = 0
        self.pool = (
            ThreadPoolExecutor(1, "drgsim-months", initializer=draw_on_this_thread)
            if ahead and len(self.plan) > 1
            else None
        )
        self.next: Future[CaseBatch] | None = None

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
        """Stop the drawing thread (a month drawn ahead and not taken is dropped)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def take(self) -> CaseBatch:
        """The plan's next month; the one after it starts drawing ahead (the first month is
        drawn here while the thread draws the second)."""
        k = self.taken
        if k >= len(self.plan):
            raise IndexError(f"all {len(self.plan)} months of the plan are taken")
        self.taken += 1
        future, self.next = self.next, None
        if self.pool is not None and k + 1 < len(self.plan):
            self.next = self.pool.submit(self._draw, k + 1)
        return future.result() if future is not None else self._draw(k)

    def _draw(self, k: int) -> CaseBatch:
        """Month k of the plan, from the source."""
        year, month, seed = self.plan[k]
        return self.source.month(year, month, seed)
