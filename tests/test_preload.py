"""Kernels loaded once in the process that forks the workers: what a run needs, none compiled."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import SMALL_WITH_VARIANT

from drgsim.scale import warm_up

RUN = f"""
import json, sys
import drgsim
from drgsim.scale.preload import cached_kernels, preload_kernels

def calls():
    return {{k.py_func.__qualname__: [sum(k._cache_hits.values()), sum(k._cache_misses.values())]
             for k in cached_kernels()}}

scenario = {SMALL_WITH_VARIANT!r}
if sys.argv[1] == "warm":
    drgsim.run(scenario)  # fills the cache with what the run needs, if it lacks any
else:
    loaded = preload_kernels()
    before = calls()
    drgsim.run(scenario)
    print(json.dumps({{"loaded": loaded, "before": before, "after": calls()}}))
"""


def test_preloaded_kernels_are_every_kernel_a_run_calls_and_none_is_compiled() -> None:
    subprocess.run([sys.executable, "-c", RUN, "warm"], check=True, timeout=600)
    out = subprocess.run(
        [sys.executable, "-c", RUN, "preload"],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seen = json.loads(out.stdout.splitlines()[-1])
    assert seen["loaded"] > 0
    assert all(misses == 0 for _, misses in seen["before"].values())  # loaded, not compiled
    # the run then neither loads nor compiles any kernel: the preload had them all
    assert seen["after"] == seen["before"]


BACKGROUND = """
import json, threading
from drgsim.scale import preload

preload.preload_in_background()
preload.preload_in_background()  # once: the load under way is not started again
started = [t.name for t in threading.enumerate() if t.name == "drgsim-preload"]
again = preload.preload_kernels()  # waits for the thread's load, then finds nothing left
left = [t.name for t in threading.enumerate() if t.name == "drgsim-preload"]
loaded = sum(len(k.overloads) for k in preload.cached_kernels())
print(json.dumps({"started": started, "again": again, "left": left, "loaded": loaded}))
"""


def test_a_load_begun_in_the_background_is_waited_for_and_not_repeated() -> None:
    subprocess.run([sys.executable, "-c", RUN, "warm"], check=True, timeout=600)
    out = subprocess.run(
        [sys.executable, "-c", BACKGROUND], check=True, capture_output=True, text=True, timeout=600
    )
    seen = json.loads(out.stdout.splitlines()[-1])
    assert len(seen["started"]) <= 1  # (the thread may already be done)
    assert seen["again"] == 0 and seen["left"] == [] and seen["loaded"] > 0


ONE_LISTED_ONE_NOT = """
import json, sys
import numpy as np
from drgsim.kernels.rng import uniforms
from drgsim.scale import preload

if sys.argv[1] == "compile":  # the listed signature (int64 cases) and another (int32 cases)
    uniforms(np.uint64(7), 3, np.arange(4, dtype=np.int64), 0)
    uniforms(np.uint64(7), 3, np.arange(4, dtype=np.int32), 0)
elif sys.argv[1] == "no list":  # the list cannot be read: every cached overload is loaded
    from pathlib import Path
    from drgsim.scale import warm_up
    warm_up.SIGNATURES = Path(sys.argv[2]) / "no such list.json"
    print(json.dumps({"loaded": preload.preload_kernels(), "before": [repr(s) for s in uniforms.signatures]}))
else:
    loaded = preload.preload_kernels()
    before = [repr(s) for s in uniforms.signatures]
    uniforms(np.uint64(7), 3, np.arange(4, dtype=np.int32), 0)  # from the cache on first call
    hits, misses = sum(uniforms._cache_hits.values()), sum(uniforms._cache_misses.values())
    print(json.dumps({"loaded": loaded, "before": before, "hits": hits, "misses": misses}))
"""


def test_an_overload_the_list_does_not_name_is_left_for_its_first_call(tmp_path) -> None:
    """A cache holding `uniforms` for int64 cases (listed: what a run calls) and for int32
    cases (a test's, say): the preload loads the first only, and the second, called, is read
    from the cache then, not compiled. Where the list cannot be read, it loads both."""
    env = {**os.environ, "DRGSIM_CACHE_DIR": str(tmp_path)}
    env.pop("DRGSIM_NUMBA_CACHE", None)
    command = [sys.executable, "-c", ONE_LISTED_ONE_NOT]
    subprocess.run([*command, "compile"], env=env, check=True, timeout=600)
    out = subprocess.run(
        [*command, "preload"], env=env, check=True, capture_output=True, text=True, timeout=600
    )
    seen = json.loads(out.stdout.splitlines()[-1])
    listed = next(e for e in warm_up.listed() if e["kernel"] == "drgsim.kernels.rng:uniforms")
    assert seen["loaded"] == 1 and seen["before"] == listed["signatures"]
    assert seen["hits"] == 2 and seen["misses"] == 0
    out = subprocess.run(
        [*command, "no list", str(tmp_path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seen = json.loads(out.stdout.splitlines()[-1])
    assert seen["loaded"] == 2 and len(seen["before"]) == 2
