"""Kernel that builds a Walker/Vose alias table for a discrete draw."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel


def _check(scaled):
    """The scaled weights are one-dimensional."""
    checks.shape("alias_build", "scaled", scaled, (None,))


@checks.front(_check)
@kernel
def alias_build(scaled):  # pragma: no cover - jitted
    """The alias table (acceptance probability, alias index) of weights scaled to mean 1.

    Vose's method: the entries below 1 and those at or above 1 each kept as a stack (in index
    order at first); the last small one is accepted with its scaled weight and aliased to the
    last large one, whose weight loses what the small one lacked of 1 and which goes back on
    the small or the large stack; until one stack is empty. Entries left keep probability 1.
    """
    n = scaled.shape[0]
    left = scaled.copy()
    prob = np.ones(n)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    n_small = 0
    n_large = 0
    for i in range(n):
        if left[i] < 1.0:
            small[n_small] = i
            n_small += 1
    for i in range(n):
        if left[i] >= 1.0:
            large[n_large] = i
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        s = small[n_small]
        n_large -= 1
        g = large[n_large]
        prob[s] = left[s]
        alias[s] = g
        left[g] -= 1.0 - left[s]
        if left[g] < 1.0:
            small[n_small] = g
            n_small += 1
        else:
            large[n_large] = g
            n_large += 1
    return prob, alias
