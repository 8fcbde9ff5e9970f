"""Kernel that picks the claims a hospital upcodes and the DRG each is billed at instead."""

from __future__ import annotations

import math

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.group import check_codes
from drgsim.kernels.grouping import rows_by_group
from drgsim.kernels.jit import called, inline, kernel
from drgsim.kernels.price import check_tariff, drg_thresholds, is_incomplete, points_one
from drgsim.kernels.rng import CASES, Draw, uniform

#: Columns of an upcoding options row: the billed DRG, then up to two severity levels up in
#: its ADRG, then the procedure ADRGs of its MDC (-1 where a claim has no such option).
BILLED, FIRST_LEVEL, FIRST_PROCEDURE = 0, 1, 3
_COUNT, _UPCODE = int(Draw.UPCODE_COUNT), int(Draw.UPCODE)


def _check(
    hospital,
    adrg,
    severity,
    deep,
    charges,
    discharge,
    los,
    options,
    money,
    tie,
    n_proc,
    count,
    base_pts,
    rw,
    ref_cost,
    stable,
    coef,
    *rest,
):
    """Claims' arrays have one length; they index the options table, the counts and the tariff."""
    name = "upcode_claims"
    checks.shape(name, "hospital", hospital, (None,))
    checks.same_length(
        name,
        hospital.shape[0],
        adrg=adrg,
        severity=severity,
        deep=deep,
        charges=charges,
        discharge=discharge,
        los=los,
        tie=tie,
    )
    checks.shape(name, "count", count, (None,))
    checks.same_length(name, count.shape[0], money=money, n_proc=n_proc)
    _check_tables(name, options, count.shape[0], base_pts, rw, ref_cost, stable, coef, *rest)
    checks.index(name, "hospital", hospital, 0, count.shape[0], "entries of count")
    checks.index(name, "adrg", adrg, 0, options.shape[1], "ADRGs of options")
    checks.index(name, "severity", severity, 0, options.shape[2], "levels of options")
    checks.index(name, "deep", deep, 0, 2, "one or two levels up")
    checks.finite(name, "tie", tie)


def _check_tables(name, options, n_hosp, *tariff):
    """The options table has its level columns and names the tariff's DRGs; the tariff's
    tables agree (`check_tariff`)."""
    checks.shape(name, "options", options, (2, None, None, None))
    if options.shape[3] < FIRST_PROCEDURE:
        raise checks.KernelInputError(
            f"{name}: options has {options.shape[3]} columns; expected at least {FIRST_PROCEDURE}"
        )
    check_tariff(name, n_hosp, *tariff)
    n_drg = tariff[0].shape[0]
    checks.index(name, "options", options, -1, n_drg, "the tariff's DRGs, -1 none")


