"""The rule for output directories: built whole in a staging directory beside them, swapped in once.

A run writes everything (tables, cases, plots, report) into `.<name>.staging.XXXXXXXX` next to
the output directory and only then puts it in place with one rename, so an output directory is
always either the previous complete result or the new complete one. Each staging directory has a
lock file beside it, held while its run lives; the next run into the same place removes the
staging directories whose lock is free (their run was killed). A non-empty output directory is
replaced only with `force`, and then only by the swap.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from drgsim.errors import DrgsimError, Interrupted, WrittenThenInterrupted
from drgsim.records import interrupts

NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems
_RENAME_EXCHANGE = 2  # renameat2 flag: swap two paths atomically (Linux ≥ 3.15)
_AT_FDCWD = -100
#: The output directories this process has put in place, in order: a command interrupted after
#: its swap reads here that its output was written in full.
PLACED: list[Path] = []


def require_dir(out: Path, made_by: str = "drgsim run") -> Path:
    """`out` if it is a directory, or one line saying it is not the output directory expected."""
    if not Path(out).is_dir():
        raise DrgsimError(f"{out}: not a directory; expected the output directory of {made_by}")
    return Path(out)


def check_out(out: Path, force: bool, flag: str = "--out") -> None:
    """Refuse an output path that cannot be a directory, or a non-empty one without `force`."""
    if out.name in ("", ".", ".."):
        raise DrgsimError(
            f"{flag} {out}: expected the output directory's own name, e.g. out/run1 "
            "(a run replaces the whole directory, so not . or .. or /)"
        )
    size = len(os.fsencode(out.name))
    if size > NAME_MAX:
        raise DrgsimError(
            f"{flag} {_short(out)}: the name is {size} bytes long; "
            f"at most {NAME_MAX} bytes are allowed"
        )
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise DrgsimError(
                    f"{flag} {out}: {parent} is a file, not a directory; "
                    "choose a path under a directory"
                )
            break
    if out.exists() and not out.is_dir():
        raise DrgsimError(f"{flag} {out}: exists and is not a directory; choose another path")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DrgsimError(
            f"{flag} {out}: directory exists and is not empty; "
            f"pass --force to replace it or choose another {flag}"
        )


@contextmanager
def staged(out: str | Path, force: bool = False, flag: str = "--out") -> Iterator[Path]:
    """A fresh staging directory for `out`; when the block ends normally it becomes `out`.

    The checks, the parent directory and the staging directory come first, so a path that
    cannot be written is refused before any work. If the block raises (or is interrupted), the
    staging directory is removed and `out` is left as it was.
    """
    out = Path(out)
    check_out(out, force, flag)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DrgsimError(
            f"{flag} {out}: cannot create {out.parent} ({exc.strerror}); "
            "choose a place you can write"
        ) from None
    _recover(out)
    remove_stale(out)
    point = interrupts.mark()
    try:
        lock, tmp = _claim(out)
    except OSError as exc:
        raise DrgsimError(
            f"{flag} {out}: cannot write in {out.parent} ({exc.strerror}); "
            "choose a place you can write"
        ) from None
    try:
        tmp.mkdir()
        yield tmp
        check_out(out, force, flag)  # nothing appeared there while the run ran
    except BaseException as exc:
        _release(tmp, lock)
        if isinstance(exc, OSError) and str(exc.filename or "").startswith((str(tmp), str(out))):
            raise DrgsimError(
                f"{flag} {out}: writing {exc.filename} failed ({exc.strerror}); "
                "nothing was replaced"
            ) from None
        raise
    swapped = False
    try:
        with _signals_held():  # a signal now waits until the swap and its cleanup are done
            stopped = interrupts.since(point)  # a stop whose exception Python dropped
            if not stopped:
                try:
                    _swap(tmp, out)
                except OSError as exc:
                    _release(tmp, lock)
                    raise DrgsimError(
                        f"{flag} {out}: putting the new output in place failed ({exc.strerror}); "
                        "nothing was replaced"
                    ) from None
                PLACED.append(out)
                swapped = True
            _release(tmp, lock)
    except KeyboardInterrupt as exc:
        if not swapped:
            raise
        raise WrittenThenInterrupted(out, getattr(exc, "signal", signal.SIGINT)) from None
    if stopped:
        raise Interrupted(stopped)


def _release(tmp: Path, lock: IO[bytes]) -> None:
    """Remove a staging directory (if still there) and free and remove its lock file."""
    shutil.rmtree(tmp, ignore_errors=True)
    with suppress(OSError):
        os.unlink(lock.name)
    lock.close()


def staging_dirs(out: Path) -> list[Path]:
    """The staging directories (live or left by killed runs) of output directory `out`."""
    pattern = glob.escape(_prefix(out)) + "*"
    return sorted(p for p in out.parent.glob(pattern) if not p.name.endswith(".lock"))


def remove_stale(out: Path) -> None:
    """Remove the staging directories beside `out` whose run is gone (its lock is free)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no way to tell a live run from a dead one
        return
    for lock in out.parent.glob(glob.escape(_prefix(out)) + "*.lock"):
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # a live run holds it
            continue
        try:
            shutil.rmtree(lock.with_name(lock.name[: -len(".lock")]), ignore_errors=True)
            with suppress(OSError):
                lock.unlink()
        finally:
            os.close(fd)
    locks = {p.name for p in out.parent.glob(glob.escape(_prefix(out)) + "*.lock")}
    for stray in staging_dirs(out):
        if f"{stray.name}.lock" not in locks:  # its lock file is gone: nobody can own it
            shutil.rmtree(stray, ignore_errors=True)


