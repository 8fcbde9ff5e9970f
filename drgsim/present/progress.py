"""The progress line of long commands: done of total, time elapsed and an ETA, on stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Reports `(done, total, label)` calls: redrawn in place on a terminal, else a line a tenth.

    A call with `done == 0` announces the work and starts the clock, so the ETA counts from the
    first task rather than from setting up; a job of one part shows nothing.
    """

    def __init__(
        self,
        unit: str = "task",
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.start = clock()
        self.drawn = False

    def __call__(self, done: int, total: int, label: str) -> None:
        """Show that `done` of `total` parts are finished, the last one being `label`."""
        if done == 0:
            self.start = self.clock()
            print(f"{total} {self.unit}s to run ({label})", file=self.stream, flush=True)
            return
        if total < 2:
            return
        elapsed = self.clock() - self.start
        eta = elapsed / done * (total - done)
        text = f"[{done}/{total}] {label}  {elapsed:.1f}s elapsed, ETA {eta:.1f}s"
        if self.stream.isatty():
            print(
                f"\r{text}\x1b[K", end="\n" if done == total else "", file=self.stream, flush=True
            )
            self.drawn = done != total
        elif done == total or done % max(1, total // 10) == 0:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """End a line left open on a terminal (a run stopped before its last part)."""
        if self.drawn:
            print(file=self.stream, flush=True)
            self.drawn = False
