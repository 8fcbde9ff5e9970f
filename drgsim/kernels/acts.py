"""Kernel that picks the cases an act's draw falls on: one pass instead of a draw per case."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel
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
