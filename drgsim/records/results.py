"""A run's tables: held in memory, written to a directory atomically, and read back."""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandas._config

from drgsim import cpus
from drgsim.engine.coded import Coded
from drgsim.errors import DrgsimError
from drgsim.records.outdir import staged
from drgsim.scenario.schema import Scenario

TABLES = ("catalogue", "hospital_month", "settlement", "region_year", "audit", "drg_margin")
#: Tables a run writes when it has them (cases asked for, variants, a replay, several funds).
EXTRA_TABLES = ("cases", "comparison", "rejected", "fund_settlement")


#: Rows from which a coded text column is taken from its labels in arrow (fewer: string by
#: string, as fast; the same column either way).
TAKEN_FROM_ROWS = 1000


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One DataFrame from a simulation's blocks of column arrays (empty without rows)."""
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame({k: column([block[k] for block in rows]) for k in rows[0]})


def from_columns(columns: dict[str, Any]) -> pd.DataFrame:
    """`pd.DataFrame(columns)`: the same frame, dtypes and memory blocks, where a column may
    also be given as the list of numeric numpy arrays it is the concatenation of. Those are
    concatenated straight into their dtype's 2-D block (one copy of the data, not two: pandas
    stacks the columns it is given into that block); pandas' text is its own block, as there.
    Columns of any other kind (numpy objects, which pandas may take for text) make the frame
    as pandas makes it."""
    if not all(_kept_as_is(v) for v in columns.values()):
        return pd.DataFrame({k: _joined(v) for k, v in columns.items()})
    from pandas.api.internals import create_dataframe_from_blocks

    rows = {sum(len(a) for a in v) if isinstance(v, list) else len(v) for v in columns.values()}
    if len(rows) > 1:
        raise ValueError("from_columns: columns of different lengths")
    n = rows.pop() if rows else 0
    groups: dict[Any, list[int]] = {}  # pandas' blocks: one per numpy dtype, in first use
    blocks: list[tuple[Any, np.ndarray]] = []
    values = list(columns.values())
    for i, v in enumerate(values):
        if isinstance(v, list):
            dtype = np.result_type(*[a.dtype for a in v])
            groups.setdefault(dtype, []).append(i)
        else:
            groups[("own block", i)] = [i]
    fills: list[tuple[np.ndarray, list[np.ndarray]]] = []  # each block row and its parts
    for key, where in groups.items():
        if not isinstance(key, np.dtype):
            blocks.append((values[where[0]], np.array(where, dtype=np.intp)))
            continue
        block = np.empty((len(where), n), dtype=key)
        fills += [(block[j], values[i]) for j, i in enumerate(where)]
        blocks.append((block, np.array(where, dtype=np.intp)))
    _fill_rows(fills)
    return create_dataframe_from_blocks(
        blocks, index=pd.RangeIndex(n), columns=pd.Index(list(columns))
    )


#: Bytes of a frame from which its columns are made on several threads: numpy and pyarrow let
#: go of the GIL while they copy, and the new pages' first-touch faults, the larger part of the
#: time, then fall on every core (200 Shanwei replications' tables, first built, on 2 cores:
#: 0.91–1.15 → 0.73–0.95 s).
THREADED_BYTES = 32 << 20


def on_cpus(makers: Sequence[Callable[[], Any]], nbytes: int) -> list[Any]:
    """What each of `makers` returns, in order: made on the CPUs this process may use when they
    write `nbytes` ≥ THREADED_BYTES, else one after another (each made alike either way)."""
    n_cpus = cpus.usable()
    if nbytes < THREADED_BYTES or n_cpus < 2 or len(makers) < 2:
        return [make() for make in makers]
    with ThreadPoolExecutor(min(n_cpus, len(makers)), thread_name_prefix="drgsim-frame") as pool:
        return [done.result() for done in [pool.submit(make) for make in makers]]


