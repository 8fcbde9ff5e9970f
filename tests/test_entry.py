"""The `drgsim` command ends as soon as its work is done, with main's status, its exit handlers
run and its output flushed (drgsim.cli.entry)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _entry(args: list[str], before: str = "") -> subprocess.CompletedProcess[str]:
    """`drgsim ARGS` run through drgsim.cli.entry in a fresh process, after Python `before`."""
    code = f"import sys\n{before}\nsys.argv = ['drgsim', *{args!r}]\nfrom drgsim.cli import entry\nentry()"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_exit_handlers_run_and_output_is_flushed() -> None:
    done = _entry(
        ["validate", str(ROOT / "scenarios" / "shanwei.yaml")],
        "import atexit\natexit.register(lambda: print('handler ran', flush=False))",
    )
    assert done.returncode == 0, done.stderr
    assert "shanwei" in done.stdout  # main's own output, buffered in a pipe, then flushed
    assert done.stdout.rstrip().endswith("handler ran")


def test_the_status_is_mains() -> None:
    done = _entry(["validate", str(ROOT / "no-such-scenario.yaml")])
    assert done.returncode == 2
    assert done.stderr.startswith("drgsim: error:")
    assert "Traceback" not in done.stderr


def test_a_thread_still_running_is_waited_for() -> None:
    done = _entry(
        ["validate", str(ROOT / "scenarios" / "shanwei.yaml")],
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.5), print('thread ended'))).start()",
    )
    assert done.returncode == 0, done.stderr
    assert "thread ended" in done.stdout


def test_the_console_script_is_entry() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["drgsim"] == "drgsim.cli:entry"
