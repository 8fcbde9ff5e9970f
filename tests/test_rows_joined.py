"""A table's blocks joined into one hold the same rows in the same order, or are left alone."""

from __future__ import annotations

import numpy as np

from drgsim.engine.coded import Coded
from drgsim.engine.rows import joined
from drgsim.scale.runner import Job, _frame


def _block(year: int, month: int, labels: np.ndarray) -> dict:
    return {
        "year": np.full(2, year),
        "month": np.full(2, month),
        "hospital": np.array(["H1", "H2"], dtype=object),
        "drg": Coded(np.array([month % 3, 2]), labels),
        "points": np.array([1.5, 2.5]) * month,
    }


def test_blocks_of_one_shape_become_one_block_of_the_same_rows() -> None:
    labels = np.array(["A", "B", "C"], dtype=object)
    blocks = [_block(2024, m, labels) for m in range(1, 4)]
    (one,) = joined(blocks)
    assert list(one) == list(blocks[0])
    np.testing.assert_array_equal(one["month"], [1, 1, 2, 2, 3, 3])
    np.testing.assert_array_equal(one["points"], [1.5, 2.5, 3.0, 5.0, 4.5, 7.5])
    assert one["points"].dtype == np.float64 and one["month"].dtype == blocks[0]["month"].dtype
    assert list(one["hospital"]) == ["H1", "H2"] * 3
    assert one["drg"].labels is labels
    assert list(np.asarray(one["drg"])) == ["B", "C", "C", "C", "A", "C"]


def test_blocks_that_differ_are_left_as_they_are() -> None:
    labels = np.array(["A", "B", "C"], dtype=object)
    other_columns = [_block(2024, 1, labels), {**_block(2024, 2, labels), "extra": np.zeros(2)}]
    assert joined(other_columns) == other_columns
    other_dtype = [_block(2024, 1, labels), _block(2024, 2, labels)]
    other_dtype[1]["points"] = other_dtype[1]["points"].astype(np.float32)
    assert joined(other_dtype) is other_dtype
    other_labels = [_block(2024, 1, labels), _block(2024, 2, labels.copy())]
    assert joined(other_labels) is other_labels
    assert joined(other_labels[:1]) == other_labels[:1]
    assert joined([]) == []


def test_a_table_of_joined_blocks_is_the_table_of_the_blocks() -> None:
    """What a run's parent builds from a simulation's blocks (runner._frame)."""
    labels = np.array(["A", "B", "C"], dtype=object)
    blocks = [_block(2024, m, labels) for m in range(1, 13)]

    class Tables:
        def __init__(self, rows: list[dict]) -> None:
            self.hospital_month = rows

    jobs = [Job("baseline", None, None, (1.0,), r, False) for r in range(2)]  # type: ignore[arg-type]
    as_is = _frame([(job, Tables(blocks)) for job in jobs], "hospital_month", False)
    one = _frame([(job, Tables(joined(blocks))) for job in jobs], "hospital_month", False)
    assert list(as_is.dtypes) == list(one.dtypes)
    assert as_is.equals(one)
