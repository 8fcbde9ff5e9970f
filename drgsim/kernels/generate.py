"""Kernel that draws a month's synthetic inpatient cases from counter-based random numbers."""

from __future__ import annotations

import math

import numba
import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.group import group_one
from drgsim.kernels.jit import called, inline, parallel_kernel
from drgsim.kernels.libm import exp, exp_main, exp_outside
from drgsim.kernels.rng import Draw, normal, normal_pair, uniform

#: The kinds of draw a case is made of (rng.Draw), as plain ints for the kernel.
D_DISCHARGE, D_READMIT, D_GAP = int(Draw.DISCHARGE), int(Draw.READMIT), int(Draw.READMIT_GAP)
D_ADRG_COL, D_ADRG_ACCEPT = int(Draw.ADRG_COLUMN), int(Draw.ADRG_ACCEPT)
D_SEVERITY, D_PATIENT, D_DAY = int(Draw.SEVERITY), int(Draw.PATIENT), int(Draw.DISCHARGE_DAY)
D_STAY, D_SHORT, D_COST = int(Draw.STAY), int(Draw.SHORT_STAY), int(Draw.COST)
D_UNGROUP, D_FUND = int(Draw.UNGROUPABLE), int(Draw.FUND)
N_PARAMS = 10
#: Share of incomplete stays (transfer, death, against advice) that end within the incomplete
#: stay days, their cost scaled down with their stay (draw_stay).
SHORT_SHARE = 0.5
#: The patient-paid share of a case is its fund's mean plus noise, clipped to [0, SHARE_MAX].
SHARE_MAX = 0.95
#: Cases per piece drawn in parallel (about: a piece starts at a case that follows no stay).
CHUNK = 1024
#: Blocks of pieces of about equal numbers of cases that the threads share out.
BLOCKS = 64
#: Cases whose draws are drawn ahead in one loop (draw_ahead) before they are made.
AHEAD = 256
#: The rows of the uniforms drawn ahead (draw_ahead), one a kind.
R_DISCHARGE, R_ADRG_COL, R_ADRG_ACCEPT, R_SEVERITY, R_PATIENT = 0, 1, 2, 3, 4
R_SHORT, R_READMIT, R_DAY, R_UNGROUP = 5, 6, 7, 8
N_AHEAD_ROWS = 9


@called
def exact_factors(key, lo, hi, cost_sigma, los_sigma, cost_f, stay_f):  # pragma: no cover
    """`draw_ahead`'s cost and stay factors of cases lo … hi − 1 by the library's exp, for the
    rare runs of cases where an argument is outside exp's main path."""
    for j in range(lo, hi):
        z = normal_pair(key, D_COST, j)[0]
        cost_f[j - lo] = exp(cost_sigma * z - 0.5 * cost_sigma**2)
        stay_f[j - lo] = exp(los_sigma * normal(key, D_STAY, j) - 0.5 * los_sigma**2)