def _fill_rows(fills: list[tuple[np.ndarray, list[np.ndarray]]]) -> None:
    """Each row of `fills` set to its parts concatenated (on_cpus)."""
    fillers = [functools.partial(np.concatenate, parts, out=row) for row, parts in fills]
    on_cpus(fillers, sum(row.nbytes for row, _ in fills))


def _kept_as_is(value: Any) -> bool:
    """Whether pandas keeps a column of `from_columns` as it is: parts that are numpy arrays
    of booleans or numbers (a numpy block), or one of pandas' own arrays (a block of its own)."""
    if isinstance(value, list):
        return bool(value) and all(
            isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype.kind in "biuf" for a in value
        )
    return isinstance(value, pd.api.extensions.ExtensionArray) and isinstance(
        value.dtype, pd.StringDtype
    )


def _joined(value: Any) -> Any:
    """A column of `from_columns` as one array."""
    if not isinstance(value, list):
        return value
    return np.concatenate(value) if len(value) != 1 else value[0]


def column(arrays: Sequence[Any]) -> Any:
    """One column of a table from its blocks' arrays, concatenated; text kept as codes
    (engine.coded.Coded) becomes the column pandas makes of its strings, from its labels.

    Blocks whose labels are equal strings share them, whether the same array or a copy (each
    simulation run in a worker process sends its own copy): the labels of a thousand
    replications' DRG margins are then one catalogue's codes, not a thousand copies."""
    if arrays and all(isinstance(a, Coded) for a in arrays):
        labels, codes = _merged(arrays, lambda a: tuple(a.tolist()))
        if not all(isinstance(label, str) for label in labels):  # 1 == 1.0: equal, not alike
            labels, codes = _merged(arrays, id)
        return text_column(labels, codes)
    return np.concatenate([np.asarray(a) for a in arrays])


def _merged(arrays: Sequence[Coded], same: Callable[[np.ndarray], Any]) -> tuple[Any, Any]:
    """The blocks' labels, each kept once (labels with the same `same(labels)` are one), and
    their codes into those."""
    seen: dict[int, int] = {}  # each array of labels (by id) → where its labels start
    kept: dict[Any, int] = {}  # each `same(labels)` → where its labels start
    labels, codes, offset = [], [], 0
    for a in arrays:
        start = seen.get(id(a.labels))
        if start is None:
            key = same(a.labels)
            start = kept.get(key)
            if start is None:
                start = kept[key] = offset
                labels.append(a.labels)
                offset += len(a.labels)
            seen[id(a.labels)] = start
        codes.append(a.codes + start if start else a.codes)
    return np.concatenate(labels), np.concatenate(codes)


def text_column(labels: np.ndarray, codes: np.ndarray) -> Any:
    """`labels[codes]` as pandas makes a column of those strings (its text dtype, pyarrow
    strings by default), taken from the labels in arrow rather than string by string."""
    import pyarrow as pa

    infers = getattr(pandas._config, "using_string_dtype", lambda: True)()  # not deprecated
    made = _made_of_text(infers, pd.get_option("mode.string_storage"))
    if (
        codes.size < TAKEN_FROM_ROWS
        or not isinstance(made.dtype, pd.StringDtype)
        or made.dtype.storage != "pyarrow"
        or not all(isinstance(label, str) for label in labels)
    ):
        return labels[codes]  # pandas makes of it what it makes of text
    text = pa.array(labels, type=pa.array(made).type).take(pa.array(codes))
    return pd.array(text, dtype=made.dtype)


@functools.lru_cache(maxsize=8)
def _made_of_text(infer_string: bool, string_storage: str) -> Any:
    """The array pandas makes of a column of strings under these settings of its own (whether
    it infers its text dtype for strings, and how it stores them)."""
    return pd.Series(np.array([""], dtype=object)).array


