"""Kernel that finds stays followed by a readmission, in one pass over stays by admission day."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel

_MIX = np.uint64(0x9E3779B97F4A7C15)


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

    Grouped stays are taken by admission day (ties in index order); each is compared with the
    previous stay of the same patient, hospital and ADRG, found in an open-addressing hash
    table: if it is admitted 0..window days after that stay's discharge, that earlier stay is
    flagged.
    """
    n = patient.shape[0]
    out = np.zeros(n, np.bool_)
    if n == 0:
        return out
    n_hosp = np.int64(hospital.max()) + 1
    n_adrg = np.int64(adrg.max()) + 1
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
    candidates = np.empty(n, np.int64)
    count = 0
    for j in range(n):
        if grouped[j] and seen[bucket[j]] >= 2:
            candidates[count] = j
            count += 1
    if count == 0:
        return out
    # the candidates by admission day, ties in index order (a counting sort)
    first_day = np.int64(admit[candidates[0]])
    last_day = first_day
    for t in range(count):
        first_day = min(first_day, np.int64(admit[candidates[t]]))
        last_day = max(last_day, np.int64(admit[candidates[t]]))
    at = np.zeros(last_day - first_day + 2, np.int64)
    for t in range(count):
        at[np.int64(admit[candidates[t]]) - first_day + 1] += 1
    for d in range(1, at.shape[0]):
        at[d] += at[d - 1]
    order = np.empty(count, np.int64)
    for t in range(count):
        d = np.int64(admit[candidates[t]]) - first_day
        order[at[d]] = candidates[t]
        at[d] += 1
    size = 1024
    while size < 2 * count:
        size *= 2
    mask = size - 1
    keys = np.full(size, -1, np.int64)
    last = np.zeros(size, np.int64)
    for t in range(count):
        j = order[t]
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


def bitmap_bits(n_patients: int) -> int:
    """log2 of a patient bitmap's size for `n_patients`: about 16 slots a patient, at least 2**16."""
    return max(16, int(16 * n_patients).bit_length())


def _check_bits(patient, size_bits):
    """Patients are one-dimensional and the bitmap has 1 … 63 bits of address."""
    checks.shape("patient_bits", "patient", patient, (None,))
    if not 1 <= size_bits <= 63:
        raise checks.KernelInputError(f"patient_bits: size_bits {size_bits}; allowed 1 … 63")


@checks.front(_check_bits)
@kernel
def patient_bits(patient, size_bits):  # pragma: no cover - jitted
    """A Bloom-style bitmap of 2**size_bits slots marking each patient's slot (one hash: the
    top size_bits bits of patient × 0x9E3779B97F4A7C15)."""
    bits = np.zeros(1 << size_bits, np.bool_)
    shift = np.uint64(64 - size_bits)
    for j in range(patient.shape[0]):
        bits[np.int64((np.uint64(patient[j]) * _MIX) >> shift)] = True
    return bits


def _check_rows(patient, day, start, bits, size_bits):
    """Patients and days have one length; the bitmap has 2**size_bits slots."""
    checks.same_length("rows_maybe_seen", patient.shape[0], day=day)
    checks.shape("rows_maybe_seen", "bits", bits, (1 << size_bits,))


@checks.front(_check_rows)
@kernel
def rows_maybe_seen(patient, day, start, bits, size_bits):  # pragma: no cover - jitted
    """The rows discharged on `start` or later whose patient's slot is marked in `bits`
    (a superset of the rows whose patient is in the bitmap's batch), in row order."""
    shift = np.uint64(64 - size_bits)
    out = np.empty(patient.shape[0], np.int64)
    k = 0
    for j in range(patient.shape[0]):
        if day[j] >= start and bits[np.int64((np.uint64(patient[j]) * _MIX) >> shift)]:
            out[k] = j
            k += 1
    return out[:k].copy()
