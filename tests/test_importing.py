"""Importing a bureau's case table: Chinese headers in GBK, a column map, every defect kept."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import NO_AUDIT

import drgsim
from drgsim.errors import DrgsimError
from drgsim.records import replay
from drgsim.records.catalogue_file import load
from drgsim.records.importing import COLUMNS, REASONS, import_cases
from drgsim.rules.catalogue import Catalogue

HOSPITALS = ("H1", "H2", "H3")
GOLDEN_CATALOGUE = Path(__file__).parent / "golden" / "catalogue.csv"  # ES23 ES25 FM19 IB19 XJ19


def golden_catalogue() -> Catalogue:
    """The golden test deck's five-group catalogue."""
    return load(GOLDEN_CATALOGUE)


GOOD = [
    # case_id, patient, hospital, discharge date, los, drg, cost, oop, discharge
    ("1", "P01", "H1", "2021-03-05", "8", "FM19", "20000", "6000", "normal"),
    ("2", "P02", "H1", "2021-03-20", "20", "IB19", "80000", "20000", "normal"),
    ("3", "P03", "H2", "2021-04-02", "1", "ES23", "6000", "1800", "transfer"),
    ("4", "P01", "H1", "2021-03-15", "6", "FM19", "24000", "7200", "normal"),
    ("5", "P04", "H3", "2021-05-11", "3", "ES25", "3000", "900", "death"),
    ("6", "P05", "H2", "2021-06-30", "5", "", "9000", "2000", "normal"),
]
BAD = {
    "unknown_drg": ("11", "P11", "H1", "2021-03-05", "8", "ZZ99", "20000", "6000", "normal"),
    "negative_value": ("12", "P12", "H1", "2021-03-05", "8", "FM19", "-5", "0", "normal"),
    "missing_value": ("13", "P13", "H1", "2021-03-05", "8", "FM19", "", "0", "normal"),
    "bad_number": ("14", "P14", "H1", "2021-03-05", "8", "FM19", "abc", "0", "normal"),
    "oop_above_cost": ("15", "P15", "H1", "2021-03-05", "8", "FM19", "100", "200", "normal"),
    "outside_year": ("16", "P16", "H1", "2020-12-31", "8", "FM19", "20000", "6000", "normal"),
    "negative_los": ("17", "P17", "H1", "2021-03-05", "-1", "FM19", "20000", "6000", "normal"),
    "unknown_hospital": ("18", "P18", "H9", "2021-03-05", "8", "FM19", "20000", "6000", "normal"),
    "duplicate_record": ("1", "P01", "H1", "2021-03-05", "8", "FM19", "20000", "6000", "normal"),
    "bad_date": ("19", "P19", "H1", "2021-13-45", "8", "FM19", "20000", "6000", "normal"),
    "unknown_discharge": ("20", "P20", "H1", "2021-03-05", "8", "FM19", "20000", "6000", "fled"),
}
HEADER = "case_id,patient_id,hospital,discharge_date,los,drg,cost_yuan,oop_yuan,discharge"


def write(path: Path, rows: list[tuple[str, ...]], extra: str = "") -> Path:
    path.write_text(HEADER + "\n" + "".join(",".join(r) + "\n" for r in rows) + extra)
    return path


def scenario(source: Path) -> dict[str, Any]:
    return {
        "name": "import",
        "years": 1,
        "start_year": 2021,
        "cases": {"source": str(source)},
        "catalogue": {"source": str(GOLDEN_CATALOGUE)},
        "hospitals": {h: {"name": h, "tier": t} for h, t in zip(HOSPITALS, (3, 2, 1), strict=True)},
        "other_hospitals": {"count": {2: 0, 1: 0}},
        "budget": {"annual": 150000},
        "audit": NO_AUDIT,
    }


