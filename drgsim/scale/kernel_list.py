"""The list of the kernels and signatures runs call, recorded from them on an empty cache."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from drgsim.errors import DrgsimError
from drgsim.scale.warm_up import SIGNATURES

#: The repository's folder (this module's grandparent's parent), where the scenarios are.
ROOT = Path(__file__).resolve().parents[2]
#: The shipped scenarios the list is recorded from: all but the national year, whose 300 million
#: admissions call no kernel Shanwei's do not (the point-value race's years call one more).
SHIPPED = tuple(
    str(ROOT / "scenarios" / name)
    for name in (
        "shanwei.yaml",
        "point_value_race.yaml",
        "clearing_rules.yaml",
        "pool_vs_repricing.yaml",
    )
)


def record(scenarios: Sequence[str] = SHIPPED, out: Path = SIGNATURES) -> None:
    """Write `out`: the kernels and signatures `drgsim run` of `scenarios` calls (their
    reports included), each kernel's compiling seconds measured on an empty cache (a process
    of its own, each run on one worker)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DRGSIM_CACHE_DIR": cache}
        command = [sys.executable, "-m", "drgsim.scale.kernel_list", "--here", out, *scenarios]
        done = subprocess.run([str(part) for part in command], env=env, check=False)
        if done.returncode:
            raise DrgsimError(f"kernel_list: the recording failed ({done.returncode}); {out} kept")


def _record_here(scenarios: Sequence[str], out: Path) -> None:
    """`record` in this process, whose cache must be empty."""
    from drgsim.kernels import jit
    from drgsim.scale import warm_up
    from drgsim.scale.front import run
    from drgsim.scale.preload import cached_kernels

    warm_up.compile_here()  # one kernel after another, each timed
    kernels = {id(k): k for k in cached_kernels()}
    seconds: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp, _timed_compiles(kernels, seconds):
        for i, scenario in enumerate(scenarios):
            # what `drgsim run --out` writes: the tables, the report and its waterfall
            run(scenario, replications=1, workers=1, out=Path(tmp) / str(i))
    entries: list[dict[str, Any]] = [
        {
            "kernel": warm_up.kernel_name(k),
            "seconds": round(seconds.get(key, 0.0), 2),
            "signatures": [repr(sig) for sig in k.signatures],
        }
        for key, k in kernels.items()
        if k.signatures
    ]
    entries.sort(key=lambda e: str(e["kernel"]))
    names = [Path(s).name for s in scenarios]
    text = json.dumps({"scenarios": names, "kernels": entries}, indent=1) + "\n"
    if not jit.keep(Path(out), text.encode("utf-8")):  # whole or not at all
        raise DrgsimError(f"kernel_list: {out} cannot be written")


@contextlib.contextmanager
def _timed_compiles(kernels: dict[int, Any], seconds: dict[int, float]) -> Iterator[None]:
    """Add each of `kernels`' compiling seconds to `seconds` (by id), a kernel compiled inside
    another's compiling counted to itself only. Timed under numba's compiler lock, so a thread
    waiting to compile (the months drawn ahead on a thread of their own) counts no wait."""
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.dispatcher import Dispatcher

    original = Dispatcher.compile
    inner: list[float] = [0.0]

    @functools.wraps(original)
    def timed(self: Any, sig: Any) -> Any:
        with global_compiler_lock:  # reentrant: a kernel compiled inside another's takes it too
            return _timed(self, sig)

    def _timed(self: Any, sig: Any) -> Any:
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
    """`[SCENARIO ...]`: record the list from the scenarios (the SHIPPED ones by default; the
    list then holds theirs only); a scenario that cannot run is one line and status 1."""
    try:
        if argv[:1] == ["--here"] and len(argv) >= 3:
            _record_here(argv[2:], Path(argv[1]))
        elif not any(a.startswith("-") for a in argv):
            record(argv or SHIPPED)
        else:
            print("usage: python -m drgsim.scale.kernel_list [SCENARIO ...]", file=sys.stderr)
            return 2
    except DrgsimError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
