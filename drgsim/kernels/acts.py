"""Kernels of the acts: the cases an act's draw falls on, where refused patients go, and the cases added admissions copy."""

from __future__ import annotations

import math

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


@inline
def destination(s, u_tier, u_to, tier_cdf, members, member_cdf):  # pragma: no cover - jitted
    """Where a patient refused by hospital s goes (-1: stays).

    A tier by the source's cumulative tier weights (the first above u_tier; NaN: its patients
    stay), then a hospital of that tier by cumulative volume share (the first above u_to;
    members come first, then pads of -1); a tier without members: stays.
    """
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
        if members[s, pick, m] < 0:  # the members come first, then only pads
            break
        size += 1
        if member_cdf[s, pick, m] <= u_to:
            below += 1
    if size == 0:
        return -1
    return members[s, pick, max(min(below, size - 1), 0)]


def destinations_reference(src, u_tier, u_to, tier_cdf, members, member_cdf):
    """`destination` of each patient from the rule in plain numpy: count the cumulative weights at or below
    each draw."""
    pick = np.minimum((tier_cdf[src] <= u_tier[:, None]).sum(axis=1), 2)
    size = (members[src, pick] >= 0).sum(axis=1)
    k = np.minimum((member_cdf[src, pick] <= u_to[:, None]).sum(axis=1), size - 1)
    out = members[src, pick, np.maximum(k, 0)]
    return np.where(np.isnan(tier_cdf[src, 0]) | (size == 0), -1, out)


def nth_case_of_reference(hospital, wanted, nth):
    """The row of the nth[i]-th case (from 0, in row order) of hospital wanted[i], in plain
    numpy: the rows of each hospital in row order, then index them."""
    return np.array(
        [np.flatnonzero(hospital == h)[k] for h, k in zip(wanted, nth, strict=True)],
        dtype=np.int64,
    )


def _check_added(key, count_kind, template_kind, hospital, rate):
    """Hospitals index `rate`; the draw kinds lie in the random numbers' range."""
    name = "added_rows"
    checks.shape(name, "hospital", hospital, (None,))
    checks.shape(name, "rate", rate, (None,))
    checks.index(name, "hospital", hospital, 0, rate.shape[0], "entries of rate")
    kinds = np.array([count_kind, template_kind])
    checks.index(name, "kind", kinds, 0, KINDS, "kinds of random draw")


@checks.front(_check_added)
@kernel
def added_rows(key, count_kind, template_kind, hospital, rate):  # pragma: no cover - jitted
    """The hospital of each admission an act adds and the row of the case it copies.

    Hospital h with n_h > 0 cases adds ⌊rate[h] × n_h + u_h⌋ (u_h: its draw of `count_kind`);
    added case k (numbered across hospitals in order) copies the ⌊u_k × n_h⌋-th case of its
    hospital in row order (u_k: draw k's of `template_kind`).
    """
    n_hosp = rate.shape[0]
    start = np.zeros(n_hosp + 1, np.int64)
    for h in hospital:
        start[h + 1] += 1
    extra = np.zeros(n_hosp, np.int64)
    for h in range(n_hosp):
        n_h = start[h + 1]
        if n_h > 0:
            extra[h] = np.int64(math.floor(rate[h] * n_h + uniform(key, count_kind, h, 0)))
        start[h + 1] += start[h]
    ordered = np.empty(hospital.shape[0], np.int64)  # rows by hospital, each in row order
    filled = start[:-1].copy()
    for j in range(hospital.shape[0]):
        if extra[hospital[j]] > 0:  # only the rows of hospitals that add cases are read
            ordered[filled[hospital[j]]] = j
            filled[hospital[j]] += 1
    total = 0
    for h in range(n_hosp):
        total += extra[h]
    new_h = np.empty(total, np.int64)
    rows = np.empty(total, np.int64)
    k = 0
    for h in range(n_hosp):
        n_h = start[h + 1] - start[h]
        for _ in range(extra[h]):
            pick = np.int64(math.floor(uniform(key, template_kind, k, 0) * n_h))
            new_h[k], rows[k] = h, ordered[start[h] + pick]
            k += 1
    return new_h, rows


def added_rows_reference(key, count_kind, template_kind, hospital, rate):
    """`added_rows` from the rule in plain numpy: counts per hospital, then each added case's
    template by its draw among its hospital's cases."""
    n_h = np.bincount(hospital, minlength=rate.shape[0])
    u_count = uniform_reference(int(key), count_kind, np.arange(rate.shape[0]))
    extra = np.where(n_h > 0, np.floor(rate * n_h + u_count), 0).astype(np.int64)
    new_h = np.repeat(np.arange(rate.shape[0]), extra)
    k = np.arange(new_h.size)
    pick = np.floor(uniform_reference(int(key), template_kind, k) * n_h[new_h]).astype(np.int64)
    return new_h, nth_case_of_reference(hospital, new_h, pick)