@dataclass
class KeptClaims:
    """Claims a run kept, not written, so that its report's waterfall need not simulate again
    (drgsim.engine.rows.ClaimPick): of each (variant, replication, year) in `tariffs`, every
    claim an act recoded and every claim of the variant's `watched` hospitals; with the tariff
    that priced them."""

    cases: pd.DataFrame  # variant, replication, then the case rows (cases.parquet's columns)
    tariffs: dict[tuple[str, int, int], Any]  # (variant, replication, year) → its Tariff
    watched: dict[str, frozenset[str]]  # variant → hospitals all of whose claims were kept


class Deferred:
    """A table made when it is first read, by its maker called once (on one thread)."""

    def __init__(self, make: Callable[[], pd.DataFrame]) -> None:
        self.make: Callable[[], pd.DataFrame] | None = make
        self.table: pd.DataFrame | None = None
        self.lock = threading.Lock()

    def get(self) -> pd.DataFrame:
        """The table, made now if it has not been (its maker then let go)."""
        with self.lock:
            if self.make is not None:
                self.table, self.make = self.make(), None
        assert self.table is not None
        return self.table


@dataclass
class Result:
    """The tables of a run as pandas DataFrames, and its manifest.

    A table may be held `defer`red: made from the simulations' rows when it is first read (a
    thousand replications' DRG margins, some 18 million rows, take seconds to assemble).
    """

    if not TYPE_CHECKING:  # (seen by mypy, it would let any attribute name pass)

        def __getattribute__(self, name: str) -> Any:
            """A field's value; a deferred table is made on its first reading and kept."""
            value = object.__getattribute__(self, name)
            if type(value) is Deferred:
                value = value.get()
                object.__setattr__(self, name, value)
            return value

    def defer(self, name: str, make: Callable[[], pd.DataFrame]) -> None:
        """Hold the table `name` as made by `make` when it is first read."""
        object.__setattr__(self, name, Deferred(make))

    def held(self) -> dict[str, Any]:
        """Every field as held: a deferred table not made."""
        return {f.name: object.__getattribute__(self, f.name) for f in dataclasses.fields(self)}

    def __getstate__(self) -> dict[str, Any]:
        """The fields for pickling, every table made."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    scenario: Scenario
    manifest: dict[str, Any]
    hospital_month: pd.DataFrame
    settlement: pd.DataFrame
    region_year: pd.DataFrame
    catalogue: pd.DataFrame
    cases: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    case_parts: list[tuple[str, str, int, str]] = field(default_factory=list)
    rejected: pd.DataFrame | None = None
    audit: pd.DataFrame = field(default_factory=pd.DataFrame)
    tables: tuple[str, ...] = TABLES
    fund_settlement: pd.DataFrame | None = None  # fund × hospital × year, with several funds
    drg_margin: pd.DataFrame = field(default_factory=pd.DataFrame)  # hospital × DRG 病组盈亏
    kept: KeptClaims | None = field(default=None, repr=False, compare=False)  # not written

    def __repr__(self) -> str:
        ry = self.region_year
        return (
            f"<drgsim.Result {self.scenario.name!r}: {ry['variant'].nunique()} variant(s), "
            f"{ry['replication'].nunique()} replication(s), {ry['year'].nunique()} year(s)>"
        )


def write(result: Result, out: str | Path, *, force: bool = False) -> Path:
    """Write manifest.json and the Parquet tables to `out`, all at once or not at all.

    Everything is written into a staging directory beside `out` and swapped into place (see
    drgsim.records.outdir); an existing non-empty `out` is replaced only with `force`.
    """
    out = Path(out)
    with staged(out, force) as tmp:
        write_tables(result, tmp)
    return out


def write_tables(result: Result, directory: Path) -> None:
    """Write manifest.json, the Parquet tables and the cases into an existing `directory`
    (where figures may be being drawn already: the manifest lists the tables written)."""
    written = []
    for name in TABLES:
        _parquet(getattr(result, name), directory / f"{name}.parquet")
        written.append(f"{name}.parquet")
    for extra in EXTRA_TABLES:
        table = getattr(result, extra)
        if table is not None:
            _parquet(table, directory / f"{extra}.parquet")
            written.append(f"{extra}.parquet")
    cases = _collect_cases(result, directory) if result.case_parts else None
    if cases is not None:
        written.append(cases)
    manifest = dict(result.manifest)
    manifest["tables"] = sorted(written)
    (directory / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _collect_cases(result: Result, tmp: Path) -> str | None:
    """Move streamed case files into place: one cases.parquet, or a cases/ dataset by region;
    return the name written (none without a row).

    A one-region run's parts are copied row group by row group into a single file with the
    variant and replication columns in front; a many-region run keeps the Hive-partitioned
    dataset (region=…/variant=…/replication=…) that DuckDB, pandas and R's arrow read as one.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if "regions" in result.manifest:
        root = tmp / "cases"
        for region, variant, rep, part in result.case_parts:
            target = root / f"region={region}" / f"variant={variant}" / f"replication={rep}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(part, target)
        return root.name
    writer = None
    try:
        for _, variant, rep, part in result.case_parts:
            source = pq.ParquetFile(part)
            for i in range(source.num_row_groups):
                group = source.read_row_group(i)
                n = group.num_rows
                group = group.add_column(0, "replication", pa.array([rep] * n, pa.int64()))
                group = group.add_column(0, "variant", pa.array([variant] * n, pa.string()))
                if writer is None:
                    writer = pq.ParquetWriter(
                        tmp / "cases.parquet", group.schema, compression="zstd"
                    )
                writer.write_table(group)
    finally:
        if writer is not None:
            writer.close()
    return None if writer is None else "cases.parquet"


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    """One table as Parquet, its text columns dictionary-encoded (trying that on numbers, of
    hundreds of thousands of distinct values in drg_margin, took most of the time) and every
    column but the floats zstd-compressed: a float column of money shrinks by 5 % at most, and
    compressing drg_margin's took a third of its writing (national year: 2.1 → 1.55 s of CPU,
    232 → 244 MB)."""
    text = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    compression = {
        str(c): "none" if pd.api.types.is_float_dtype(frame[c]) else "zstd" for c in frame.columns
    }
    options: dict[str, Any] = {"compression": compression, "use_dictionary": text}
    frame.to_parquet(path, index=False, **options)


