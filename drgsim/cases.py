"""A batch of cases as a struct of arrays, the unit every kernel and table works on."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from drgsim.acts import ACTS

#: Act bits carried on each case (the `acts` column), from the act registry.
ACT_BITS = {a.name: a.bit for a in ACTS}
#: A case's id is month × CASE_ID_STRIDE + its number in the month: a source numbers its cases
#: 0, 1, …, and each case an act adds takes the next free number (`CaseBatch.new_ids`).
CASE_ID_STRIDE = 10_000_000
NO_ORIGIN = -1
DISCHARGE_TYPES = ("normal", "transfer", "death", "against_advice")


@dataclass
class CaseBatch:
    """Cases of one month (or a year) as parallel arrays, one element per case."""

    case_id: np.ndarray  # int64, unique within a (replication, year): see CASE_ID_STRIDE
    patient: np.ndarray  # int64
    hospital: np.ndarray  # int32 index into the hospital table
    adrg: np.ndarray  # int16 index into the catalogue's ADRGs
    severity: np.ndarray  # int8 true level 0 MCC, 1 CC, 2 none, 3… a local suffix (catalogue)
    drg_true: np.ndarray  # int16 the DRG the true severity groups to (-1 never)
    billed_severity: np.ndarray  # int8 the severity level the hospital codes
    cost: np.ndarray  # float64 total cost of the stay, yuan (all payers)
    oop: np.ndarray  # float64 patient-paid part, yuan
    los: np.ndarray  # int16 length of stay, days
    admit_day: np.ndarray  # int16 day of year of admission (may be <= 0: admitted last year)
    day: np.ndarray  # int16 day of year of discharge, 1..366
    month: np.ndarray  # int8 discharge month 1..12
    discharge: np.ndarray  # int8 index into DISCHARGE_TYPES
    ungroupable: np.ndarray  # bool: the record cannot be grouped
    acts: np.ndarray  # uint8 bit flags of ACT_BITS
    origin_id: np.ndarray  # int64 the case this one came from (a moved case: itself), else -1
    origin_act: np.ndarray  # uint8 bit of the act that made (or moved) it, else 0
    record_row: np.ndarray  # int64 the case's row in its replayed table (its id: source.record_ids)
    fund: np.ndarray  # int8 index of the patient's insurance fund (scenario.funds, in order)

    @property
    def n(self) -> int:
        """The number of cases."""
        return int(self.case_id.shape[0])

    def new_ids(self, count: int) -> np.ndarray:
        """Ids for `count` cases added to this month's batch: the numbers after its largest."""
        last = int(self.case_id.max(initial=0))
        ids = np.arange(last + 1, last + 1 + count, dtype=np.int64)
        if count and ids[-1] // CASE_ID_STRIDE != last // CASE_ID_STRIDE:
            raise ValueError(f"more than {CASE_ID_STRIDE:,} cases in one month")
        return ids

    def take(self, index: np.ndarray) -> CaseBatch:
        """The cases at `index` (an integer or boolean array)."""
        if isinstance(index, np.ndarray) and index.dtype == np.bool_:  # once, not once a column
            if index.shape != (self.n,):
                raise IndexError(f"a mask of {index.shape} for {self.n} cases")
            index = np.flatnonzero(index)
        return CaseBatch(**{k: getattr(self, k)[index] for k in COLUMNS})

    def copy(self) -> CaseBatch:
        """A copy whose arrays can be changed without touching this batch."""
        return CaseBatch(**{k: getattr(self, k).copy() for k in COLUMNS})

    @staticmethod
    def concat(batches: list[CaseBatch]) -> CaseBatch:
        """All cases of several batches, in order."""
        if not batches:
            return CaseBatch.empty()
        return CaseBatch(**{k: np.concatenate([getattr(b, k) for b in batches]) for k in COLUMNS})

    @staticmethod
    def empty() -> CaseBatch:
        """A batch with no cases."""
        return CaseBatch(**{k: np.empty(0, dtype=t) for k, t in CASE_DTYPES.items()})


#: The columns of a case batch, in order.
COLUMNS = tuple(f.name for f in dataclasses.fields(CaseBatch))


class CaseBuffer:
    """A batch's cases copied once into arrays with room for more: cases appended later are
    written after them, the cases already in are not copied again (as `CaseBatch.concat` does).
    """

    def __init__(self, batch: CaseBatch, room: int) -> None:
        self.n = batch.n
        self._arrays: dict[str, np.ndarray] = {}
        for k in COLUMNS:
            a = getattr(batch, k)
            self._arrays[k] = np.empty(self.n + max(room, 0), dtype=a.dtype)
            self._arrays[k][: self.n] = a

    @property
    def batch(self) -> CaseBatch:
        """The cases in so far (views: an act that changes them changes the buffer)."""
        return CaseBatch(**{k: a[: self.n] for k, a in self._arrays.items()})

    def append(self, cases: CaseBatch) -> None:
        """Add `cases` after those in, each column widened as `np.concatenate` would widen it."""
        end = self.n + cases.n
        for k, a in self._arrays.items():
            new = getattr(cases, k)
            dtype = a.dtype if new.dtype == a.dtype else np.result_type(a, new)
            if end > a.shape[0] or dtype != a.dtype:  # no room left: grow (half as much again)
                grown = np.empty(max(end, a.shape[0] + a.shape[0] // 2), dtype=dtype)
                grown[: self.n] = a[: self.n]
                self._arrays[k] = a = grown
            a[self.n : end] = new
        self.n = end


CASE_DTYPES = {
    "case_id": np.int64,
    "patient": np.int64,
    "hospital": np.int32,
    "adrg": np.int16,
    "severity": np.int8,
    "drg_true": np.int16,
    "billed_severity": np.int8,
    "cost": np.float64,
    "oop": np.float64,
    "los": np.int16,
    "admit_day": np.int16,
    "day": np.int16,
    "month": np.int8,
    "discharge": np.int8,
    "ungroupable": np.bool_,
    "acts": np.uint8,
    "origin_id": np.int64,
    "origin_act": np.uint8,
    "record_row": np.int64,
    "fund": np.int8,
}


def month_ids(month: int, n: int) -> np.ndarray:
    """The ids of a month's `n` cases as a source discharges them."""
    if n > CASE_ID_STRIDE:
        raise ValueError(f"{n:,} cases in month {month}; at most {CASE_ID_STRIDE:,} fit")
    return month * CASE_ID_STRIDE + np.arange(n, dtype=np.int64)


def no_origin(n: int) -> dict[str, np.ndarray]:
    """The origin columns of `n` cases as a source discharges them (no origin, no table row)."""
    return {
        "origin_id": np.full(n, NO_ORIGIN, np.int64),
        "origin_act": np.zeros(n, np.uint8),
        "record_row": np.full(n, NO_ORIGIN, np.int64),
    }


def act_names(bits: np.ndarray) -> np.ndarray:
    """The name of the act whose bit each value is ("" for 0), e.g. of each case's `origin_act`."""
    names = np.full(max(ACT_BITS.values()) + 1, "", dtype=object)
    for name, bit in ACT_BITS.items():
        names[bit] = name
    return names[bits]
