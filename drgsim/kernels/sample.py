"""Kernel that draws an exact-size random sample of each hospital's cases in one pass."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel
from drgsim.kernels.rng import CASES, KINDS, uniform


def _check(group, case_id, size, key, kind):
    """Groups index `size`; case ids and the draw kind lie in the random numbers' ranges."""
    name = "select_per_group"
    checks.same_length(name, group.shape[0], case_id=case_id)
    checks.shape(name, "size", size, (None,))
    checks.index(name, "group", group, 0, size.shape[0], "entries of size")
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    checks.index(name, "kind", np.array([kind]), 0, KINDS, "kinds of random draw")


@checks.front(_check)
@kernel
def select_per_group(group, case_id, size, key, kind):  # pragma: no cover - jitted
    """Exactly size[g] of each group's cases, by selection sampling (Knuth's algorithm S).

    Case j is taken with probability (still to take) / (still to see) in its group, using
    draw 0 of `kind` for its case_id on the stream `key`, so the sample depends on no ordering
    other than the batch's.
    """
    n = group.shape[0]
    left = np.zeros(size.shape[0], np.int64)
    for j in range(n):
        left[group[j]] += 1
    take = size.copy()
    out = np.zeros(n, np.bool_)
    # a group's counts carried in locals while its cases come one after another (kept in
    # `left` and `take` when another group's case comes): the same decisions, without each
    # case waiting on the last one's stores (a month's claims come hospital by hospital)
    cur = -1
    to_see = to_take = 0
    for j in range(n):
        g = group[j]
        if g != cur:
            if cur >= 0:
                left[cur], take[cur] = to_see, to_take
            cur = g
            to_see, to_take = left[g], take[g]
        if to_take > 0 and uniform(key, kind, case_id[j], 0) * to_see < to_take:
            out[j] = True
            to_take -= 1
        to_see -= 1
    return out
