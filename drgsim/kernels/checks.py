"""Checks a kernel's Python front makes before the kernel runs: lengths and index ranges.

numba does not check array bounds, so an index out of range would read or write outside an
array (a crash, or a wrong answer); each front refuses it with one line instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from drgsim.kernels.jit import kernel

_SHORT = 4096  # arrays up to this size have their bounds found by `bounds`


class KernelInputError(ValueError):
    """An array given to a kernel has the wrong shape or an index outside its table.

    Its fronts' callers validate what users give, so this is a bug upstream, said in one line.
    """


def front(check: Callable[..., None]) -> Callable[[Any], Callable[..., Any]]:
    """Wrap a compiled kernel so that `check` sees its arguments before the kernel runs."""

    def wrap(compiled: Any) -> Callable[..., Any]:
        @functools.wraps(compiled.py_func)
        def checked(*args: Any) -> Any:
            check(*args)
            return compiled(*args)

        checked.compiled = compiled  # type: ignore[attr-defined]
        return checked

    return wrap


def shape(kernel: str, name: str, array: np.ndarray, expected: tuple[int | None, ...]) -> None:
    """`array` has len(expected) dimensions, each of the given size (None: any size)."""
    got = np.shape(array)
    if len(got) == len(expected):
        for g, e in zip(got, expected, strict=True):
            if e is not None and g != e:
                break
        else:
            return
    want = " × ".join("any" if e is None else str(e) for e in expected)
    raise KernelInputError(f"{kernel}: {name} has shape {got}; expected {want}")


def same_length(kernel: str, n: int, **arrays: np.ndarray) -> None:
    """Every one of `arrays` is one-dimensional with n entries."""
    want = (n,)
    for name, array in arrays.items():
        # one comparison a month's column (np.shape only for what is not an array yet); `shape`
        # says what is wrong
        got = array.shape if isinstance(array, np.ndarray) else np.shape(array)
        if got != want:
            shape(kernel, name, array, want)


def index(kernel: str, name: str, values: np.ndarray, low: int, high: int, what: str) -> None:
    """Every value lies in low … high − 1 (the rows of the table `what`)."""
    values = np.asarray(values)
    if values.size == 0:
        return
    # numpy's vectorised min and max win on long arrays, one compiled pass on short ones
    lo, hi = value_range(values)
    if lo < low or hi >= high:
        bad = lo if lo < low else hi
        allowed = f"{low} … {high - 1}" if high > low else "none (the table is empty)"
        raise KernelInputError(f"{kernel}: {name} has value {bad}; allowed {allowed} ({what})")


def finite(kernel: str, name: str, values: np.ndarray) -> None:
    """Every value is a finite number (not NaN or ±inf)."""
    values = np.asarray(values)
    bad = ~np.isfinite(values)
    if bad.any():
        raise KernelInputError(
            f"{kernel}: {name} has value {values[bad][0]}; allowed finite numbers only"
        )


def within(values: np.ndarray, low: int, high: int) -> bool:
    """Whether `values` is not empty and every value lies in low … high − 1 (a quick pass that
    lets a front skip a narrower check)."""
    if values.size == 0:
        return False
    lo, hi = value_range(values)
    return bool(lo >= low and hi < high)


def value_range(values: np.ndarray) -> tuple[Any, Any]:
    """(smallest, largest) of a non-empty array: numpy's vectorised min and max on long arrays,
    one compiled pass on short ones (each numpy reduction has a fixed cost)."""
    if values.size > _SHORT:  # the ufuncs' reductions, without ndarray.min's Python layer
        return np.minimum.reduce(values, axis=None), np.maximum.reduce(values, axis=None)
    return bounds(values.reshape(-1))


@kernel
def bounds(values):  # pragma: no cover - jitted
    """(smallest, largest) of a non-empty one-dimensional array, in one pass."""
    lo = values[0]
    hi = values[0]
    for v in values:
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi
