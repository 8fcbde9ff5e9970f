"""The inlined exp and log (kernels/libm.py) give the C library's double for every input."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from drgsim.kernels.libm import exp, fma, log


@numba.njit
def _mismatches(x, which):  # pragma: no cover - jitted
    """Inputs whose inlined exp (which 0) or log (which 1) differs from numba's math (libm)."""
    bad = []
    for i in range(x.shape[0]):
        if which == 0:
            ours, theirs = exp(x[i]), math.exp(x[i])
        else:
            ours, theirs = log(x[i]), math.log(x[i])
        same = ours == theirs and math.copysign(1.0, ours) == math.copysign(1.0, theirs)
        if not same and not (ours != ours and theirs != theirs):  # NaN and NaN agree
            bad.append(i)
    return np.array(bad, dtype=np.int64)


@numba.njit
def _fma(a, b, c):  # pragma: no cover - jitted
    return fma(a, b, c)


RNG = np.random.default_rng(20261201)
N = 1_000_000
EDGES = np.array(
    [
        0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
        2.0**-53, 1.0 - 2.0**-53, 1.0 + 2.0**-52, 1.0 - 2.0**-4, 1.0 + float.fromhex("0x1.09p-4"),
        np.nextafter(1.0 - 2.0**-4, 0.0), np.nextafter(1.0 + float.fromhex("0x1.09p-4"), 2.0),
        2.0**-54, np.nextafter(2.0**-54, 0.0), 512.0, np.nextafter(512.0, 0.0), -512.0,
        709.782712893384, 709.79, -745.1332191019411, -745.14, 1e308, -1e308,
    ]
)  # fmt: skip


def _unit_draws(n: int) -> np.ndarray:
    """Uniforms k · 2^-53 as rng.uniform makes them (their 1 − u is what normal_pair logs)."""
    return (RNG.integers(0, 1 << 53, n, dtype=np.int64)).astype(np.float64) * 2.0**-53


INPUTS = {
    "the generator's range": lambda: RNG.normal(-0.1, 2.0, N),
    "wide": lambda: RNG.uniform(-750.0, 720.0, N),
    "near zero": lambda: RNG.uniform(-1e-3, 1e-3, N),
    "any bits": lambda: np.frombuffer(RNG.bytes(8 * N), dtype=np.float64),
    "edges": lambda: EDGES,
}
LOG_INPUTS = {
    "one less a draw": lambda: 1.0 - _unit_draws(N),
    "one less a small draw": lambda: (
        1.0 - RNG.integers(0, 1 << 24, N).astype(np.float64) * 2.0**-53
    ),
    "near one": lambda: RNG.uniform(0.9, 1.1, N),
    "wide": lambda: np.exp(RNG.uniform(-700.0, 700.0, N)),
    "any bits": lambda: np.frombuffer(RNG.bytes(8 * N), dtype=np.float64),
    "edges": lambda: EDGES,
}


@pytest.mark.parametrize("name", list(INPUTS))
def test_exp_is_the_c_librarys_bit_for_bit(name: str) -> None:
    x = INPUTS[name]()
    bad = _mismatches(x, 0)
    assert bad.size == 0, f"exp differs at {x[bad[:5]]}"


@pytest.mark.parametrize("name", list(LOG_INPUTS))
def test_log_is_the_c_librarys_bit_for_bit(name: str) -> None:
    x = LOG_INPUTS[name]()
    bad = _mismatches(x, 1)
    assert bad.size == 0, f"log differs at {x[bad[:5]]}"


def test_exp_and_log_agree_with_python_math_on_a_sample() -> None:
    x = RNG.normal(0.0, 3.0, 2000)
    y = np.abs(x) + 1e-300
    got_exp = numba.njit(lambda v: np.array([exp(a) for a in v]))(x)
    got_log = numba.njit(lambda v: np.array([log(a) for a in v]))(y)
    assert got_exp.tobytes() == np.array([math.exp(a) for a in x]).tobytes()
    assert got_log.tobytes() == np.array([math.log(a) for a in y]).tobytes()


def test_fma_rounds_once() -> None:
    a = 1.0 + 2.0**-52
    # a² = 1 + 2^-51 + 2^-104: the product rounded first loses the 2^-104
    assert a * a - (1.0 + 2.0**-51) == 0.0
    assert _fma(a, a, -(1.0 + 2.0**-51)) == 2.0**-104
