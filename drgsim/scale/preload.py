"""Load the listed kernels (those runs call) that this version of drgsim has compiled and cached,
once, in the process that forks the workers: the forked workers inherit them instead of each
loading them again."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import threading
from typing import Any

#: The thread loading the kernels while this process plans the run (preload_in_background).
_LOADING: list[threading.Thread] = []


def preload_in_background() -> None:
    """Start loading the cached kernels on a thread of this process, while it plans the run;
    `preload_kernels` waits for it (the workers must not be forked while it loads). Not a
    daemon: a process that ends first (a run that fails while it is planned) waits for it,
    rather than leave it inside LLVM at exit."""
    if not _LOADING:
        thread = threading.Thread(target=_preload_quietly, name="drgsim-preload")
        _LOADING.append(thread)
        thread.start()


def _preload_quietly() -> None:
    """`preload_kernels`, its errors left to the kernels' first calls (as without it); the
    collector not paused (it is the whole process's, and this process plans meanwhile)."""
    with contextlib.suppress(Exception):
        _preload(pause=False)


def preload_kernels() -> int:
    """Load into this process the kernel overloads `drgsim.scale.warm_up` lists (those runs call,
    and those the kernels call inside them; every one, where the list cannot be read) that are
    in the disk cache and still fresh; return how many were loaded. Nothing is compiled: an
    overload the cache cannot give, or one not listed (a test's, another signature's), is left
    for its first call, as without this. A load begun in the background is waited for first,
    and its kernels are not counted."""
    while _LOADING:
        _LOADING.pop().join()
    return _preload()


def _preload(pause: bool = True) -> int:
    """preload_kernels, here and now (with `pause`, no collection meanwhile: the kernels live
    to the end, a collection would only walk them)."""
    from drgsim.engine.memory import no_collection
    from drgsim.kernels import jit
    from drgsim.scale.warm_up import kernel_name, listed_signatures

    if not jit.CACHE:
        return 0
    wanted = listed_signatures()
    with no_collection() if pause else contextlib.nullcontext():
        return sum(
            _load_cached(d, None if wanted is None else wanted.get(kernel_name(d), set()))
            for d in cached_kernels()
        )


def cached_kernels() -> list[Any]:
    """Every drgsim kernel cached on disk (numba dispatchers, a front's kernel included)."""
    import drgsim.kernels
    from drgsim.kernels import jit

    found: dict[int, Any] = {}
    for info in pkgutil.iter_modules(drgsim.kernels.__path__):
        module = importlib.import_module(f"drgsim.kernels.{info.name}")
        for value in list(vars(module).values()):
            compiled = getattr(value, "compiled", value)  # a front's kernel, or a kernel
            if isinstance(getattr(compiled, "_cache", None), jit._KernelCache):
                found[id(compiled)] = compiled
    return list(found.values())


def _load_cached(dispatcher: Any, wanted: set[str] | None = None) -> int:
    """Load a kernel's cached overloads for this machine and source (those whose signature's
    repr is in `wanted`, all without it), as its first call with each signature would (numba's
    Dispatcher.compile, cache hit); return how many."""
    from numba.core import sigutils
    from numba.core.compiler_lock import global_compiler_lock

    cache, context = dispatcher._cache, dispatcher.targetctx
    loaded = 0
    with global_compiler_lock:
        for key in cache._cache_file._load_index():  # {} where the index is stale or missing
            sig = key[0]
            if wanted is not None and repr(sig) not in wanted:
                continue  # not a run's: left for its first call
            if cache._index_key(sig, context.codegen()) != key:
                continue  # another machine's or another source's entry
            args, _ = sigutils.normalize_signature(sig)
            if tuple(args) in dispatcher.overloads:
                continue  # loaded already
            cres = cache.load_overload(sig, context)
            if cres is None or cres.objectmode:
                continue  # unreadable: its first call loads or compiles it, as without this
            dispatcher._cache_hits[sig] += 1
            context.insert_user_function(cres.entry_point, cres.fndesc, [cres.library])
            dispatcher.add_overload(cres)
            loaded += 1
    return loaded
