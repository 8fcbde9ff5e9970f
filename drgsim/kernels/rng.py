"""Counter-based random numbers (SplitMix64): draw k of case j depends only on (key, j, k)."""

from __future__ import annotations

import math

import numpy as np

from drgsim.kernels.jit import inline

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@inline
def splitmix64(x: np.uint64) -> np.uint64:
    """One splitmix64 step: a bijective 64-bit mixer."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@inline
def uniform(key: np.uint64, counter: np.uint64) -> float:
    """A uniform in [0, 1): SplitMix64's output at position `counter` of the stream `key`."""
    z = splitmix64(key + counter * _GOLDEN)
    return float(z >> _S11) * _INV53


@inline
def normal(key: np.uint64, counter: np.uint64) -> float:
    """A standard normal from two counters (Box–Muller on counters 2c and 2c+1)."""
    c = counter * np.uint64(2)
    u1 = uniform(key, c)
    u2 = uniform(key, c + np.uint64(1))
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@inline
def normal_pair(key: np.uint64, counter: np.uint64) -> tuple[float, float]:
    """Two independent standard normals from two counters (both Box–Muller outputs)."""
    c = counter * np.uint64(2)
    r = math.sqrt(-2.0 * math.log(1.0 - uniform(key, c)))
    angle = 2.0 * math.pi * uniform(key, c + np.uint64(1))
    return r * math.cos(angle), r * math.sin(angle)


def uniform_np(key: int, counters: np.ndarray) -> np.ndarray:
    """Vectorised `uniform` in plain numpy (the Python layer's draws and the tests' reference)."""
    with np.errstate(over="ignore"):
        c = np.asarray(counters, dtype=np.uint64)
        z = np.uint64(key) + c * _GOLDEN
        return (_mix_np(z) >> _S11).astype(np.float64) * _INV53


def normal_np(key: int, counters: np.ndarray) -> np.ndarray:
    """Vectorised `normal` in plain numpy."""
    c = np.asarray(counters, dtype=np.uint64) * np.uint64(2)
    u1 = uniform_np(key, c)
    u2 = uniform_np(key, c + np.uint64(1))
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)


def _mix_np(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)


def stream_key(seed_sequence: np.random.SeedSequence) -> int:
    """The 64-bit key of a stream from its SeedSequence."""
    return int(seed_sequence.generate_state(1, np.uint64)[0])
