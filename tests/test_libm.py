"""The inlined exp, log, sin and cos (kernels/libm.py) give the C library's double for every input."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from drgsim.kernels.libm import (
    cos,
    exp,
    exp_main,
    exp_outside,
    fma,
    log,
    log_unit,
    sincos,
    sincos_bounded,
)


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
def _trig_mismatches(x):  # pragma: no cover - jitted
    """Inputs whose inlined cos, or sincos's sine or cosine, differs from the library's."""
    bad = []
    for i in range(x.shape[0]):
        s, c = sincos(x[i])
        for ours, theirs in ((cos(x[i]), math.cos(x[i])), (s, math.sin(x[i])), (c, math.cos(x[i]))):
            same = ours == theirs and math.copysign(1.0, ours) == math.copysign(1.0, theirs)
            if not same and not (ours != ours and theirs != theirs):
                bad.append(i)
                break
    return np.array(bad, dtype=np.int64)


@numba.njit
def _box_muller_mismatches(u, r):  # pragma: no cover - jitted
    """Angles 2π u whose r cos and r sin differ from numba's pair (one sincos call to glibc)."""
    bad = []
    for i in range(u.shape[0]):
        angle = 2.0 * math.pi * u[i]
        s, c = sincos(angle)
        if r[i] * c != r[i] * math.cos(angle) or r[i] * s != r[i] * math.sin(angle):
            bad.append(i)
    return np.array(bad, dtype=np.int64)


@numba.njit
def _fma(a, b, c):  # pragma: no cover - jitted
    return fma(a, b, c)


RNG = np.random.default_rng(20261201)
N = 200_000
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


TRIG_INPUTS = {
    "the draws' angles 2π u": lambda: 2.0 * math.pi * _unit_draws(N),
    "small angles": lambda: (
        2.0 * math.pi * RNG.integers(0, 1 << 30, N).astype(np.float64) * 2.0**-53
    ),
    "within ten": lambda: RNG.uniform(-10.0, 10.0, N),
    "up to 10^8": lambda: RNG.uniform(-1e8, 1e8, N),
    "any bits": lambda: np.frombuffer(RNG.bytes(8 * N), dtype=np.float64),
    "edges": lambda: np.concatenate(
        [EDGES, [2.0**-27, -(2.0**-27), 0.126, -0.126, 0.85546875, 2.426265, 105414350.0]]
    ),
}


@pytest.mark.parametrize("name", list(TRIG_INPUTS))
def test_sin_and_cos_are_the_c_librarys_bit_for_bit(name: str) -> None:
    x = TRIG_INPUTS[name]()
    bad = _trig_mismatches(x)
    assert bad.size == 0, f"sin or cos differs at {x[bad[:5]]}"


def test_box_muller_pairs_are_numbas_bit_for_bit() -> None:
    u = _unit_draws(N)
    r = np.sqrt(-2.0 * np.log1p(-_unit_draws(N)))
    assert _box_muller_mismatches(u, r).size == 0


@numba.njit
def _each(x, y):  # pragma: no cover - jitted
    """exp(x), log(y), cos(x) and sin(x), inlined, for each entry."""
    out = np.empty((4, x.shape[0]))
    for i in range(x.shape[0]):
        out[0, i], out[1, i], out[2, i] = exp(x[i]), log(y[i]), cos(x[i])
        out[3, i] = sincos(x[i])[0]
    return out


def test_the_functions_agree_with_python_math_on_a_sample() -> None:
    x = RNG.normal(0.0, 3.0, 2000)
    y = np.abs(x) + 1e-300
    got = _each(x, y)
    for row, f, v in ((0, math.exp, x), (1, math.log, y), (2, math.cos, x), (3, math.sin, x)):
        assert got[row].tobytes() == np.array([f(a) for a in v]).tobytes()


def test_fma_rounds_once() -> None:
    a = 1.0 + 2.0**-52
    # a² = 1 + 2^-51 + 2^-104: the product rounded first loses the 2^-104
    assert a * a - (1.0 + 2.0**-51) == 0.0
    assert _fma(a, a, -(1.0 + 2.0**-51)) == 2.0**-104


@numba.njit
def _selecting(x, y, z):  # pragma: no cover - jitted
    """exp_main(x) where not exp_outside(x) (else exp's), log_unit(y) and sincos_bounded(z) in
    loops without branches, as kernels vectorise them."""
    out = np.empty((4, x.shape[0]))
    for i in range(x.shape[0]):
        out[0, i] = exp_main(x[i])
        out[1, i] = log_unit(y[i])
        out[2, i], out[3, i] = sincos_bounded(z[i])
    for i in range(x.shape[0]):
        if exp_outside(x[i]):
            out[0, i] = exp(x[i])
    return out


def _exp(v: float) -> float:
    """The C library's exp through Python's math, inf where it overflows."""
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def _library(f, values: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.array([f(float(v)) for v in values])


@pytest.mark.parametrize("name", ["the generator's range", "wide", "near zero", "edges"])
def test_the_selecting_forms_are_the_c_librarys_bit_for_bit(name: str) -> None:
    x = INPUTS[name]()[:50_000]
    n = x.shape[0]
    y = np.concatenate([1.0 - _unit_draws(n - 3), [1.0, 2.0**-53, 1.0 - 2.0**-53]])
    z = np.concatenate([2.0 * math.pi * _unit_draws(n - 4), [0.0, 2.0**-28, 2.0**-27, 1e8]])
    got = _selecting(x, y, z)
    expected = [_library(_exp, x), _library(math.log, y), _library(math.sin, z)]
    expected.append(_library(math.cos, z))
    for row, want in enumerate(expected):
        same = (got[row] == want) | (np.isnan(got[row]) & np.isnan(want))
        assert same.all(), f"row {row} differs at {np.flatnonzero(~same)[:5]}"
