"""Worker processes hand their tables to the parent in files in shared memory (/dev/shm), not
through the pool's pipe: a worker leaves a result and takes its next job at once, where through
the pipe it waited, 64 KiB at a time, for the parent to read it (tens of milliseconds a result
while the parent was busy importing, more on a loaded machine)."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path("/dev/shm")
PREFIX = "drgsim-results-"
#: A folder untouched this long whose process is gone is stale (a live run adds and removes a
#: file in its folder every job; the age also spares a run seen under another process namespace
#: that shares /dev/shm, whose process id means nothing here).
STALE_SECONDS = 3600


@dataclass(frozen=True)
class Left:
    """A value a worker process left pickled in a file for the parent (`take` reads it)."""

    path: str


@contextlib.contextmanager
def folder(root: Path = ROOT) -> Iterator[str | None]:
    """A new folder under `root` for one run's hand-over files, removed after; None where there
    is no shared memory to write in (the results then go through the pipe)."""
    if not (sys.platform.startswith("linux") and root.is_dir() and os.access(root, os.W_OK)):
        yield None
        return
    remove_stale(root)
    try:
        path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root)
    except OSError:
        yield None
        return
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def remove_stale(root: Path = ROOT) -> None:
    """Remove the hand-over folders of runs whose process is gone (killed before it could) and
    that nothing has touched for STALE_SECONDS."""
    for entry in root.glob(f"{PREFIX}*"):
        pid = entry.name.removeprefix(PREFIX).partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)) and _age(entry) > STALE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)


def _age(path: Path) -> float:
    """Seconds since `path` last changed (0 where it is gone)."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leave(value: Any, where: str | None) -> Any:
    """`value` pickled into a new file in folder `where`, as a Left to hand over; `value`
    itself where there is no folder or the file cannot be written (shared memory full)."""
    if where is None:
        return value
    path = ""
    try:
        fd, path = tempfile.mkstemp(dir=where, suffix=".pickle")
        with open(fd, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        if path:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return value
    return Left(path)


def take(value: Any) -> Any:
    """What a worker handed over: read from its file (then removed) when it left one."""
    if not isinstance(value, Left):
        return value
    try:
        with open(value.path, "rb") as file:
            return pickle.load(file)
    finally:
        os.unlink(value.path)
