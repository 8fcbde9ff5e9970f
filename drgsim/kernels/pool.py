"""Kernel that shares the year-end pool among hospitals (the rule is `rules.settlement.pool_shares`)."""

from __future__ import annotations

import numpy as np

from drgsim.kernels.jit import kernel
from drgsim.kernels.pairwise import pairwise_sum


@kernel
def pool_exact(withheld_fen, deduction_fen, weights, fallback):  # pragma: no cover - jitted
    """(placed, exact, from_deductions) of rules.settlement.pool_shares, every float as its
    numpy rule computes it (sums in numpy's order, pairwise_sum).

    The withheld money goes by `weights`, or by `fallback` where they sum to nothing positive;
    hospital h's deduction (deduction_fen[h] > 0) goes by the first layer in which another
    hospital has a positive weight, in shares of the others' weight summed without h's.
    """
    n = weights.shape[0]
    placed = 0
    from_deductions = 0
    exact = np.zeros(n)
    owed = np.empty(n)
    todo = np.empty(n, np.bool_)
    here = np.empty(n, np.bool_)
    per = np.empty(n)
    others = np.empty(max(n - 1, 0))  # a layer's weights without one hospital's
    for i in range(n):
        owed[i] = np.float64(deduction_fen[i])
        todo[i] = owed[i] > 0
    w_done = False
    for layer in range(2):
        w = weights if layer == 0 else fallback
        left = False
        for i in range(n):
            left = left or todo[i]
        if (w_done or withheld_fen == 0) and not left:
            break  # everything placed: a further layer would add nothing
        total = pairwise_sum(w, 0, n)
        if withheld_fen != 0 and not w_done and total > 0:
            money = np.float64(withheld_fen)
            for i in range(n):
                exact[i] += money * w[i] / total
            placed += withheld_fen
            w_done = True
        positive = 0
        for i in range(n):
            if w[i] > 0:
                positive += 1
        # h's deduction can go by this layer when some other hospital has a positive weight
        moved = 0
        for i in range(n):
            here[i] = todo[i] and positive - (1 if w[i] > 0 else 0) > 0
            if here[i]:
                moved += deduction_fen[i]  # at least 1: todo means a deduction above 0
        if moved == 0:
            continue
        for i in range(n):
            per[i] = 0.0
            if here[i]:
                for j in range(i):
                    others[j] = w[j]
                for j in range(i + 1, n):
                    others[j - 1] = w[j]
                per[i] = owed[i] / pairwise_sum(others, 0, n - 1)
        spread = pairwise_sum(per, 0, n)
        for i in range(n):
            exact[i] += w[i] * (spread - per[i])
            if here[i]:
                todo[i] = False
        placed += moved
        from_deductions += moved
    return placed, exact, from_deductions