def test_a_gbk_csv_with_chinese_headers_imports_through_a_column_map(tmp_path: Path) -> None:
    text = (
        "结算ID,患者编号,医疗机构编码,入院日期,出院日期,DRG编码,总费用,个人负担,离院方式,科室,床日\n"
        "A001,张三,H1,2021/3/1,2021/3/9,FM19,20000.5,6000,医嘱离院,内科,8\n"
        "A002,李四,H2,20210330,20210402,ES23,6000,1800,2,外科,3\n"
        "A003,张三,H1,2021-12-20,2021-12-31,ES25,3000,900,死亡,内科,11\n"
        "A004,王五,H3,2021-05-01,2021-05-04,ES23,3000,900,4,内科,3\n"
    )
    path = tmp_path / "结算清单.csv"
    path.write_bytes(text.encode("gbk"))
    imp = import_cases(
        path,
        catalogue=golden_catalogue(),
        column_map={"床日": "los"},
        year=2021,
        hospitals=HOSPITALS,
    )
    assert imp.encoding == "gb18030" and imp.counts == {}
    c = imp.cases
    assert c["hospital"].tolist() == ["H1", "H2", "H1", "H3"]
    assert c["month"].tolist() == [3, 4, 12, 5]
    assert c["day"].tolist() == [68, 92, 365, 124]
    assert c["los"].tolist() == [8, 3, 11, 3]
    assert c["discharge"].tolist() == ["normal", "transfer", "death", "against_advice"]
    assert c["cost_yuan"].tolist() == [20000.5, 6000.0, 3000.0, 3000.0]
    assert c["record_id"].tolist() == ["A001", "A002", "A003", "A004"]  # 结算ID as given
    pid = c["patient_id"].tolist()
    assert pid[0] == pid[2] != pid[1] and all(isinstance(p, int) for p in pid)
    assert imp.ignored_columns == ("科室",)
    same = import_cases(
        path, catalogue=golden_catalogue(), column_map={"床日": "los"}, encoding="gbk"
    )
    assert same.cases["patient_id"].tolist() == pid


def test_every_defective_row_is_rejected_with_its_reason_and_the_good_rows_settle_alone(
    tmp_path: Path,
) -> None:
    rows = GOOD[:3] + list(BAD.values()) + GOOD[3:]
    dirty = write(tmp_path / "dirty.csv", rows, extra="7,P7,H1,2021-03-05\n")
    clean = write(tmp_path / "clean.csv", GOOD)
    imp = import_cases(dirty, catalogue=golden_catalogue(), year=2021, hospitals=HOSPITALS)
    rej = imp.rejected
    expected = {reason: 5 + i for i, reason in enumerate(BAD)}  # header = row 1
    got = dict(zip(rej["reason"], rej["row"], strict=False))
    for reason, row in expected.items():
        assert got[reason] == row, reason
    malformed = rej[rej["reason"] == "malformed_row"]
    assert malformed["row"].tolist() == [len(rows) + 2]
    assert imp.counts == {**dict.fromkeys(BAD, 1), "malformed_row": 1}
    assert rej.loc[rej["reason"] == "unknown_drg", "value"].item() == "ZZ99"
    assert rej.loc[rej["reason"] == "unknown_hospital", "column"].item() == "hospital"
    assert set(rej.columns) >= {"row", "column", "value", "reason"}
    assert len(imp.cases) == len(GOOD) and imp.ungroupable == 1
    written = pd.read_parquet(imp.write_rejected(tmp_path / "out"))
    pd.testing.assert_frame_equal(written, rej)
    assert set(REASONS) >= set(rej["reason"])
    alone = drgsim.run(scenario(clean))
    mixed = drgsim.run(scenario(dirty))
    for table in ("settlement", "hospital_month", "region_year"):
        pd.testing.assert_frame_equal(getattr(mixed, table), getattr(alone, table))


def test_strict_names_the_first_bad_row(tmp_path: Path) -> None:
    dirty = write(tmp_path / "dirty.csv", [*GOOD[:2], BAD["oop_above_cost"], BAD["unknown_drg"]])
    with pytest.raises(DrgsimError, match=r"dirty.csv: row 4 column oop_yuan: value '200'"):
        import_cases(
            dirty, catalogue=golden_catalogue(), year=2021, hospitals=HOSPITALS, strict=True
        )


def test_a_table_without_required_columns_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("医疗机构编码,总费用\nH1,100\n", encoding="utf-8")
    with pytest.raises(DrgsimError, match=r"missing column.*drg.*oop_yuan.*出院日期"):
        import_cases(path, catalogue=golden_catalogue())


def test_columns_table_documents_every_column() -> None:
    names = [c.name for c in COLUMNS]
    assert {"hospital", "drg", "cost_yuan", "oop_yuan", "discharge_date", "patient_id"} <= set(
        names
    )
    assert all(c.meaning for c in COLUMNS)


def test_alphanumeric_ids_find_exact_duplicates_and_settle_them_once(tmp_path: Path) -> None:
    named = [(f"JS{r[0]}X", *r[1:]) for r in GOOD]  # 结算ID like JS1X: not whole numbers
    again = [named[0], named[3]]  # two exact copies, at rows 8 and 9 (header = row 1)
    other_hospital = ("JS1X", "P09", "H3", "2021-03-05", "2", "ES23", "5000", "1500", "normal")
    blank = ("", "P10", "H2", "2021-05-01", "3", "ES25", "4000", "1000", "normal")
    rows = [*named, *again, other_hospital, blank, blank]
    dirty = write(tmp_path / "dirty.csv", rows)
    clean = write(tmp_path / "clean.csv", [*named, other_hospital, blank])
    imp = import_cases(dirty, catalogue=golden_catalogue(), year=2021, hospitals=HOSPITALS)
    rej = imp.rejected
    assert rej["row"].tolist() == [len(named) + 2, len(named) + 3, len(rows) + 1]
    assert rej["reason"].unique().tolist() == ["duplicate_record"]
    assert rej["value"].tolist()[:2] == ["JS1X", "JS4X"]
    assert imp.counts["duplicate_record"] == 3
    assert len(imp.cases) == len(named) + 2  # the same id at another hospital is another case
    alone = drgsim.run(scenario(clean))
    mixed = drgsim.run(scenario(dirty))
    for table in ("settlement", "hospital_month", "region_year"):
        pd.testing.assert_frame_equal(getattr(mixed, table), getattr(alone, table))


