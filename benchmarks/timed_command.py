"""Wall time of `drgsim run scenarios/shanwei.yaml` as shipped (its own process, the kernel
cache warm after one run first), `n` times, and the median.

    python benchmarks/timed_command.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(n: int) -> None:
    """Run the command once to warm the cache, then `n` times timed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "drgsim.cli", "run", "scenarios/shanwei.yaml"]
        command += ["--out", str(out), "--force", "--quiet"]
        subprocess.run(command, check=True)
        seconds = []
        for _ in range(n):
            t0 = time.perf_counter()
            subprocess.run(command, check=True)
            seconds.append(time.perf_counter() - t0)
    shown = " ".join(f"{s:.2f}" for s in seconds)
    print(f"whole {shown} median {statistics.median(seconds):.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
