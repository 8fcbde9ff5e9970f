"""Reading the shipped DRG catalogue or a city's code list (CSV or Parquet) into a Catalogue."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drgsim.errors import DrgsimError
from drgsim.kernels import jit
from drgsim.rules.catalogue import Catalogue, severity_map, split_levels

if TYPE_CHECKING:  # imported where a table is read (0.3 s): the built-in one is kept built
    import pandas as pd

REQUIRED = ("drg", "mdc", "adrg", "adrg_type")
ADRG_TYPES = ("surgical", "procedure", "medical")
TRUE_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class CatalogueError(DrgsimError):
    """Raised for a missing or malformed catalogue file; the message is one line."""


def load_catalogue(source: str) -> Catalogue:
    """The catalogue a scenario names: `builtin` or the path of a code list."""
    return builtin() if source == "builtin" else load(source)


def _fail(path: object, row: int, column: str, value: object, expected: str) -> CatalogueError:
    """One-line error `<path>: row N column X: value V; expected …`."""
    return CatalogueError(
        f"{path}: row {row} column {column}: value {value!r}; expected {expected}"
    )


def _read(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a CSV or Parquet file as strings; also return the row number of the first data row."""
    import pandas as pd

    if not path.is_file():
        raise CatalogueError(f"{path}: file not found; expected a CSV or Parquet catalogue file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path).astype("string").astype(object), 1
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"), 2
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CatalogueError(f"{path}: cannot read: {msg}") from None


def _numbers(df: pd.DataFrame, column: str, where: object, row0: int) -> np.ndarray:
    """Column parsed as positive finite floats, or a CatalogueError naming the first bad row."""
    import pandas as pd

    raw = df[column].astype(object).to_numpy()
    vals = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~(np.isfinite(vals) & (vals > 0)))
    if len(bad):
        raise _fail(where, row0 + bad[0], column, raw[bad[0]], "a positive number")
    return vals


def _build(
    codes: pd.DataFrame,
    mix: pd.DataFrame,
    where: object,
    row0: int,
    source: str,
    case_share: np.ndarray | None = None,
) -> Catalogue:
    """Build the arrays from a checked code frame with costs and an ADRG case-mix frame."""
    drg = codes["drg"].to_numpy(dtype=object)
    types = codes["adrg_type"].to_numpy(dtype=object)
    cost = _numbers(codes, "ref_mean_cost_yuan", where, row0)
    los = _numbers(codes, "mean_los_days", where, row0)
    stable = np.ones(len(codes), dtype=bool)
    if "stable" in codes:
        words = codes["stable"].astype(str).str.strip().str.lower().to_numpy(dtype=object)
        bad = np.flatnonzero(~np.isin(words, list(TRUE_WORDS)))
        if len(bad):
            raise _fail(where, row0 + bad[0], "stable", words[bad[0]], "true/false")
        stable = np.array([TRUE_WORDS[w] for w in words], dtype=bool)
    drg_adrg_code = codes["adrg"].to_numpy(dtype=object)
    adrg = np.array(sorted(set(drg_adrg_code)), dtype=object)
    drg_adrg = np.searchsorted(adrg, drg_adrg_code).astype(np.int32)
    first_row = {a: i for i, a in reversed(list(enumerate(drg_adrg_code)))}
    suffix = codes["suffix"].to_numpy(dtype=object)
    mix = mix.set_index(mix["adrg"].astype(str))
    missing = [a for a in adrg if a not in mix.index]
    if missing:
        raise CatalogueError(f"{where}: case mix has no row for ADRG {missing[0]!r}")
    share = mix.loc[adrg, "share"].to_numpy(dtype=float)
    p_mcc = mix.loc[adrg, "p_mcc"].to_numpy(dtype=float)
    p_cc = mix.loc[adrg, "p_cc"].to_numpy(dtype=float)
    table, level_prob = split_levels(suffix, drg_adrg, p_mcc, p_cc, case_share)
    return Catalogue(
        drg=drg,
        mdc=codes["mdc"].to_numpy(dtype=object),
        adrg=adrg,
        adrg_type=types[[first_row[a] for a in adrg]],
        drg_adrg=drg_adrg,
        suffix=suffix,
        names=codes["name"].to_numpy(dtype=object) if "name" in codes else drg.copy(),
        group_table=table,
        ref_cost=cost,
        mean_los=los,
        stable=stable,
        adrg_share=share / share.sum(),
        level_prob=level_prob,
        source=source,
    )


