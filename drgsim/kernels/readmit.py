"""Kernel that finds stays followed by a readmission, in one pass over stays by admission day."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel

_MIX = np.uint64(0x9E3779B97F4A7C15)


def _check(patient, hospital, adrg, admit, day, grouped, order, *_):
    """The stays' arrays have one length and `order` indexes the stays."""
    n = patient.shape[0]
    checks.same_length(
        "earlier_stays",
        n,
        hospital=hospital,
        adrg=adrg,
        admit=admit,
        day=day,
        grouped=grouped,
        order=order,
    )
    checks.index("earlier_stays", "order", order, 0, n, "the stays")


@checks.front(_check)
@kernel
def earlier_stays(
    patient, hospital, adrg, admit, day, grouped, order, window, n_hosp, n_adrg
):  # pragma: no cover - jitted
    """Whether each stay is followed by a readmission within `window` days.

    `order` lists the stays by admission day (ties in index order); each grouped stay is
    compared with the previous stay of the same patient, hospital and ADRG, found in an
    open-addressing hash table: if it is admitted 0..window days after that stay's discharge,
    that earlier stay is flagged.
    """
    n = order.shape[0]
    # first passes, in index order: which stays belong to a patient seen twice or more (by
    # hash: a superset, exact after the keyed table below, which then holds only those)
    seen_size = 1024
    while seen_size < 4 * n:
        seen_size *= 2
    seen = np.zeros(seen_size, np.uint8)
    bucket = np.empty(n, np.int64)
    for j in range(n):
        bucket[j] = np.int64((np.uint64(patient[j]) * _MIX) >> np.uint64(20)) & (seen_size - 1)
        if grouped[j] and seen[bucket[j]] < 2:
            seen[bucket[j]] += 1
    candidate = np.zeros(n, np.bool_)
    count = 0
    for j in range(n):
        if grouped[j] and seen[bucket[j]] >= 2:
            candidate[j] = True
            count += 1
    size = 1024
    while size < 2 * count:
        size *= 2
    mask = size - 1
    keys = np.full(size, -1, np.int64)
    last = np.zeros(size, np.int64)
    out = np.zeros(n, np.bool_)
    for t in range(n):
        j = order[t]
        if not candidate[j]:
            continue
        k = (np.int64(patient[j]) * n_hosp + hospital[j]) * n_adrg + adrg[j]
        slot = np.int64((np.uint64(k) * _MIX) >> np.uint64(33)) & mask
        while keys[slot] != -1 and keys[slot] != k:
            slot = (slot + 1) & mask
        if keys[slot] == k:
            prev = last[slot]
            gap = np.int64(admit[j]) - np.int64(day[prev])
            if 0 <= gap <= window:
                out[prev] = True
        keys[slot] = k
        last[slot] = j
    return out
