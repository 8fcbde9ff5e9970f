"""The one way drgsim reaches Dask: a client for a cluster, and tasks mapped over it in order."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from drgsim.errors import DrgsimError

T = TypeVar("T")
#: Groups of tasks per slot (a worker's thread), at least, where there are enough (`in_groups`).
GROUPS_PER_WORKER = 4
#: Items in a group, at most: most of what they share (7 of 8 draws), while progress, retries
#: and the spread over the workers go in small steps.
GROUP_ITEMS = 8


@contextmanager
def dask_client(
    scheduler: str | None, workers: int = 1, *, needed_by: str = "--scheduler", hint: str = ""
) -> Iterator[Any]:
    """A Dask client of the cluster at `scheduler`, or of a local cluster of `workers` processes.

    Both are closed on exit. Without Dask installed, or when the cluster cannot be reached, the
    error is one line: `needed_by` names what asked for Dask, `hint` ends the line.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DrgsimError(f"{needed_by} needs Dask: pip install 'drgsim[cluster]'{hint}") from None
    cluster = None
    try:
        if scheduler is not None:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                env={"NUMBA_NUM_THREADS": "1"},
                # a worker's missed heartbeat on a loaded machine is logged as an ERROR and
                # recovered from; a task's own failure reaches the client as its exception
                silence_logs=logging.CRITICAL,
            )
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        where = f"--scheduler {scheduler}: cannot connect" if scheduler else "no local Dask cluster"
        raise DrgsimError(f"{where} ({exc})") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def map_in_order(
    client: Any,
    task: Callable[..., Any],
    items: Sequence[Any],
    finished: Callable[[int, Any], None],
    **shared: Any,
) -> list[Any]:
    """Run `task(item, **shared)` for every item on the cluster, each retried twice.

    `finished(i, result)` is called as each item's task ends, in whatever order they end; the
    results come back in the order of the items.
    """
    from distributed import as_completed

    futures = client.map(task, items, pure=False, retries=2, **shared)
    index = {future.key: i for i, future in enumerate(futures)}
    results: dict[int, Any] = {}
    for future in as_completed(futures):
        i = index[future.key]
        results[i] = future.result()
        finished(i, results[i])
    return [results[i] for i in range(len(items))]


def by_key(items: Sequence[T], key: Callable[[T], Hashable]) -> list[list[T]]:
    """`items` gathered by `key`, in the order the keys first come and the items come."""
    gathered: dict[Hashable, list[T]] = {}
    for item in items:
        gathered.setdefault(key(item), []).append(item)
    return list(gathered.values())


def in_groups(
    items: Sequence[T], key: Callable[[T], Hashable], slots: int, most: int | None = GROUP_ITEMS
) -> list[list[T]]:
    """`items` in groups of one `key` (`by_key`): tasks whose items share work (a replication's
    months) run a group in one process. A key's items are split into groups of at most `most`
    (None: no limit) and, with more than one slot, into as many as give each slot four groups or
    more, the items allowing."""
    gathered = by_key(items, key)
    pieces = 1 if slots <= 1 else math.ceil(GROUPS_PER_WORKER * slots / max(1, len(gathered)))
    groups = []
    for same in gathered:
        size = math.ceil(len(same) / pieces)
        if most is not None:
            size = min(most, size)
        groups += [same[i : i + size] for i in range(0, len(same), size)]
    return groups


def slots_of(client: Any) -> int:
    """The tasks the client's cluster runs at once: its workers' threads (every worker counted,
    whatever `scheduler_info` shows)."""
    return sum(client.nthreads().values())
