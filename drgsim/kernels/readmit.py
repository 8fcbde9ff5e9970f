"""Kernels that find the stays followed by a readmission, pair by pair in each patient, hospital and ADRG."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.grouping import rows_by_group
from drgsim.kernels.hints import prefetch
from drgsim.kernels.jit import inline, kernel

_MIX = np.uint64(0x9E3779B97F4A7C15)
#: Stays ahead of the one marked or tested whose bitmap word is fetched into the caches: the
#: bitmap of a big month (megabytes, read at random) outgrows the core's own cache.
FETCH_AHEAD = 64


@inline
def _key_hash(patient, hospital, adrg):  # pragma: no cover - jitted
    """A stay's patient, hospital and ADRG mixed into 64 bits (its top bits spread best)."""
    mixed = (np.uint64(patient) * _MIX) ^ (np.uint64(hospital) << np.uint64(40))
    return (mixed ^ np.uint64(adrg)) * _MIX


def _check_keys(patient, hospital, adrg):
    """The stays' arrays have one length."""
    checks.same_length("stay_keys", patient.shape[0], hospital=hospital, adrg=adrg)


@checks.front(_check_keys)
@kernel
def stay_keys(patient, hospital, adrg):  # pragma: no cover - jitted
    """Each stay's patient, hospital and ADRG hashed into 64 bits, as `window_readmissions`
    takes the earlier months' stays."""
    out = np.empty(patient.shape[0], np.uint64)
    for j in range(patient.shape[0]):
        out[j] = _key_hash(patient[j], hospital[j], adrg[j])
    return out


@inline
def _flag_earlier(patient, hospital, adrg, admit, day, later, window):  # pragma: no cover
    """The readmission rule (spec §2) on stays taken by admission day, ties in their order
    here: a stay is flagged when a stay of the same patient, hospital and ADRG after it, one
    that `later` allows as a readmission, is admitted 0..window days after its discharge.
    Stays of a key are found by an open-addressing table and taken key by key."""
    k = patient.shape[0]
    hit = np.zeros(k, np.bool_)
    if k < 2:
        return hit
    # the stays by admission day, ties in their order
    lo, hi = admit[0], admit[0]
    for t in range(k):
        lo = min(lo, admit[t])
        hi = max(hi, admit[t])
    order, _ = rows_by_group(admit - lo, hi - lo + 1)
    size = 1024
    while size < 2 * k:
        size *= 2
    umask = np.uint64(size - 1)
    first = np.full(size, -1, np.int64)  # a key's first stay in `order`, at the key's slot
    group = np.empty(k, np.int64)  # each stay's key, numbered in order of its first stay
    n_group = 0
    for i in range(k):
        t = np.uint64(order[i])
        slot = (_key_hash(patient[t], hospital[t], adrg[t]) >> np.uint64(33)) & umask
        while first[slot] != -1:
            q = np.uint64(first[slot])
            if patient[q] == patient[t] and hospital[q] == hospital[t] and adrg[q] == adrg[t]:
                break
            slot = (slot + np.uint64(1)) & umask
        if first[slot] == -1:
            first[slot] = t
            group[t] = n_group
            n_group += 1
        else:
            group[t] = group[np.uint64(first[slot])]
    # the stays key by key, each key's in `order`
    at_key, start = rows_by_group(group[order], n_group)
    by_key = order[at_key]
    # each stay against the stays after it, up to the first admitted after its window closes
    for g in range(n_group):
        for p in range(start[g], start[g + 1]):
            e = np.uint64(by_key[p])
            for q in range(p + 1, start[g + 1]):
                t = np.uint64(by_key[q])
                gap = admit[t] - day[e]
                if gap > window:
                    break
                if gap >= 0 and later[t]:
                    hit[e] = True
                    break
    return hit


def _check(patient, hospital, adrg, admit, day, grouped, window):
    """The stays' arrays have one length."""
    checks.same_length(
        "earlier_stays",
        patient.shape[0],
        hospital=hospital,
        adrg=adrg,
        admit=admit,
        day=day,
        grouped=grouped,
    )


