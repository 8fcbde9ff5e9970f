"""Kernels that classify each case (normal, low, high, special review) and price it in points."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import inline, kernel

NORMAL, LOW, HIGH, SPECIAL = 0, 1, 2, 3
CLASS_NAMES = ("normal", "low", "high", "special")
#: A claim's standing in special review (the case table's `special` column).
SPECIAL_STATUS = ("none", "automatic", "approved", "rejected")
NOT_SPECIAL, AUTOMATIC, APPROVED, REJECTED = range(4)


def _check(hospital, drg, cost, discharge, los, base_pts, rw, ref_cost, stable, coef, *rest):
    """The cases' arrays have one length; hospitals and DRGs index the tariff's tables."""
    _check_tables("price_cases", drg, cost, discharge, los, base_pts, rw, ref_cost, stable, *rest)
    checks.same_length("price_cases", drg.shape[0], hospital=hospital)
    checks.shape("price_cases", "coef", coef, (None, base_pts.shape[0]))
    checks.index("price_cases", "hospital", hospital, 0, coef.shape[0], "rows of coef")


def _check_tables(name, drg, cost, discharge, los, base_pts, rw, ref_cost, stable, *rest):
    """The cases' arrays have one length; DRGs index the tariff's tables; bands are paired."""
    band_up, band_ratio = rest[0], rest[1]
    n_drg = base_pts.shape[0]
    checks.same_length(name, drg.shape[0], cost=cost, discharge=discharge, los=los)
    checks.same_length(name, n_drg, rw=rw, ref_cost=ref_cost, stable=stable)
    checks.shape(name, "band_up", band_up, (None,))
    checks.shape(name, "band_ratio", band_ratio, (max(band_up.shape[0], 1),))
    checks.index(name, "drg", drg, -1, n_drg, "the tariff's DRGs, -1 ungroupable")


def check_tariff(name, n_hosp, base_pts, rw, ref_cost, stable, coef, band_up, band_ratio, *_):
    """The tariff's tables agree: one entry per DRG, a coefficient per hospital and DRG, the
    bands paired (the checks of a kernel that prices cases from `tariff_and_rules`)."""
    checks.same_length(name, base_pts.shape[0], rw=rw, ref_cost=ref_cost, stable=stable)
    checks.shape(name, "coef", coef, (n_hosp, base_pts.shape[0]))
    checks.shape(name, "band_up", band_up, (None,))
    checks.shape(name, "band_ratio", band_ratio, (max(band_up.shape[0], 1),))


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
    high = drg_thresholds(rw, band_up, band_ratio)
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
            high[g],
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
def points_one(
    special,
    cost,
    base_pts,
    coef,
    ref_cost,
    high,
    incomplete,
    low,
    low_uses_coef,
    high_factor,
    base_points,
    mean_cost,
    pay_ratio,
):  # pragma: no cover - jitted
    """Points of one case by the formulas of spec §2, from its DRG's figures (`special`: the
    DRG is unstable or the case ungroupable, priced as special review prices it): what
    `price_cases` gives it. Scalars only: the caller reads the tables (see above)."""
    if special:
        return special_points(cost, base_points, mean_cost, pay_ratio)
    return price_one(
        cost, base_pts, coef, ref_cost, high, incomplete, low, low_uses_coef, high_factor
    )[1]


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
def drg_thresholds(rw, band_up, band_ratio):  # pragma: no cover - jitted
    """Each DRG's high-cost threshold (`high_threshold` of its relative weight)."""
    out = np.empty(rw.shape[0])
    for g in range(rw.shape[0]):
        out[g] = high_threshold(rw[g], band_up, band_ratio)
    return out


@inline
def is_incomplete(discharge, los, incomplete_days):  # pragma: no cover - jitted
    """Whether a stay is incomplete: not a normal discharge, within `incomplete_days`."""
    return discharge != 0 and los <= incomplete_days


def _check_claims(hospital, drg, cost, discharge, los, base_pts, rw, ref_cost, stable, coef, *rest):
    """price_cases' checks, the hospitals indexing both coef and the `n_hosp` counts."""
    _check_tables("price_claims", drg, cost, discharge, los, base_pts, rw, ref_cost, stable, *rest)
    checks.same_length("price_claims", drg.shape[0], hospital=hospital)
    checks.shape("price_claims", "coef", coef, (None, base_pts.shape[0]))
    n_hosp = min(coef.shape[0], rest[-1])
    checks.index("price_claims", "hospital", hospital, 0, n_hosp, "rows of coef and the hospitals")


@checks.front(_check_claims)
@kernel
def price_claims(
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
    min_ratio,
    n_hosp,
):  # pragma: no cover - jitted
    """`price_cases` and what a hospital's nominations for special review start from.

    Besides class, points and special-review points: each claim's standing (AUTOMATIC for a
    special-class claim, else NOT_SPECIAL), the claims of each hospital, and the eligible
    claims (indices, increasing) with their gains: formula-priced, grouped, with charges
    ≥ min_ratio × ā_g, whose special-review points exceed their formula points by gain > 0.
    """
    n = drg.shape[0]
    klass = np.empty(n, np.int8)
    points = np.empty(n, np.float64)
    special = np.empty(n, np.float64)
    status = np.empty(n, np.int8)
    claims = np.zeros(n_hosp, np.int64)
    eligible = np.empty(n, np.int64)
    gain = np.empty(n, np.float64)
    high = drg_thresholds(rw, band_up, band_ratio)
    k = 0
    for j in range(n):  # price_cases' loop, each claim's standing and gain added
        h, g = hospital[j], drg[j]
        claims[h] += 1
        sp = special_points(cost[j], base_points, mean_cost, pay_ratio)
        special[j] = sp
        if g < 0 or not stable[g]:
            klass[j], points[j], status[j] = SPECIAL, sp, AUTOMATIC
            continue
        c, pts = price_one(
            cost[j],
            base_pts[g],
            coef[h, g],
            ref_cost[g],
            high[g],
            is_incomplete(discharge[j], los[j], incomplete_days),
            low,
            low_uses_coef,
            high_factor,
        )
        klass[j], points[j], status[j] = c, pts, NOT_SPECIAL
        if cost[j] >= min_ratio * ref_cost[g]:
            d = sp - pts
            if d > 0:
                eligible[k] = j
                gain[k] = d
                k += 1
    return klass, points, special, status, claims, eligible[:k].copy(), gain[:k].copy()
