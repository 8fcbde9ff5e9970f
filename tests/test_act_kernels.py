"""The behaviours' kernel and case buffer against plain numpy: same cases, same columns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drgsim.cases import CASE_DTYPES, CaseBatch, CaseBuffer
from drgsim.kernels.acts import drawn_rows, drawn_rows_reference
from drgsim.kernels.checks import KernelInputError
from drgsim.kernels.rng import Draw, uniform_reference


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 400),
    hospitals=st.integers(1, 8),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_drawn_rows_are_the_eligible_cases_drawn_below_their_hospitals_rate(
    n, hospitals, key, seed
) -> None:
    rng = np.random.default_rng(seed)
    case_id = rng.permutation(n).astype(np.int64) * 5 + 2
    hospital = rng.integers(0, hospitals, n).astype(np.int32)
    rate = np.where(rng.random(hospitals) < 0.3, 0.0, rng.random(hospitals))
    eligible = rng.random(n) < 0.8
    got = drawn_rows(np.uint64(key), int(Draw.SPLIT), case_id, hospital, rate, eligible)
    # the rule case by case: an eligible case of a hospital with a rate, its draw below it
    u = uniform_reference(key, Draw.SPLIT, case_id)
    want = [
        j for j in range(n) if eligible[j] and rate[hospital[j]] > 0 and u[j] < rate[hospital[j]]
    ]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.int64))
    ref = drawn_rows_reference(np.uint64(key), int(Draw.SPLIT), case_id, hospital, rate, eligible)
    np.testing.assert_array_equal(ref, got)


def test_drawn_rows_refuses_a_hospital_outside_the_rates() -> None:
    one = np.ones(3, dtype=bool)
    with pytest.raises(KernelInputError, match="hospital"):
        drawn_rows(np.uint64(1), 26, np.arange(3), np.array([0, 1, 2], np.int32), np.ones(2), one)


def _batch(n: int, start: int, rng: np.random.Generator) -> CaseBatch:
    """`n` cases of made-up values in the case columns' own types."""
    cols = {}
    for name, dtype in CASE_DTYPES.items():
        values = rng.integers(0, 100, n) + start
        cols[name] = values.astype(dtype) if dtype is not np.bool_ else values % 2 == 1
    return CaseBatch(**cols)


@pytest.mark.parametrize("room", [0, 3, 50])
def test_a_buffer_holds_what_concatenation_gives_and_keeps_its_source(room: int) -> None:
    rng = np.random.default_rng(room)
    first, second, third = _batch(20, 0, rng), _batch(7, 1000, rng), _batch(11, 2000, rng)
    kept = first.copy()
    buffer = CaseBuffer(first, room)
    buffer.batch.cost[:] = -1.0  # a change to the buffer's cases leaves the source alone
    first.cost[:] = -1.0
    buffer.append(second)
    buffer.append(third)
    third.patient = third.patient.astype(np.int32)  # narrower: still widened as concat does
    buffer.append(third)
    want = CaseBatch.concat([first, second, third, third])
    got = buffer.batch
    for f in dataclasses.fields(CaseBatch):
        a, b = getattr(got, f.name), getattr(want, f.name)
        assert a.dtype == b.dtype, f.name
        np.testing.assert_array_equal(a, b, err_msg=f.name)
    np.testing.assert_array_equal(kept.case_id, first.case_id)


def test_a_buffer_widens_a_column_as_concatenation_does() -> None:
    rng = np.random.default_rng(5)
    first, second = _batch(4, 0, rng), _batch(3, 0, rng)
    second.los = second.los.astype(np.int64) + 100_000  # wider than int16
    buffer = CaseBuffer(first, 10)
    buffer.append(second)
    want = np.concatenate([first.los, second.los])
    assert buffer.batch.los.dtype == want.dtype == np.int64
    np.testing.assert_array_equal(buffer.batch.los, want)
