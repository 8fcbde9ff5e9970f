"""Kernels that add floats in numpy's order (pairwise), so a kernel's sum is np.sum's to the bit."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import inline, kernel

#: Up to this many values numpy adds in one block of eight running sums; more are halved.
BLOCK = 128
#: Halvings deep enough for any int64 count.
_DEPTH = 64


@kernel
def pairwise_sum(values, start, stop):  # pragma: no cover - jitted
    """Σ values[start:stop] of a float64 array, added as np.sum adds a contiguous array.

    Up to BLOCK values are one block (`_block_sum`); more are cut in two at half the count
    less its remainder by 8, each half summed so, and the halves added (a walk down the halves
    with a stack of its own: numba cannot cache a function that calls itself).
    """
    if stop - start <= BLOCK:
        return _block_sum(values, start, stop)
    lo = np.empty(_DEPTH, np.int64)
    hi = np.empty(_DEPTH, np.int64)
    left = np.empty(_DEPTH)  # the sum of the left half of the part one level up
    is_right = np.zeros(_DEPTH, np.bool_)
    depth = 0
    lo[0], hi[0] = start, stop
    while True:
        a, b = lo[depth], hi[depth]
        if b - a > BLOCK:  # go down its left half
            depth += 1
            lo[depth], hi[depth], is_right[depth] = a, a + _half(b - a), False
            continue
        total = _block_sum(values, a, b)
        while True:  # hand the sum up: a left half's waits for its right half's
            if depth == 0:
                return total
            if not is_right[depth]:
                left[depth - 1] = total
                a, b = lo[depth - 1], hi[depth - 1]
                lo[depth], hi[depth], is_right[depth] = a + _half(b - a), b, True
                break
            total = left[depth - 1] + total
            depth -= 1


def _check_group_sums(values, group, n_groups):
    """The values and their groups have one length; the groups lie in 0 … n_groups − 1."""
    checks.shape("group_sums", "values", values, (None,))
    checks.same_length("group_sums", values.shape[0], group=group)
    checks.index("group_sums", "group", group, 0, n_groups, "the groups")


@checks.front(_check_group_sums)
@kernel
def group_sums(values, group, n_groups):  # pragma: no cover - jitted
    """Σ of each group's values [n_groups], added as np.sum adds values[group == g]: each
    group's values packed in index order, then `pairwise_sum` (a pass per group that writes
    every value and moves on past its group's: no branch, no count kept in memory)."""
    n = values.shape[0]
    packed = np.empty(n)
    out = np.empty(n_groups)
    for g in range(n_groups):
        m = 0
        for j in range(n):
            packed[m] = values[j]
            m += group[j] == g
        out[g] = pairwise_sum(packed, 0, m)
    return out


@inline
def _half(n):  # pragma: no cover - jitted
    """Where numpy cuts n values in two: half of n, less its remainder by 8."""
    half = n // 2
    return half - half % 8


@inline
def _block_sum(values, start, stop):  # pragma: no cover - jitted
    """Σ values[start:stop] for at most BLOCK values, in numpy's order: fewer than 8 one by
    one from 0; else eight running sums (value i into sum i mod 8) added ((0 + 1) + (2 + 3)) +
    ((4 + 5) + (6 + 7)), then the values after the last whole eight one by one."""
    n = stop - start
    if n < 8:
        total = 0.0
        for i in range(start, stop):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = start + 8
    whole = stop - n % 8
    while i < whole:
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < stop:
        total += values[i]
        i += 1
    return total