def _recover(out: Path) -> None:
    """Put back an old result that a run killed between the two renames of a swap left aside."""
    old = out.with_name(f".{_stem(out)}.old")
    if old.is_dir() and not out.exists():
        with suppress(OSError):
            os.rename(old, out)


def _claim(out: Path) -> tuple[IO[bytes], Path]:
    """A held lock file `<staging>.lock` with a unique name, and the staging path it guards."""
    while True:
        lock = tempfile.NamedTemporaryFile(  # noqa: SIM115 - held open until the swap
            prefix=_prefix(out), suffix=".lock", dir=out.parent, delete=False
        )
        try:
            import fcntl

            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        try:  # a run cleaning up between creating and locking may have removed it: try again
            if os.stat(lock.name).st_ino == os.fstat(lock.fileno()).st_ino:
                return lock, Path(lock.name[: -len(".lock")])
        except FileNotFoundError:
            pass
        lock.close()


def _prefix(out: Path) -> str:
    """The name prefix of `out`'s staging directories."""
    return f".{_stem(out)}.staging."


def _stem(out: Path) -> str:
    """`out`'s name, cut so that the names drgsim puts beside it stay within NAME_MAX bytes."""
    name = out.name
    while len(os.fsencode(name)) > NAME_MAX - 40:
        name = name[:-1]
    return name


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back while the block runs, then act on them (main thread).

    The process's handlers are swapped for one that only notes the signal, so it waits whichever
    thread the kernel hands it to (numba's and the pools' threads do not block it); a signal
    noted is raised again once the handlers are back. An ignored signal stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kinds = [signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    noted: list[int] = []
    previous = {}
    for kind in kinds:
        handler = signal.getsignal(kind)
        if handler not in (signal.SIG_IGN, None):
            previous[kind] = signal.signal(kind, lambda signum, _frame: noted.append(signum))
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


def _swap(tmp: Path, out: Path) -> None:
    """Put the finished `tmp` in place of `out` in one step; the old `out` is then removed."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old result
        return
    old = out.with_name(f".{_stem(out)}.old")  # no atomic exchange here: two renames
    shutil.rmtree(old, ignore_errors=True)
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2; False where it is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # the kernel or file system cannot exchange
    raise OSError(code, os.strerror(code), str(b))


def _short(path: Path) -> str:
    """A path shortened for a one-line message."""
    text = str(path)
    return text if len(text) <= 80 else text[:40] + "…" + text[-20:]
