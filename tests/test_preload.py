"""Kernels loaded once in the process that forks the workers: what a run needs, none compiled."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import SMALL_WITH_VARIANT

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
