"""The CPUs a run counts on: forked workers by affinity, new processes by the machine's CPUs."""

from __future__ import annotations

import os

from drgsim import cpus


def test_new_processes_count_the_machine_where_the_system_tells_no_affinity(monkeypatch) -> None:
    """Without sched_getaffinity (macOS, Windows) forked work stays on 1 CPU, as before, while
    new processes (a first run's compiling shares) may use each of the machine's 6."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert cpus.usable() == 1
    assert cpus.for_subprocesses() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "cannot tell"
    assert cpus.for_subprocesses() == 1


def test_where_the_system_tells_affinity_both_count_it(monkeypatch) -> None:
    """With an affinity of CPUs 0 and 3 on an 8-CPU machine, both counts are 2."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert cpus.usable() == 2
    assert cpus.for_subprocesses() == 2
