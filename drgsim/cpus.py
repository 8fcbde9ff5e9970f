"""How many CPUs a run counts on: for threads and forked work, and for the processes it starts."""

from __future__ import annotations

import os


def usable() -> int:
    """How many CPUs this process may run on (its affinity where the system tells it, else 1)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def for_processes() -> int:
    """How many processes a run keeps busy at once (its workers, a first run's compiling
    shares): `usable`, or where the system tells no affinity (macOS, Windows) the machine's
    CPUs."""
    return usable() if hasattr(os, "sched_getaffinity") else max(1, os.cpu_count() or 1)