@checks.front(_check)
@kernel
def earlier_stays(
    patient, hospital, adrg, admit, day, grouped, window
):  # pragma: no cover - jitted
    """Whether each stay is followed by a readmission within `window` days.

    A grouped stay is flagged when a later grouped stay of the same patient, hospital and ADRG
    (by admission day, ties in index order) is admitted 0..window days after its discharge,
    whether or not other stays of the key lie between or overlap them.
    """
    n = patient.shape[0]
    out = np.zeros(n, np.bool_)
    if n == 0:
        return out
    # first passes, in index order: which stays belong to a patient, hospital and ADRG seen
    # twice or more (by hash: a superset, exact after the keyed table below, which then holds
    # only those)
    seen_size = 1024
    while seen_size < 4 * n:
        seen_size *= 2
    seen = np.zeros(seen_size, np.uint8)
    bucket = np.empty(n, np.int64)
    for j in range(n):
        mixed = _key_hash(patient[j], hospital[j], adrg[j])
        bucket[j] = np.int64(mixed >> np.uint64(20)) & (seen_size - 1)
        if grouped[j] and seen[bucket[j]] < 2:
            seen[bucket[j]] += 1
    candidates = np.empty(n, np.int64)
    count = 0
    for j in range(n):
        if grouped[j] and seen[bucket[j]] >= 2:
            candidates[count] = j
            count += 1
    if count == 0:
        return out
    c_patient = np.empty(count, np.int64)
    c_hospital = np.empty(count, np.int64)
    c_adrg = np.empty(count, np.int64)
    c_admit = np.empty(count, np.int64)
    c_day = np.empty(count, np.int64)
    for t in range(count):
        j = candidates[t]
        c_patient[t], c_hospital[t], c_adrg[t] = patient[j], hospital[j], adrg[j]
        c_admit[t], c_day[t] = admit[j], day[j]
    every = np.ones(count, np.bool_)
    hit = _flag_earlier(c_patient, c_hospital, c_adrg, c_admit, c_day, every, window)
    for t in range(count):
        if hit[t]:
            out[candidates[t]] = True
    return out


def bitmap_bits(n_stays: int) -> int:
    """log2 of the readmission window's bitmap size for a month of `n_stays`: about 32 slots a
    stay for up to a million stays (at most 8 MiB), 16 beyond (half the memory), at least
    2**16 slots.

    The size sets how many earlier stays of other keys share a slot with the month's stays,
    so how many the kernel compares, never what it flags (only the month's stays are later
    stays): a Shanwei month (25,000 stays, 2**20 slots) took 10 % less time than with 16
    slots a stay."""
    per_stay = 32 if n_stays <= 1_000_000 else 16
    return max(16, int(per_stay * n_stays).bit_length())


def _check_window(
    patient, hospital, adrg, admit, day, drg, exempt, window, size_bits,
    prior_key, prior_patient, prior_hospital, prior_adrg, prior_admit, prior_day, prior_drg,
):  # fmt: skip
    """The month's and each earlier month's stays have one length; ADRGs index `exempt`."""
    name = "window_readmissions"
    checks.same_length(
        name, patient.shape[0], hospital=hospital, adrg=adrg, admit=admit, day=day, drg=drg
    )
    n_prior = len(prior_patient)
    for what, columns in (
        ("prior_key", prior_key),
        ("prior_hospital", prior_hospital),
        ("prior_adrg", prior_adrg),
        ("prior_admit", prior_admit),
        ("prior_day", prior_day),
        ("prior_drg", prior_drg),
    ):
        if len(columns) != n_prior:
            raise checks.KernelInputError(
                f"{name}: {what} holds {len(columns)} months; expected {n_prior}"
            )
    for b in range(n_prior):
        checks.same_length(
            name,
            prior_patient[b].shape[0],
            **{
                f"prior_key[{b}]": prior_key[b],
                f"prior_hospital[{b}]": prior_hospital[b],
                f"prior_adrg[{b}]": prior_adrg[b],
                f"prior_admit[{b}]": prior_admit[b],
                f"prior_day[{b}]": prior_day[b],
                f"prior_drg[{b}]": prior_drg[b],
            },
        )
        checks.index(name, f"prior_adrg[{b}]", prior_adrg[b], 0, exempt.shape[0], "the ADRGs")
        if not np.array_equal(
            prior_key[b], stay_keys(prior_patient[b], prior_hospital[b], prior_adrg[b])
        ):
            raise checks.KernelInputError(
                f"{name}: prior_key[{b}] is not stay_keys of that month's stays"
            )
    checks.index(name, "adrg", adrg, 0, exempt.shape[0], "the ADRGs")
    if not 1 <= size_bits <= 63:
        raise checks.KernelInputError(f"{name}: size_bits {size_bits}; allowed 1 … 63")


