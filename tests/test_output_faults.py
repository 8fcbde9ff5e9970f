"""Runs killed at the worst moment and output paths the OS refuses: never half-written, one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from drgsim import cpus

SCENARIO = """\
name: small
seed: 7
years: 1
replications: 2
region: {admissions: 3000}
other_hospitals:
  count: {2: 1, 1: 1}
"""
OLD_TABLE = b"old table"


def command(*args: str | Path) -> list[str]:
    """The drgsim command line run by a fresh interpreter."""
    return [sys.executable, "-m", "drgsim.cli", *map(str, args)]


def ctrl_c_as_on_a_terminal() -> None:
    """Let the child take Ctrl-C as a user's shell would: a job started in the background of a
    non-interactive shell (as CI may be) inherits SIGINT ignored, and Python keeps it so."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def drgsim(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run drgsim to its end."""
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=300)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def beside(out: Path) -> list[str]:
    """What drgsim left next to `out`: staging directories, lock files, set-aside results."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def wait_for(condition, what: str, timeout: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    """Poll `condition` until it holds."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def tables_written(out: Path) -> bool:
    """Whether a run into `out` has written its new tables (in staging, or already in `out`)."""
    if any(out.parent.glob(f".{out.name}.*/settlement.parquet")):
        return True
    table = out / "settlement.parquet"
    return table.is_file() and table.read_bytes() != OLD_TABLE


def children(pid: int) -> list[int]:
    """Live processes whose parent is `pid` (read from /proc; zombies count as gone)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def old_result(out: Path) -> dict[str, bytes]:
    """A previous complete result in `out`, as far as a forced run can tell."""
    out.mkdir()
    (out / "manifest.json").write_text('{"seed": 1}\n', encoding="utf-8")
    (out / "settlement.parquet").write_bytes(OLD_TABLE)
    (out / "report.html").write_text("<p>old report</p>", encoding="utf-8")
    return snapshot(out)


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc")


@pytest.mark.parametrize(
    ("kind", "forced"),
    [(signal.SIGKILL, True), (signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGKILL-forced", "SIGTERM-new", "SIGINT-forced"],
)
def test_a_run_killed_after_its_tables_leaves_the_old_output_or_nothing(
    scenario: Path, tmp_path: Path, kind: signal.Signals, forced: bool
) -> None:
    out = tmp_path / "out"
    before = old_result(out) if forced else None
    run = subprocess.Popen(
        command("run", scenario, "--out", out, "--quiet", *(["--force"] if forced else [])),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_on_a_terminal,
    )
    try:
        wait_for(lambda: tables_written(out) or run.poll() is not None, "tables in staging")
        assert run.poll() is None, run.stderr.read() if run.stderr else ""
        run.send_signal(kind)
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()
    finished = run.returncode == 0 and err == ""  # the signal came once all was done
    if kind != signal.SIGKILL and (err.endswith("was written in full\n") or finished):
        # the signal came after the swap (a loaded machine may not poll in between): the new
        # result is there whole, the old one gone, and the run says so (or had ended its work)
        assert run.returncode == (0 if finished else 128 + kind) and snapshot(out) != before, err
        assert (out / "manifest.json").read_text() != '{"seed": 1}\n'
        assert pd.read_parquet(out / "settlement.parquet").shape[0] > 0
        assert beside(out) == []
        return
    said = (run.returncode, err)  # shown when a check fails
    if before is None:
        assert not out.exists(), said
    else:
        assert snapshot(out) == before, said
    if kind == signal.SIGKILL:
        assert run.returncode == -signal.SIGKILL
        # the next run into the same place clears what the killed one left and completes
        again = drgsim("run", scenario, "--out", out, "--force", "--quiet", "--no-report")
        assert again.returncode == 0, again.stderr
        assert (out / "manifest.json").read_text() != '{"seed": 1}\n'
        assert not (out / "report.html").exists()  # swapped whole: nothing of the old result
    else:
        assert run.returncode == 128 + kind, err
        assert err.splitlines() == ["drgsim: interrupted; nothing was written"]
    assert beside(out) == []


@pytest.mark.parametrize("kind", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_a_run_kills_its_worker_processes(
    scenario: Path, tmp_path: Path, kind: signal.Signals
) -> None:
    out = tmp_path / "out"
    scenario.write_text(SCENARIO.replace("3000", "20000"), encoding="utf-8")
    run = subprocess.Popen(  # 150 simulations: about half a minute of work for two workers
        command("run", scenario, "--out", out, "--workers", "2", "--replications", "150"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[int] = []
    try:
        wait_for(lambda: len(children(run.pid)) >= 2 or run.poll() is not None, "two workers")
        workers = children(run.pid)
        assert run.poll() is None and len(workers) >= 2
        signalled = time.monotonic()
        run.send_signal(kind)
        _, err = run.communicate(timeout=60)
        assert time.monotonic() - signalled < 10  # not after the remaining simulations
        wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to die", 20.0)
        if kind == signal.SIGTERM:
            assert run.returncode == 128 + kind
            assert err.splitlines()[-1] == "drgsim: interrupted; nothing was written"
            assert beside(out) == []
    finally:
        run.kill()
        for pid in workers:  # orphans of a failed check: don't leave them running
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert not out.exists()


@pytest.mark.skipif(
    cpus.usable() < 2,
    reason="figures are drawn in worker processes only with two CPUs or more",
)
def test_killing_a_run_while_it_draws_kills_its_drawing_processes(
    scenario: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run = subprocess.Popen(
        command("run", scenario, "--out", out, "--quiet"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    drawing: list[int] = []
    try:
        started = lambda: any(out.parent.glob(f".{out.name}.*/plots"))  # noqa: E731
        # a forked worker per CPU but the run's own, which draws too (present/drawing.py)
        wait_for(lambda: (started() and len(children(run.pid)) >= 1) or run.poll() is not None,
                 "figures being drawn")  # fmt: skip
        drawing = children(run.pid)
        assert run.poll() is None and len(drawing) >= 1
        run.kill()
        run.wait(timeout=60)
        wait_for(lambda: not any(alive(pid) for pid in drawing), "the drawing workers to die", 20.0)
    finally:
        run.kill()
        for pid in drawing:  # orphans of a failed check: don't leave them running
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


#: A run stopped while its drawing worker draws (run by a fresh interpreter): the worker's
#: stop lands in a library that swallows it, and the worker then has more to send than a pipe
#: holds (a real one sends its figures and glyphs: 130 kB for the small scenario).
SWALLOWED_IN_A_WORKER = """
import signal, sys, time
from pathlib import Path
from drgsim import cli
from drgsim.errors import Interrupted
from drgsim.present import drawing

