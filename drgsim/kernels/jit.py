"""The house decorator for numba kernels, with an environment switch for the on-disk cache."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numba

#: Set DRGSIM_NUMBA_CACHE=0 to compile in memory only (cached kernels have crashed cluster
#: workers elsewhere; a read-only install directory also needs it off or NUMBA_CACHE_DIR set).
CACHE = os.environ.get("DRGSIM_NUMBA_CACHE", "1").lower() not in ("0", "false", "no", "off")


def kernel(fn: Callable[..., Any]) -> Any:
    """Compile `fn` with numba in nopython mode, cached on disk unless switched off."""
    return numba.njit(cache=CACHE, nogil=True)(fn)


def inline(fn: Callable[..., Any]) -> Any:
    """Compile a small helper that kernels call; it is inlined into its callers."""
    return numba.njit(cache=CACHE, nogil=True, inline="always")(fn)


def parallel_kernel(fn: Callable[..., Any]) -> Any:
    """Compile `fn` with numba's `prange` loops run on threads; results never depend on threads."""
    return numba.njit(cache=CACHE, nogil=True, parallel=True)(fn)
