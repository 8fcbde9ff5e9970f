"""Kernel of split admissions (分解住院): the stays a hospital splits in two, and how."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel
from drgsim.kernels.rng import CASES, Draw, uniform

_SPLIT, _EVADE = int(Draw.SPLIT), int(Draw.SPLIT_EVADE)
_ADRG, _SHARE = int(Draw.SPLIT_ADRG), int(Draw.SPLIT_SHARE)


def _check(
    key,
    case_id,
    hospital,
    adrg,
    ungroupable,
    los,
    admit_day,
    rate,
    evade,
    gap_days,
    other_of,
    other_cdf,
    first_day,
    year_end,
    window,
):
    """Cases' arrays have one length and index the hospitals' settings and the ADRG tables."""
    name = "split_cases"
    checks.same_length(
        name,
        case_id.shape[0],
        hospital=hospital,
        adrg=adrg,
        ungroupable=ungroupable,
        los=los,
        admit_day=admit_day,
    )
    checks.same_length(name, rate.shape[0], evade=evade, gap_days=gap_days)
    checks.shape(name, "other_of", other_of, (None, None))
    checks.shape(name, "other_cdf", other_cdf, other_of.shape)
    checks.index(name, "hospital", hospital, 0, rate.shape[0], "entries of rate")
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    if not checks.within(adrg, 0, other_of.shape[0]):  # the groupable cases' must
        grouped = adrg[~np.asarray(ungroupable, dtype=bool)]
        checks.index(name, "adrg", grouped, 0, other_of.shape[0], "rows of other_of")
    checks.index(name, "other_of", other_of, -1, other_of.shape[0], "ADRGs, -1 pads")


@checks.front(_check)
@kernel
def split_cases(
    key,
    case_id,
    hospital,
    adrg,
    ungroupable,
    los,
    admit_day,
    rate,
    evade,
    gap_days,
    other_of,
    other_cdf,
    first_day,
    year_end,
    window,
):  # pragma: no cover - jitted
    """The stays split (rows, in order) and, for each, the first stay's days, the days
    between its discharge and the second admission, the second stay's ADRG (-1: the same)
    and the first stay's share of charges.

    A groupable stay of two days or more whose first half ends on or after `first_day` is
    split when its draw of SPLIT is below its hospital's rate: the first stay takes ⌊los / 2⌋
    days. The pair evades the readmission rule when the draw of SPLIT_EVADE is below
    evade[h]: the second stay is coded to another ADRG of its MDC and type (`other_of`, the
    first whose cumulative share `other_cdf` is above the draw of SPLIT_ADRG) or, where there is
    none, admitted window + 1 days later; otherwise after gap_days[h]. A pair whose second stay
    would end after `year_end` is not split. The share is the median of draws 0–2 of
    SPLIT_SHARE (Beta(2, 2)).
    """
    n, width = case_id.shape[0], other_of.shape[1]
    rows = np.empty(n, np.int64)
    first_los = np.empty(n, np.int64)
    gap = np.empty(n, np.int64)
    other = np.empty(n, np.int64)
    share = np.empty(n)
    m = 0
    for j in range(n):
        h = hospital[j]
        r = rate[h]
        if not r > 0:
            continue
        days = np.int64(los[j])
        first = days // 2
        end = np.int64(admit_day[j]) + first
        if days < 2 or end < first_day or ungroupable[j]:
            continue
        if not uniform(key, _SPLIT, case_id[j], 0) < r:
            continue
        to = -1
        wait = np.int64(gap_days[h])
        if uniform(key, _EVADE, case_id[j], 0) < evade[h]:
            if width > 0:
                u = uniform(key, _ADRG, case_id[j], 0)
                k = 0
                for c in range(width):
                    if u >= other_cdf[adrg[j], c]:
                        k += 1
                to = other_of[adrg[j], min(k, width - 1)]
            if to < 0:
                wait = window + 1
        if end + wait + (days - first) > year_end:
            continue
        a = uniform(key, _SHARE, case_id[j], 0)
        b = uniform(key, _SHARE, case_id[j], 1)
        c = uniform(key, _SHARE, case_id[j], 2)
        rows[m], first_los[m], gap[m], other[m] = j, first, wait, to
        share[m] = max(min(a, b), min(max(a, b), c))
        m += 1
    return rows[:m].copy(), first_los[:m].copy(), gap[:m].copy(), other[:m].copy(), share[:m].copy()