def _prepare(df: pd.DataFrame, where: object, row0: int) -> pd.DataFrame:
    """Check the required columns, strip strings and derive a missing suffix from the code."""
    for col in REQUIRED:
        if col not in df.columns:
            raise _fail(where, row0 - 1, col, "missing", "columns " + ", ".join(REQUIRED))
    if len(df) == 0:
        raise CatalogueError(f"{where}: no DRG rows; expected one row per DRG under the header")
    df = df.copy()
    for col in [*REQUIRED, "suffix", "name"]:
        if col in df:
            df[col] = df[col].astype(object).where(df[col].notna(), "").astype(str).str.strip()
    if "suffix" not in df or (df["suffix"] == "").all():
        df["suffix"] = df["drg"].str[-1:]
    for col in (*REQUIRED, "suffix"):
        blank = np.flatnonzero((df[col] == "").to_numpy())
        if len(blank):
            raise _fail(where, row0 + blank[0], col, "", "a non-empty code")
    drg = df["drg"].to_numpy(dtype=object)
    dup = np.flatnonzero(df["drg"].duplicated().to_numpy())
    if len(dup):
        first = int(np.flatnonzero(drg == drg[dup[0]])[0]) + row0
        raise _fail(
            where, row0 + dup[0], "drg", drg[dup[0]], f"unique codes (first at row {first})"
        )
    types = df["adrg_type"].to_numpy(dtype=object)
    bad = np.flatnonzero(~np.isin(types, ADRG_TYPES))
    if len(bad):
        raise _fail(where, row0 + bad[0], "adrg_type", types[bad[0]], "surgical/procedure/medical")
    return df


def _data_dir() -> Path:
    """The shipped data folder: `_data` next to the package (wheel) or the repo's `data`."""
    package = Path(__file__).resolve().parents[1]
    for d in (package / "_data", package.parent / "data"):
        if (d / "catalogue.csv").is_file():
            return d
    return package.parent / "data"


@functools.cache
def builtin() -> Catalogue:
    """The shipped synthetic catalogue (data/catalogue.csv and data/case_mix.csv).

    Read once per process: its arrays are read-only, so no run can change another's catalogue.
    Once built it is kept in drgsim's cache folder, keyed on the two files and the code that
    builds it, so that later processes read it back without pandas (`_kept`).
    """
    d = _data_dir()
    key = _builtin_key(d)
    cat = _kept(key) if key else None
    if cat is None:
        cat = _build_builtin(d)
        if key:
            _keep(key, cat)
    for f in dataclasses.fields(cat):
        value = getattr(cat, f.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return cat


def _builtin_key(d: Path) -> str | None:
    """What the built-in catalogue is built from: its files, this code, numpy's version (None
    where a file cannot be read: building it then says what is wrong)."""
    digest = hashlib.sha256(np.__version__.encode())
    try:
        for path in (d / "catalogue.csv", d / "case_mix.csv", Path(__file__), _rules_file()):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()[:16]


def _rules_file() -> Path:
    from drgsim.rules import catalogue

    return Path(catalogue.__file__)


def _kept_path(key: str) -> Path:
    """Where the built-in catalogue built from `key` is kept (beside the compiled kernels)."""
    return jit.cache_dir().parent / f"catalogue-{key}.pickle"


def _kept(key: str) -> Catalogue | None:
    """The built-in catalogue kept under `key`, or None (none kept, or unreadable)."""
    try:
        fields = pickle.loads(_kept_path(key).read_bytes())
        return Catalogue(**fields)
    except Exception:  # missing, truncated or from another drgsim: build it again
        return None


def _keep(key: str, cat: Catalogue) -> None:
    """Keep the built catalogue under `key`, written whole or not at all; a cache folder that
    cannot be written keeps nothing."""
    fields: dict[str, Any] = {
        f.name: getattr(cat, f.name) for f in dataclasses.fields(cat) if f.init
    }
    jit.keep(_kept_path(key), pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL))