started = Path(sys.argv[1])

def draw_one(job, slug):
    try:
        started.touch()
        time.sleep(0 if slug != drawing.QUEUE[0] else 30)  # the stop lands in the first
    except KeyboardInterrupt:
        pass  # swallowed, as numpy comparing dtypes (for pandas) did
    return [Path("x" * 100_000)]

def meanwhile():
    while not started.exists():
        time.sleep(0.01)
    raise Interrupted(signal.SIGTERM)  # the run's stop, while its worker draws

drawing.draw_one = draw_one
with cli._interrupts():
    try:
        drawing._draw_shared({"tables": {}}, 1, meanwhile, "en")
    except Interrupted:
        print("interrupted")
"""


def test_a_stop_a_drawing_worker_swallows_does_not_leave_the_run_waiting_for_it(
    tmp_path: Path,
) -> None:
    """A SIGTERM after a run's tables, while a forked worker drew: the run stopped the worker
    with SIGTERM, which the worker (running the command's handler) swallowed in a library, drew
    on and waited to send what the run no longer read, while the run waited in join; once in
    about 60 stops landed in a worker, and a hang of `drgsim run` in CI. The worker is killed."""
    started = tmp_path / "started"
    try:
        run = subprocess.run(
            [sys.executable, "-c", SWALLOWED_IN_A_WORKER, str(started)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the stopped drawing still waited for its worker after 60 s")
    assert (run.returncode, run.stdout, run.stderr) == (0, "interrupted\n", "")


def one_line(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one error line of a refused command, checked for exit code 2, no traceback, `words`."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("drgsim: error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_a_scenario_path_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    one_line(drgsim("run", tmp_path), str(tmp_path), "Is a directory", "expected a YAML file")


def test_an_out_path_under_a_regular_file_is_one_line(scenario: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "out"
    one_line(drgsim("run", scenario, "--out", out), "--out", f"{tmp_path / 'file'} is a file")
    assert (tmp_path / "file").read_text() == ""


def test_an_out_path_where_nothing_can_be_written_is_one_line(scenario: Path) -> None:
    # /proc takes no new files, even from root (these tests may run as root, so a directory
    # without write permission would not be refused)
    one_line(drgsim("run", scenario, "--out", "/proc/drgsim-out"), "--out", "cannot write in /proc")


def test_an_out_name_over_255_bytes_is_one_line(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / ("汕尾" * 43)  # 258 bytes in UTF-8, 86 characters
    one_line(drgsim("run", scenario, "--out", out), "258 bytes", "at most 255 bytes")
    assert list(tmp_path.iterdir()) == [scenario]


@pytest.mark.parametrize("name", [".", "..", "/"])
def test_an_out_path_without_a_name_of_its_own_is_one_line(scenario: Path, name: str) -> None:
    proc = subprocess.run(
        command("run", scenario, "--out", name, "--force"),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=scenario.parent,
    )
    one_line(proc, f"--out {name}", "expected the output directory's own name")
    assert sorted(p.name for p in scenario.parent.iterdir()) == [scenario.name]


def test_an_out_name_of_255_bytes_is_written(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / ("a" * 255)
    proc = drgsim("run", scenario, "--out", out, "--quiet", "--no-report")
    assert proc.returncode == 0, proc.stderr
    assert (out / "settlement.parquet").is_file() and beside(out) == []


def immutable(path: Path) -> None:
    """Make a directory immutable with chattr (or skip: no chattr, or the file system refuses)."""
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not available here: {done.stderr!r}")


def mutable(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


def test_an_out_path_in_an_immutable_directory_is_one_line(scenario: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    immutable(locked)
    try:
        proc = drgsim("run", scenario, "--out", locked / "out")
    finally:
        mutable(locked)
    one_line(proc, "--out", "cannot write in", "Operation not permitted")
    assert list(locked.iterdir()) == []


def test_report_into_an_immutable_output_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    import drgsim as library
    from drgsim.records.results import write

    out = tmp_path / "out"
    write(library.run({**_tiny(), "replications": 1}), out)
    before = snapshot(out)
    immutable(out)
    try:
        proc = drgsim("report", out)
    finally:
        mutable(out)
    one_line(proc, str(out), "Operation not permitted")
    assert snapshot(out) == before


def test_a_case_table_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").mkdir()
    path = tmp_path / "replay.yaml"
    path.write_text(
        "extends: shanwei\nname: replay\nregion: {admissions: 1000}\n"
        f"cases: {{source: {tmp_path / 'cases.csv'}}}\nbudget: {{annual: 1000000}}\n",
        encoding="utf-8",
    )
    proc = drgsim("run", path, "--out", tmp_path / "out")
    one_line(proc, "cases.source", "expected an existing CSV/Parquet case table")
    assert not (tmp_path / "out").exists() and beside(tmp_path / "out") == []


def _tiny() -> dict[str, object]:
    return {"name": "tiny", "region": {"admissions": 2000}, "other_hospitals": {"count": {2: 1}}}


def test_cleaning_up_removes_dead_runs_staging_and_keeps_a_live_ones(tmp_path: Path) -> None:
    from drgsim.records.outdir import remove_stale, staged, staging_dirs

    out = tmp_path / "run [1]"  # glob characters in the name are taken literally
    with staged(out) as live:
        (live / "settlement.parquet").write_bytes(b"new")
        dead = live.with_name(live.name[:-8] + "deadbeef")  # a killed run's, its lock left free
        dead.mkdir()
        Path(f"{dead}.lock").write_text("")
        orphan = live.with_name(live.name[:-8] + "nolock00")  # its lock file is gone
        orphan.mkdir()
        assert staging_dirs(out) == sorted([live, dead, orphan])
        remove_stale(out)
        assert staging_dirs(out) == [live] and (live / "settlement.parquet").is_file()
    assert (out / "settlement.parquet").read_bytes() == b"new"
    assert beside(out) == []


def test_a_signal_during_the_swap_waits_for_it_and_says_the_output_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the old result is being removed after the swap: the new one is in place,
    so the run must not say "nothing was written" (it did, on a loaded machine)."""
    from drgsim.errors import WrittenThenInterrupted
    from drgsim.records import outdir

    out = tmp_path / "out"
    before = old_result(out)
    swap = outdir._swap

    def swap_then_interrupted(tmp: Path, where: Path) -> None:
        swap(tmp, where)
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the old result is cleared away

    monkeypatch.setattr(outdir, "_swap", swap_then_interrupted)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # even if run ignoring it
    try:
        with pytest.raises(WrittenThenInterrupted) as caught, outdir.staged(out, True) as stage:
            (stage / "settlement.parquet").write_bytes(b"new table")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert caught.value.signal == signal.SIGINT and caught.value.out == out
    assert snapshot(out) == {"settlement.parquet": b"new table"} != before
    assert beside(out) == []


def test_a_signal_another_thread_receives_during_the_swap_waits_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel gives a process's signal to any thread not blocking it (numba's workers, a
    pool's manager): holding it back in the main thread alone let it through (CI, issue 13)."""
    import threading

    from drgsim.errors import WrittenThenInterrupted
    from drgsim.records import outdir

    out = tmp_path / "out"
    old_result(out)
    swap = outdir._swap
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()

    def swap_then_interrupted(tmp: Path, where: Path) -> None:
        swap(tmp, where)
        assert other.ident is not None
        signal.pthread_kill(other.ident, signal.SIGINT)  # to the other thread, not the main one
        time.sleep(0.05)  # the main thread runs Python handlers in the meantime

    monkeypatch.setattr(outdir, "_swap", swap_then_interrupted)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(WrittenThenInterrupted), outdir.staged(out, True) as stage:
            (stage / "settlement.parquet").write_bytes(b"new table")
    finally:
        signal.signal(signal.SIGINT, previous)
        stop.set()
    assert snapshot(out) == {"settlement.parquet": b"new table"}
    assert beside(out) == []


def test_a_signal_while_the_swap_is_tidied_up_still_says_the_output_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the lock of a swapped-in output is removed: it waits for the lock to go,
    then says the new output is whole (it said "nothing was written" on CI, stop 19)."""
    from drgsim.errors import WrittenThenInterrupted
    from drgsim.records import outdir

    out = tmp_path / "out"
    release = outdir._release

    def interrupted_while_released(tmp: Path, lock) -> None:  # type: ignore[no-untyped-def]
        os.kill(os.getpid(), signal.SIGINT)
        release(tmp, lock)

    monkeypatch.setattr(outdir, "_release", interrupted_while_released)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(WrittenThenInterrupted), outdir.staged(out) as stage:
            (stage / "settlement.parquet").write_bytes(b"new table")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert snapshot(out) == {"settlement.parquet": b"new table"}
    assert beside(out) == []


def test_a_sigterm_after_the_output_is_in_place_says_it_was_written_in_full(
    scenario: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGTERM while the summary is printed, after the swap: exit 143, and the one line says
    the output is whole (not "nothing was written"), and it is."""
    from drgsim import cli
    from drgsim.present import summary

    out = tmp_path / "out"

    def terminated(result: object) -> str:
        os.kill(os.getpid(), signal.SIGTERM)
        return "summary"

    monkeypatch.setattr(summary, "summary_text", terminated)
    code = cli.main(["run", str(scenario), "--out", str(out), "--no-report", "--replications", "1"])
    assert code == 128 + signal.SIGTERM
    assert capsys.readouterr().err.splitlines() == [
        f"drgsim: interrupted; {out} was written in full"
    ]
    assert pd.read_parquet(out / "settlement.parquet").shape[0] > 0
    assert beside(out) == []


def test_signals_interrupt_a_command_until_it_has_finished() -> None:
    """Before the command finishes SIGTERM interrupts it; after, it passes (the process is
    ending: no traceback, no false message); the caller's handlers come back at the end."""
    from drgsim import cli

    previous = signal.getsignal(signal.SIGTERM)
    with cli._interrupts() as finished:
        with pytest.raises(KeyboardInterrupt) as caught:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs before this ends
        assert getattr(caught.value, "signal", None) == signal.SIGTERM
        finished()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGTERM) == previous


