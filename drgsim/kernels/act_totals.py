"""Kernel that totals, per act and hospital, what each act's claims brought (for adaptation)."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel

#: How an act's gain is totalled (the `kinds` codes): net points, net points and charges,
#: upcoded points over the true DRG's, net points less what the first stays of splits lose.
KINDS = ("net_points", "net_points_less_cost", "upcoded_points", "split_stays")
NET, NET_LESS_COST, UPCODED, SPLIT = range(len(KINDS))


def _check(hospital, acts, bits, kinds, final, deducted, true_points, points, cost, firsts, n_hosp):
    """Claims' arrays have one length, acts' arrays another; hospitals lie below n_hosp."""
    name = "act_totals"
    n = np.shape(hospital)[0]
    checks.same_length(
        name,
        n,
        acts=acts,
        final=final,
        deducted=deducted,
        true_points=true_points,
        points=points,
        cost=cost,
        firsts=firsts,
    )
    checks.same_length(name, np.shape(bits)[0], kinds=kinds)
    checks.index(name, "hospital", hospital, 0, n_hosp, "hospitals")
    checks.index(name, "kinds", kinds, 0, len(KINDS), "kinds of gain")


@checks.front(_check)
@kernel
def act_totals(
    hospital, acts, bits, kinds, final, deducted, true_points, points, cost, firsts, n_hosp
):  # pragma: no cover - jitted
    """Per act a (its bit bits[a], its kind kinds[a]) and hospital: the sum over the claims
    carrying the act of final − deducted points (UPCODED: final − true − deducted), the sum of
    their charges (NET_LESS_COST), and for SPLIT the sum of points − final over the `firsts`
    claims; each sum in claim order."""
    n_act = bits.shape[0]
    gain = np.zeros((n_act, n_hosp))
    charges = np.zeros((n_act, n_hosp))
    lost = np.zeros((n_act, n_hosp))
    for j in range(hospital.shape[0]):
        if acts[j] == 0 and not firsts[j]:  # most claims: nothing to add
            continue
        h = hospital[j]
        for a in range(n_act):
            if kinds[a] == SPLIT and firsts[j]:
                lost[a, h] += points[j] - final[j]
            if acts[j] & bits[a] == 0:
                continue
            if kinds[a] == UPCODED:
                gain[a, h] += final[j] - true_points[j] - deducted[j]
            else:
                gain[a, h] += final[j] - deducted[j]
            if kinds[a] == NET_LESS_COST:
                charges[a, h] += cost[j]
    return gain, charges, lost


def act_totals_reference(
    hospital, acts, bits, kinds, final, deducted, true_points, points, cost, firsts, n_hosp
):
    """`act_totals` by the rule in plain numpy: one weighted bincount per act and sum."""
    n_act = len(bits)
    gain, charges, lost = (np.zeros((n_act, n_hosp)) for _ in range(3))

    def total(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.bincount(hospital[mask], weights=values[mask], minlength=n_hosp)

    for a in range(n_act):
        mine = (acts & bits[a]) != 0
        upcoded = kinds[a] == UPCODED
        gain[a] = total(mine, final - true_points - deducted if upcoded else final - deducted)
        if kinds[a] == NET_LESS_COST:
            charges[a] = total(mine, cost)
        if kinds[a] == SPLIT:
            lost[a] = total(firsts, points - final)
    return gain, charges, lost


def _check_firsts(case_id, acts, origin_id, origin_act, bit):
    """The cases' arrays have one length."""
    checks.same_length(
        "split_firsts", np.shape(case_id)[0], acts=acts, origin_id=origin_id, origin_act=origin_act
    )


@checks.front(_check_firsts)
@kernel
def split_firsts(case_id, acts, origin_id, origin_act, bit):  # pragma: no cover - jitted
    """Whether each case is a first stay of a split among these cases: its id is the origin of a
    stay the split made (`bit` in its acts and as its origin act), and it is not such a stay."""
    n = case_id.shape[0]
    out = np.zeros(n, np.bool_)
    made = np.empty(n, np.bool_)  # each case whether it is a stay the split made
    origins = np.empty(n, np.int64)  # their origins, in row order
    m = 0
    for j in range(n):
        made[j] = (acts[j] & bit) != 0 and origin_act[j] == bit
        origins[m] = origin_id[j]
        m += made[j]
    if m == 0:
        return out
    pool = origins[:m]
    ascending = True
    for j in range(1, n):
        if case_id[j] <= case_id[j - 1]:
            ascending = False
            break
    if ascending:  # a month's case ids, in order: each origin found among them
        for p in pool:
            at = np.searchsorted(case_id, p)
            if at < n and case_id[at] == p:
                out[at] = True
    else:
        pool.sort()
        for j in range(n):
            at = np.searchsorted(pool, case_id[j])
            out[j] = at < m and pool[at] == case_id[j]
    for j in range(n):
        out[j] = out[j] and not made[j]
    return out


def split_firsts_reference(case_id, acts, origin_id, origin_act, bit):
    """`split_firsts` by the rule in plain numpy: the stays the split made, their origins, isin."""
    made = ((acts & bit) != 0) & (origin_act == bit)
    return np.isin(case_id, origin_id[made]) & ~made
