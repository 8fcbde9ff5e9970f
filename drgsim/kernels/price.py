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
        g = drg[j]
        special[j] = special_points(cost[j], base_points, mean_cost, pay_ratio)
        if g < 0 or not stable[g]:
            klass[j], points[j] = SPECIAL, special[j]
            continue
        klass[j], points[j] = price_one(
            cost[j],
            base_pts[g],
            coef[hospital[j], g],
            ref_cost[g],
            high_threshold(rw[g], band_up, band_ratio),
            is_incomplete(discharge[j], los[j], incomplete_days),
            low,
            low_uses_coef,
            high_factor,
        )
    return klass, points, special


# The rule of one case in scalar helpers: numba inlines them (a helper taking the tariff's
# arrays made the loop several times slower).


@inline
def price_one(
    cost, base_pts, coef, ref_cost, high, incomplete, low, low_uses_coef, high_factor
):  # pragma: no cover - jitted
    """Class and points by the formulas of a case of a stable DRG with these base points,
    coefficient, reference charges and high-cost threshold."""
    r = cost / ref_cost
    if r < low or incomplete:
        return LOW, min(base_pts * r * (coef if low_uses_coef else 1.0), base_pts * coef)
    if r > high:
        return HIGH, base_pts * coef + base_pts * (r - high) * high_factor
    return NORMAL, base_pts * coef


@inline
def special_points(cost, base_points, mean_cost, pay_ratio):  # pragma: no cover - jitted
    """The points special review gives a case of these charges."""
    return base_points * cost / mean_cost * pay_ratio


@inline
def high_threshold(rw, band_up, band_ratio):  # pragma: no cover - jitted
    """The high-cost threshold H of a DRG of relative weight rw: its band's (the first whose
    upper bound is at least rw)."""
    b = 0
    while b < band_up.shape[0] - 1 and rw > band_up[b]:
        b += 1
    return band_ratio[b]


@inline
def is_incomplete(discharge, los, incomplete_days):  # pragma: no cover - jitted
    """Whether a stay is incomplete: not a normal discharge, within `incomplete_days`."""
    return discharge != 0 and los <= incomplete_days
