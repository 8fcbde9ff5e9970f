"""The engine has the C allocator keep freed memory, so a month's arrays reuse the last month's pages;
the cyclic collector pauses while a run's results pile up, and what the workers inherit is frozen
out of collections; both are put back as they were."""

from __future__ import annotations

import gc
import os
import platform
import resource
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from drgsim.engine.memory import frozen, keep_freed_memory, no_collection


def _faults_of_a_month() -> int:
    """Minor page faults while 32 arrays of 1 MiB are filled and freed (about a month's)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(1 << 17) for _ in range(32)]
    del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_a_second_month_of_arrays_reuses_the_first_months_pages() -> None:
    assert keep_freed_memory()
    _faults_of_a_month()  # the heap grows to hold them once
    # glibc's default gives the 32 MiB back at each free (8,000+ faults a round, measured)
    assert _faults_of_a_month() < 800


def test_setting_the_allocator_twice_is_once() -> None:
    assert keep_freed_memory() is keep_freed_memory()


def _huge_kib() -> int:
    """This process's anonymous memory backed by huge pages, KiB (0 where not reported)."""
    try:
        text = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1])
    return 0


def _advised_only() -> bool:
    """Whether this system gives huge pages only where a program asks for them."""
    try:
        return "[madvise]" in Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return False


def test_numpys_large_arrays_are_not_advised_onto_huge_pages() -> None:
    keep_freed_memory()
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    assert core is not None
    if getattr(core.multiarray, "_get_madvise_hugepage", None) is None:
        pytest.skip("this numpy has no huge-page switch")
    assert core.multiarray._get_madvise_hugepage() is False
    if not _advised_only():
        return  # huge pages always or never: numpy's advice changes nothing here
    before = _huge_kib()
    big = np.empty(64 << 20, dtype=np.uint8)  # 64 MiB: numpy advises huge pages from 4 MiB on
    big.fill(1)
    assert _huge_kib() - before < 2048


def test_a_users_own_huge_page_setting_is_left_as_it_is() -> None:
    code = (
        "import numpy as np; from drgsim.engine.memory import small_pages; "
        "core = getattr(np, '_core', None) or np.core; "
        "print(small_pages(), core.multiarray._get_madvise_hugepage())"
    )
    env = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]


class _Node:
    """An object that can be in a reference cycle and be watched by a weak reference."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _collector_as_python_starts() -> Iterator[None]:
    """Each test starts with the collector on and nothing frozen, whatever ran before."""
    gc.enable()
    gc.unfreeze()
    yield
    gc.enable()
    gc.unfreeze()


def test_the_collector_pauses_inside_and_resumes_as_it_was_even_on_an_error() -> None:
    with no_collection():
        assert not gc.isenabled()
        node = _Node()  # cyclic garbage made while paused
        watch = weakref.ref(node)
        del node
        assert watch() is not None
    assert gc.isenabled()
    gc.collect()
    assert watch() is None  # collected once the collector is back
    with pytest.raises(RuntimeError), no_collection():
        raise RuntimeError("a result failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with no_collection():
            pass
        assert not gc.isenabled()  # a caller's own pause is left as it was
    finally:
        gc.enable()


def test_a_pooled_runs_parent_does_not_collect_while_it_takes_the_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import drgsim
    from drgsim.scale import handover

    take, enabled = handover.take, []

    def noting(value: object) -> object:
        enabled.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return take(value)

    monkeypatch.setattr(handover, "take", noting)
    scenario = {"extends": "shanwei", "region": {"admissions": 3000}, "replications": 4}
    result = drgsim.run(scenario, variants=["baseline"], workers=2)
    assert sorted(result.settlement["replication"].unique()) == [0, 1, 2, 3]
    assert enabled == [(False, True)] * 4  # paused, and the workers' inheritance frozen
    assert gc.isenabled() and gc.get_freeze_count() == 0  # both put back after the run


def test_objects_alive_on_entry_are_frozen_inside_and_put_back_after() -> None:
    with frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), frozen():
        raise RuntimeError("a worker failed")
    assert gc.get_freeze_count() == 0
    gc.freeze()  # someone else's freeze is left as it is
    try:
        before = gc.get_freeze_count()
        with frozen():
            pass
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_the_command_called_from_python_leaves_the_callers_objects_unfrozen(
    tmp_path: Path,
) -> None:
    from drgsim.cli import main

    scenario = tmp_path / "small.yaml"
    scenario.write_text("extends: shanwei\nregion: {admissions: 3000}\nreplications: 2\n")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--no-report", "--quiet"]) == 0
    assert (out / "settlement.parquet").is_file()
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_kept_frozen_what_was_made_inside_stays_frozen_after() -> None:
    def collectable(obj: object) -> bool:  # in a generation collections walk (not frozen)
        return any(o is obj for o in gc.get_objects())

    with frozen():
        loose = _Node()
    assert collectable(loose)  # put back after the work
    with frozen(keep=True):
        made = _Node()
        assert collectable(made)
    assert not collectable(made)  # made inside, frozen at the end with the rest
