"""Wall and CPU time (this process and its workers) of a Shanwei sweep of 8 grid points (audit
sample rate × pre-pay share) × `reps` replications on `workers` Dask workers (0: here), after one
untimed sweep.

    python benchmarks/timed_sweep.py WORKERS REPS
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time

GRID = {"audit.sample_rate": [0.01, 0.05, 0.1, 0.2], "settlement.prepay_share": [0.85, 0.95]}


def once(workers: int, reps: int) -> tuple[float, float]:
    """One sweep into a fresh folder: its wall seconds and CPU seconds."""
    from drgsim.scale.sweep import sweep

    with tempfile.TemporaryDirectory() as out:
        c0, p0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
        t0 = time.perf_counter()
        sweep(
            "scenarios/shanwei.yaml", GRID, replications=reps, out=out, workers=workers, plots=False
        )
        wall = time.perf_counter() - t0
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime
    return wall, time.process_time() - p0 + children


if __name__ == "__main__":  # (Dask's workers import this module again)
    workers, reps = int(sys.argv[1]), int(sys.argv[2])
    once(workers, reps)
    wall, cpu = once(workers, reps)
    print(f"workers={workers} 8 points x {reps} reps: wall {wall:.2f} s, cpu {cpu:.2f} s")
