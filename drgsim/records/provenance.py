"""The one capture of what software produced a result: Python's and each library's version."""

from __future__ import annotations

import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version

#: Libraries whose version a result records (absent ones are recorded as "absent").
PACKAGES = ("numpy", "numba", "pandas", "pyarrow", "dask", "distributed")


@cache
def _versions() -> tuple[tuple[str, str], ...]:
    """The versions, looked up once per process (importlib.metadata reads every dist-info)."""
    from drgsim.version import __version__

    out = {"drgsim": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return tuple(out.items())


def versions() -> dict[str, str]:
    """drgsim's, Python's and each library's version, by name (without importing the libraries)."""
    return dict(_versions())
