"""Kernel of patient shifting (推诿): the cases hospitals refuse where they expect a loss, and where each goes."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.acts import destination
from drgsim.kernels.group import check_codes, group_one
from drgsim.kernels.jit import kernel
from drgsim.kernels.price import check_tariff, high_threshold, is_incomplete, points_one
from drgsim.kernels.rng import CASES, Draw, uniform

_SHIFT, _TIER, _TO = int(Draw.SHIFT), int(Draw.SHIFT_TIER), int(Draw.SHIFT_TO)


def _check(
    key,
    case_id,
    hospital,
    adrg,
    severity,
    ungroupable,
    drg_true,
    cost,
    discharge,
    los,
    rate,
    threshold,
    expected,
    point_value,
    group_table,
    tier_cdf,
    members,
    member_cdf,
    high_rw,
    *tariff,
):
    """Cases' arrays have one length and index the hospitals' rates, the group table, the
    expected charges and the destination tables; the tariff's tables agree."""
    name = "shift_cases"
    n = case_id.shape[0]
    checks.same_length(
        name,
        n,
        hospital=hospital,
        adrg=adrg,
        severity=severity,
        ungroupable=ungroupable,
        drg_true=drg_true,
        cost=cost,
        discharge=discharge,
        los=los,
    )
    n_hosp = rate.shape[0]
    checks.same_length(name, n_hosp, threshold=threshold)
    checks.shape(name, "expected", expected, (n_hosp, None))
    checks.shape(name, "group_table", group_table, (None, None))
    checks.shape(name, "tier_cdf", tier_cdf, (n_hosp, 3))
    checks.shape(name, "members", members, (n_hosp, 3, None))
    checks.shape(name, "member_cdf", member_cdf, members.shape)
    checks.index(name, "hospital", hospital, 0, n_hosp, "entries of rate")
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    check_codes(adrg, severity, ungroupable, group_table, name)
    checks.index(name, "drg_true", drg_true, -1, expected.shape[1], "columns of expected")
    check_tariff(name, n_hosp, *tariff)
    checks.index(name, "group_table", group_table, -1, tariff[0].shape[0], "the tariff's DRGs")
    checks.index(name, "members", members, -1, n_hosp, "hospitals, -1 pads")


@checks.front(_check)
@kernel
def shift_cases(
    key,
    case_id,
    hospital,
    adrg,
    severity,
    ungroupable,
    drg_true,
    cost,
    discharge,
    los,
    rate,
    threshold,
    expected,
    point_value,
    group_table,
    tier_cdf,
    members,
    member_cdf,
    high_rw,
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
    """The cases refused and moved (rows, in order), the hospital each goes to, and per hospital
    the refused cases of relative weight at least `high_rw`, their charges and their points.

    A groupable case is weighed when its draw of SHIFT is below its hospital's rate: its loss is
    (expected − paid) / paid, expected = `expected[h, true DRG]` (the hospital's own charges
    record) and paid its billed DRG's formula points at those charges, a normal discharge,
    × `point_value`. It is refused when the loss is above its hospital's `threshold`, and goes
    where `destination` sends it (draws of SHIFT_TIER and SHIFT_TO); one with nowhere to go stays.
    A refused case's charges and formula points (at its own charges) are counted at the hospital
    that refused it.
    """
    n, n_hosp = case_id.shape[0], rate.shape[0]
    rows = np.empty(n, np.int64)
    targets = np.empty(n, np.int64)
    refused_high = np.zeros(n_hosp)
    saved = np.zeros(n_hosp)
    lost = np.zeros(n_hosp)
    m = 0
    for j in range(n):
        h = hospital[j]
        r = rate[h]
        if ungroupable[j] or not r > 0 or not uniform(key, _SHIFT, case_id[j], 0) < r:
            continue
        g = group_one(group_table, adrg[j], severity[j])
        charges = expected[h, max(drg_true[j], 0)]
        k = max(g, 0)
        special = g < 0 or not stable[k]
        high = high_threshold(rw[k], band_up, band_ratio)
        pay = (
            points_one(
                special,
                charges,
                base_pts[k],
                coef[h, k],
                ref_cost[k],
                high,
                False,
                low,
                low_uses_coef,
                high_factor,
                base_points,
                mean_cost,
                pay_ratio,
            )
            * point_value
        )
        if not (charges - pay) / max(pay, 1e-9) > threshold[h]:
            continue
        u_tier = uniform(key, _TIER, case_id[j], 0)
        u_to = uniform(key, _TO, case_id[j], 0)
        t = destination(h, u_tier, u_to, tier_cdf, members, member_cdf)
        if t < 0:
            continue
        if rw[k] >= high_rw:
            refused_high[h] += 1.0
        saved[h] += cost[j]
        incomplete = is_incomplete(discharge[j], los[j], incomplete_days)
        lost[h] += points_one(
            special,
            cost[j],
            base_pts[k],
            coef[h, k],
            ref_cost[k],
            high,
            incomplete,
            low,
            low_uses_coef,
            high_factor,
            base_points,
            mean_cost,
            pay_ratio,
        )
        rows[m] = j
        targets[m] = t
        m += 1
    return rows[:m].copy(), targets[:m].copy(), refused_high, saved, lost
