"""The rule for output directories: never clobber a non-empty one without --force."""

from __future__ import annotations

from pathlib import Path

from drgsim.errors import DrgsimError


def check_out(out: Path, force: bool) -> None:
    """Refuse an output path that is a file, or a non-empty directory without `force`."""
    if out.exists() and not out.is_dir():
        raise DrgsimError(f"--out {out}: exists and is not a directory; choose another path")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DrgsimError(
            f"--out {out}: directory exists and is not empty; "
            "pass --force to replace it or choose another --out"
        )