class _DroppedStop:
    """An object whose finalizer receives SIGTERM: Python drops the handler's exception there."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # the handler runs (and raises, unheard) before this ends


def test_a_stop_python_drops_in_a_finalizer_still_stops_the_swap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGTERM whose exception is raised inside a finalizer (Python prints "Exception ignored"
    and goes on): the run must still not put its output in place (on CI, stop 19, a run went on
    to replace its output while saying nothing of the signal)."""
    from drgsim import cli
    from drgsim.errors import Interrupted
    from drgsim.records import outdir

    out = tmp_path / "out"
    with cli._interrupts(), pytest.raises(Interrupted) as caught, outdir.staged(out) as stage:
        (stage / "settlement.parquet").write_bytes(b"new table")
        _DroppedStop()  # made and dropped at once; the block goes on
        (stage / "manifest.json").write_text("{}")
    assert caught.value.signal == signal.SIGTERM
    assert not out.exists() and beside(out) == []
    assert "Exception ignored" not in capsys.readouterr().err


def test_an_error_a_stop_leaves_behind_is_reported_as_the_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGTERM landing inside a library that catches its exception and then fails on the state
    it left (seen once in 180 stopped runs: matplotlib's "Invalid affine transformation
    matrix", a traceback and status 1): the command says it was interrupted, status 128 + 15,
    and a failure with no signal behind it is still raised as it was."""
    from drgsim import cli

    def half_done_then_broken(args: object) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler raises here
        except KeyboardInterrupt:
            pass  # swallowed, as the library did
        raise ValueError("Invalid affine transformation matrix")

    monkeypatch.setattr(cli, "_cmd_run", half_done_then_broken)
    assert cli.main(["run", "any.yaml"]) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "drgsim: interrupted; nothing was written\n"

    def broken(args: object) -> int:
        raise ValueError("not a stop")

    monkeypatch.setattr(cli, "_cmd_run", broken)
    with pytest.raises(ValueError, match="not a stop"):
        cli.main(["run", "any.yaml"])
