"""A first run's kernels compiled by several processes at once, each a share of them, into the cache.

numba compiles one kernel at a time in a process, so a run on an empty cache compiles the ~36
kernels it calls one after another (and each worker process the same ones again). The kernels
and signatures `drgsim run` of the shipped scenarios calls are listed in
`kernel_signatures.json` (`python -m drgsim.scale.kernel_list` writes it, with each kernel's
compiling seconds); `compile_ahead` splits them into shares of about equal seconds, compiles
each in a process of its own and waits: the run then loads them from the cache. A kernel the
list misses compiles on its first call, as without this; a share that fails only leaves its
kernels to their first calls.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The kernels and signatures `drgsim run` of the shipped scenarios calls, their reports'
#: included (scale.kernel_list).
SIGNATURES = Path(__file__).with_name("kernel_signatures.json")
#: Seconds a share may take before its process is stopped (its kernels then compile on use).
SHARE_TIMEOUT = 600
_DONE: list[bool] = []  # compile_ahead has run in this process


def listed() -> list[dict[str, Any]]:
    """The recorded kernels: {"kernel": "module:name", "seconds": s, "signatures": [...]};
    OSError where the list cannot be read, ValueError where it is not such a list."""
    data = json.loads(SIGNATURES.read_text(encoding="utf-8"))
    kernels = data.get("kernels") if isinstance(data, dict) else None
    if not isinstance(kernels, list) or not all(_is_entry(e) for e in kernels):
        raise ValueError(f"{SIGNATURES}: not a list of kernels, seconds and signatures")
    return kernels


def _is_entry(entry: Any) -> bool:
    """Whether `entry` is a kernel's name, compiling seconds and signatures (texts)."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("kernel"), str)
        and isinstance(entry.get("seconds"), int | float)
        and isinstance(entry.get("signatures"), list)
        and all(isinstance(t, str) for t in entry["signatures"])
    )


def listed_signatures() -> dict[str, set[str]] | None:
    """Each listed kernel's signatures (their reprs), by "module:name"; None where the list
    cannot be read."""
    try:
        return {e["kernel"]: set(e["signatures"]) for e in listed()}
    except (OSError, ValueError):
        return None


def kernel_name(dispatcher: Any) -> str:
    """A kernel's "module:name", as the list names it: the name its module holds it under (its
    front's, where it has one)."""
    module = sys.modules[dispatcher.py_func.__module__]
    for name, value in list(vars(module).items()):
        if value is dispatcher or getattr(value, "compiled", None) is dispatcher:
            return f"{module.__name__}:{name}"
    return f"{module.__name__}:{dispatcher.py_func.__name__}"


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


def compile_here() -> None:
    """Keep `compile_ahead` from starting shares in this process: its kernels compile on use."""
    _DONE.append(True)


def compile_ahead(processes: int) -> bool:
    """Compile the listed kernels into the cache in up to `processes` processes at once, where
    this version's cache is empty (not `compiled_before`) and its folder can be written;
    whether it did. Once a process; a process that finds another compiling them (the workers
    of a Dask cluster, two runs started together) waits for it instead."""
    from drgsim.kernels import jit

    if _DONE or processes < 2 or not jit.CACHE or jit.compiled_before():
        return False
    _DONE.append(True)
    try:
        kernels = listed()
    except (OSError, ValueError):
        return False
    processes = min(processes, useful_processes(kernels))
    if processes < 2 or not _writable(jit.cache_dir()):
        return False  # compiled on first use, as without this
    with _compiling(jit.cache_dir()):
        if jit.compiled_before():  # another process compiled them while this one waited
            return False
        if not _run_shares(shares(kernels, processes)):
            jit.mark_compiled()  # a later process need not start the shares again
    return True


def useful_processes(kernels: list[dict[str, Any]]) -> int:
    """How many shares can finish sooner than fewer: the seconds in all over the longest
    kernel's (which one share must take whole), rounded up."""
    seconds = [float(e["seconds"]) for e in kernels]
    longest = max(seconds, default=0.0)
    return max(1, math.ceil(sum(seconds) / longest)) if longest > 0 else 1


def _writable(folder: Path) -> bool:
    """Whether the cache folder can be made and written (else the shares would compile for
    nothing, and again in every later process)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError:
        return False
    return True


def _run_shares(split: list[list[dict[str, Any]]]) -> bool:
    """Compile each non-empty share in a process of its own, all at once, within one
    SHARE_TIMEOUT; whether any failed (could not start, ended badly or ran out of time)."""
    command = [sys.executable, "-m", "drgsim.scale.warm_up", "compile"]
    running: list[subprocess.Popen[bytes]] = []
    failed = False
    try:
        for share in (s for s in split if s):
            running.append(
                subprocess.Popen(
                    [*command, json.dumps([e["kernel"] for e in share])],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + SHARE_TIMEOUT
        for process in running:
            failed |= process.wait(max(0.0, deadline - time.monotonic())) != 0
    except (OSError, subprocess.TimeoutExpired):
        failed = True
    finally:  # on a failure, or the run stopped (Ctrl-C): no share left compiling
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
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
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError:  # a file system without locks (some network mounts): unlocked
            yield
            return
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
                dispatcher.compile(signature(text, namespace))
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


def main(argv: list[str]) -> int:
    """`compile KERNELS-JSON`: compile a share here."""
    if argv[:1] == ["compile"] and len(argv) == 2:
        compile_share(json.loads(argv[1]))
        return 0
    print("usage: python -m drgsim.scale.warm_up compile KERNELS-JSON", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
