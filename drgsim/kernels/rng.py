"""Counter-based random numbers: draw k of kind s for case j depends only on (key, s, j, k).

Every kind of draw a run makes is named once in `Draw`. A draw's counter puts the kind and
the draw number in the top 12 bits and the case in the low 52, so no two draws of one key
share a counter; the uniform is SplitMix64's output at that counter of the stream `key`.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import inline, kernel
from drgsim.kernels.libm import log_unit, sincos_bounded


class Draw(IntEnum):
    """Every kind of random draw of a run; each has its own counters, so none reuses another's."""

    # the case generator (kernels/generate.py), per case by its position in the month's batch
    DISCHARGE = 0  # how the stay ends (normal, transfer, death, against advice)
    READMIT = 1  # whether the case follows its hospital's previous case as a readmission
    READMIT_GAP = 2  # days between that stay's discharge and the readmission
    ADRG_COLUMN = 3  # the alias table's column of the ADRG draw
    ADRG_ACCEPT = 4  # the alias table's acceptance draw
    SEVERITY = 5  # MCC, CC or none
    PATIENT = 6  # the patient id
    DISCHARGE_DAY = 7  # the day of the month the stay ends
    STAY = 8  # length of stay: a normal (draws 0 and 1)
    SHORT_STAY = 9  # whether and how short an incomplete stay is
    COST = 10  # cost and patient share: a pair of normals (draws 0 and 1)
    UNGROUPABLE = 11  # whether the record cannot be grouped
    FUND = 12  # which fund insures the patient: per patient number, on the city's fund key
    # hospital behaviours (population/behaviour.py), per case by case id
    UPCODE = 20
    SHIFT = 21
    SHIFT_TO = 22
    REFER_DOWN = 23
    REFER_DOWN_TO = 24
    UNDERSERVE = 25
    SPLIT = 26
    SHIFT_TIER = 27  # which tier (same, higher, lower) a refused patient goes to
    UPCODE_COUNT = 28  # per hospital: rounding of rate × claims to a whole count
    SPLIT_EVADE = 29  # whether a split pair evades the readmission rule
    # induced and phantom admissions: the count per hospital, then per new case k
    INDUCED_COUNT = 30
    INDUCED_TEMPLATE = 31
    INDUCED_PATIENT = 32
    PHANTOM_COUNT = 33
    PHANTOM_TEMPLATE = 34
    PHANTOM_PATIENT = 35
    SPLIT_SHARE = 36  # the first stay's share of charges: Beta(2, 2), the median of draws 0–2
    SPLIT_ADRG = 37  # the other ADRG of its MDC an evading second stay is coded to
    INDUCED_CHARGE = 38  # an induced case's lognormal charges (per new case k)
    UNDERSERVE_READMIT = 39  # whether a cut stay is readmitted (draw 0) and after how long (1)
    # the audit (rules/audit.py), per claim by case id
    AUDIT_SAMPLE = 40
    DETECT_UPCODING = 41
    DETECT_SPLITTING = 42
    DETECT_PHANTOM = 43
    DETECT_UNDERSERVICE = 44
    # smart screening (智能审核) of every claim: one draw per act the claim carries, and one for
    # a false alarm on an honest claim; the quarter's targeted inspection's choice of claims
    SCREEN_UPCODING = 45
    SCREEN_SPLITTING = 46
    SCREEN_PHANTOM = 47
    SCREEN_UNDERSERVICE = 48
    SCREEN_FALSE_ALARM = 49
    TARGETED = 51
    # the special-review panel (rules/pricing.py), per nominated claim by case id
    SPECIAL_APPROVAL = 50


#: Cases are numbered 0 … CASES − 1 within one key; each kind has up to DRAWS draws per case.
CASE_BITS = 52
CASES = 1 << CASE_BITS
DRAWS = 4
KINDS = (1 << (64 - CASE_BITS)) // DRAWS

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_SCASE = np.uint64(CASE_BITS)
_INV53 = 1.0 / 9007199254740992.0

assert max(Draw) < KINDS


