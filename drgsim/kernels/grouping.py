"""Helpers that kernels inline to group rows by a small integer key: a counting sort, and the
keys present numbered in order."""

from __future__ import annotations

import numpy as np

from drgsim.kernels.jit import inline


@inline
def rows_by_group(group, n_groups):  # pragma: no cover - jitted
    """(order, begins): the rows by group, each group's in their order (a counting sort), and
    where each group's rows begin in `order` (begins[g] … begins[g + 1] − 1)."""
    begins = np.zeros(n_groups + 1, np.int64)
    for i in range(group.shape[0]):
        begins[group[i] + 1] += 1
    for g in range(n_groups):
        begins[g + 1] += begins[g]
    filled = begins[:-1].copy()
    order = np.empty(group.shape[0], np.int64)
    for i in range(group.shape[0]):
        order[filled[group[i]]] = i
        filled[group[i]] += 1
    return order, begins


@inline
def number_marked(slot, outer, out_outer, out_inner, k):  # pragma: no cover - jitted
    """Give each entry of `slot` marked -2 the next number from `k` on, in order, noting
    `outer` and the entry's index at that number in `out_outer` and `out_inner`; the next k."""
    for g in range(slot.shape[0]):
        if slot[g] == -2:
            slot[g] = k
            out_outer[np.uint64(k)] = outer  # (unsigned: no code for a negative index)
            out_inner[np.uint64(k)] = g
            k += 1
    return k
