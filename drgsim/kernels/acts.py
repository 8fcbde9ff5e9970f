"""Kernels of the acts: the cases an act's draw falls on, and where refused patients go."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import inline, kernel
from drgsim.kernels.rng import CASES, KINDS, uniform, uniform_reference


def _check(key, kind, case_id, hospital, rate, eligible):
    """Hospitals index `rate`; case ids and the draw kind lie in the random numbers' ranges."""
    name = "drawn_rows"
    checks.same_length(name, case_id.shape[0], hospital=hospital, eligible=eligible)
    checks.shape(name, "rate", rate, (None,))
    checks.index(name, "hospital", hospital, 0, rate.shape[0], "entries of rate")
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    checks.index(name, "kind", np.array([kind]), 0, KINDS, "kinds of random draw")


@checks.front(_check)
@kernel
def drawn_rows(key, kind, case_id, hospital, rate, eligible):  # pragma: no cover - jitted
    """The rows j, in order, that are eligible, whose hospital's rate is above 0 and whose
    draw 0 of `kind` for case_id[j] on the stream `key` lies below that rate."""
    n = case_id.shape[0]
    out = np.empty(n, np.int64)
    m = 0
    for j in range(n):
        r = rate[hospital[j]]
        if eligible[j] and r > 0 and uniform(key, kind, case_id[j], 0) < r:
            out[m] = j
            m += 1
    return out[:m].copy()


def drawn_rows_reference(key, kind, case_id, hospital, rate, eligible):
    """`drawn_rows` from the rule in plain numpy: draw each eligible case of a hospital with a
    rate above 0, keep those whose draw is below the rate."""
    r = rate[hospital]
    rows = np.flatnonzero(eligible & (r > 0))
    return rows[uniform_reference(int(key), kind, case_id[rows]) < r[rows]]


def _check_destinations(src, u_tier, u_to, tier_cdf, members, member_cdf):
    """Draws one per patient; sources index the tables, whose shapes agree."""
    name = "destinations"
    checks.same_length(name, src.shape[0], u_tier=u_tier, u_to=u_to)
    checks.shape(name, "tier_cdf", tier_cdf, (None, 3))
    checks.shape(name, "members", members, (tier_cdf.shape[0], 3, None))
    checks.shape(name, "member_cdf", member_cdf, members.shape)
    checks.index(name, "src", src, 0, tier_cdf.shape[0], "rows of tier_cdf")
    checks.index(name, "members", members, -1, tier_cdf.shape[0], "hospitals, -1 pads")


@checks.front(_check_destinations)
@kernel
def destinations(src, u_tier, u_to, tier_cdf, members, member_cdf):  # pragma: no cover - jitted
    """Where each patient refused by hospital src[i] goes (-1: stays).

    A tier by the source's cumulative tier weights (the first above u_tier[i]; NaN: its
    patients stay), then a hospital of that tier by cumulative volume share (the first above
    u_to[i]; members pad with -1, their shares with +inf); a tier without members: stays.
    """
    out = np.full(src.shape[0], -1, np.int64)
    for i in range(src.shape[0]):
        out[i] = destination(src[i], u_tier[i], u_to[i], tier_cdf, members, member_cdf)
    return out


@inline
def destination(s, u_tier, u_to, tier_cdf, members, member_cdf):  # pragma: no cover - jitted
    """Where one patient refused by hospital s goes (-1: stays), as `destinations` says."""
    if np.isnan(tier_cdf[s, 0]):
        return -1
    pick = 0
    for c in range(3):
        if tier_cdf[s, c] <= u_tier:
            pick += 1
    pick = min(pick, 2)
    size = 0
    below = 0
    for m in range(members.shape[2]):
        if members[s, pick, m] >= 0:
            size += 1
        if member_cdf[s, pick, m] <= u_to:
            below += 1
    if size == 0:
        return -1
    return members[s, pick, max(min(below, size - 1), 0)]


def destinations_reference(src, u_tier, u_to, tier_cdf, members, member_cdf):
    """`destinations` from the rule in plain numpy: count the cumulative weights at or below
    each draw."""
    pick = np.minimum((tier_cdf[src] <= u_tier[:, None]).sum(axis=1), 2)
    size = (members[src, pick] >= 0).sum(axis=1)
    k = np.minimum((member_cdf[src, pick] <= u_to[:, None]).sum(axis=1), size - 1)
    out = members[src, pick, np.maximum(k, 0)]
    return np.where(np.isnan(tier_cdf[src, 0]) | (size == 0), -1, out)


def nth_case_of(hospital: np.ndarray, wanted: np.ndarray, nth: np.ndarray) -> np.ndarray:
    """The row of the nth[i]-th case (from 0, in row order) of hospital wanted[i]: the checked
    front of `nth_case_rows` (it marks an nth outside its hospital's cases -1)."""
    name = "nth_case_of"
    checks.shape(name, "hospital", hospital, (None,))
    checks.same_length(name, wanted.shape[0], nth=nth)
    checks.index(name, "hospital", hospital, 0, np.iinfo(np.int32).max, "hospital numbers")
    checks.index(name, "wanted", wanted, 0, np.iinfo(np.int32).max, "hospital numbers")
    rows = nth_case_rows(hospital, wanted, nth)
    if rows.size and rows.min() < 0:
        i = int(np.argmin(rows))
        raise checks.KernelInputError(
            f"{name}: case {nth[i]} of hospital {wanted[i]} asked for; it has fewer cases"
        )
    return rows


@kernel
def nth_case_rows(hospital, wanted, nth):  # pragma: no cover - jitted
    """`nth_case_of` in one counting pass over the cases (-1 where there is no such case)."""
    n_hosp = 0
    for h in hospital:
        n_hosp = max(n_hosp, h + 1)
    start = np.zeros(n_hosp + 1, np.int64)
    for h in hospital:
        start[h + 1] += 1
    for h in range(n_hosp):
        start[h + 1] += start[h]
    rows = np.empty(hospital.shape[0], np.int64)  # rows by hospital, each in row order
    filled = start[:-1].copy()
    for j in range(hospital.shape[0]):
        rows[filled[hospital[j]]] = j
        filled[hospital[j]] += 1
    out = np.full(wanted.shape[0], -1, np.int64)
    for i in range(wanted.shape[0]):
        h, k = wanted[i], nth[i]
        if h < n_hosp and 0 <= k < start[h + 1] - start[h]:
            out[i] = rows[start[h] + k]
    return out


def nth_case_of_reference(hospital, wanted, nth):
    """`nth_case_of` in plain numpy: the rows of each hospital in row order, then index them."""
    return np.array(
        [np.flatnonzero(hospital == h)[k] for h, k in zip(wanted, nth, strict=True)],
        dtype=np.int64,
    )
