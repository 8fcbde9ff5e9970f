"""A first run's kernels compiled by several processes at once, each a share of them, into the cache.

numba compiles one kernel at a time in a process, so a run on an empty cache compiles the ~30
kernels it calls one after another (and each worker process the same ones again). The kernels
and signatures a Shanwei run calls are listed in `kernel_signatures.json` (`python -m
drgsim.scale.warm_up record` writes it, with each kernel's compiling seconds); `compile_ahead`
splits them into shares of about equal seconds, compiles each in a process of its own and waits:
the run then loads them from the cache. A kernel the list misses compiles on its first call, as
without this; a share that fails only leaves its kernels to their first calls.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The kernels and signatures a run of the shipped Shanwei scenario calls (`record` writes it).
SIGNATURES = Path(__file__).with_name("kernel_signatures.json")
#: Seconds a share may take before its process is stopped (its kernels then compile on use).
SHARE_TIMEOUT = 600
_DONE: list[bool] = []  # compile_ahead has run in this process


def listed() -> list[dict[str, Any]]:
    """The recorded kernels: {"kernel": "module:name", "seconds": s, "signatures": [...]}."""
    return list(json.loads(SIGNATURES.read_text(encoding="utf-8"))["kernels"])


def shares(kernels: list[dict[str, Any]], n: int) -> list[list[dict[str, Any]]]:
    """The kernels in `n` shares of about equal compiling seconds: the longest first, each to
    the share with the fewest seconds so far (ties to the lower share)."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    load = [0.0] * n
    for entry in sorted(kernels, key=lambda e: (-e["seconds"], e["kernel"])):
        i = min(range(n), key=lambda s: (load[s], s))
        out[i].append(entry)
        load[i] += entry["seconds"]
    return out


def compile_ahead(processes: int) -> bool:
    """Compile the listed kernels into the cache in `processes` processes at once, where this
    version's cache is empty (not `compiled_before`) and on disk; whether it did. Once a
    process; a process that finds another compiling them (the workers of a Dask cluster, two
    runs started together) waits for it instead."""
    from drgsim.kernels import jit

    if _DONE or processes < 2 or not jit.CACHE or jit.compiled_before():
        return False
    _DONE.append(True)
    try:
        kernels = listed()
    except (OSError, ValueError, KeyError):
        return False
    with _compiling(jit.cache_dir()):
        if jit.compiled_before():  # another process compiled them while this one waited
            return False
        failed = _run_shares(shares(kernels, processes))
        if not failed:
            jit.mark_compiled()  # a later process need not start the shares again
    return True


