"""The one progress display of `drgsim run` and `drgsim sweep`, and the one way to reach Dask."""

from __future__ import annotations

import io
import sys

import pytest

from drgsim.errors import DrgsimError
from drgsim.present.progress import Progress
from drgsim.scale.cluster import dask_client


class Clock:
    """A clock that moves on by `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 100.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_a_line_every_tenth_with_elapsed_time_and_eta() -> None:
    out = io.StringIO()
    show = Progress("task", stream=out, clock=Clock(1.5))
    show(0, 20, "2 Dask worker(s)")  # the clock starts here
    for done in range(1, 21):
        show(done, 20, f"point {done}")
    lines = out.getvalue().splitlines()
    assert lines[0] == "20 tasks to run (2 Dask worker(s))"
    assert len(lines) == 1 + 10  # done = 2, 4, …, 20
    # at done = 10 the clock has been read 10 times since the start: 15 s, 1.5 s a task, 10 to go
    assert lines[5] == "[10/20] point 10  15.0s elapsed, ETA 15.0s"
    assert lines[-1] == "[20/20] point 20  30.0s elapsed, ETA 0.0s"


def test_a_job_of_one_part_shows_nothing() -> None:
    out = io.StringIO()
    show = Progress("simulation", stream=out, clock=Clock(1.0))
    show(1, 1, "baseline #0")
    assert out.getvalue() == ""


def test_a_terminal_line_is_redrawn_in_place_and_closed_once() -> None:
    out = Terminal()
    show = Progress("simulation", stream=out, clock=Clock(2.0))
    show(1, 3, "baseline #0")
    show(2, 3, "upcoding #0")
    assert out.getvalue().count("\n") == 0 and out.getvalue().count("\r") == 2
    show.close()  # stopped before the last part: the open line is ended
    show.close()
    assert out.getvalue().count("\n") == 1
    show(3, 3, "upcoding #1")
    show.close()
    assert out.getvalue().endswith("[3/3] upcoding #1  6.0s elapsed, ETA 0.0s\x1b[K\n")


def test_without_dask_the_error_is_one_line_that_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(DrgsimError) as err, dask_client(None, needed_by="drgsim sweep"):
        pass
    assert str(err.value) == "drgsim sweep needs Dask: pip install 'drgsim[cluster]'"
