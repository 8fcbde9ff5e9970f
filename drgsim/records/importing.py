"""Case tables from a bureau's own files: read, map the columns, check every row, keep the rejects.

A case table is a CSV (UTF-8 or GBK, detected or given) or Parquet file with one row per
discharge. Its headers may be drgsim's own column names, the Chinese headers of `COLUMNS`
(recognised without a map), or anything else named in a `column_map` {source header: drgsim
column}. Required: `hospital`, `drg`, `cost_yuan`, `oop_yuan`, and either `discharge_date`
(出院日期, gives year, month and day of year) or `month`. Optional: `case_id`, `patient_id`,
`admit_date`, `year`, `day`, `los`, `discharge`, `drg_true`, `tier`.

Every row that cannot be settled is kept, not dropped: it goes to the rejected table with its
row number (1-based in the source: the CSV header is row 1, the first Parquet record row 1),
the column, the value and the reason (the first defect found, in the order of `REASONS`).
An empty DRG code, `0000` or a code ending in `QY` is an ungroupable record (未入组/歧义组),
settled by special review, not rejected. Numeric 离院方式 codes follow the 病案首页: 1 医嘱离院
normal, 2 医嘱转院 and 3 医嘱转社区 transfer, 4 非医嘱离院 against advice, 5 死亡 death,
9 其他 normal.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from drgsim.cases import DISCHARGE_TYPES
from drgsim.errors import DrgsimError
from drgsim.population.generator import month_days
from drgsim.records.privacy import patient_codes
from drgsim.rules.catalogue import Catalogue

UNGROUPABLE = "0000"  # how an ungroupable record's DRG is written in drgsim's tables


@dataclass(frozen=True)
class Column:
    """One drgsim column of a case table: whether it is required, its meaning, known headers."""

    name: str
    required: str
    meaning: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("hospital", "yes", "hospital id, as in the scenario", ("医疗机构编码", "定点医疗机构编码", "医疗机构代码", "机构编码")),
    Column("drg", "yes", "billed DRG code; empty, 0000 or …QY: ungroupable", ("DRG编码", "DRG组编码", "DRG分组编码", "病组编码", "drg_billed")),
    Column("cost_yuan", "yes", "total cost of the stay, all payers, yuan", ("总费用", "医疗总费用", "住院总费用")),
    Column("oop_yuan", "yes", "patient-paid part of the cost, yuan", ("个人负担", "个人负担金额", "个人自付")),
    Column("discharge_date", "one of discharge_date, month", "discharge date (gives year, month, day)", ("出院日期", "出院时间")),
    Column("month", "one of discharge_date, month", "discharge month 1..12 (when no date)"),
    Column("year", "no", "discharge year (when no date; default the replayed year)"),
    Column("day", "no", "discharge day of year 1..366 (when no date; default the 15th)"),
    Column("admit_date", "no", "admission date (gives LOS when there is no los column)", ("入院日期", "入院时间")),
    Column("los", "no", "length of stay, days (default from the dates, else 1)", ("住院天数", "实际住院天数")),
    Column("discharge", "no", "discharge type: normal/transfer/death/against_advice, Chinese label or 病案首页 code 1–5, 9", ("离院方式",)),
    Column("patient_id", "no", "patient id (pseudonymised on import)", ("患者编号", "个人编号", "参保人编号")),
    Column("case_id", "no", "record id, kept as text as given (JS2021-000123; 000123 is not 123)", ("结算ID", "结算编号", "就诊ID", "病案号")),
    Column("drg_true", "no", "DRG of the true severity (synthetic tables only)"),
    Column("tier", "no", "hospital tier 1–3 (calibration)", ("医院等级",)),
    Column("fund", "no", "insurance fund, a name of the scenario's funds (else drawn per patient)", ("险种类型", "险种", "参保类型")),
)  # fmt: skip
NAMES = tuple(c.name for c in COLUMNS)


#: Reasons a row is rejected, in the order they are checked (a row gets the first that applies).
REASONS: dict[str, str] = {
    "malformed_row": "a row with as many fields as the header",
    "missing_value": "a value",
    "unknown_hospital": "a hospital id of the scenario",
    "bad_date": "a date such as 2021-03-05, 2021/3/5 or 20210305",
    "bad_month": "a whole number 1..12",
    "outside_year": "a discharge date in the replayed year(s)",
    "unknown_drg": "a DRG code of the catalogue, empty or 0000",
    "bad_number": "a number",
    "negative_value": "a number >= 0",
    "oop_above_cost": "oop_yuan at most cost_yuan",
    "negative_los": "a whole number of days >= 0 (admission before discharge)",
    "unknown_discharge": "normal/transfer/death/against_advice, 医嘱离院/医嘱转院/死亡/非医嘱离院 or 1-5, 9",
    "duplicate_record": "one row per hospital, case_id and discharge date",
}
_REASON_CODES = {r: i for i, r in enumerate(REASONS)}

DISCHARGE_WORDS: dict[str, int] = {
    **{name: i for i, name in enumerate(DISCHARGE_TYPES)},
    "1": 0, "医嘱离院": 0, "9": 0, "其他": 0, "正常": 0, "正常出院": 0,
    "2": 1, "医嘱转院": 1, "转院": 1, "3": 1, "医嘱转社区": 1, "转社区": 1,
    "医嘱转社区卫生服务机构/乡镇卫生院": 1, "医嘱转社区卫生服务机构": 1,
    "5": 2, "死亡": 2,
    "4": 3, "非医嘱离院": 3, "自动出院": 3, "自动离院": 3,
}  # fmt: skip
_STRING_COLUMNS = ("hospital", "drg", "drg_true", "discharge")
_DATE_FORMATS = ("ISO8601", "%Y/%m/%d", "%Y%m%d", "%Y/%m/%d %H:%M:%S", "%Y年%m月%d日", "%Y.%m.%d")


class ImportError_(DrgsimError):
    """Raised for a case table that cannot be read at all, or a bad row under strict."""


@dataclass
class Imported:
    """The usable cases of a table in drgsim's columns, the rejected rows and counts by reason."""

    cases: pd.DataFrame
    rejected: pd.DataFrame
    counts: dict[str, int]
    source: str
    encoding: str | None = None
    rows: int = 0
    ungroupable: int = 0
    ignored_columns: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One line: rows read, settled, rejected by reason."""
        text = f"{self.source}: {self.rows} rows, {len(self.cases)} usable"
        if self.counts:
            parts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
            text += f", {len(self.rejected)} rejected ({parts})"
        return text

    def write_rejected(self, out_dir: str | Path) -> Path:
        """Write `rejected.parquet` (row, column, value, reason, expected) into `out_dir`."""
        path = Path(out_dir) / "rejected.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.rejected.to_parquet(path, index=False)
        return path


def import_cases(
    path: str | Path | pd.DataFrame,
    *,
    catalogue: Catalogue,
    column_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    year: int | None = None,
    years: int | None = 1,
    hospitals: tuple[str, ...] | list[str] | None = None,
    strict: bool = False,
    salt: bytes | str | None = None,
    hash_patient_ids: bool = True,
) -> Imported:
    """Read, map and check a case table; with `strict` the first bad row raises instead.

    `year` (with `years`, None = any later year) is the window of discharge years accepted;
    `hospitals` the accepted hospital ids (None: any). Patient ids become salted sha256
    pseudonyms (see drgsim.records.privacy) unless `hash_patient_ids` is false.
    """
    source = "<DataFrame>" if isinstance(path, pd.DataFrame) else str(path)
    table, rows, malformed, enc, header = _read(path, encoding)
    mapping = _resolve(header, column_map or {}, source)
    cols = {name: table.column(src).combine_chunks() for src, name in mapping.items()}
    checker = _Checker(source, rows, len(table))
    for line, n_fields in malformed:
        checker.extra(line, "", f"{n_fields} fields", "malformed_row")
    n = len(table)
    # --- hospital ------------------------------------------------------------------------
    h_code, h_ids = _labels(cols["hospital"], str.strip)
    checker.flag(h_code < 0, "hospital", cols["hospital"], "missing_value")
    if hospitals is not None:
        index = {hid: i for i, hid in enumerate(hospitals)}
        remap = np.array([index.get(h, -1) for h in h_ids] + [-1], dtype=np.int64)
        h_code = remap[h_code]
        checker.flag(h_code < 0, "hospital", cols["hospital"], "unknown_hospital")
        h_ids = list(hospitals)
    # --- dates ----------------------------------------------------------------------------
    if "discharge_date" in cols:
        days, bad = _dates(cols["discharge_date"])
        checker.flag(bad, "discharge_date", cols["discharge_date"], "missing_value", "bad_date")
        safe = np.where(bad, 0, days).astype("datetime64[D]")
        y_start = safe.astype("datetime64[Y]")
        yr = y_start.astype(np.int64) + 1970
        month = (safe.astype("datetime64[M]") - y_start.astype("datetime64[M]")).astype(
            np.int64
        ) + 1
        doy = (safe - y_start.astype("datetime64[D]")).astype(np.int64) + 1
        date_col = "discharge_date"
    else:
        m_val, m_bad = _numbers(cols["month"])
        bad_month = ~m_bad & ((m_val < 1) | (m_val > 12) | (m_val != np.round(m_val)))
        checker.flag(m_bad, "month", cols["month"], "missing_value", "bad_month")
        checker.flag(bad_month, "month", cols["month"], "bad_month")
        month = np.where(np.isfinite(m_val) & ~bad_month, m_val, 1).astype(np.int64)
        if "year" in cols:
            y_val, y_bad = _numbers(cols["year"])
            checker.flag(y_bad | (y_val != np.round(y_val)), "year", cols["year"], "bad_number")
            yr = np.where(np.isfinite(y_val), y_val, 0).astype(np.int64)
        else:
            yr = np.full(n, year if year is not None else 0, dtype=np.int64)
        if "day" in cols:
            d_val, d_bad = _numbers(cols["day"])
            d_bad |= ~d_bad & ((d_val < 1) | (d_val > 366) | (d_val != np.round(d_val)))
            checker.flag(d_bad, "day", cols["day"], "missing_value", "bad_number")
            doy = np.where(d_bad, 1, d_val).astype(np.int64)
        else:
            doy = _mid_month(yr, month)
        date_col = "year" if "year" in cols else "month"
    if year is not None:
        outside = (yr < year) if years is None else ((yr < year) | (yr >= year + years))
        checker.flag(outside, date_col, cols.get(date_col), "outside_year")
    # --- groups ---------------------------------------------------------------------------
    n_drg = catalogue.n_drg
    drg = _drg_codes(cols["drg"], catalogue)
    checker.flag(drg < 0, "drg", cols["drg"], "unknown_drg")
    drg_true = _drg_codes(cols["drg_true"], catalogue) if "drg_true" in cols else drg
    if "drg_true" in cols:
        checker.flag(drg_true < 0, "drg_true", cols["drg_true"], "unknown_drg")
        drg_true = np.where(drg_true == n_drg, drg, drg_true)
    # --- money ----------------------------------------------------------------------------
    cost, cost_bad = _numbers(cols["cost_yuan"])
    checker.flag(cost_bad, "cost_yuan", cols["cost_yuan"], "missing_value", "bad_number")
    checker.flag(cost < 0, "cost_yuan", cols["cost_yuan"], "negative_value")
    oop, oop_bad = _numbers(cols["oop_yuan"])
    checker.flag(oop_bad, "oop_yuan", cols["oop_yuan"], "missing_value", "bad_number")
    checker.flag(oop < 0, "oop_yuan", cols["oop_yuan"], "negative_value")
    checker.flag(oop > cost, "oop_yuan", cols["oop_yuan"], "oop_above_cost")
    # --- stay -----------------------------------------------------------------------------
    los, los_col = _stay(cols, checker, days if "discharge_date" in cols else None, n)
    checker.flag(
        (los < 0) | (los > 3650) | (los != np.round(los)),
        los_col,
        cols.get(los_col),
        "negative_los",
    )
    if "discharge" in cols:
        d_code, d_words = _labels(cols["discharge"], lambda s: s.strip().lower())
        remap = np.array([DISCHARGE_WORDS.get(w, -1) for w in d_words] + [-2], dtype=np.int64)
        discharge = remap[d_code]
        checker.flag(discharge == -2, "discharge", cols["discharge"], "missing_value")
        checker.flag(discharge == -1, "discharge", cols["discharge"], "unknown_discharge")
    else:
        discharge = np.zeros(n, dtype=np.int64)
    # --- ids ------------------------------------------------------------------------------
    given = _id_labels(cols["case_id"]) if "case_id" in cols else None
    dup = _duplicates([h_code, yr, doy], given, table, checker.ok())
    checker.flag(
        dup, "case_id" if "case_id" in cols else "", cols.get("case_id"), "duplicate_record"
    )
    if strict:
        checker.raise_first()
    ok = checker.ok()
    record_id = (
        np.full(n, "", dtype=object) if given is None else np.where(pd.isna(given), "", given)
    )
    patient = patient_codes(
        cols.get("patient_id"), rows, salt=salt, hash_ids=hash_patient_ids, path=path
    )
    tier = None
    if "tier" in cols:
        t_val, _ = _numbers(cols["tier"])
        tier = np.where(np.isfinite(t_val), t_val, 0).astype(np.int8)
    codes = [*(str(c) for c in catalogue.drg), UNGROUPABLE]
    frame = {
        "row": rows,
        "record_id": record_id,
        "patient_id": patient,
        "hospital": _category(np.where(ok, h_code, 0), h_ids or [""]),
        "year": yr,
        "month": month,
        "day": doy,
        "los": np.where(ok, los, 0).astype(np.int64),
        "drg": _category(np.where(ok, drg, 0), codes),
        "drg_true": _category(np.where(ok, drg_true, 0), codes),
        "cost_yuan": cost,
        "oop_yuan": oop,
        "discharge": _category(np.where(ok, discharge, 0), list(DISCHARGE_TYPES)),
    }
    if tier is not None:
        frame["tier"] = tier
    if "fund" in cols:
        frame["fund"] = np.array([str(v).strip() for v in cols["fund"]], dtype=object)
    cases = pd.DataFrame(frame)[ok].reset_index(drop=True)
    rejected, counts = checker.table(table, mapping)
    return Imported(
        cases=cases,
        rejected=rejected,
        counts=counts,
        source=source,
        encoding=enc,
        rows=n + len(malformed),
        ungroupable=int(((drg == n_drg) & ok).sum()),
        ignored_columns=tuple(h for h in header if h not in mapping),
    )


class _Checker:
    """Collects the first defect of each row (reason, column) and turns them into a table."""

    def __init__(self, source: str, rows: np.ndarray, n: int) -> None:
        self.source, self.rows = source, rows
        self.reason = np.full(n, -1, dtype=np.int16)
        self.column = np.full(n, -1, dtype=np.int16)
        self.columns: list[tuple[str, pa.Array | None]] = []
        self.extras: list[tuple[int, str, str, str]] = []

    def extra(self, row: int, column: str, value: str, reason: str) -> None:
        """A defect of a row that never made it into the table (a malformed CSV line)."""
        self.extras.append((row, column, value, reason))

    def flag(
        self,
        bad: np.ndarray,
        column: str,
        values: pa.Array | None,
        reason: str,
        alt: str | None = None,
    ) -> None:
        """Mark rows `bad` with `reason` (`alt` for the present but unparseable ones)."""
        new = bad & (self.reason < 0)
        if not new.any():
            return
        self.columns.append((column, values))
        code = len(self.columns) - 1
        self.column[new] = code
        if alt is not None and values is not None:
            present = np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            self.reason[new & present] = _REASON_CODES[alt]
            self.reason[new & ~present] = _REASON_CODES[reason]
        else:
            self.reason[new] = _REASON_CODES[reason]

    def ok(self) -> np.ndarray:
        """Rows with no defect so far."""
        return self.reason < 0

    def _value(self, code: int, i: np.ndarray) -> list[str]:
        values = self.columns[code][1]
        if values is None:
            return [""] * len(i)
        return ["" if v is None else str(v) for v in values.take(pa.array(i)).to_pylist()]

    def table(self, table: pa.Table, mapping: Mapping[str, str]) -> tuple[pd.DataFrame, dict]:
        """Rejected rows (row, column, value, reason, expected) in row order, counts by reason."""
        bad = np.flatnonzero(self.reason >= 0)
        names = [self.columns[c][0] for c in range(len(self.columns))]
        out_rows = [(r, c, v, reason) for r, c, v, reason in self.extras]
        for code in range(len(self.columns)):
            i = bad[self.column[bad] == code]
            values = self._value(code, i)
            reasons = np.asarray(list(REASONS), dtype=object)[self.reason[i]]
            out_rows += list(
                zip(self.rows[i].tolist(), [names[code]] * len(i), values, reasons, strict=True)
            )
        out_rows.sort(key=lambda r: r[0])
        frame = pd.DataFrame(out_rows, columns=["row", "column", "value", "reason"])
        frame["row"] = frame["row"].astype(np.int64)
        frame["expected"] = frame["reason"].map(REASONS)
        counts = frame["reason"].value_counts().to_dict()
        return frame, {k: int(counts[k]) for k in REASONS if k in counts}

    def raise_first(self) -> None:
        """Raise a one-line error naming the first bad row, if there is one."""
        bad = np.flatnonzero(self.reason >= 0)
        first: tuple[int, str, str, str] | None = None
        if bad.size:
            i = int(bad[np.argmin(self.rows[bad])])
            code = int(self.column[i])
            value = self._value(code, np.array([i]))[0]
            first = (int(self.rows[i]), self.columns[code][0], value, list(REASONS)[self.reason[i]])
        for extra in self.extras:
            if first is None or extra[0] < first[0]:
                first = extra
        if first is not None:
            row, column, value, reason = first
            raise ImportError_(
                f"{self.source}: row {row} column {column or '-'}: value {value!r}; "
                f"expected {REASONS[reason]} ({reason})"
            )


# --- reading ----------------------------------------------------------------------------------


def sniff_encoding(path: Path) -> str:
    """UTF-8 when the file's first MiB decodes as UTF-8, else GB18030 (a superset of GBK)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if len(head) == 1 << 20:
        head = head[: head.rfind(b"\n") + 1] or head
    for enc in ("utf-8", "gb18030"):
        try:
            head.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise ImportError_(f"{path}: neither UTF-8 nor GBK text; pass encoding (cases.encoding)")


