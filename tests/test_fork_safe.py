"""A lock held by a thread of the parent at a fork is free in the forked child."""

from __future__ import annotations

import multiprocessing
import threading
import types

import pytest

from drgsim.fork_safe import renewed_in_children


def _take(owner: types.SimpleNamespace, got: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    got.put(owner.lock.acquire(timeout=5))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_a_lock_a_parents_thread_holds_is_free_in_a_forked_child() -> None:
    owner = types.SimpleNamespace()
    renewed_in_children(owner, "lock")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with owner.lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    context = multiprocessing.get_context("fork")
    got = context.Queue()
    child = context.Process(target=_take, args=(owner, got))
    child.start()
    try:
        assert got.get(timeout=10) is True  # acquired in the child, not waited out
        assert owner.lock.locked()  # still held here
    finally:
        release.set()
        holder.join()
        child.join(10)
