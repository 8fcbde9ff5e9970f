"""Locks (and counts) that a forked worker process starts with free."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any


def renewed_in_children(owner: object, name: str, fresh: Callable[[], Any] = threading.Lock) -> Any:
    """A new `fresh()` at `owner.name` (a lock by default), replaced by another in every child
    this process forks: a thread of the parent may hold the lock (or be counted in the count)
    at the fork, and no thread of the child would free it."""
    setattr(owner, name, fresh())
    if hasattr(os, "register_at_fork"):  # POSIX
        os.register_at_fork(after_in_child=lambda: setattr(owner, name, fresh()))
    return getattr(owner, name)
