"""A case table as the source of a year's claims: replay of a city's recorded (or hand-written) cases.

The table is read and checked by drgsim.records.importing (column map, encoding, strict, rejected rows)
and split into monthly batches; behaviours of a variant then act on these real cases as they
would on synthetic ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drgsim.cases import CaseBatch, month_ids, no_origin
from drgsim.errors import DrgsimError
from drgsim.population.hospitals import HospitalTable
from drgsim.records.importing import Imported, import_cases
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.funds import cumulative_shares, fund_key, fund_names, fund_of
from drgsim.scenario.schema import Scenario


class ReplayError(DrgsimError):
    """Raised for a case table that cannot be settled; the message is one line."""


class TableSource:
    """Serves each month's cases of an imported case table; its rejected rows stay in `imported`.

    A run imports a table once and hands the same source to every simulation that replays it.
    """

    def __init__(
        self,
        imported: Imported,
        cat: Catalogue,
        start_year: int,
        funds: Funds | None = None,
    ) -> None:
        """`funds` (a scenario's funds) sets each case's fund; without it every case is in one."""
        self.imported = imported
        self.start_year = start_year
        fund = case_funds(imported, funds) if funds is not None else None
        self.batches = monthly_batches(imported.cases, cat, start_year, fund)
        self.record_ids = record_ids(imported.cases)
        self.n_hospitals = len(imported.cases["hospital"].cat.categories)
        self.n_drg = cat.n_drg

    @classmethod
    def read(
        cls,
        path: str | Path,
        cat: Catalogue,
        hospitals: HospitalTable,
        start_year: int,
        *,
        years: int | None = None,
        column_map: Mapping[str, str] | None = None,
        encoding: str | None = None,
        strict: bool = False,
        salt: str | None = None,
        hash_patient_ids: bool = True,
        funds: Funds | None = None,
    ) -> TableSource:
        """Import the case table at `path` (see drgsim.records.importing) and batch it by month."""
        imported = import_cases(
            str(path),
            catalogue=cat,
            column_map=column_map,
            encoding=encoding,
            year=start_year,
            years=years,
            hospitals=hospitals.ids,
            strict=strict,
            salt=salt,
            hash_patient_ids=hash_patient_ids,
        )
        return cls(imported, cat, start_year, funds)

    @classmethod
    def from_scenario(cls, scn: Scenario, cat: Catalogue, hospitals: HospitalTable) -> TableSource:
        """The case table a scenario names, with its `cases.*` and `privacy.*` options."""
        if scn.cases.source is None:
            raise ReplayError("cases.source: null; expected a path to a case table")
        return cls.read(
            scn.cases.source,
            cat,
            hospitals,
            scn.start_year,
            years=scn.years,
            column_map=dict(scn.cases.column_map) or None,
            encoding=scn.cases.encoding,
            strict=scn.cases.strict,
            salt=scn.privacy.salt,
            hash_patient_ids=scn.privacy.hash_patient_ids,
            funds=Funds.of(scn) if len(scn.funds) > 1 else None,
        )

    @property
    def rejected(self) -> pd.DataFrame:
        """The rows that could not be settled: row, column, value, reason, expected."""
        return self.imported.rejected

    @property
    def counts(self) -> dict[str, int]:
        """Rejected rows by reason."""
        return self.imported.counts

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        """A copy of the table's cases discharged in that month (behaviours change batches)."""
        batch = self.batches.get((year_index, month))
        return CaseBatch.empty() if batch is None else batch.take(np.arange(batch.n))

    def month_shares(self) -> np.ndarray:
        """Year one's month shares (spec §4): the first year's charges by month, flat without any.

        Points are charges over the group's mean charges, so the month's share of the first
        year's charges is the forecast a bureau can make from the claims before pricing them.
        """
        charges = np.zeros(12)
        for (y, m), b in self.batches.items():
            if y == 0:
                charges[m - 1] += float(b.cost.sum())
        return charges / charges.sum() if charges.sum() > 0 else np.full(12, 1 / 12)

    def expected_charges(self, year_index: int) -> np.ndarray:
        """Each hospital's charges in the table's year `year_index`, yuan: the replayed cases as
        recorded are that year's baseline, and they set the hospital's fixed cost (spec §8)."""
        out = np.zeros(self.n_hospitals)
        for (y, _), b in self.batches.items():
            if y == year_index:
                out += np.bincount(b.hospital, weights=b.cost, minlength=self.n_hospitals)
        return out

    def expected_drg_cases(self, year_index: int = 0) -> np.ndarray:
        """Grouped cases of each hospital (rows) in each true DRG (columns) in the table's year."""
        out = np.zeros((self.n_hospitals, self.n_drg))
        for (y, _), b in self.batches.items():
            ok = (b.drg_true >= 0) & ~b.ungroupable
            if y == year_index and ok.any():
                np.add.at(out, (b.hospital[ok], b.drg_true[ok]), 1.0)
        return out

    def expected_patient_paid(self, year_index: int = 0) -> np.ndarray:
        """Patient payments at each hospital in the table's year, yuan."""
        out = np.zeros(self.n_hospitals)
        for (y, _), b in self.batches.items():
            if y == year_index:
                out += np.bincount(b.hospital, weights=b.oop, minlength=self.n_hospitals)
        return out

    def fund_cost(self, year_index: int = 0, n_funds: int = 1) -> np.ndarray:
        """Fund part (cost − patient-paid) of the table's cases in a year in each fund, yuan."""
        out = np.zeros(n_funds)
        for (y, _), b in self.batches.items():
            if y == year_index:
                out += np.bincount(b.fund, weights=b.cost - b.oop, minlength=n_funds)[:n_funds]
        return out


def import_key(scn: Scenario, cat: Catalogue, hospitals: HospitalTable) -> tuple[Any, ...]:
    """What importing a scenario's case table depends on: two scenarios with one key share it."""
    return (
        repr(scn.cases),
        repr(scn.privacy),
        scn.start_year,
        scn.years,
        cat.source,
        hospitals.ids,
    )


@dataclass(frozen=True)
class Funds:
    """A scenario's funds as a replay needs them: names, and the patient draw for tables without."""

    names: tuple[str, ...]
    cum: np.ndarray
    key: int
    path: str

    @classmethod
    def of(cls, scn: Scenario) -> Funds:
        """The funds of `scn`, whose case table is `cases.source`."""
        return cls(
            fund_names(scn), cumulative_shares(scn), int(fund_key(scn)), str(scn.cases.source)
        )


def case_funds(imported: Imported, funds: Funds) -> np.ndarray:
    """Each imported case's fund: its `fund` column by name, else drawn from its patient number."""
    cases = imported.cases
    if "fund" not in cases.columns:
        return fund_of(funds.key, cases["patient_id"].to_numpy(np.int64), funds.cum)
    index = {name: i for i, name in enumerate(funds.names)}
    given = cases["fund"].to_numpy(object)
    fund = np.array([index.get(v, -1) for v in given], dtype=np.int64)
    bad = np.flatnonzero(fund < 0)
    if bad.size:
        row = int(cases["row"].iloc[bad[0]])
        raise ReplayError(
            f"{funds.path}: row {row}, column fund: {given[bad[0]]!r} is not a fund of the "
            f"scenario ({bad.size:,} rows like it); allowed: {', '.join(funds.names)}"
        )
    return fund.astype(np.int8)


def case_batch(cases: pd.DataFrame, cat: Catalogue, fund: np.ndarray | None = None) -> CaseBatch:
    """All cases of an imported table as one batch (billed severity from the billed code).

    Each case keeps its row in the table as `record_row` (its own id, as text, is
    `record_ids(cases)[record_row]`); `case_id` numbers the rows (monthly batches renumber their
    cases, so that ids are unique whatever the table holds).
    """
    n = len(cases)
    drg_code = cases["drg"].cat.codes.to_numpy().astype(np.int64)
    ungroupable = drg_code == cat.n_drg
    drg = np.where(ungroupable, 0, drg_code)
    true_code = cases["drg_true"].cat.codes.to_numpy().astype(np.int64)
    drg_true = np.where(true_code == cat.n_drg, drg, true_code)
    level = cat.drg_level()
    day = cases["day"].to_numpy(np.int64)
    los = cases["los"].to_numpy(np.int64)
    return CaseBatch(
        case_id=np.arange(n, dtype=np.int64),
        patient=cases["patient_id"].to_numpy(np.int64),
        hospital=cases["hospital"].cat.codes.to_numpy().astype(np.int32),
        adrg=cat.drg_adrg[np.where(ungroupable, drg_true, drg)].astype(np.int16),
        severity=level[drg_true],
        drg_true=drg_true.astype(np.int16),
        billed_severity=level[drg].copy(),
        cost=cases["cost_yuan"].to_numpy(np.float64),
        oop=cases["oop_yuan"].to_numpy(np.float64),
        los=los.astype(np.int16),
        admit_day=(day - los).astype(np.int16),
        day=day.astype(np.int16),
        month=cases["month"].to_numpy().astype(np.int8),
        discharge=cases["discharge"].cat.codes.to_numpy().astype(np.int8),
        ungroupable=ungroupable,
        acts=np.zeros(n, np.uint8),
        **{**no_origin(n), "record_row": cases["row"].to_numpy(np.int64)},
        fund=np.zeros(n, np.int8) if fund is None else np.asarray(fund, np.int8),
    )


def record_ids(cases: pd.DataFrame) -> np.ndarray:
    """Each imported case's own id as given (text; "" where the table gives none), by table row."""
    rows = cases["row"].to_numpy(np.int64)
    ids = np.full(int(rows.max(initial=-1)) + 1, "", dtype=object)
    ids[rows] = cases["record_id"].to_numpy(object)
    return ids


def monthly_batches(
    cases: pd.DataFrame, cat: Catalogue, start_year: int, fund: np.ndarray | None = None
) -> dict[tuple[int, int], CaseBatch]:
    """Split imported cases into (year index, month) batches, each in hospital then row order.

    Each batch's cases get the ids of a month's cases (drgsim.cases.month_ids).
    """
    batch = case_batch(cases, cat, fund)
    year = cases["year"].to_numpy(np.int64) - start_year
    period = year * 13 + batch.month.astype(np.int64)
    key = period * (int(batch.hospital.max(initial=0)) + 1) + batch.hospital
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(period[order])) + 1
    out: dict[tuple[int, int], CaseBatch] = {}
    for rows in np.split(order, bounds):
        if rows.size:
            y, m = divmod(int(period[rows[0]]), 13)
            cases_m = batch.take(rows)
            cases_m.case_id = month_ids(m, rows.size)
            out[(y, m)] = cases_m
    return out