def as_tables(result: Result, directory: Path | None = None) -> dict[str, Any]:
    """What `read(directory)` gives after `write_tables(result, directory)`, without reading the
    tables back: the manifest as written, copies of the frames held in `result` (case rows only
    if held), and, in no file, its scenario and the claims it kept for the waterfall (`scenario`,
    `kept_claims`). Copies, each laid out in memory as a table read back is: a float sum's last
    bit depends on that, and figures must not depend on what was done with `result` before.

    Without `directory` (the tables not written yet), the manifest is the one that will be
    written, but for its list of the files written (`tables`)."""
    manifest = (
        json.loads(json.dumps(result.manifest, ensure_ascii=False))
        if directory is None
        else written_manifest(directory)
    )
    tables: dict[str, Any] = {"manifest": manifest}
    for name in (*TABLES, *EXTRA_TABLES):
        frame = getattr(result, name)
        if frame is not None:
            tables[name] = frame.copy()
    tables["scenario"] = result.scenario
    if result.kept is not None:
        tables["kept_claims"] = result.kept
    return tables


def written_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest.json of an output directory."""
    return dict(json.loads((Path(directory) / "manifest.json").read_text(encoding="utf-8")))


def read(out: str | Path) -> dict[str, Any]:
    """The manifest and tables of an output directory, as a dict of DataFrames."""
    out = Path(out)
    manifest_path = out / "manifest.json"
    if not manifest_path.is_file():
        raise DrgsimError(f"{out}: no manifest.json; expected the output directory of drgsim run")
    tables: dict[str, Any] = {"manifest": json.loads(manifest_path.read_text(encoding="utf-8"))}
    for name in (*TABLES, *EXTRA_TABLES):
        path = out / f"{name}.parquet"
        if path.is_file():
            tables[name] = pd.read_parquet(path)
    return tables