def _run_cli_with_cases(tmp_path: Path, table: Path) -> pd.DataFrame:
    """`drgsim run --cases` on a scenario replaying `table`; its cases.parquet."""
    import subprocess
    import sys

    import yaml

    path = tmp_path / "replay.yaml"
    path.write_text(yaml.safe_dump(scenario(table), allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "drgsim.cli", "run", str(path), "--out", str(out)]
    done = subprocess.run(
        [*cmd, "--cases", "--no-report", "--quiet"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return pd.read_parquet(out / "cases.parquet")


def test_a_replay_with_alphanumeric_ids_writes_them_unchanged_and_refuses_duplicates(
    tmp_path: Path,
) -> None:
    named = [(f"JS2021-{int(r[0]):06d}", *r[1:]) for r in GOOD]  # JS2021-000001 …
    rows = [*named, named[1]]  # an exact copy of JS2021-000002, at row 8 (header = row 1)
    cases = _run_cli_with_cases(tmp_path, write(tmp_path / "cases.csv", rows))
    # each case keeps its own id, as text, at the row it was read from; the copy is not settled
    got = cases[["record_id", "record_row", "hospital", "cost_yuan"]].sort_values("record_row")
    want = [[r[0], k + 2, r[2], float(r[6])] for k, r in enumerate(named)]
    assert got.values.tolist() == want
    rejected = pd.read_parquet(tmp_path / "out" / "rejected.parquet")
    assert rejected[["row", "value", "reason"]].values.tolist() == [
        [len(named) + 2, "JS2021-000002", "duplicate_record"]
    ]


def test_ids_with_leading_zeros_are_other_ids_than_without(tmp_path: Path) -> None:
    # "000123" and "123" are two settlements (same hospital and day, different costs); a second
    # "000123" row that repeats the first exactly is a duplicate and is not settled
    first = ("000123", "P01", "H1", "2021-03-05", "8", "FM19", "20000", "6000", "normal")
    plain = ("123", "P02", "H1", "2021-03-05", "8", "FM19", "21000", "6300", "normal")
    other = ("0123", "P03", "H1", "2021-03-05", "8", "FM19", "22000", "6600", "normal")
    rows = [first, plain, other, first]
    cases = _run_cli_with_cases(tmp_path, write(tmp_path / "cases.csv", rows))
    got = cases.sort_values("record_row")[["record_id", "record_row", "cost_yuan"]]
    assert got.values.tolist() == [
        ["000123", 2, 20000.0],
        ["123", 3, 21000.0],
        ["0123", 4, 22000.0],
    ]
    assert cases["case_id"].is_unique
    rejected = pd.read_parquet(tmp_path / "out" / "rejected.parquet")
    assert rejected[["row", "value", "reason"]].values.tolist() == [
        [5, "000123", "duplicate_record"]
    ]


def test_each_run_reads_its_table_afresh_and_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "cases.csv", GOOD)
    stamp = path.stat()
    first = drgsim.run(scenario(path))
    # the same size and modification time, but one cost changed: a cache keyed on them is stale
    changed = [GOOD[0], ("2", *GOOD[1][1:6], "90000", *GOOD[1][7:]), *GOOD[2:]]
    write(path, changed)
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    reads: list[str] = []
    monkeypatch.setattr(replay, "import_cases", counted(replay.import_cases, reads))
    variant = {"v": {"settlement.prepay_share": 0.9}}
    second = drgsim.run({**scenario(path), "replications": 2, "variants": variant})
    assert reads == [str(path)]  # two variants × two replications, one read
    fresh = drgsim.run(scenario(write(tmp_path / "fresh.csv", changed)))
    base = second.settlement[second.settlement["variant"] == "baseline"]
    one = base[base["replication"] == 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, fresh.settlement)
    assert not one.equals(first.settlement)


def counted(function: Any, calls: list[str]) -> Any:
    """`function`, recording the path of each call in `calls`."""

    def wrapper(path: Any, **options: Any) -> Any:
        calls.append(str(path))
        return function(path, **options)

    return wrapper
