"""Which job a worker process runs next: more of the replication whose months it already drew.

Every variant of a replication sees the same months (common random numbers), and a worker
process draws a month once for all the variants it runs (drgsim.scale.shared_months). Jobs
handed out in submission order would have every worker run some variants of every replication,
each drawing its months again; here a worker keeps to one replication until its jobs are taken,
then starts one no worker has started, and only when none is left helps with the one that has
most jobs left. Which process runs a job never changes its tables.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from drgsim.scale.cluster import by_key


class JobBoard:
    """The jobs of a run, grouped by the months they share, and which of them are taken; shared
    by the worker processes forked or spawned with it (its arrays and lock are the system's)."""

    def __init__(self, groups: Sequence[Hashable], context: Any) -> None:
        # each group's jobs, in the order they are taken
        self.members: list[list[int]] = by_key(range(len(groups)), groups.__getitem__)
        self.lock = context.Lock()
        self.left = context.RawArray("i", [len(m) for m in self.members])  # jobs not taken

    def take(self, current: int | None) -> tuple[int, int]:
        """Take a job not taken yet: the next one of group `current`, else of the group chosen
        next (`choose`); return the job's index and its group. There must be one left."""
        with self.lock:
            g = current if current is not None and self.left[current] > 0 else self.choose()
            jobs = self.members[g]
            i = jobs[len(jobs) - self.left[g]]
            self.left[g] -= 1
            return i, g

    def choose(self) -> int:
        """The first group no worker has started, else the group with most jobs left (the
        first of those)."""
        left = list(self.left)
        fresh = [g for g, n in enumerate(left) if n and n == len(self.members[g])]
        if fresh:
            return fresh[0]
        most = max(left)
        if most == 0:
            raise LookupError("no job left on the board")
        return left.index(most)


#: What this worker process runs from: set by `attach` when the process starts.
_WORKER: dict[str, Any] = {}


def attach(board: JobBoard, jobs: Sequence[Any], run: Callable[[Any], Any]) -> None:
    """Make this worker process take its jobs from `board` and run them with `run`."""
    _WORKER.update(board=board, jobs=jobs, run=run, group=None)


def run_next() -> tuple[int, Any]:
    """Take the next job of this worker (JobBoard.take) and run it; return its index and result."""
    i, _WORKER["group"] = _WORKER["board"].take(_WORKER["group"])
    return i, _WORKER["run"](_WORKER["jobs"][i])
