"""The progress bar of long commands (tqdm): done of total, elapsed time and an ETA, on stderr."""

from __future__ import annotations

import io
import os
import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # imported when a bar is first drawn: --quiet runs do without it
    from tqdm import tqdm


class Progress:
    """Shows `(done, total, label)` calls as a bar; on a terminal only, unless `show` is True.

    `show`: None for a terminal only, True always (a log gets tqdm's lines), False never
    (`--quiet`). A call with `done == 0` announces the work and starts the clock, so the ETA
    counts from the first task rather than from setting up; a job of one part shows nothing.
    """

    def __init__(self, unit: str = "task", stream: TextIO | None = None, show: bool | None = None):
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.show = show
        self.done = 0
        self.total = 0
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int, label: str) -> None:
        """Show that `done` of `total` parts are finished, the last one being `label`."""
        self.done, self.total = done, total
        if self.show is False or total < 2:
            return
        if self.bar is None or done == 0:
            from tqdm import tqdm

            self.close()
            size = _fixed_size(self.stream)
            self.bar = tqdm(
                total=total,
                unit=self.unit,
                file=self.stream,
                disable=None if self.show is None else False,  # None: on a terminal only
                ncols=size and size[0],
                nrows=size and size[1],
                dynamic_ncols=size is None,
                mininterval=0.5,
            )
        self.bar.update(done - self.bar.n)
        self.bar.set_postfix_str(label, refresh=done == total)
        if done >= total:
            self.close()

    def close(self) -> None:
        """End the bar (also when a run stopped before its last part); closing twice is harmless."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _fixed_size(stream: TextIO) -> tuple[int, int] | None:
    """80 × 24 for a terminal that reports no size (tqdm would draw nothing), else None."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return None if size.columns > 0 and size.lines > 0 else (80, 24)