@inline
def draw_ahead(
    key,
    lo,
    hi,
    cost_sigma,
    los_sigma,
    cost_f,
    stay_f,
    share_z,
    u,
    funds,
    fund_key,
    population,
    fund_u,
):  # pragma: no cover
    """The draws of cases lo … hi − 1, case j's at [j − lo]: the lognormal factors of its cost
    (`cost_f`) and stay (`stay_f`, its STAY normal), its patient-share normal (`share_z`), its
    uniforms of the kinds in the rows of `u` (R_DISCHARGE …; every other draw the kernel makes
    where it needs it) and, with `funds` set, the FUND draw on `fund_key` of the patient its
    PATIENT draw names (`fund_u`: a first stay's fund; a readmission keeps its first stay's).

    Each is a function of its case's counters only; drawn in a loop without branches, which
    the compiler vectorises (glibc's exp by its main path, and by the library where an
    argument is off it).
    """
    off = 0
    for j in range(lo, hi):
        i = j - lo
        u[R_DISCHARGE, i] = uniform(key, D_DISCHARGE, j, 0)
        u[R_ADRG_COL, i] = uniform(key, D_ADRG_COL, j, 0)
        u[R_ADRG_ACCEPT, i] = uniform(key, D_ADRG_ACCEPT, j, 0)
        u[R_SEVERITY, i] = uniform(key, D_SEVERITY, j, 0)
        u[R_PATIENT, i] = uniform(key, D_PATIENT, j, 0)
        u[R_SHORT, i] = uniform(key, D_SHORT, j, 0)
        u[R_READMIT, i] = uniform(key, D_READMIT, j, 0)
        u[R_DAY, i] = uniform(key, D_DAY, j, 0)
        u[R_UNGROUP, i] = uniform(key, D_UNGROUP, j, 0)
        z, z_oop = normal_pair(key, D_COST, j)
        x_cost = cost_sigma * z - 0.5 * cost_sigma**2
        x_stay = los_sigma * normal(key, D_STAY, j) - 0.5 * los_sigma**2
        off += exp_outside(x_cost) | exp_outside(x_stay)
        cost_f[i] = exp_main(x_cost)
        stay_f[i] = exp_main(x_stay)
        share_z[i] = z_oop
    if off:
        exact_factors(key, lo, hi, cost_sigma, los_sigma, cost_f, stay_f)
    if funds:
        for j in range(lo, hi):
            fund_u[j - lo] = uniform(fund_key, D_FUND, int(u[R_PATIENT, j - lo] * population), 0)


@inline
def draw_stay(u_short, mean_los_g, stay_factor, dtype, short_days):  # pragma: no cover
    """Length of stay of a case and the cost scale of a short incomplete stay.

    A short incomplete stay's length is its SHORT_STAY draw's (`u_short`); every other stay's
    is lognormal around the DRG's mean: the mean × `stay_factor`, the case's lognormal factor
    (draw_ahead).
    """
    if dtype != 0 and u_short < SHORT_SHARE:
        stay = math.floor(u_short / SHORT_SHARE * (short_days + 1.0))
        return int(stay), min(1.0, (stay + 1.0) / (mean_los_g + 1.0))
    stay = max(math.floor(mean_los_g * stay_factor + 0.5), 1.0)
    return int(stay), 1.0


@inline
def discharge_type(ud, p_tr, p_de, p_ama):  # pragma: no cover
    """Discharge type of a case from its DISCHARGE draw `ud`: 0 normal, 1 transfer, 2 death,
    3 against advice."""
    if ud < p_tr:
        return 1
    if ud < p_tr + p_de:
        return 2
    if ud < p_tr + p_de + p_ama:
        return 3
    return 0


@inline
def readmission_span(
    key,
    j,
    u_dis,
    u_short,
    mean_los_g,
    stay_factor,
    short_days,
    window,
    days_in_month,
    p_tr,
    p_de,
    p_ama,
):  # pragma: no cover
    """Days from the first stay's discharge to the discharge of its readmission, case j, and
    the readmission's stay and cost scale (draw_stay, drawn as case j's: `u_dis`, `u_short`
    and `stay_factor` its DISCHARGE and SHORT_STAY draws and stay factor).

    The readmission is admitted 1 + gap days after the first discharge, gap uniform on
    0…window − 1 but short enough for both discharges to fall in the month; 0 days when the
    readmission's own stay leaves no room for that.
    """
    stay, scale = draw_stay(
        u_short, mean_los_g, stay_factor, discharge_type(u_dis, p_tr, p_de, p_ama), short_days
    )
    room = days_in_month - 2 - stay  # the largest gap that keeps the readmission in the month
    if room < 0:
        return 0, stay, scale
    gap = int(uniform(key, D_GAP, j, 0) * min(window, room + 1.0))
    return 1 + gap + stay, stay, scale


