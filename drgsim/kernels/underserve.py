"""Kernel of under-service (服务不足): the stays whose charges a hospital cuts, and what the cuts change."""

from __future__ import annotations

import math

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.group import check_codes, group_one
from drgsim.kernels.jit import kernel
from drgsim.kernels.price import check_tariff, high_threshold, is_incomplete, points_one
from drgsim.kernels.rng import CASES, Draw, uniform

_CUT, _READMIT = int(Draw.UNDERSERVE), int(Draw.UNDERSERVE_READMIT)


def _check(
    key,
    case_id,
    hospital,
    adrg,
    severity,
    ungroupable,
    cost,
    oop,
    discharge,
    los,
    rate,
    cut,
    uplift,
    window,
    group_table,
    *tariff,
):
    """Cases' arrays have one length; they index the hospitals' settings and the group table;
    the tariff's tables agree."""
    name = "underserve_cases"
    checks.same_length(
        name,
        case_id.shape[0],
        hospital=hospital,
        adrg=adrg,
        severity=severity,
        ungroupable=ungroupable,
        cost=cost,
        oop=oop,
        discharge=discharge,
        los=los,
    )
    checks.same_length(name, rate.shape[0], cut=cut, uplift=uplift)
    checks.shape(name, "group_table", group_table, (None, None))
    checks.index(name, "hospital", hospital, 0, rate.shape[0], "entries of rate")
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    check_codes(adrg, severity, ungroupable, group_table, name)
    check_tariff(name, rate.shape[0], *tariff)
    checks.index(name, "group_table", group_table, -1, tariff[0].shape[0], "the tariff's DRGs")


@checks.front(_check)
@kernel
def underserve_cases(
    key,
    case_id,
    hospital,
    adrg,
    severity,
    ungroupable,
    cost,
    oop,
    discharge,
    los,
    rate,
    cut,
    uplift,
    window,
    group_table,
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
    """The stays cut (rows, in order), their charges and patient payments after the cut, the
    readmission gap of each (0: not readmitted), and per hospital the charges cut and the
    formula points the cuts lost.

    A stay is cut when its draw of UNDERSERVE is below its hospital's rate: charges and patient
    payment × (1 − cut[h]). It is followed by a readmission when draw 0 of UNDERSERVE_READMIT is
    below uplift[h], after 1 + ⌊draw 1 × max(window, 1)⌋ days. Points are the billed DRG's
    formula points before and after the cut.
    """
    n, n_hosp = case_id.shape[0], rate.shape[0]
    rows = np.empty(n, np.int64)
    m = 0
    for j in range(n):
        r = rate[hospital[j]]
        if r > 0 and uniform(key, _CUT, case_id[j], 0) < r:
            rows[m] = j
            m += 1
    rows = rows[:m].copy()
    new_cost = np.empty(m)
    new_oop = np.empty(m)
    gap = np.zeros(m, np.int64)
    saved = np.zeros(n_hosp)
    lost = np.zeros(n_hosp)
    for i in range(m):
        j = rows[i]
        h = hospital[j]
        if uniform(key, _READMIT, case_id[j], 0) < uplift[h]:
            gap[i] = 1 + math.floor(uniform(key, _READMIT, case_id[j], 1) * max(window, 1))
        g = -1 if ungroupable[j] else group_one(group_table, adrg[j], severity[j])
        cut_by = cost[j] * cut[h]
        new_cost[i] = cost[j] - cut_by
        new_oop[i] = oop[j] * (1.0 - cut[h])
        k = max(g, 0)
        special = g < 0 or not stable[k]
        bp, cf, rc = base_pts[k], coef[h, k], ref_cost[k]
        high = high_threshold(rw[k], band_up, band_ratio)
        incomplete = is_incomplete(discharge[j], los[j], incomplete_days)
        before = points_one(
            special,
            cost[j],
            bp,
            cf,
            rc,
            high,
            incomplete,
            low,
            low_uses_coef,
            high_factor,
            base_points,
            mean_cost,
            pay_ratio,
        )
        after = points_one(
            special,
            new_cost[i],
            bp,
            cf,
            rc,
            high,
            incomplete,
            low,
            low_uses_coef,
            high_factor,
            base_points,
            mean_cost,
            pay_ratio,
        )
        saved[h] += cut_by
        lost[h] += before - after
    return rows, new_cost, new_oop, gap, saved, lost
