"""The audit's tally per hospital and act, against a claim-by-claim count written from its rule."""

from __future__ import annotations

import numpy as np
import pytest

from drgsim.acts import ACT, ACTS, AUDITED
from drgsim.engine.year_totals import TALLY_COLUMNS, TALLY_ROWS, audit_tally
from drgsim.kernels.checks import KernelInputError
from drgsim.rules.audit import Findings, Review


def _random_review(rng: np.random.Generator, n: int) -> tuple[np.ndarray, Review]:
    acts = np.zeros(n, np.uint8)
    for a in ACTS:  # several acts on a claim now and then
        acts |= (rng.random(n) < 0.2).astype(np.uint8) * np.uint8(a.bit)
    caught = acts & (rng.random(n) < 0.4).astype(np.uint8) * np.uint8(255)
    deducted = rng.normal(size=(n, len(AUDITED))) * (rng.random((n, len(AUDITED))) < 0.3)
    review = Review(
        key=1,
        billed=np.zeros(n),
        screened=rng.random(n) < 0.3,
        sampled=rng.random(n) < 0.2,
        inspected=rng.random(n) < 0.1,
        found=Findings(caught=caught, points=np.zeros(n), deducted_by_act=deducted),
    )
    return acts, review


def _by_claim(hospital, acts, review, n_hosp, rows) -> np.ndarray:
    """Each claim adds 1 to the rows of the acts it carries (or to "none"), per route it took."""
    out = np.zeros((n_hosp, len(TALLY_ROWS), len(TALLY_COLUMNS)))
    audited = {a.name: k for k, a in enumerate(AUDITED)}
    for i in range(hospital.size):
        if rows is not None and not rows[i]:
            continue
        names = [a.name for a in ACTS if acts[i] & a.bit] or ["none"]
        routes = [review.screened[i], review.sampled[i], review.inspected[i]]
        for name in names:
            cell = out[hospital[i], TALLY_ROWS.index(name)]
            cell[0] += 1
            cell[1:4] += routes
            cell[4] += any(routes)
            if name in audited:
                cell[5] += bool(review.found.caught[i] & ACT[name].bit)
                cell[6] += review.found.deducted_by_act[i, audited[name]]
    return out


@pytest.mark.parametrize("with_rows", [None, "mask", "indices"])
def test_tally_counts_each_claim_in_the_rows_of_its_acts(with_rows: str | None) -> None:
    rng = np.random.default_rng(7)
    n, n_hosp = 600, 7
    acts, review = _random_review(rng, n)
    hospital = rng.integers(0, n_hosp, n).astype(np.int32)
    rows = rng.random(n) < 0.5 if with_rows else None
    given = np.flatnonzero(rows) if with_rows == "indices" else rows  # as the inspections give
    got = audit_tally(hospital, acts, review, n_hosp, given)
    want = _by_claim(hospital, acts, review, n_hosp, rows)
    np.testing.assert_allclose(got, want, atol=1e-9)
    # deducted points are added claim by claim in the claims' order: the same sums to the bit
    assert got.tobytes() == want.tobytes()
    # counts are whole numbers, exactly
    assert np.array_equal(got[:, :, :5], np.round(got[:, :, :5]))


def test_tally_refuses_rows_beyond_the_claims_in_one_line() -> None:
    acts, review = _random_review(np.random.default_rng(2), 5)
    with pytest.raises(KernelInputError, match="rows has value 5; allowed 0 … 4"):
        audit_tally(np.zeros(5, np.int32), acts, review, 3, np.array([0, 5]))


def test_tally_of_no_claims_is_zero() -> None:
    acts, review = _random_review(np.random.default_rng(1), 0)
    assert not audit_tally(np.zeros(0, np.int32), acts, review, 3).any()
