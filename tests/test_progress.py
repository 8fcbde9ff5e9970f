"""The one progress display (tqdm) of `drgsim run` and `drgsim sweep`, and the one way to reach Dask."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from drgsim.errors import DrgsimError
from drgsim.present.progress import Progress
from drgsim.scale.cluster import dask_client


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def feed(show: Progress, total: int, stop: int | None = None) -> None:
    """Announce `total` parts, then finish them one by one (up to `stop`)."""
    show(0, total, "2 workers")
    for done in range(1, (total if stop is None else stop) + 1):
        show(done, total, f"point {done}")


def test_a_terminal_shows_the_bar_until_the_total_is_reached_and_then_ends_its_line() -> None:
    out = Terminal()
    show = Progress("task", stream=out)
    feed(show, 20)
    assert (show.done, show.total) == (20, 20)
    assert show.bar is None  # closed by reaching the total
    text = out.getvalue()
    assert "20/20" in text and "point 20" in text and text.endswith("\n")


def test_a_log_gets_nothing_unless_asked_and_a_count_when_asked() -> None:
    log = io.StringIO()
    feed(Progress("task", stream=log), 20)
    assert log.getvalue() == ""
    asked = Progress("task", stream=log, show=True)
    feed(asked, 20)
    assert "20/20" in log.getvalue()
    assert (asked.done, asked.total) == (20, 20)


def test_quiet_shows_nothing_even_on_a_terminal() -> None:
    out = Terminal()
    show = Progress("task", stream=out, show=False)
    feed(show, 20)
    assert out.getvalue() == "" and show.done == 20


def test_a_job_of_one_part_shows_nothing() -> None:
    out = Terminal()
    show = Progress("simulation", stream=out)
    show(0, 1, "1 process(es)")
    show(1, 1, "baseline #0")
    assert out.getvalue() == ""


def test_a_bar_stopped_before_its_total_is_ended_once_by_close() -> None:
    out = Terminal()
    with Progress("simulation", stream=out) as show:
        feed(show, 10, stop=4)
        assert show.bar is not None and show.bar.n == 4
    assert show.bar is None and out.getvalue().endswith("\n")
    written = out.getvalue()
    show.close()
    assert out.getvalue() == written


def test_the_announcement_restarts_the_count() -> None:
    out = Terminal()
    show = Progress("task", stream=out)
    feed(show, 10, stop=3)
    show(0, 6, "the Dask cluster")  # the work is announced anew: a fresh bar of 6
    assert show.bar is not None and (show.bar.n, show.bar.total) == (0, 6)
    show(6, 6, "point 6")
    assert show.bar is None and show.done == 6


def test_without_dask_the_error_is_one_line_that_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(DrgsimError) as err, dask_client(None, needed_by="drgsim sweep"):
        pass
    assert str(err.value) == "drgsim sweep needs Dask: pip install 'drgsim[cluster]'"


def test_the_command_shows_the_bar_in_a_log_only_when_asked(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(
        "extends: shanwei\nname: tiny\nyears: 1\nreplications: 3\nregion: {admissions: 2000}\n",
        encoding="utf-8",
    )
    flags = ("--variant", "baseline", "--no-report", "--workers", "1")
    plain = run_cli("run", scenario, "--out", tmp_path / "plain", *flags, timeout=600)
    asked = run_cli("run", scenario, "--out", tmp_path / "asked", *flags, "--progress", timeout=600)
    assert plain.returncode == 0 and asked.returncode == 0, plain.stderr + asked.stderr
    notice = "drgsim: compiling"  # a cold cache's one line; nothing else in a log
    assert [line for line in plain.stderr.splitlines() if not line.startswith(notice)] == []
    assert "3/3" in asked.stderr  # the three simulations counted to the end


def test_a_pseudo_terminal_that_reports_no_size_still_gets_the_bar() -> None:
    import os
    import pty
    import select

    master, replica = pty.openpty()  # a new pty reports 0 × 0, as some do
    with os.fdopen(replica, "w", encoding="utf-8") as terminal:
        assert terminal.isatty() and os.get_terminal_size(replica).columns == 0
        feed(Progress("task", stream=terminal), 3)
    chunks = []
    while select.select([master], [], [], 2.0)[0]:  # the kernel hands a pty's output over
        try:  # in pieces, later under load; EIO once all is read and the replica is closed
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    seen = b"".join(chunks).decode("utf-8", "replace")
    os.close(master)
    assert "3/3" in seen and "point 3" in seen
