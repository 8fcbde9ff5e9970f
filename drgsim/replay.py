"""A case table as the source of a year's claims (replay of recorded or hand-written cases)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from drgsim.cases import DISCHARGE_TYPES, CaseBatch
from drgsim.catalogue import Catalogue
from drgsim.errors import DrgsimError
from drgsim.hospitals import HospitalTable

REQUIRED = ("hospital", "month", "drg", "cost_yuan", "oop_yuan")
OPTIONAL = ("case_id", "patient_id", "day", "los", "discharge", "drg_true", "year")
SUFFIX_LEVEL = {"1": 0, "3": 1, "5": 2}


class ReplayError(DrgsimError):
    """Raised for a case table that cannot be settled; the message is one line."""


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a case table from CSV (UTF-8) or Parquet."""
    p = Path(path)
    if p.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(p)
    return pd.read_csv(p, dtype={"drg": str, "drg_true": str, "hospital": str})


class TableSource:
    """Serves each month's cases of a case table (one year, or the `year` column's years)."""

    def __init__(
        self, path: str | Path, cat: Catalogue, hospitals: HospitalTable, start_year: int
    ) -> None:
        self.path = str(path)
        frame = read_table(path)
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            raise ReplayError(
                f"{self.path}: missing column(s) {', '.join(missing)}; required: "
                f"{', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)}"
            )
        self.batches = self._convert(frame, cat, hospitals, start_year)

    def _convert(
        self, df: pd.DataFrame, cat: Catalogue, hospitals: HospitalTable, start_year: int
    ) -> dict[tuple[int, int], CaseBatch]:
        """Check every row and split the table into (year, month) batches."""
        n = len(df)
        index = {code: i for i, code in enumerate(cat.drg)}
        hosp_index = {hid: i for i, hid in enumerate(hospitals.ids)}
        hosp = self._lookup(
            df["hospital"].astype(str), hosp_index, "hospital", "a hospital id of the scenario"
        )
        drg_codes = df["drg"].fillna("").astype(str).str.strip()
        ungroupable = drg_codes.isin(["", "0000"]).to_numpy()
        drg = self._lookup(
            drg_codes.where(~ungroupable, cat.drg[0]),
            index,
            "drg",
            f"a DRG code of the catalogue ({cat.source}) or empty",
        )
        true_codes = df["drg_true"].fillna("").astype(str) if "drg_true" in df else drg_codes
        drg_true = np.where(
            true_codes.isin(["", "0000"]),
            drg,
            self._lookup(
                true_codes.where(~true_codes.isin(["", "0000"]), cat.drg[0]),
                index,
                "drg_true",
                "a DRG code of the catalogue",
            ),
        )
        month = self._ints(df, "month", 1, 12)
        cost = self._floats(df, "cost_yuan")
        oop = self._floats(df, "oop_yuan")
        for i in np.flatnonzero(oop > cost):
            raise ReplayError(
                f"{self.path}: row {i + 2} column oop_yuan: value {oop[i]}; "
                f"expected at most cost_yuan ({cost[i]})"
            )
        los = self._ints(df, "los", 0, 3650) if "los" in df else np.ones(n, np.int64)
        day = self._ints(df, "day", 1, 366) if "day" in df else _mid_month(month)
        discharge = (
            self._lookup(
                df["discharge"].astype(str),
                {k: i for i, k in enumerate(DISCHARGE_TYPES)},
                "discharge",
                "/".join(DISCHARGE_TYPES),
            )
            if "discharge" in df
            else np.zeros(n, np.int64)
        )
        year = self._ints(df, "year", 1900, 2200) - start_year if "year" in df else np.zeros(n)
        case_id = df["case_id"].to_numpy(np.int64) if "case_id" in df else np.arange(n)
        patient = (
            pd.factorize(df["patient_id"].astype(str))[0].astype(np.int64)
            if "patient_id" in df
            else np.arange(n, dtype=np.int64)
        )
        suffix = cat.suffix[drg]
        severity = np.array([SUFFIX_LEVEL.get(s, 2) for s in suffix], dtype=np.int8)
        batches: dict[tuple[int, int], CaseBatch] = {}
        all_cases = CaseBatch(
            case_id=case_id,
            patient=patient,
            hospital=hosp.astype(np.int32),
            adrg=cat.drg_adrg[drg].astype(np.int16),
            severity=severity,
            drg_true=drg_true.astype(np.int16),
            billed_severity=severity.copy(),
            cost=cost,
            oop=oop,
            los=los.astype(np.int16),
            admit_day=(day - los).astype(np.int16),
            day=day.astype(np.int16),
            month=month.astype(np.int8),
            discharge=discharge.astype(np.int8),
            ungroupable=ungroupable,
            acts=np.zeros(n, np.uint8),
        )
        period = year.astype(np.int64) * 100 + month
        order = np.lexsort((np.arange(n), all_cases.hospital, period))
        bounds = np.flatnonzero(np.diff(period[order])) + 1
        for rows in np.split(order, bounds):
            if rows.size:
                y, m = divmod(int(period[rows[0]]), 100)
                batches[(y, m)] = all_cases.take(rows)
        return batches

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        """The table's cases discharged in that month (none if it has none)."""
        return self.batches.get((year_index, month), CaseBatch.empty())

    def fund_cost(self, year_index: int = 0) -> float:
        """Fund part (cost − patient-paid) of the table's cases in a year, yuan."""
        return float(
            sum((b.cost - b.oop).sum() for (y, _), b in self.batches.items() if y == year_index)
        )

    def _lookup(
        self, values: pd.Series, index: dict[str, int], column: str, allowed: str
    ) -> np.ndarray:
        codes = values.map(index)
        bad = codes.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ReplayError(
                f"{self.path}: row {i + 2} column {column}: value "
                f"{values.iloc[i]!r}; expected {allowed}"
            )
        return codes.to_numpy(np.int64)

    def _floats(self, df: pd.DataFrame, column: str) -> np.ndarray:
        values = pd.to_numeric(df[column], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ReplayError(
                f"{self.path}: row {i + 2} column {column}: value "
                f"{df[column].iloc[i]!r}; expected a number >= 0"
            )
        return values

    def _ints(self, df: pd.DataFrame, column: str, lo: int, hi: int) -> np.ndarray:
        values = pd.to_numeric(df[column], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(values) | (values < lo) | (values > hi) | (values != np.round(values))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ReplayError(
                f"{self.path}: row {i + 2} column {column}: value "
                f"{df[column].iloc[i]!r}; expected a whole number {lo}..{hi}"
            )
        return values.astype(np.int64)


def _mid_month(month: np.ndarray) -> np.ndarray:
    """Day of year of the 15th of each month (non-leap year)."""
    first = np.array([1, 32, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335])
    return first[month - 1] + 14
