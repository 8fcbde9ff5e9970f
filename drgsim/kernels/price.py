"""Kernel that classifies each case (normal, low, high, special review) and prices it in points."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import inline, kernel

NORMAL, LOW, HIGH, SPECIAL = 0, 1, 2, 3
CLASS_NAMES = ("normal", "low", "high", "special")


def _check(
    hospital,
    drg,
    cost,
    discharge,
    los,
    base_pts,
    rw,
    ref_cost,
    stable,
    coef,
    band_up,
    band_ratio,
    *_,
):
    """The cases' arrays have one length; hospitals and DRGs index the tariff's tables."""
    name, n_drg = "price_cases", base_pts.shape[0]
    checks.same_length(
        name, drg.shape[0], hospital=hospital, cost=cost, discharge=discharge, los=los
    )
    checks.same_length(name, n_drg, rw=rw, ref_cost=ref_cost, stable=stable)
    checks.shape(name, "coef", coef, (None, n_drg))
    checks.shape(name, "band_up", band_up, (None,))
    checks.shape(name, "band_ratio", band_ratio, (max(band_up.shape[0], 1),))
    checks.index(name, "hospital", hospital, 0, coef.shape[0], "rows of coef")
    checks.index(name, "drg", drg, -1, n_drg, "the tariff's DRGs, -1 ungroupable")


@checks.front(_check)
@kernel
def price_cases(
    hospital,
    drg,
    cost,
    discharge,
    los,
    base_pts,
    rw,
    ref_cost,
    stable,
    coef,
    band_up,
    band_ratio,
    low,
    low_uses_coef,
    high_factor,
    base_points,
    mean_cost,
    pay_ratio,
    incomplete_days,
):  # pragma: no cover - jitted
    """Class and points of each case by spec §2, and the points special review would give.

    drg < 0 marks an ungroupable case; band_up is the increasing upper bound of relative weight
    of each high-threshold band (the last is +inf) and band_ratio its threshold H.
    """
    n = drg.shape[0]
    klass = np.empty(n, np.int8)
    points = np.empty(n, np.float64)
    special = np.empty(n, np.float64)
    for j in range(n):
        klass[j], points[j], special[j] = price_one(
            hospital[j],
            drg[j],
            cost[j],
            discharge[j],
            los[j],
            base_pts,
            rw,
            ref_cost,
            stable,
            coef,
            band_up,
            band_ratio,
            low,
            low_uses_coef,
            high_factor,
            base_points,
            mean_cost,
            pay_ratio,
            incomplete_days,
        )
    return klass, points, special


@inline
def price_one(
    hospital,
    g,
    cost,
    discharge,
    los,
    base_pts,
    rw,
    ref_cost,
    stable,
    coef,
    band_up,
    band_ratio,
    low,
    low_uses_coef,
    high_factor,
    base_points,
    mean_cost,
    pay_ratio,
    incomplete_days,
):  # pragma: no cover - jitted
    """Class, points and special-review points of one case of DRG g (spec §2)."""
    sp = base_points * cost / mean_cost * pay_ratio
    if g < 0 or not stable[g]:
        return SPECIAL, sp, sp
    bp = base_pts[g]
    k = coef[hospital, g]
    r = cost / ref_cost[g]
    b = 0
    while b < band_up.shape[0] - 1 and rw[g] > band_up[b]:
        b += 1
    h = band_ratio[b]
    incomplete = discharge != 0 and los <= incomplete_days
    if r < low or incomplete:
        return LOW, min(bp * r * (k if low_uses_coef else 1.0), bp * k), sp
    if r > h:
        return HIGH, bp * k + bp * (r - h) * high_factor, sp
    return NORMAL, bp * k, sp
