"""Locks that a forked worker process starts with free."""

from __future__ import annotations

import os
import threading


def renewed_in_children(owner: object, name: str) -> threading.Lock:
    """A new lock at `owner.name`, replaced by a free one in every child this process forks: a
    thread of the parent may hold the lock at the fork, and no thread of the child would free it."""
    setattr(owner, name, threading.Lock())
    if hasattr(os, "register_at_fork"):  # POSIX
        os.register_at_fork(after_in_child=lambda: setattr(owner, name, threading.Lock()))
    lock: threading.Lock = getattr(owner, name)
    return lock
