"""The house decorators for numba kernels, each kernel cached on disk in drgsim's own folder."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
from numba.core import caching

#: Set DRGSIM_NUMBA_CACHE=0 to compile in memory only (cached kernels have crashed cluster
#: workers elsewhere).
CACHE = os.environ.get("DRGSIM_NUMBA_CACHE", "1").lower() not in ("0", "false", "no", "off")
if "NUMBA_THREADING_LAYER" not in os.environ:
    # parallel kernels run in processes the runner forks (GNU OpenMP aborts on fork)
    numba.config.THREADING_LAYER = "forksafe"  # type: ignore[attr-defined]


def cache_home() -> Path:
    """drgsim's cache folder: DRGSIM_CACHE_DIR, else drgsim/ in XDG_CACHE_HOME or ~/.cache."""
    return Path(
        os.environ.get("DRGSIM_CACHE_DIR")
        or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "drgsim"
        )
    )


def cache_dir() -> Path:
    """Where compiled kernels are cached: one folder per version of the kernels' source.

    numba invalidates a cached kernel only when its own file changes, not when a helper it
    inlines from another file does; keying the folder on every kernel file's content makes
    any change start a fresh cache. The folders stand in cache_home()'s numba/, or straight in
    DRGSIM_CACHE_DIR where that is set.
    """
    home = cache_home()
    return (home if os.environ.get("DRGSIM_CACHE_DIR") else home / "numba") / _source_digest()


def keep(path: Path, data: bytes) -> bool:
    """Write a cache file whole or not at all; False where its folder cannot be written (a
    cache only saves time)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False
    return True


@functools.cache
def _source_digest() -> str:
    """The digest of every kernel file's name and content, read once per process (each kernel
    asks for its cache folder when it is defined: 40 reads of every kernel file otherwise)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


#: Seconds a first run spends compiling the kernels on an empty cache: `drgsim run
#: scenarios/shanwei.yaml` took 34 s on a 2-core machine, the kernels compiled in two shares at
#: once (scale.warm_up; measured 2026-12-03, 63 CPU-s), against 57.5 s when its two workers each
#: compiled what they called (112 CPU-s).
COMPILE_SECONDS = 35
#: Written in cache_dir() once a whole run, or scale.warm_up's shares, compiled every kernel.
_WARM = ".warm"


def compiled_before() -> bool:
    """Whether a run has already filled this version's cache, so nothing needs compiling."""
    return CACHE and (cache_dir() / _WARM).is_file()


def mark_compiled() -> None:
    """Record that the cache holds the kernels, if numba wrote them there (not read-only)."""
    folder = cache_dir()
    if CACHE and any(folder.glob("*.nbi")):
        with contextlib.suppress(OSError):
            (folder / _WARM).touch()


class _KernelLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """Locates a drgsim kernel's cache in `cache_dir()`, leaving numba's settings alone."""

    def __init__(self, py_func: Callable[..., Any], py_file: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(cache_dir())

    def get_cache_path(self) -> str:
        """The folder of this version of the kernels."""
        return self._cache_path


class _KernelCacheImpl(caching.CompileResultCacheImpl):
    """numba's cache of compiled functions, found first in drgsim's folder."""

    # numba's own locators stay as fallbacks for a folder that cannot be written
    _locator_classes = [  # noqa: RUF012 - numba's own attribute, read as a class attribute
        _KernelLocator,
        *caching.CompileResultCacheImpl._locator_classes,
    ]


class _KernelCache(caching.FunctionCache):
    """numba's on-disk function cache with drgsim's locator."""

    _impl_class = _KernelCacheImpl


def kernel(fn: Callable[..., Any]) -> Any:
    """Compile `fn` with numba in nopython mode, cached on disk unless switched off."""
    dispatcher: Any = numba.njit(nogil=True)(fn)
    if CACHE:
        # what `cache=True` does, with this kernel's own cache instead of numba's global one
        dispatcher._cache = _KernelCache(fn)
    return dispatcher


def parallel_kernel(fn: Callable[..., Any]) -> Any:
    """`kernel` with `numba.prange` loops run on numba's threads (each iteration's result must
    not depend on which thread runs it, so results do not depend on the thread count)."""
    dispatcher: Any = numba.njit(nogil=True, parallel=True)(fn)
    if CACHE:
        dispatcher._cache = _KernelCache(fn)
    return dispatcher


def threads_here() -> int:
    """numba's threads for the parallel kernels this thread launches."""
    return int(numba.get_num_threads())


def launch_on(threads: int) -> None:
    """Run the parallel kernels this thread launches on `threads` of numba's threads (at least
    one; numba keeps the count per launching thread)."""
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]


def inline(fn: Callable[..., Any]) -> Any:
    """Compile a small helper that kernels call; it is inlined into (and cached with) them."""
    return numba.njit(nogil=True, inline="always")(fn)


def called(fn: Callable[..., Any]) -> Any:
    """Compile a helper that kernels call but do not inline (it is cached with them): a rare
    path, or a large body a kernel runs once a block, whose inlining only lengthens a first
    run's compiling."""
    return numba.njit(nogil=True)(fn)
