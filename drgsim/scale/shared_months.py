"""Common random numbers, drawn once: a replication's months shared by every variant of a process.

Every variant of a replication sees the same patients, so a month that one variant drew is
the month the next one would draw. A worker process keeps the months it drew, keyed by a
digest of everything they are drawn from (`SyntheticSource.month_key`): the seed, the
hospitals' expected cases and every table the generator reads. A variant that changes any of
those (more admissions, another case mix) has another key and draws its own. Each variant
gets the month's arrays themselves, not a copy: nothing changes a month's cases in place but a
variant's behaviours, and they change their own copy (population.behaviour: a CaseBuffer).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import numpy as np

from drgsim.cases import CaseBatch
from drgsim.fork_safe import renewed_in_children
from drgsim.population.generator import SyntheticSource
from drgsim.scale.expected_once import ExpectedOnce

#: Cases kept per process (about 80 bytes each, 160 MB): Shanwei's replications of three years.
LIMIT_CASES = 2_000_000


class MonthStore:
    """The months a process drew, least recently used first, up to `limit` cases; safe to share
    between threads (a Dask worker may run tasks on several)."""

    def __init__(self, limit: int = LIMIT_CASES) -> None:
        self.limit = limit
        self.months: OrderedDict[bytes, CaseBatch] = OrderedDict()
        self.cases = 0
        self.drawn = 0  # months drawn (for tests and benchmarks)
        self.shared = 0  # months served from the store
        self.lock = threading.Lock()
        self.blocks = 0  # blocks (`kept`) running, on this process's threads

    def get(
        self,
        source: SyntheticSource | ExpectedOnce,
        year: int,
        month: int,
        seed: np.random.SeedSequence,
    ) -> CaseBatch:
        """The month's cases: drawn by `source`, or the same month drawn before (its arrays in
        a batch of the caller's own, whose columns may be replaced but not written into)."""
        key = source.month_key(year, month, seed)
        with self.lock:
            batch = self.months.get(key)
            if batch is not None:
                self.months.move_to_end(key)
                self.shared += 1
                return dataclasses.replace(batch)
        batch = source.month(year, month, seed)  # (outside the lock: other threads draw theirs)
        with self.lock:
            self.drawn += 1
            if batch.n <= self.limit and key not in self.months:
                self.months[key] = batch
                self.cases += batch.n
                while self.cases > self.limit:
                    _, old = self.months.popitem(last=False)
                    self.cases -= old.n
        return dataclasses.replace(batch)

    def clear(self) -> None:
        """Forget every month (the counters stay)."""
        with self.lock:
            self.months.clear()
            self.cases = 0

    @contextmanager
    def kept(self) -> Iterator[None]:
        """The months drawn in the block kept for its other simulations, and let go when the
        last block running on this process's threads ends (a Dask worker runs a group on each
        of its threads: one group's end let go of the months another was sharing; the limit
        bounds what blocks that follow one another keep)."""
        with self.lock:
            self.blocks += 1
        try:
            yield
        finally:
            with self.lock:
                self.blocks -= 1
                last = self.blocks == 0
            if last:  # (a block begun just now on another thread may draw a month again)
                self.clear()


#: The store of this process (each worker process has its own, its lock free and no block
#: running).
STORE = MonthStore()
renewed_in_children(STORE, "lock")
renewed_in_children(STORE, "blocks", int)


def kept_while() -> AbstractContextManager[None]:
    """The months drawn in the block kept in the process's store for the block's other
    simulations (a replication's variants or grid points), and let go when it ends, or when
    the last block running on another thread meanwhile does (MonthStore.kept)."""
    return STORE.kept()


class SharedMonths:
    """A synthetic source whose months come from the process's store (CaseSource)."""

    def __init__(
        self, source: SyntheticSource | ExpectedOnce, store: MonthStore | None = None
    ) -> None:
        self.source, self.store = source, store if store is not None else STORE
        self.record_ids = source.record_ids

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        """The cases discharged in `month` of year `year_index`, drawn once per process."""
        return self.store.get(self.source, year_index, month, seed)

    def month_shares(self) -> np.ndarray:
        """Year one's forecast share of the year's points in each month."""
        return self.source.month_shares()

    def expected_charges(self, year_index: int) -> np.ndarray:
        """Each hospital's expected charges in year `year_index` at baseline behaviour."""
        return self.source.expected_charges(year_index)

    def expected_drg_cases(self, year_index: int) -> np.ndarray:
        """Each hospital's expected grouped cases in each DRG in year `year_index`."""
        return self.source.expected_drg_cases(year_index)

    def expected_patient_paid(self, year_index: int) -> np.ndarray:
        """Each hospital's expected patient payments in year `year_index`, yuan."""
        return self.source.expected_patient_paid(year_index)