def _read(
    path: str | Path | pd.DataFrame, encoding: str | None
) -> tuple[pa.Table, np.ndarray, list[tuple[int, int]], str | None, list[str]]:
    """The raw table, each row's number in the source, malformed lines, encoding and header."""
    if isinstance(path, pd.DataFrame):
        table = pa.Table.from_pandas(path, preserve_index=False)
        return table, np.arange(1, len(table) + 1), [], None, [str(c) for c in table.column_names]
    p = Path(path)
    if not p.is_file():
        raise ImportError_(f"{p}: file not found; expected a CSV or Parquet case table")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            table = pq.read_table(p)
            header = [str(c) for c in table.column_names]
            return table, np.arange(1, len(table) + 1), [], None, header
        return _read_csv(p, encoding)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError, LookupError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportError_(f"{p}: cannot read: {msg}") from None


def _read_csv(
    p: Path, encoding: str | None
) -> tuple[pa.Table, np.ndarray, list[tuple[int, int]], str | None, list[str]]:
    """A CSV read by pyarrow with id columns as strings; malformed lines kept aside by number."""
    enc = encoding or sniff_encoding(p)
    with p.open(encoding=enc, newline="") as fh:
        header = next(csv.reader(fh), [])
    header = [h.lstrip("\ufeff").strip() for h in header]
    if not header:
        raise ImportError_(f"{p}: empty file; expected a header row")
    names = _known(header)
    types: dict[str, pa.DataType] = {}
    for h, name in names.items():
        if name in _STRING_COLUMNS:
            types[h] = pa.dictionary(pa.int32(), pa.string())
        elif name in ("patient_id", "case_id", "discharge_date", "admit_date"):
            types[h] = pa.string()

    def read(threads: bool) -> tuple[pa.Table, list[tuple[int | None, int]]]:
        bad: list[tuple[int | None, int]] = []

        def handler(row: pacsv.InvalidRow) -> str:
            bad.append((row.number, row.actual_columns))
            return "skip"

        table = pacsv.read_csv(
            p,
            read_options=pacsv.ReadOptions(
                encoding=enc, use_threads=threads, block_size=1 << 24, column_names=header,
                skip_rows=1,
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=handler, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
        )  # fmt: skip
        return table, bad

    table, bad = read(True)
    if not bad:
        return table, np.arange(2, len(table) + 2), [], enc, header
    if any(number is None or number < 0 for number, _ in bad):
        table, bad = read(False)
    lines = {int(number or 0) for number, _ in bad}
    all_lines = np.arange(2, len(table) + len(bad) + 2)
    rows = all_lines[~np.isin(all_lines, list(lines))]
    return table, rows, [(int(num or 0), cols) for num, cols in bad], enc, header


def _known(header: list[str], column_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """Source header → drgsim column for the headers drgsim knows (map first, then aliases)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for h in header:
        if column_map and h in column_map:
            out[h] = column_map[h]
            taken.add(column_map[h])
    for col in COLUMNS:
        if col.name in taken:
            continue
        for alias in (col.name, *col.aliases):
            if alias in header and alias not in out:
                out[alias] = col.name
                taken.add(col.name)
                break
    return out


def _resolve(header: list[str], column_map: Mapping[str, str], source: str) -> dict[str, str]:
    """The column map checked against the header and drgsim's columns; required ones present."""
    for src, target in column_map.items():
        if target not in NAMES:
            raise ImportError_(
                f"{source}: column_map {src!r}: got {target!r}; allowed: {', '.join(NAMES)}"
            )
        if src not in header:
            raise ImportError_(
                f"{source}: column_map {src!r}: no such column; the file has: {', '.join(header)}"
            )
    targets = list(column_map.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ImportError_(f"{source}: column_map maps two columns to {twice[0]!r}")
    mapping = _known(header, column_map)
    have = set(mapping.values())
    missing = [c for c in ("hospital", "drg", "cost_yuan", "oop_yuan") if c not in have]
    if "discharge_date" not in have and "month" not in have:
        missing.append("discharge_date (出院日期) or month")
    if missing:
        raise ImportError_(
            f"{source}: missing column(s) {', '.join(missing)}; the file has: "
            f"{', '.join(header)}; map them with column_map (cases.column_map)"
        )
    return mapping


# --- column parsers ---------------------------------------------------------------------------


def _labels(values: pa.Array, norm: object) -> tuple[np.ndarray, list[str]]:
    """Integer code per row (-1: missing or blank) and the normalised distinct labels."""
    if pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    enc = pc.dictionary_encode(values)
    assert callable(norm)
    labels = [norm(v) for v in enc.dictionary.to_pylist()]
    distinct = sorted({x for x in labels if x})
    index = {x: i for i, x in enumerate(distinct)}
    remap = np.array([index.get(x, -1) for x in labels] + [-1], dtype=np.int64)
    idx = enc.indices.fill_null(len(labels)).to_numpy(zero_copy_only=False)
    return remap[idx], distinct


def _drg_codes(values: pa.Array, cat: Catalogue) -> np.ndarray:
    """Catalogue index of each code; n_drg for ungroupable records, -1 for unknown codes."""
    code, labels = _labels(values, lambda s: s.strip().upper())
    index = {c: i for i, c in enumerate(cat.drg)}

    def one(label: str) -> int:
        if label in index:
            return index[label]
        if label == UNGROUPABLE or label.endswith("QY"):
            return cat.n_drg
        return -1

    remap = np.array([one(x) for x in labels] + [cat.n_drg], dtype=np.int64)
    return remap[code]


def _numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN where missing or not a number) and the mask of those rows."""
    if pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        out = values.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
    elif pa.types.is_boolean(values.type) or pa.types.is_null(values.type):
        out = np.full(len(values), np.nan)
    else:
        text = values.cast(pa.string()).to_pandas().str.strip().str.replace(",", "", regex=False)
        out = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    out = np.asarray(out, dtype=np.float64)
    return out, ~np.isfinite(out)


def _dates(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 and the mask of missing or unparseable dates."""
    if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
        days = values.cast(pa.timestamp("s")).cast(pa.int64())
        secs = days.fill_null(0).to_numpy(zero_copy_only=False)
        return secs // 86400, ~np.asarray(
            values.is_valid().to_numpy(zero_copy_only=False), dtype=bool
        )
    code, labels = _labels(values, str.strip)
    parsed = _parse_dates(labels)
    table = np.append(parsed, -(2**62))
    out = table[np.where(code < 0, len(labels), code)]
    return np.where(out == -(2**62), 0, out), out == -(2**62)


def _parse_dates(labels: list[str]) -> np.ndarray:
    """Days since 1970-01-01 of distinct date strings (-2**62: not a date)."""
    s = pd.Series(labels, dtype=object)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[s]")
    for fmt in _DATE_FORMATS:
        todo = out.isna()
        if not todo.any():
            break
        got = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        out[todo] = got.astype("datetime64[s]")
    days = out.to_numpy().astype("datetime64[D]").astype(np.int64)
    return np.where(out.isna().to_numpy(), -(2**62), days)


def _stay(
    cols: dict[str, pa.Array], checker: _Checker, discharge_days: np.ndarray | None, n: int
) -> tuple[np.ndarray, str]:
    """Length of stay from `los`, else from the admission and discharge dates, else 1 day."""
    if "los" in cols:
        los, bad = _numbers(cols["los"])
        checker.flag(bad, "los", cols["los"], "missing_value", "bad_number")
        return np.where(bad, 0, los), "los"
    if "admit_date" in cols and discharge_days is not None:
        admit, bad = _dates(cols["admit_date"])
        checker.flag(bad, "admit_date", cols["admit_date"], "missing_value", "bad_date")
        return np.where(bad, 0, discharge_days - admit).astype(np.float64), "admit_date"
    return np.ones(n), "los"


def _id_labels(values: pa.Array) -> np.ndarray:
    """Each row's case id as given (stripped text, whatever its form); None where blank."""
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    labels = text.to_numpy(zero_copy_only=False).astype(object)
    labels[labels == ""] = None
    return labels


def _duplicates(
    keys: list[np.ndarray], ids: np.ndarray | None, table: pa.Table, ok: np.ndarray
) -> np.ndarray:
    """Usable rows repeating an earlier one: same hospital, date and case id as given.

    Rows without a case id (no column, or a blank cell) repeat an earlier one only when every
    value of the row is the same.
    """
    dup = np.zeros(len(ok), dtype=bool)
    has_id = np.zeros(len(ok), dtype=bool) if ids is None else pd.notna(ids).astype(bool)
    by_id = np.flatnonzero(ok & has_id)
    if by_id.size:
        assert ids is not None
        frame = pd.DataFrame({str(i): c[by_id] for i, c in enumerate([*keys, ids])})
        dup[by_id] = frame.duplicated(keep="first").to_numpy()
    whole = np.flatnonzero(ok & ~has_id)
    if whole.size:
        dup[whole] = table.take(pa.array(whole)).to_pandas().duplicated(keep="first").to_numpy()
    return dup


def _mid_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Day of year of the 15th of each month (non-leap when the year is unknown)."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0)) & (year > 0)
    first = np.array([month_days(2021, m)[0] for m in range(1, 13)], dtype=np.int64)
    return first[month - 1] + 14 + (leap & (month > 2))


def _category(codes: np.ndarray, labels: list[str]) -> Any:
    """A categorical column from integer codes into `labels`."""
    return pd.Categorical.from_codes(codes.astype(np.int64), dtype=pd.CategoricalDtype(labels))
