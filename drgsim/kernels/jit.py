"""The house decorator for numba kernels, with an environment switch for the on-disk cache."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba

#: Set DRGSIM_NUMBA_CACHE=0 to compile in memory only (cached kernels have crashed cluster
#: workers elsewhere).
CACHE = os.environ.get("DRGSIM_NUMBA_CACHE", "1").lower() not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    """Where compiled kernels are cached: one folder per version of the kernels' source.

    numba invalidates a cached kernel only when its own file changes, not when a helper it
    inlines from another file does; keying the folder on every kernel file's content makes
    any change start a fresh cache. Override the base with DRGSIM_CACHE_DIR.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    base = os.environ.get("DRGSIM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "drgsim", "numba"
    )
    return Path(base) / digest.hexdigest()[:16]


if CACHE and not os.environ.get("NUMBA_CACHE_DIR"):
    setattr(numba.config, "CACHE_DIR", str(cache_dir()))  # noqa: B010 - read at decoration


def kernel(fn: Callable[..., Any]) -> Any:
    """Compile `fn` with numba in nopython mode, cached on disk unless switched off."""
    return numba.njit(cache=CACHE, nogil=True)(fn)


def inline(fn: Callable[..., Any]) -> Any:
    """Compile a small helper that kernels call; it is inlined into its callers."""
    return numba.njit(cache=CACHE, nogil=True, inline="always")(fn)


def parallel_kernel(fn: Callable[..., Any]) -> Any:
    """Compile `fn` with numba's `prange` loops run on threads; results never depend on threads."""
    return numba.njit(cache=CACHE, nogil=True, parallel=True)(fn)
