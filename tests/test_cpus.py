"""How many CPUs a run counts on: threads and forked work by affinity, processes it starts by
affinity or, where the system tells none, the machine's CPUs; the command, the runner and the
sweep all ask `cpus.for_processes`."""

from __future__ import annotations

import json
import os

import yaml
from conftest import SMALL_WITH_VARIANT

from drgsim import cli, cpus
from drgsim.scale import runner


def test_processes_count_the_machine_where_the_system_tells_no_affinity(monkeypatch) -> None:
    """Without sched_getaffinity (macOS, Windows) threads and forked work stay on 1 CPU, as
    before, while a run may keep one process busy on each of the machine's 6 CPUs."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert cpus.usable() == 1
    assert cpus.for_processes() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "cannot tell"
    assert cpus.for_processes() == 1


def test_where_the_system_tells_affinity_both_count_it(monkeypatch) -> None:
    """With an affinity of CPUs 0 and 3 on an 8-CPU machine (a container's cpuset), both
    counts are 2, not 8."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert cpus.usable() == 2
    assert cpus.for_processes() == 2


def test_the_command_runs_and_compiles_on_as_many_processes_as_cpus_counts(
    tmp_path, monkeypatch
) -> None:
    """`drgsim run` without --workers runs on `for_processes()` workers (3 here, as the
    manifest records), and a first run's compiling is offered as many."""
    offered: list[int] = []
    monkeypatch.setattr(cpus, "for_processes", lambda: 3)
    monkeypatch.setattr(runner, "compile_ahead", lambda n: offered.append(n) or False)
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump({**SMALL_WITH_VARIANT, "replications": 1}))
    out = tmp_path / "out"
    assert cli.main(["run", str(scenario), "--out", str(out), "--no-report", "--quiet"]) == 0
    assert json.loads((out / "manifest.json").read_text())["workers"] == 3
    assert offered == [3]
