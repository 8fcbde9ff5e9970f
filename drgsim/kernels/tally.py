"""Kernel that tallies the audit's month per hospital and act: claims, routes, findings."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import kernel

#: The tally's columns (engine.year_totals.TALLY_COLUMNS), by position.
CLAIMS, SCREENED, SAMPLED, INSPECTED, REVIEWED, CONFIRMED, DEDUCTED = range(7)
#: A claim's routes as bits: screened, sampled, inspected.
ROUTE_SCREENED, ROUTE_SAMPLED, ROUTE_INSPECTED = 1, 2, 4
#: The values the three route bits make together.
ROUTES = 8


def _check(
    hospital, acts, screened, sampled, inspected, caught, deducted, take, every, carries,
    audited_bits, audited_row, n,
):  # fmt: skip
    """Claims' arrays have one length; hospitals, rows and acts index the tally."""
    name = "audit_tally"
    m = hospital.shape[0]
    checks.same_length(
        name, m, acts=acts, screened=screened, sampled=sampled, inspected=inspected, caught=caught
    )
    checks.shape(name, "deducted", deducted, (m, audited_bits.shape[0]))
    checks.shape(name, "carries", carries, (None, 256))
    checks.same_length(name, audited_bits.shape[0], audited_row=audited_row)
    checks.shape(name, "take", take, (None,))
    checks.index(name, "hospital", hospital, 0, n, "the hospitals")
    checks.index(name, "take", take, 0, m, "the claims")
    checks.index(name, "audited_row", audited_row, 0, carries.shape[0], "the tally's rows")


@checks.front(_check)
@kernel
def audit_tally(
    hospital, acts, screened, sampled, inspected, caught, deducted, take, every, carries,
    audited_bits, audited_row, n_hosp,
):  # fmt: skip  # pragma: no cover - jitted
    """The tally [n_hosp, rows, 7] of the claims `take` (in that order), or with `every` of
    all the claims in order (`take` then unread).

    A claim counts in every row whose `carries[row, acts]` is 1: in its claims, in each of its
    routes (`screened`, `sampled`, `inspected`) and, reviewed by any route, in the reviewed.
    For each audited act k (bit `audited_bits[k]`, row `audited_row[k]`), a claim carrying it
    counts as confirmed where `caught` has the bit, and adds `deducted[claim, k]` to the row's
    deducted points.
    """
    n_rows = carries.shape[0]
    # the rows each acts byte counts in, listed once: rows_of[first[a]:first[a + 1]]
    first = np.zeros(257, np.int64)
    rows_of = np.empty(256 * n_rows, np.int64)
    for a in range(256):
        first[a + 1] = first[a]
        for row in range(n_rows):
            if carries[row, a] != 0.0:
                rows_of[first[a + 1]] = row
                first[a + 1] += 1
    out = np.zeros((n_hosp, n_rows, 7))
    # claims carrying no act (most) are counted per hospital and routes in integers, then
    # added to their rows at once: counts are whole numbers, the same in any order
    plain = np.zeros((n_hosp, ROUTES), np.int64)
    for t in range(hospital.shape[0] if every else take.shape[0]):
        j = t if every else take[t]
        h = hospital[j]
        a = acts[j]
        # the claim's routes as three bits (ROUTE_SCREENED, ROUTE_SAMPLED, ROUTE_INSPECTED)
        r = (
            (ROUTE_SCREENED if screened[j] else 0)
            | (ROUTE_SAMPLED if sampled[j] else 0)
            | (ROUTE_INSPECTED if inspected[j] else 0)
        )
        if a == 0:
            plain[h, r] += 1
            continue
        for i in range(first[a], first[a + 1]):
            row = rows_of[i]
            out[h, row, CLAIMS] += 1.0
            if r & ROUTE_SCREENED:
                out[h, row, SCREENED] += 1.0
            if r & ROUTE_SAMPLED:
                out[h, row, SAMPLED] += 1.0
            if r & ROUTE_INSPECTED:
                out[h, row, INSPECTED] += 1.0
            if r != 0:
                out[h, row, REVIEWED] += 1.0
        for k in range(audited_bits.shape[0]):
            if a & audited_bits[k]:
                row = audited_row[k]
                if caught[j] & audited_bits[k]:
                    out[h, row, CONFIRMED] += 1.0
                out[h, row, DEDUCTED] += deducted[j, k]
    for h in range(n_hosp):
        for r in range(ROUTES):
            count = plain[h, r]
            if count == 0:
                continue
            for i in range(first[0], first[1]):
                row = rows_of[i]
                out[h, row, CLAIMS] += count
                if r & ROUTE_SCREENED:
                    out[h, row, SCREENED] += count
                if r & ROUTE_SAMPLED:
                    out[h, row, SAMPLED] += count
                if r & ROUTE_INSPECTED:
                    out[h, row, INSPECTED] += count
                if r != 0:
                    out[h, row, REVIEWED] += count
    return out
