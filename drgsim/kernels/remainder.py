"""Kernels that split whole fen by largest remainder (the rule is `rules.money.apportion`)."""

from __future__ import annotations

import numpy as np

from drgsim.kernels.jit import inline, kernel

#: Remainders are compared rounded to this many decimals of a fen (float noise makes ties).
TIE_DECIMALS = 6
#: Exact amounts at or beyond this many fen (or not finite) have no whole fen in int64.
LIMIT_FEN = 2.0**62


@kernel
def largest_remainder(total_fen, exact):  # pragma: no cover - jitted
    """(parts [n], -1): whole-fen parts of the `exact` fen that sum to `total_fen` (n > 0).

    Each part is the floor of its exact amount; the fen still missing (or in excess) are
    spread evenly, and the rest go one each to the largest (or smallest) remainders rounded to
    TIE_DECIMALS, ties to the lower index. An amount not finite or not within ±LIMIT_FEN
    returns (zeros, its index) instead.
    """
    n = exact.shape[0]
    parts = np.zeros(n, np.int64)
    floors = np.empty(n)
    placed = 0
    for i in range(n):
        if not abs(exact[i]) < LIMIT_FEN:
            return np.zeros(n, np.int64), i
        floors[i] = np.floor(exact[i])
        parts[i] = np.int64(floors[i])
        placed += parts[i]
    missing = total_fen - placed
    if missing == 0:
        return parts, -1
    step = 1 if missing > 0 else -1
    whole = abs(missing) // n
    rest = abs(missing) - whole * n
    if whole:
        for i in range(n):
            parts[i] += step * whole
    if rest:
        # each remainder in whole millionths of a fen (0 … 10**TIE_DECIMALS), largest first
        # (smallest with fen in excess), ties by index: one key per part, all distinct, so the
        # `rest` smallest keys are the first `rest` parts of that order, found without a sort
        scale = 10.0**TIE_DECIMALS
        top = np.int64(scale)
        key = np.empty(n, np.int64)
        for i in range(n):
            millionths = np.int64(np.rint((exact[i] - floors[i]) * scale))
            key[i] = ((top - millionths) if step > 0 else millionths) * n + i
        last = _smallest(key.copy(), rest - 1)
        for i in range(n):
            if key[i] <= last:
                parts[i] += step
    return parts, -1


@inline
def _smallest(keys, k):  # pragma: no cover - jitted
    """The (k + 1)-th smallest of distinct `keys` (np.partition(keys, k)[k]), found by
    quickselect in place: numba's np.partition costs a microsecond on 40 keys, this a tenth."""
    lo, hi = 0, keys.shape[0] - 1
    while lo < hi:
        pivot = keys[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while keys[i] < pivot:
                i += 1
            while keys[j] > pivot:
                j -= 1
            if i <= j:
                keys[i], keys[j] = keys[j], keys[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return keys[k]
    return keys[k]


@kernel
def month_parts(
    budget_fen, pv, points, oop, prepaid_fen, prepay_share
):  # pragma: no cover - jitted
    """(allocation, prepaid, 0.0, True): a month's budget in whole fen by the exact
    (pv × points − oop) × 100 fen of each hospital, then `prepaid_fen` of it by prepay_share ×
    allocation, each split by `largest_remainder` (the rule of rules.settlement.settle_month,
    in one call); (zeros, zeros, the amount, False) at an amount without whole fen."""
    n = points.shape[0]
    exact = np.empty(n)
    for i in range(n):
        exact[i] = (pv * points[i] - oop[i]) * 100.0
    allocation, bad = largest_remainder(budget_fen, exact)
    if bad >= 0:
        return allocation, allocation.copy(), exact[bad], False
    share = np.empty(n)
    for i in range(n):
        share[i] = prepay_share * np.float64(allocation[i])
    prepaid, bad = largest_remainder(prepaid_fen, share)
    if bad >= 0:
        return allocation, prepaid, share[bad], False
    return allocation, prepaid, 0.0, True


@kernel
def rows_parts(budget_fen, pv, points, oop, prepaid_fen, prepay_share):  # pragma: no cover - jitted
    """(allocation [k, n], prepaid [k, n], -1, 0.0): `month_parts` of each row i whose point
    value pv[i] is finite, zeros in a row whose is not (several months or funds in one call);
    (the parts so far, the row, its amount) at the first row with an amount without whole fen."""
    k, n = points.shape
    allocation = np.zeros((k, n), np.int64)
    prepaid = np.zeros((k, n), np.int64)
    for i in range(k):
        if not np.isfinite(pv[i]):
            continue
        a, p, amount, whole = month_parts(
            budget_fen[i], pv[i], points[i], oop[i], prepaid_fen[i], prepay_share
        )
        if not whole:
            return allocation, prepaid, i, amount
        allocation[i] = a
        prepaid[i] = p
    return allocation, prepaid, -1, 0.0
