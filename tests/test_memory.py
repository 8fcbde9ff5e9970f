"""The engine has the C allocator keep freed memory, so a month's arrays reuse the last month's pages."""

from __future__ import annotations

import platform
import resource

import numpy as np
import pytest

from drgsim.engine.memory import keep_freed_memory


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