def check_inputs(
    key,
    hospital,
    hosp_tier,
    hosp_cost_level,
    patient_share,
    fund_key,
    fund_cum,
    alias_prob,
    alias_idx,
    level_prob,
    group_table,
    ref_cost,
    mean_los,
    params,
    first_day,
    days_in_month,
    population,
):
    """Hospitals, tiers, ADRGs and DRGs index their tables, which are not empty."""
    name = "generate_cases"
    n_hosp, n_drg = hosp_tier.shape[0], ref_cost.shape[0]
    checks.same_length(name, n_hosp, hosp_cost_level=hosp_cost_level)
    checks.shape(name, "fund_cum", fund_cum, (None,))
    checks.shape(name, "patient_share", patient_share, (fund_cum.shape[0], n_hosp))
    if fund_cum.shape[0] == 0 or not np.all(np.diff(fund_cum) >= 0) or fund_cum[-1] != 1.0:
        raise checks.KernelInputError(f"{name}: fund_cum must rise to 1.0 over at least one fund")
    checks.shape(name, "alias_prob", alias_prob, (None, None))
    n_tier, n_adrg = alias_prob.shape
    if n_adrg == 0 or n_drg == 0:
        raise checks.KernelInputError(f"{name}: the catalogue has no ADRG or no DRG to draw from")
    checks.shape(name, "alias_idx", alias_idx, (n_tier, n_adrg))
    checks.shape(name, "level_prob", level_prob, (n_adrg, None))
    checks.shape(name, "group_table", group_table, (n_adrg, max(level_prob.shape[1], 3)))
    checks.same_length(name, n_drg, mean_los=mean_los)
    checks.shape(name, "params", params, (N_PARAMS,))
    checks.shape(name, "hospital", hospital, (None,))
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")
    checks.index(name, "hosp_tier", hosp_tier, 0, n_tier, "rows of alias_prob")
    checks.index(name, "alias_idx", alias_idx, 0, n_adrg, "the ADRGs")
    checks.index(name, "group_table", group_table, 0, n_drg, "the DRGs")
    if days_in_month < 1 or population < 1:
        raise checks.KernelInputError(f"{name}: days_in_month and population must be at least 1")


@inline
def follow_chance(readmit_rate):  # pragma: no cover - jitted
    """The chance that a stay which is not itself a readmission is followed by one, so that
    `readmit_rate` of all stays are (2.0, always, at a rate of 1)."""
    return readmit_rate / (1.0 - readmit_rate) if readmit_rate < 1.0 else 2.0