@inline
def splitmix64(x: np.uint64) -> np.uint64:
    """One splitmix64 step: a bijective 64-bit mixer."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@inline
def uniform(key: np.uint64, kind: int, case: int, k: int) -> float:
    """Draw k of kind `kind` for case `case`: a uniform in [0, 1)."""
    counter = (np.uint64(kind * DRAWS + k) << _SCASE) | np.uint64(case)
    z = splitmix64(key + counter * _GOLDEN)
    return float(z >> _S11) * _INV53


@inline
def normal_pair(key: np.uint64, kind: int, case: int) -> tuple[float, float]:
    """Two independent standard normals (Box–Muller on draws 0 and 1 of the kind).

    1 − u lies in (0, 1] and 2π u in [0, 2π), so glibc's log and sincos take their selecting
    forms (libm.log_unit, libm.sincos_bounded): the library's doubles, and no branch, so that a
    loop of draws vectorises.
    """
    r = math.sqrt(-2.0 * log_unit(1.0 - uniform(key, kind, case, 0)))
    sin, cos = sincos_bounded(2.0 * math.pi * uniform(key, kind, case, 1))
    return r * cos, r * sin


@inline
def normal(key: np.uint64, kind: int, case: int) -> float:
    """A standard normal: the first of the kind's Box–Muller pair."""
    return normal_pair(key, kind, case)[0]


@kernel
def uniforms(key, kind, cases, k):  # pragma: no cover - jitted
    """Draw k of `kind` for each case of `cases` (int64): `uniform` over an array."""
    out = np.empty(cases.shape[0], np.float64)
    for i in range(cases.shape[0]):
        out[i] = uniform(key, kind, cases[i], k)
    return out


def uniform_np(key: int, kind: int, cases: np.ndarray, k: int = 0) -> np.ndarray:
    """Draw k of `kind` for each case of `cases`: the checked front of the `uniforms` kernel."""
    c = _checked_cases(key, kind, cases, k)
    # plain ints: numba types an IntEnum member by walking its class (0.5 ms a call)
    return uniforms(np.uint64(key), int(kind), c, int(k))


def uniform_reference(key: int, kind: int, cases: np.ndarray, k: int = 0) -> np.ndarray:
    """Vectorised `uniform` in plain numpy: the `uniforms` kernel's reference."""
    c = _checked_cases(key, kind, cases, k)
    counter = (np.uint64(kind * DRAWS + k) << _SCASE) | c.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = _mix_np(np.uint64(key) + counter * _GOLDEN)
    return (z >> _S11).astype(np.float64) * _INV53


def _checked_cases(key: int, kind: int, cases: np.ndarray, k: int) -> np.ndarray:
    """`cases` as int64 after checking the numbers, the kind and the draw are in range."""
    c = np.ascontiguousarray(cases, dtype=np.int64)
    if c.ndim != 1:
        raise ValueError(f"case numbers must be one-dimensional, got shape {c.shape}")
    lo, hi = checks.value_range(c) if c.size else (0, 0)
    if lo < 0 or hi >= CASES:
        raise ValueError(f"case numbers must lie in 0 … 2**{CASE_BITS} − 1 for random draws")
    if not 0 <= kind < KINDS or not 0 <= k < DRAWS:
        raise ValueError(f"draw kind {kind} or number {k} out of range")
    if not 0 <= int(key) < 1 << 64:
        raise ValueError(f"stream key {key} must be a 64-bit unsigned integer")
    return c


def normal_pair_np(key: int, kind: int, cases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised `normal_pair` in plain numpy."""
    r = np.sqrt(-2.0 * np.log(1.0 - uniform_np(key, kind, cases, 0)))
    angle = 2.0 * np.pi * uniform_np(key, kind, cases, 1)
    return r * np.cos(angle), r * np.sin(angle)


def normal_np(key: int, kind: int, cases: np.ndarray) -> np.ndarray:
    """Vectorised `normal` in plain numpy."""
    return normal_pair_np(key, kind, cases)[0]


def _mix_np(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)


def stream_key(seed_sequence: np.random.SeedSequence) -> int:
    """The 64-bit key of a stream from its SeedSequence."""
    return int(seed_sequence.generate_state(1, np.uint64)[0])
