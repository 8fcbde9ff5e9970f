"""Run a script in this checkout and in another one in turn, `rounds` times, printing the last
line of each run: before/after pairs in one spell of the machine.

    python benchmarks/alternate.py OTHER_CHECKOUT ROUNDS SCRIPT [ARGS...]

SCRIPT is a path inside the checkouts (e.g. benchmarks/timed_command.py); each run starts in
its checkout with that checkout first on PYTHONPATH, so it imports that checkout's drgsim.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def last_line(checkout: Path, script: str, args: list[str]) -> str:
    """The last line a run of `script` in `checkout` prints (its error output's, if it fails)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # cached bytecode, as a user's install has
    done = subprocess.run(
        [sys.executable, script, *args], cwd=checkout, env=env, capture_output=True, text=True
    )
    lines = (done.stdout if done.returncode == 0 else done.stderr).strip().splitlines()
    return lines[-1] if lines else f"(exit {done.returncode}, nothing printed)"


def main(argv: list[str]) -> None:
    """Alternate the other checkout and this one."""
    if len(argv) < 3:
        sys.exit(__doc__)
    other, rounds, script, args = Path(argv[0]).resolve(), int(argv[1]), argv[2], argv[3:]
    for _ in range(rounds):
        for name, checkout in (("other", other), ("this", HERE)):
            print(f"{name}: {last_line(checkout, script, args)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