@called
def draw_pieces(
    first_piece, last_piece, starts, ends, key, hospital, hosp_tier, hosp_cost_level,
    patient_share, fund_key, fund_cum, alias_prob, alias_idx, level_prob, group_table,
    ref_cost, mean_los, params, first_day, days_in_month, population,
    patient, adrg, severity, drg_true, cost, oop, los, admit, day, discharge, ungroupable, fund,
):  # fmt: skip  # pragma: no cover - jitted
    """The cases of pieces first_piece … last_piece − 1 of `generate_cases`, written into its
    arrays (piece p: cases starts[p] … starts[p + 1] − 1 of a run ending at ends[p])."""
    cost_sigma, los_sigma, oop_sd = params[0], params[1], params[2]
    p_tr, p_de, p_ama, short_days = params[3], params[4], params[5], params[6]
    readmit_rate, window, ungroup_rate = params[7], params[8], params[9]
    n_adrg, n_level = alias_prob.shape[1], level_prob.shape[1]
    n_fund = fund_cum.shape[0]
    follow = follow_chance(readmit_rate)
    cost_f = np.empty(AHEAD + 1, np.float64)  # case j's draws at [j − j0] (draw_ahead)
    stay_f = np.empty(AHEAD + 1, np.float64)
    share_z = np.empty(AHEAD + 1, np.float64)
    u = np.empty((N_AHEAD_ROWS, AHEAD + 1), np.float64)
    fund_u = np.empty(AHEAD + 1, np.float64)
    for piece in range(first_piece, last_piece):
        end = ends[piece]
        stop = starts[piece + 1]
        span = 0  # days from the previous case's discharge to this one's, if it readmits it
        next_stay, next_scale = 0, 1.0  # that readmission's stay, drawn with the span
        for j0 in range(starts[piece], stop, AHEAD):
            j1 = min(j0 + AHEAD, stop)
            # and the case after j1 − 1 in its run, whose stay a readmission draws ahead
            draw_ahead(
                key, j0, min(j1 + 1, end), cost_sigma, los_sigma, cost_f, stay_f, share_z, u,
                n_fund > 1, fund_key, population, fund_u,
            )  # fmt: skip
            for j in range(j0, j1):
                # every array indexed by unsigned numbers: no code for a negative
                # index counted from the end (13% of the kernel's time)
                ju = np.uint64(j)
                h = hospital[ju]
                iu = np.uint64(j - j0)
                iu1 = iu + np.uint64(1)
                jm = ju - np.uint64(1)
                dtype = discharge_type(u[R_DISCHARGE, iu], p_tr, p_de, p_ama)
                readmitted = span > 0
                if readmitted:  # the readmission of case j − 1
                    a = adrg[jm]
                    s = severity[jm]
                    pid = patient[jm]
                    g = drg_true[jm]
                    stay, scale = next_stay, next_scale  # case j's draw_stay, drawn before
                    d = day[jm] + span
                    span = 0
                else:
                    t = np.uint64(hosp_tier[np.uint64(h)])
                    col = np.uint64(u[R_ADRG_COL, iu] * n_adrg)
                    alt = alias_idx[t, col]  # read either way: a select, not a branch
                    a = alt if u[R_ADRG_ACCEPT, iu] >= alias_prob[t, col] else col
                    # levels MCC, CC, none, then the ADRG's local suffixes (rules.catalogue):
                    # the first whose running total exceeds the draw, else none (the least
                    # such k, by selects rather than an early exit); the three national
                    # levels alone written out (8 % of the kernel's time: no loop)
                    us = u[R_SEVERITY, iu]
                    au = np.uint64(a)
                    if n_level == 3:
                        acc0 = 0.0 + level_prob[au, 0]
                        acc1 = acc0 + level_prob[au, 1]
                        s = 0 if us < acc0 else (1 if us < acc1 else 2)
                    else:
                        acc = 0.0
                        first = n_level
                        for k in range(n_level):
                            acc += level_prob[au, k]
                            first = min(first, k if us < acc else n_level)
                        s = first if first < n_level else 2
                    pid = int(u[R_PATIENT, iu] * population)
                    g = group_one(group_table, au, np.uint64(s))
                    stay, scale = draw_stay(
                        u[R_SHORT, iu], mean_los[np.uint64(g)], stay_f[iu], dtype, short_days
                    )
                    if j + 1 < end and u[R_READMIT, iu1] < follow:
                        span, next_stay, next_scale = readmission_span(
                            key, j + 1, u[R_DISCHARGE, iu1], u[R_SHORT, iu1],
                            mean_los[np.uint64(g)], stay_f[iu1], short_days, window,
                            days_in_month, p_tr, p_de, p_ama,
                        )  # fmt: skip
                    d = first_day + int(u[R_DAY, iu] * (days_in_month - span))
                c = ref_cost[np.uint64(g)] * hosp_cost_level[np.uint64(h)] * scale * cost_f[iu]
                f = 0
                if n_fund > 1 and readmitted:  # the first stay's patient, so its fund
                    f = fund[jm]
                elif n_fund > 1:  # the FUND draw of the patient (draw_ahead)
                    # the first fund whose edge exceeds the draw (the edges rise: count
                    # those ≤ it)
                    for edge in range(n_fund - 1):
                        f += fund_u[iu] >= fund_cum[np.uint64(edge)]
                share = patient_share[np.uint64(f), np.uint64(h)] + oop_sd * share_z[iu]
                share = min(max(share, 0.0), SHARE_MAX)
                patient[ju] = pid
                adrg[ju] = a
                severity[ju] = s
                drg_true[ju] = g
                cost[ju] = c
                oop[ju] = c * share
                los[ju] = stay
                day[ju] = d
                admit[ju] = d - stay
                discharge[ju] = dtype
                ungroupable[ju] = u[R_UNGROUP, iu] < ungroup_rate
                fund[ju] = f