def _build_builtin(d: Path) -> Catalogue:
    """The built-in catalogue read from its files with pandas."""
    codes, row0 = _read(d / "catalogue.csv")
    mix, _ = _read(d / "case_mix.csv")
    for col in ("share", "p_mcc", "p_cc"):
        if col not in mix:
            raise _fail(d / "case_mix.csv", 1, col, "missing", "columns adrg, share, p_mcc, p_cc")
    for col in ("ref_mean_cost_yuan", "mean_los_days"):
        if col not in codes:
            raise _fail(d / "catalogue.csv", 1, col, "missing", "a cost and LOS per DRG")
    return _build(
        _prepare(codes, d / "catalogue.csv", row0), mix, d / "catalogue.csv", row0, "builtin"
    )


def load(path: str | Path, *, seed: int = 11) -> Catalogue:
    """A real or user code list (CSV or Parquet); missing costs, LOS, case mix are synthesised."""
    from drgsim.records.catalogue_synth import synth_case_mix, synth_costs

    path = Path(path)
    raw, row0 = _read(path)
    df = _prepare(raw, path, row0)
    synth = synth_costs(df[["drg", "mdc", "adrg", "adrg_type", "suffix"]], seed=seed)
    for col in ("ref_mean_cost_yuan", "mean_los_days"):
        if col not in df:
            df[col] = synth[col].to_numpy()
    mix = synth_case_mix(df[["drg", "mdc", "adrg", "adrg_type", "suffix"]], seed=seed)
    if "case_share" not in df:
        return _build(df, mix, path, row0, str(path))
    shares = _case_shares(df, path, row0)
    return _build(df, _mix_from_shares(df, shares), path, row0, str(path), shares)


def _case_shares(df: pd.DataFrame, where: object, row0: int) -> np.ndarray:
    """The `case_share` column as numbers >= 0 with a positive sum, or one error line."""
    import pandas as pd

    raw = pd.to_numeric(df["case_share"], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~(np.isfinite(raw) & (raw >= 0)))
    if len(bad):
        raise _fail(
            where, row0 + bad[0], "case_share", df["case_share"].iloc[bad[0]], "a number >= 0"
        )
    if raw.sum() <= 0:
        raise _fail(where, row0, "case_share", 0, "shares with a positive sum")
    return raw


def _mix_from_shares(df: pd.DataFrame, raw: np.ndarray) -> pd.DataFrame:
    """ADRG case mix from a `case_share` column (share of cases billed to each DRG).

    The ADRG's share is the sum of its DRGs' shares; a true MCC (CC) case is as likely as the
    shares of the ADRG's suffix-1 (suffix-3) codes say among its codes that are not local levels
    (`split_levels` gives each local code its own share), so the catalogue's case-weighted mean
    cost ā is Σ case_share × ref_mean_cost_yuan / Σ case_share.
    """
    import pandas as pd

    frame = pd.DataFrame(
        {"adrg": df["adrg"].to_numpy(), "suffix": df["suffix"].to_numpy(), "share": raw}
    )
    rows = []
    for adrg, part in frame.groupby("adrg", sort=True):
        suffixes = set(part["suffix"])
        national = set(severity_map(suffixes))
        split = len(suffixes) > 1
        mcc = float(part.loc[part["suffix"] == "1", "share"].sum()) if split else 0.0
        cc = float(part.loc[part["suffix"] == "3", "share"].sum()) if split else 0.0
        total = float(part["share"].sum())
        rest = float(part.loc[part["suffix"].isin(national), "share"].sum())
        rows.append(
            {
                "adrg": adrg,
                "share": total,
                "p_mcc": mcc / rest if rest > 0 else 0.0,
                "p_cc": cc / rest if rest > 0 else 0.0,
            }
        )
    return pd.DataFrame(rows)