@checks.front(_check_window)
@kernel
def window_readmissions(
    patient, hospital, adrg, admit, day, drg, exempt, window, size_bits,
    prior_key, prior_patient, prior_hospital, prior_adrg, prior_admit, prior_day, prior_drg,
):  # fmt: skip  # pragma: no cover - jitted
    """A month's readmissions against itself and the earlier months of the window, in one call.

    The pool of stays is every earlier month's stays (the tuples `prior_*`, in order, with
    `prior_key` their `stay_keys`) that were discharged on or after the month's first
    admission day less `window` and whose key's slot is marked in the month's bitmap
    (2**size_bits slots: the top size_bits bits of a stay's key; a superset of the stays of
    the month's patients, hospitals and ADRGs), then the month's own stays. Among the pool's
    grouped stays (drg ≥ 0, ADRG not `exempt`) taken by admission day, ties in pool order, a
    stay is flagged when a later stay of the month of the same patient, hospital and ADRG is
    admitted 0..window days after its discharge (`earlier_stays`' rule with the later stay in
    the month). The pool holds every
    earlier stay such a later stay can flag, so the result is that of all the earlier months'
    stays. Months must hold stays by discharge day (as the engine keeps them), so that no stay
    of an earlier month is a later stay of one of this month's.

    Returns the month's flags, the flagged stays of the earlier months as (month's place in
    the tuple, row), in pool order, and the month's `stay_keys` (for its later months).
    """
    n = patient.shape[0]
    flags = np.zeros(n, np.bool_)
    key = np.empty(n, np.uint64)
    empty = np.empty(0, np.int64)
    if n == 0:
        return flags, empty, empty.copy(), key
    # arrays indexed by unsigned numbers where the index is not a loop's from 0: no code for a
    # negative index counted from the end
    shift = np.uint64(64 - size_bits)
    three = np.uint64(3)
    # each slot's state in 2 bits, 32 slots a word: 0 unmarked, 1 marked by the month, 2 and
    # 3 also holding 1 and 2 or more of the pool's grouped stays. A stay whose slot holds 2
    # may have an earlier or later stay of its key (a superset, made exact by the keys).
    state = np.zeros(((1 << size_bits) + 31) >> 5, np.uint64)
    slot = np.empty(n, np.uint64)  # each of the month's stays' slot, hashed once
    grouped = np.empty(n, np.bool_)
    first = np.int64(admit[0])
    for j in range(n):
        first = min(first, np.int64(admit[j]))
        key[j] = _key_hash(patient[j], hospital[j], adrg[j])
        slot[j] = key[j] >> shift
    for j in range(n):
        if j + FETCH_AHEAD < n:
            prefetch(state, slot[j + FETCH_AHEAD] >> np.uint64(5))
        s = slot[j]
        g = drg[j] >= 0 and not exempt[np.uint64(adrg[j])]
        grouped[j] = g
        at = (s & np.uint64(31)) << np.uint64(1)
        word = state[s >> np.uint64(5)]
        v = min(max((word >> at) & three, np.uint64(1)) + np.uint64(g), three)
        state[s >> np.uint64(5)] = (word & ~(three << at)) | (v << at)
    start = first - window
    # the earlier months' stays in the pool, in pool order: month b's are pool_row[bound[b]:
    # bound[b + 1]]. Each stay is kept or not without a branch (whether a stay of a month
    # partly before `start` is discharged in time is unpredictable); months wholly before
    # `start` are skipped, and months wholly after it are not tested day by day.
    n_prior = len(prior_patient)
    total = 0
    for b in range(n_prior):
        total += prior_patient[b].shape[0]
    pool_row = np.empty(total, np.int64)
    pool_slot = np.empty(total, np.uint64)
    bound = np.zeros(n_prior + 1, np.int64)
    m = 0
    for b in range(n_prior):
        p_key, p_day = prior_key[b], prior_day[b]
        rows = p_key.shape[0]
        lo_day, hi_day = start, start - 1
        if rows:
            lo_day, hi_day = np.int64(p_day[0]), np.int64(p_day[0])
            for r in range(rows):
                lo_day = min(lo_day, np.int64(p_day[r]))
                hi_day = max(hi_day, np.int64(p_day[r]))
        if hi_day >= start:
            every = lo_day >= start
            for r in range(rows):
                if r + FETCH_AHEAD < rows:
                    prefetch(state, (p_key[r + FETCH_AHEAD] >> shift) >> np.uint64(5))
                s = p_key[r] >> shift
                v = (state[s >> np.uint64(5)] >> ((s & np.uint64(31)) << np.uint64(1))) & three
                pool_row[np.uint64(m)] = r
                pool_slot[np.uint64(m)] = s
                m += (v != 0) & (every | (p_day[r] >= start))
        bound[b + 1] = m
    # the pool's grouped earlier stays counted into their slots (a count that stops at 3 does
    # not depend on the order)
    pool_grouped = np.empty(m, np.bool_)
    for b in range(n_prior):
        p_drg, p_adrg = prior_drg[b], prior_adrg[b]
        for i0 in range(bound[b], bound[b + 1]):
            i = np.uint64(i0)
            r = np.uint64(pool_row[i])
            g = p_drg[r] >= 0 and not exempt[np.uint64(p_adrg[r])]
            pool_grouped[i] = g
            s = pool_slot[i]
            at = (s & np.uint64(31)) << np.uint64(1)
            if g and (state[s >> np.uint64(5)] >> at) & three < three:
                state[s >> np.uint64(5)] += np.uint64(1) << at
    # the candidates: grouped pool stays whose slot holds two, in pool order, with their
    # columns
    cand_row = np.empty(m + n, np.int64)
    k = 0
    for i in range(m):
        s = pool_slot[i]
        v = (state[s >> np.uint64(5)] >> ((s & np.uint64(31)) << np.uint64(1))) & three
        cand_row[np.uint64(k)] = i
        k += pool_grouped[i] & (v == three)
    k_prior = k
    for j in range(n):
        if j + FETCH_AHEAD < n:
            prefetch(state, slot[j + FETCH_AHEAD] >> np.uint64(5))
        s = slot[j]
        v = (state[s >> np.uint64(5)] >> ((s & np.uint64(31)) << np.uint64(1))) & three
        cand_row[np.uint64(k)] = j
        k += grouped[j] & (v == three)
    if k < 2:
        return flags, empty, empty.copy(), key
    cand_month = np.empty(k, np.int64)
    c_patient = np.empty(k, np.int64)
    c_hospital = np.empty(k, np.int64)
    c_adrg = np.empty(k, np.int64)
    c_admit = np.empty(k, np.int64)
    c_day = np.empty(k, np.int64)
    t = 0
    for b in range(n_prior):
        p_patient, p_hospital, p_adrg = prior_patient[b], prior_hospital[b], prior_adrg[b]
        p_admit, p_day = prior_admit[b], prior_day[b]
        while t < k_prior and cand_row[np.uint64(t)] < bound[b + 1]:
            tu = np.uint64(t)
            r = pool_row[np.uint64(cand_row[tu])]
            ru = np.uint64(r)
            cand_month[tu], cand_row[tu] = b, r
            c_patient[tu], c_hospital[tu], c_adrg[tu] = p_patient[ru], p_hospital[ru], p_adrg[ru]
            c_admit[tu], c_day[tu] = p_admit[ru], p_day[ru]
            t += 1
    for t0 in range(k_prior, k):
        t = np.uint64(t0)
        r = np.uint64(cand_row[t])
        cand_month[t] = -1
        c_patient[t], c_hospital[t], c_adrg[t] = patient[r], hospital[r], adrg[r]
        c_admit[t], c_day[t] = admit[r], day[r]
    # only the month's stays may be the later stay: pairs of earlier stays were taken in the
    # later one's month, so the month's flags and hits do not depend on the pool's superset
    later = cand_month < 0
    hit = _flag_earlier(c_patient, c_hospital, c_adrg, c_admit, c_day, later, window)
    n_hit = 0
    for t in range(k):
        if hit[t]:
            if cand_month[t] < 0:
                flags[np.uint64(cand_row[t])] = True
            else:
                n_hit += 1
    hit_month = np.empty(n_hit, np.int64)
    hit_row = np.empty(n_hit, np.int64)
    i = 0
    for t in range(k):
        if hit[t] and cand_month[t] >= 0:
            hit_month[np.uint64(i)] = cand_month[t]
            hit_row[np.uint64(i)] = cand_row[t]
            i += 1
    return flags, hit_month, hit_row, key