@checks.front(check_inputs)
@parallel_kernel
def generate_cases(
    key,
    hospital,
    hosp_tier,
    hosp_cost_level,
    patient_share,
    fund_key,
    fund_cum,
    alias_prob,
    alias_idx,
    level_prob,
    group_table,
    ref_cost,
    mean_los,
    params,
    first_day,
    days_in_month,
    population,
):  # pragma: no cover - jitted
    """Draw one month's cases for the given hospital of each case; returns the case arrays.

    A patient's fund is a draw of the patient's number on `fund_key` against the funds' upper
    edges `fund_cum`; the patient-paid share's mean is `patient_share[fund, hospital]`.

    params = [cost_sigma, los_sigma, oop_sd, p_transfer, p_death, p_against_advice,
              short_days, readmit_rate, window_days, ungroupable_rate].
    A case that is not itself a readmission is followed by the next case of its hospital as
    its readmission (same patient and DRG, admitted 1…window days after its discharge, both
    discharged in the month) with probability readmit_rate / (1 − readmit_rate), so that
    readmit_rate of all stays are followed by a readmission (at most every other stay).
    Case j's draws are draws of its position j in the batch, one kind (rng.Draw) per quantity.
    Pieces of the hospitals' runs are drawn in parallel; each case's draws are its own, so
    the cases do not depend on the thread count.
    """
    n = hospital.shape[0]
    patient = np.empty(n, np.int64)
    adrg = np.empty(n, np.int16)
    severity = np.empty(n, np.int8)
    drg_true = np.empty(n, np.int16)
    cost = np.empty(n, np.float64)
    oop = np.empty(n, np.float64)
    los = np.empty(n, np.int16)
    admit = np.empty(n, np.int16)
    day = np.empty(n, np.int16)
    discharge = np.empty(n, np.int8)
    ungroupable = np.empty(n, np.bool_)
    fund = np.empty(n, np.int8)
    follow = follow_chance(params[7])
    # each hospital's run of cases is drawn in order (a readmission follows its first stay),
    # cut into pieces of about CHUNK cases, each starting at a case whose READMIT draw says it
    # follows no stay: pieces are drawn in parallel, every case as in one pass over the run
    starts = np.empty(n + 1, np.int64)  # first case of each piece
    ends = np.empty(n + 1, np.int64)  # end of its hospital's run
    n_piece = 0
    run_start = 0
    while run_start < n:
        run_end = run_start + 1
        while run_end < n and hospital[run_end] == hospital[run_start]:
            run_end += 1
        starts[n_piece] = run_start
        ends[n_piece] = run_end
        n_piece += 1
        cut = run_start + CHUNK
        while cut < run_end:
            if uniform(key, D_READMIT, cut, 0) >= follow:
                starts[n_piece] = cut
                ends[n_piece] = run_end
                n_piece += 1
                cut += CHUNK
            else:
                cut += 1
        run_start = run_end
    starts[n_piece] = n
    # pieces grouped in blocks of about n / n_block cases (block b: the pieces that start from
    # case b × n / n_block on), which the threads share out: a month is a few long runs of big
    # hospitals and many short ones, so equal numbers of pieces are not equal work
    n_block = min(n_piece, BLOCKS)
    block_start = np.empty(n_block + 1, np.int64)
    for b in range(n_block):
        block_start[b] = np.searchsorted(starts[:n_piece], b * n // n_block)
    block_start[n_block] = n_piece
    cases = (patient, adrg, severity, drg_true, cost, oop, los, admit, day, discharge,
             ungroupable, fund)  # fmt: skip
    for block in numba.prange(n_block):
        # the block's pieces drawn by a function of their own, not in this loop's body: numba's
        # parallel passes over the body inlined here took 35 s of a first run's compiling
        draw_pieces(
            block_start[block], block_start[block + 1], starts, ends, key, hospital, hosp_tier,
            hosp_cost_level, patient_share, fund_key, fund_cum, alias_prob, alias_idx,
            level_prob, group_table, ref_cost, mean_los, params, first_day, days_in_month,
            population, *cases,
        )  # fmt: skip
    return cases
