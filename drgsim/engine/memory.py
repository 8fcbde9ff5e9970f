"""The C allocator told to keep freed memory for reuse, so each month's arrays are not new pages."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import platform

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
    """Set glibc's allocator thresholds once per process (forked workers inherit them);
    False where the C library is not glibc or refuses them. Results do not depend on it."""
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