def _run_shares(split: list[list[dict[str, Any]]]) -> bool:
    """Compile each non-empty share in a process of its own, all at once; whether any failed."""
    command = [sys.executable, "-m", "drgsim.scale.warm_up", "compile"]
    running = [
        subprocess.Popen(
            [*command, json.dumps([e["kernel"] for e in share])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for share in split
        if share
    ]
    failed = False
    for process in running:
        try:
            failed |= process.wait(SHARE_TIMEOUT) != 0
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            failed = True
    return failed


@contextlib.contextmanager
def _compiling(folder: Path) -> Iterator[None]:
    """Hold the cache folder's compiling lock (waiting for another process's), where the
    folder can be made and locked; else go on without it."""
    try:
        import fcntl

        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / ".compiling", "a+b")  # noqa: SIM115 - held across the yield
    except (ImportError, OSError):
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def compile_share(names: list[str]) -> int:
    """Compile the listed signatures of the kernels `names` here (into the cache); how many."""
    namespace = _type_names()
    done = 0
    for entry in listed():
        if entry["kernel"] not in names:
            continue
        dispatcher = _dispatcher(entry["kernel"])
        if dispatcher is None:
            continue
        for text in entry["signatures"]:
            with contextlib.suppress(Exception):  # a stale entry: compiled on use instead
                dispatcher.compile(
                    eval(text, {"__builtins__": {}}, namespace)
                )  # the listed text only
                done += 1
    return done


def _type_names() -> dict[str, Any]:
    """numba's type names, as a signature's repr writes them."""
    from numba.core import types

    return dict(vars(types), bool=types.boolean)


def signature(text: str, names: dict[str, Any] | None = None) -> tuple[Any, ...]:
    """A signature read back from its repr (`Literal[int](0)` as `literal(0)`)."""
    text = re.sub(r"Literal\[\w+\]\(", "literal(", text)
    return tuple(eval(text, {"__builtins__": {}}, names or _type_names()))  # listed text only


def _dispatcher(name: str) -> Any:
    """The numba dispatcher of a kernel "module:name" (a front's kernel), None if there is none."""
    module, _, attr = name.partition(":")
    try:
        value = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None
    compiled = getattr(value, "compiled", value)
    return compiled if hasattr(compiled, "compile") else None


def record(scenario: str, out: Path = SIGNATURES) -> None:
    """Write `out`: the kernels and signatures a run of `scenario` calls, each kernel's
    compiling seconds measured on an empty cache (a process of its own, the run on one worker)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DRGSIM_CACHE_DIR": cache}
        command = [sys.executable, "-m", "drgsim.scale.warm_up", "_record_here", scenario, out]
        subprocess.run([str(part) for part in command], env=env, check=True)


def _record_here(scenario: str, out: Path) -> None:
    """`record` in this process, whose cache must be empty."""
    import drgsim
    from drgsim.scale.preload import cached_kernels

    kernels = {id(k): k for k in cached_kernels()}
    seconds: dict[int, float] = {}
    with _timed_compiles(kernels, seconds):
        drgsim.run(scenario, replications=1, workers=1)
    entries: list[dict[str, Any]] = [
        {
            "kernel": f"{k.py_func.__module__}:{_attribute(k)}",
            "seconds": round(seconds.get(key, 0.0), 2),
            "signatures": [repr(sig) for sig in k.signatures],
        }
        for key, k in kernels.items()
        if k.signatures
    ]
    entries.sort(key=lambda e: str(e["kernel"]))
    text = json.dumps({"scenario": Path(scenario).name, "kernels": entries}, indent=1)
    Path(out).write_text(text + "\n", encoding="utf-8")


def _attribute(dispatcher: Any) -> str:
    """The name a kernel's module holds it under (its front's, where it has one)."""
    module = sys.modules[dispatcher.py_func.__module__]
    for name, value in vars(module).items():
        if value is dispatcher or getattr(value, "compiled", None) is dispatcher:
            return name
    return str(dispatcher.py_func.__name__)


@contextlib.contextmanager
def _timed_compiles(kernels: dict[int, Any], seconds: dict[int, float]) -> Iterator[None]:
    """Add each of `kernels`' compiling seconds to `seconds` (by id), a kernel compiled inside
    another's compiling counted to itself only."""
    from numba.core.dispatcher import Dispatcher

    original = Dispatcher.compile
    inner: list[float] = [0.0]

    @functools.wraps(original)
    def timed(self: Any, sig: Any) -> Any:
        inner.append(0.0)
        start = time.perf_counter()
        try:
            return original(self, sig)
        finally:
            took = time.perf_counter() - start
            own = took - inner.pop()
            inner[-1] += took
            if id(self) in kernels:
                seconds[id(self)] = seconds.get(id(self), 0.0) + own
            else:
                inner[-1] -= own  # a helper's compiling counts to the kernel that calls it

    Dispatcher.compile = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        Dispatcher.compile = original  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    """`record [SCENARIO]`, `compile KERNELS-JSON` (a share), `_record_here SCENARIO OUT`."""
    if argv[:1] == ["record"]:
        record(argv[1] if len(argv) > 1 else "scenarios/shanwei.yaml")
    elif argv[:1] == ["compile"] and len(argv) == 2:
        compile_share(json.loads(argv[1]))
    elif argv[:1] == ["_record_here"] and len(argv) == 3:
        _record_here(argv[1], Path(argv[2]))
    else:
        print(
            "usage: python -m drgsim.scale.warm_up record [SCENARIO] | compile KERNELS-JSON",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
