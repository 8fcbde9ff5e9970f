"""The CPUs this process may run on."""

from __future__ import annotations

import os


def usable() -> int:
    """How many CPUs this process may run on (its affinity where the system tells it, else 1)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def for_subprocesses() -> int:
    """How many new (not forked) processes this one may keep busy at once: `usable`, or where
    the system tells no affinity (macOS, Windows) the machine's CPUs."""
    return usable() if hasattr(os, "sched_getaffinity") else max(1, os.cpu_count() or 1)
