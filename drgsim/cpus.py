"""The CPUs this process may run on."""

from __future__ import annotations

import os


def usable() -> int:
    """How many CPUs this process may run on (its affinity where the system tells it, else 1)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
