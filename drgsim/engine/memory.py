"""The C allocator told to keep freed memory for reuse, so each month's arrays are not new pages,
numpy told not to ask the system for huge pages for its large arrays, and Python's cyclic
collector paused while a process piles up objects it would only walk."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import os
import platform
from collections.abc import Iterator

#: glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Blocks below this size come from the heap, where a freed one is reused: glibc's own ceiling
#: for the threshold it slides up as blocks are freed (32 MiB on 64-bit), set from the start.
MMAP_THRESHOLD = 32 << 20
#: Free memory at the heap's top kept for the next month instead of handed back to the system
#: (glibc's sliding default keeps twice the threshold, so a year's months gave back and faulted
#: in again about 10 MB, 2,700 pages, on Shanwei: 8–13 ms of system time a year).
TRIM_THRESHOLD = 128 << 20


@functools.cache
def keep_freed_memory() -> bool:
    """Set glibc's allocator thresholds once per process (forked workers inherit them), and
    numpy's huge-page advice off (small_pages); False where the C library is not glibc or
    refuses them. Results do not depend on it."""
    small_pages()
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success; the threshold of mapped blocks first, then the trim
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def small_pages() -> bool:
    """Stop numpy advising the system to back its large arrays with huge pages (numpy's
    default on Linux); False where this numpy has no such switch.

    A huge page is zeroed whole, and where none is free the system first compacts memory to
    make one, at the first touch of an array. A run's arrays live for a month or a table, too
    short for fewer page-table misses to pay that back: with the advice off, the Shanwei
    command took 3.38–3.53 s instead of 3.73–3.91 s, and the parent 1.2–1.5 s of CPU instead of
    2.1–2.3 s for 200 replications' tables (a 2-core virtual machine whose kernel gives huge
    pages where asked, measured in turn). Process-wide, as the allocator's thresholds are; left
    as it is where the user set NUMPY_MADVISE_HUGEPAGE (numpy's own switch).
    """
    import numpy as np

    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return False

    core = getattr(np, "_core", None) or getattr(np, "core", None)
    switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if switch is None:
        return False
    switch(False)
    return True


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """No cyclic garbage collection inside: each pass walks every object the process holds
    (numba's, pandas', a run's tables) for the many short-lived ones it makes meanwhile; what
    became cyclic garbage is collected after, as usual. For work that holds its objects to the
    end (a run's results taken from the workers, the figures drawn), not for a simulation, whose
    cycles hold a month's arrays."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def frozen(keep: bool = False) -> Iterator[None]:
    """The objects alive on entry left out of the collections inside (gc.freeze), and put back
    after: worker processes forked inside inherit them frozen, so neither they nor this process
    walk numba's and the modules' objects at each collection (nor copy their pages by writing
    to them). With `keep` (a process that ends with this work), those made inside are frozen
    too at a normal exit, and nothing is put back. Where someone froze objects before, they
    are left as they are."""
    mine = gc.get_freeze_count() == 0
    if mine or keep:
        gc.freeze()
    try:
        yield
    except BaseException:
        if mine:
            gc.unfreeze()
        raise
    if keep:
        gc.freeze()
    elif mine:
        gc.unfreeze()