@checks.front(_check)
@kernel
def upcode_claims(
    hospital,
    adrg,
    severity,
    deep,
    charges,
    discharge,
    los,
    options,
    money,
    tie,
    n_proc,
    count,
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
    """The DRG each claim is upcoded to (-1: not upcoded), from what its hospital expects.

    A claim's options are `options[deep, adrg, severity]` (-1 none; a claim whose billed DRG is
    -1 is not upcoded). Each is priced by the formulas of spec §2 (`price_one`, the tariff and
    rules after `count`) at the claim's expected `charges`; its gain is its points over the
    billed DRG's, worth `money[h]` a point to hospital h. A claim's best severity option and its
    best procedure option are the first of largest gain among their columns; a gain counts only
    above 0. Hospital h upcodes `n_proc[h]` claims by procedure (largest money gain first, ties
    by the smaller `tie`), then up to `count[h]` in all by severity level, then by procedure
    again where too few claims gain by level.
    """
    n, k = hospital.shape[0], options.shape[3]
    high = drg_thresholds(rw, band_up, band_ratio)  # each DRG's, worked out once
    up_drg = np.full(n, -1, np.int64)
    proc_drg = np.full(n, -1, np.int64)
    up_gain = np.zeros(n)
    proc_gain = np.zeros(n)
    for j in range(n):
        h = hospital[j]
        d, a, v = deep[j], adrg[j], severity[j]  # indexing the table (a view is slow)
        billed = options[d, a, v, BILLED]
        if billed < 0:
            continue
        incomplete = is_incomplete(discharge[j], los[j], incomplete_days)
        base = points_one(
            not stable[billed],
            charges[j],
            base_pts[billed],
            coef[h, billed],
            ref_cost[billed],
            high[billed],
            incomplete,
            low,
            low_uses_coef,
            high_factor,
            base_points,
            mean_cost,
            pay_ratio,
        )
        # each kind's first option of largest gain (gains compared as `gain[j, c]` would be)
        for first, last in ((FIRST_LEVEL, FIRST_PROCEDURE), (FIRST_PROCEDURE, k)):
            best, arg = -np.inf, -1
            for c in range(first, last):
                g = options[d, a, v, c]
                if g < 0:
                    continue
                gain = (
                    points_one(
                        not stable[g],
                        charges[j],
                        base_pts[g],
                        coef[h, g],
                        ref_cost[g],
                        high[g],
                        incomplete,
                        low,
                        low_uses_coef,
                        high_factor,
                        base_points,
                        mean_cost,
                        pay_ratio,
                    )
                    - base
                )
                if arg < 0 or gain > best:
                    best, arg = gain, g
            if arg >= 0 and best > 0:
                if first == FIRST_LEVEL:
                    up_drg[j], up_gain[j] = arg, best * money[h]
                else:
                    proc_drg[j], proc_gain[j] = arg, best * money[h]
    return _pick(hospital, up_drg, up_gain, proc_drg, proc_gain, tie, n_proc, count)


_upcode_claims = upcode_claims.compiled  # type: ignore[attr-defined]  # the kernel, for kernels


def _check_month(
    key,
    case_id,
    hospital,
    ungroupable,
    drg_true,
    adrg,
    severity,
    discharge,
    los,
    rate,
    deep,
    procedure_share,
    expected,
    options,
    money,
    *tariff,
):
    """Cases' arrays have one length; hospitals index the per-hospital arrays, true DRGs the
    expected charges; the claims' own checks are `upcode_claims`'."""
    name = "upcode_month"
    checks.same_length(
        name,
        case_id.shape[0],
        hospital=hospital,
        ungroupable=ungroupable,
        drg_true=drg_true,
        adrg=adrg,
        severity=severity,
        discharge=discharge,
        los=los,
    )
    n_hosp = rate.shape[0]
    checks.same_length(name, n_hosp, deep=deep, procedure_share=procedure_share, money=money)
    checks.shape(name, "expected", expected, (n_hosp, None))
    checks.index(name, "hospital", hospital, 0, n_hosp, "entries of rate")
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    checks.index(name, "drg_true", drg_true, -1, expected.shape[1], "columns of expected")
    checks.index(name, "deep", deep, 0, 2, "one or two levels up")
    check_codes(adrg, severity, ungroupable, options[0, :, :, 0], name, "ADRGs × levels of options")
    _check_tables(name, options, n_hosp, *tariff)


@checks.front(_check_month)
@kernel
def upcode_month(
    key,
    case_id,
    hospital,
    ungroupable,
    drg_true,
    adrg,
    severity,
    discharge,
    los,
    rate,
    deep,
    procedure_share,
    expected,
    options,
    money,
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
    """The DRG each case of a month is upcoded to (-1: not upcoded): `upcode_claims` of the
    groupable cases of hospitals whose rate is above 0.

    Hospital h upcodes count[h] = ⌊rate[h] × its cases + u_h⌋ claims (u_h its draw of
    UPCODE_COUNT), n_proc[h] = ⌊procedure_share[h] × count[h] + ½⌋ of them by procedure; a
    claim's expected charges are expected[h, its true DRG] (0 for none), its options one level
    up or two (deep[h] = 1), its tie draw that of UPCODE.
    """
    n, n_hosp = case_id.shape[0], rate.shape[0]
    n_claims = np.zeros(n_hosp, np.int64)
    rows = np.empty(n, np.int64)
    m = 0
    for j in range(n):
        n_claims[hospital[j]] += 1
        if rate[hospital[j]] > 0 and not ungroupable[j]:
            rows[m] = j
            m += 1
    count = np.empty(n_hosp, np.int64)
    n_proc = np.empty(n_hosp, np.int64)
    for h in range(n_hosp):
        count[h] = np.int64(math.floor(rate[h] * n_claims[h] + uniform(key, _COUNT, h, 0)))
        n_proc[h] = np.int64(math.floor(procedure_share[h] * count[h] + 0.5))
    mine = rows[:m]
    h = hospital[mine]
    charges = np.empty(m)
    tie = np.empty(m)
    deep_of = np.empty(m, np.int8)
    for i in range(m):
        j = mine[i]
        charges[i] = expected[h[i], max(drg_true[j], 0)]
        tie[i] = uniform(key, _UPCODE, case_id[j], 0)
        deep_of[i] = deep[h[i]]
    target = _upcode_claims(
        h,
        adrg[mine],
        severity[mine],
        deep_of,
        charges,
        discharge[mine],
        los[mine],
        options,
        money,
        tie,
        n_proc,
        count,
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
    out = np.full(n, -1, np.int64)
    for i in range(m):
        out[mine[i]] = target[i]
    return out


@inline
def _pick(hospital, up_drg, up_gain, proc_drg, proc_gain, tie, n_proc, count):  # pragma: no cover
    """`pick_upcodes_reference` from each claim's best option of each kind and its money gain:
    by procedure, by level, then by procedure again for what is left (see `upcode_claims`)."""
    n = hospital.shape[0]
    n_hosp = count.shape[0]
    order, start = rows_by_group(hospital, n_hosp)  # each hospital's claims, in row order
    how = np.zeros(n, np.int8)  # 0 free, 1 by procedure, 2 by level
    free = np.empty(n, np.int64)  # scratch: a hospital's free claims that gain
    keys = np.empty(n)  # scratch: their keys
    for h in range(n_hosp):
        lo, hi = start[h], start[h + 1]
        left = count[h] - _take_top(order, lo, hi, proc_gain, tie, how, n_proc[h], 1, free, keys)
        left -= _take_top(order, lo, hi, up_gain, tie, how, left, 2, free, keys)
        _take_top(order, lo, hi, proc_gain, tie, how, left, 1, free, keys)
    out = np.full(n, -1, np.int64)
    for j in range(n):
        if how[j] == 1:
            out[j] = proc_drg[j]
        elif how[j] == 2:
            out[j] = up_drg[j]
    return out


@called
def _take_top(order, lo, hi, gain, tie, how, k, mark, free, keys):  # pragma: no cover - jitted
    """Mark `mark` on the `k` free claims order[lo:hi] of largest gain above 0, ties by the
    smaller `tie`, then the earlier row (those a stable sort by that key puts first), found by
    selection, not a sort; the number marked."""
    if k <= 0:
        return 0
    m = 0
    for i in range(lo, hi):
        j = order[i]
        if how[j] == 0 and gain[j] > 0:
            free[m] = j
            m += 1
    if m <= k:
        for i in range(m):
            how[free[i]] = mark
        return m
    for i in range(m):
        keys[i] = -gain[free[i]]
    worst = -np.partition(keys[:m], k - 1)[k - 1]  # the k-th largest gain
    above = 0
    for i in range(m):
        if gain[free[i]] > worst:
            how[free[i]] = mark
            above += 1
    e = 0  # the claims of that gain, in row order, of which k - above are taken by tie
    for i in range(m):
        if gain[free[i]] == worst:
            free[e] = free[i]
            e += 1
    r = k - above
    if e > r:
        for i in range(e):
            keys[i] = tie[free[i]]
        last = np.partition(keys[:e], r - 1)[r - 1]
        for i in range(e):
            if tie[free[i]] < last:
                how[free[i]] = mark
                r -= 1
        for i in range(e):
            if r > 0 and tie[free[i]] == last:
                how[free[i]] = mark
                r -= 1
    else:
        for i in range(e):
            how[free[i]] = mark
    return k


def pick_upcodes_reference(hospital, options, gain, money, tie, n_proc, count):
    """`pick_upcodes_reference` from the rule in plain numpy: each claim's best severity and procedure
    option, then each hospital's claims of largest money gain, by procedure, by level, then by
    procedure again for what is left."""
    up_drg, up_gain = _best(options[:, FIRST_LEVEL:FIRST_PROCEDURE], gain[:, 1:FIRST_PROCEDURE])
    proc_drg, proc_gain = _best(options[:, FIRST_PROCEDURE:], gain[:, FIRST_PROCEDURE:])
    up_gain, proc_gain = up_gain * money, proc_gain * money
    n_hosp = count.shape[0]
    free = np.ones(hospital.size, dtype=bool)
    by_proc = _top(hospital, proc_gain, tie, free, n_proc)
    free &= ~by_proc
    left = count - np.bincount(hospital[by_proc], minlength=n_hosp)
    by_level = _top(hospital, up_gain, tie, free, left)
    free &= ~by_level
    left -= np.bincount(hospital[by_level], minlength=n_hosp)
    by_proc |= _top(hospital, proc_gain, tie, free, left)  # too few claims gain by level
    return np.where(by_proc, proc_drg, np.where(by_level, up_drg, -1))


def _best(options: np.ndarray, gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's option of largest gain and that gain (-1 and 0 where none gains above 0)."""
    if options.shape[1] == 0:
        return np.full(options.shape[0], -1, np.int64), np.zeros(options.shape[0])
    k = np.argmax(gain, axis=1)
    rows = np.arange(options.shape[0])
    best = gain[rows, k]
    good = best > 0
    return np.where(good, options[rows, k], -1), np.where(good, best, 0.0)


def _top(
    hospital: np.ndarray, gain: np.ndarray, tie: np.ndarray, free: np.ndarray, count: np.ndarray
) -> np.ndarray:
    """The `count[h]` free claims of each hospital h with the largest gain above 0 (ties
    broken by the draw `tie`)."""
    out = np.zeros(hospital.size, dtype=bool)
    cand = np.flatnonzero(free & (gain > 0))
    order = cand[np.lexsort((tie[cand], -gain[cand], hospital[cand]))]
    hs = hospital[order]
    rank = np.arange(order.size) - np.searchsorted(hs, hs, side="left")
    out[order[rank < count[hs]]] = True
    return out
