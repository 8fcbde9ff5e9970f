"""Tests of the DRG catalogue: structure, weights, reproducibility, real code lists, bad files."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drgsim.records.catalogue_file import CatalogueError, builtin, load
from drgsim.records.catalogue_synth import csv_texts, synth_case_mix, synth_code_list, synth_costs
from drgsim.rules.catalogue import Catalogue

REPO = Path(__file__).resolve().parents[1]
CODE_RE = re.compile(r"^[A-Z][A-Z][1-9][1359]$")
CLASS_OF = {"surgical": "ABCDEFGHIJ", "procedure": "KLMNOPQ", "medical": "RSTUVWXYZ"}
ADRG_PER_MDC = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", [9, 29, 16, 22, 20, 41, 23, 18, 30, 18, 12,
                    18, 8, 12, 13, 11, 8, 19, 7, 10, 2, 8, 5, 9, 3, 5], strict=True))  # fmt: skip


def _shared_dir() -> Path | None:
    """The folder of real CHS-DRG code lists, from DRGSIM_SHARED_DATA or ../shared/data/chs-drg."""
    env = os.environ.get("DRGSIM_SHARED_DATA")
    candidates = [Path(env), Path(env) / "chs-drg", Path(env) / "data" / "chs-drg"] if env else []
    candidates.append(REPO.parent / "shared" / "data" / "chs-drg")
    return next((d for d in candidates if (d / "chs_drg_1.1.csv").is_file()), None)


def _real(name: str) -> Path:
    d = _shared_dir()
    if d is None or not (d / name).is_file():
        pytest.skip(f"real code list {name} not available")
    return d / name


def _patterns(adrg: np.ndarray | pd.Series, suffix: np.ndarray | pd.Series) -> Counter[str]:
    df = pd.DataFrame({"adrg": np.asarray(adrg), "suffix": np.asarray(suffix)})
    return Counter(df.groupby("adrg")["suffix"].agg(lambda s: "".join(sorted(s))))


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return builtin()


def test_builtin_counts(cat: Catalogue) -> None:
    assert cat.n_drg == 628 and cat.n_adrg == 376
    assert len(set(cat.mdc)) == 26
    assert Counter(cat.adrg_type) == {"surgical": 166, "procedure": 24, "medical": 186}
    assert Counter(cat.adrg_type[cat.drg_adrg]) == {
        "surgical": 235,
        "procedure": 34,
        "medical": 359,
    }
    assert _patterns(cat.adrg[cat.drg_adrg], cat.suffix) == {
        "9": 192,
        "135": 68,
        "35": 61,
        "15": 55,
    }
    assert Counter(a[0] for a in cat.adrg) == ADRG_PER_MDC
    assert list(cat.adrg) == sorted(set(cat.adrg))


def test_builtin_code_format(cat: Catalogue) -> None:
    for i, code in enumerate(cat.drg):
        assert CODE_RE.match(code), code
        adrg = cat.adrg[cat.drg_adrg[i]]
        assert code[:3] == adrg and code[0] == cat.mdc[i] and code[3] == cat.suffix[i]
        assert code[1] in CLASS_OF[cat.adrg_type[cat.drg_adrg[i]]]


def test_builtin_weights(cat: Catalogue) -> None:
    rw = cat.rw()
    assert rw.min() >= 0.15 - 1e-6 and rw.max() <= 40 + 1e-6
    assert rw.min() < 0.2 and rw.max() > 25
    assert 0.8 <= np.median(rw) <= 1.4
    assert np.dot(cat.group_probs(), rw) == pytest.approx(1.0, abs=1e-9)
    assert cat.mean_cost() == pytest.approx(7000.0, rel=1e-6)
    assert cat.adrg_share.sum() == pytest.approx(1.0, abs=1e-12)
    assert (cat.adrg_share > 0).all() and cat.group_probs().sum() == pytest.approx(1.0)
    assert ((cat.mean_los >= 1) & (cat.mean_los <= 60)).all()
    # the case-weighted mean stay is the NHC 2023 hospital figure, 8.8 days (stays to 0.01 day)
    assert np.dot(cat.group_probs(), cat.mean_los) == pytest.approx(8.8, abs=0.005)
    assert cat.stable.all()
    for arr, dt in [(cat.drg_adrg, np.int32), (cat.group_table, np.int32), (cat.ref_cost, float)]:
        assert arr.dtype == dt


def test_shipped_files_reproducible() -> None:
    cat_text, mix_text = csv_texts()
    assert (REPO / "data" / "catalogue.csv").read_bytes() == cat_text.encode("utf-8")
    assert (REPO / "data" / "case_mix.csv").read_bytes() == mix_text.encode("utf-8")
    codes = synth_code_list()
    costs = synth_costs(codes)
    shipped = pd.read_csv(REPO / "data" / "catalogue.csv", dtype={"suffix": str})
    pd.testing.assert_frame_equal(costs[shipped.columns[:7]], shipped[shipped.columns[:7]])
    np.testing.assert_allclose(
        costs["ref_mean_cost_yuan"], shipped["ref_mean_cost_yuan"], atol=1e-4
    )
    mix = pd.read_csv(REPO / "data" / "case_mix.csv")
    np.testing.assert_allclose(synth_case_mix(codes)["share"], mix["share"], atol=1e-14)


def test_synth_seed_changes_list() -> None:
    assert not synth_code_list(1).equals(synth_code_list(2))
    assert _patterns(synth_code_list(3)["adrg"], synth_code_list(3)["suffix"]) == {
        "9": 192, "135": 68, "35": 61, "15": 55}  # fmt: skip


def test_real_11_structure_matches_builtin(cat: Catalogue) -> None:
    path = _real("chs_drg_1.1.csv")
    real = pd.read_csv(path, dtype=str)
    loaded = load(path)
    assert loaded.n_drg == 628 and loaded.n_adrg == 376 and loaded.source == str(path)
    first = real.drop_duplicates("adrg")
    assert Counter(cat.adrg_type) == Counter(first["adrg_type"])
    assert Counter(cat.adrg_type[cat.drg_adrg]) == Counter(real["adrg_type"])
    assert _patterns(cat.adrg[cat.drg_adrg], cat.suffix) == _patterns(real["adrg"], real["suffix"])
    assert Counter(cat.mdc) != Counter() and len(set(real["mdc"])) == len(set(cat.mdc))
    assert Counter(a[0] for a in cat.adrg) == Counter(first["mdc"])
    assert np.dot(loaded.group_probs(), loaded.rw()) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    "name",
    ["chs_drg_1.0.csv", "chs_drg_1.1.csv", "chs_drg_2.0_codes.csv", "zhejiang_2022.csv",
     "foshan_2022.csv"],
)  # fmt: skip
def test_real_lists_load(name: str) -> None:
    c = load(_real(name))
    assert c.n_drg == len(pd.read_csv(_real(name), dtype=str))
    assert (c.drg_adrg[c.group_table] == np.arange(c.n_adrg)[:, None]).all()
    assert (c.drg_adrg[c.upcode_target()] == c.drg_adrg).all()
    assert (c.ref_cost > 0).all() and np.isfinite(c.rw()).all()
    assert c.adrg_share.sum() == pytest.approx(1.0)
    assert np.dot(c.group_probs(), c.rw()) == pytest.approx(1.0, abs=1e-9)
    if name == "chs_drg_2.0_codes.csv":
        assert c.n_adrg == 409 and (c.names == c.drg).all()


def _write_list(
    tmp_path: Path, rows: list[tuple[str, ...]], cols: str = "drg,mdc,adrg,adrg_type"
) -> Path:
    path = tmp_path / "list.csv"
    path.write_text(cols + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


PATTERN_ROWS = [
    ("XA11", "X", "XA1", "surgical"), ("XA13", "X", "XA1", "surgical"),
    ("XA15", "X", "XA1", "surgical"), ("XR13", "X", "XR1", "medical"),
    ("XR15", "X", "XR1", "medical"), ("XK11", "X", "XK1", "procedure"),
    ("XK15", "X", "XK1", "procedure"), ("XS19", "X", "XS1", "medical"),
    ("XT10", "X", "XT1", "medical"), ("XT13", "X", "XT1", "medical"),
    ("XT11", "X", "XT1", "medical"),
]  # fmt: skip


def test_group_table_and_upcode(tmp_path: Path) -> None:
    c = load(_write_list(tmp_path, PATTERN_ROWS))
    code = {d: i for i, d in enumerate(c.drg)}
    table = {c.adrg[a]: [c.drg[g] for g in row] for a, row in enumerate(c.group_table)}
    assert table == {  # XT1's local suffix 0 is a fourth level; shorter rows repeat "none"
        "XA1": ["XA11", "XA13", "XA15", "XA15"],
        "XR1": ["XR13", "XR13", "XR15", "XR15"],
        "XK1": ["XK11", "XK15", "XK15", "XK15"],
        "XS1": ["XS19", "XS19", "XS19", "XS19"],
        "XT1": ["XT11", "XT13", "XT13", "XT10"],
    }
    up = {d: c.drg[c.upcode_target()[i]] for d, i in code.items()}
    assert up["XA15"] == "XA13" and up["XA13"] == "XA11" and up["XA11"] == "XA11"
    assert up["XR15"] == "XR13" and up["XR13"] == "XR13"
    assert up["XK15"] == "XK11" and up["XK11"] == "XK11"
    assert up["XS19"] == "XS19" and up["XT10"] == "XT10" and up["XT13"] == "XT11"
    assert c.upcode_target().dtype == np.int32


def test_builtin_group_table(cat: Catalogue) -> None:
    assert cat.group_table.shape == (cat.n_adrg, 3)  # the synthetic list has no local suffix
    for a, (mcc, cc, none) in enumerate(cat.group_table):
        pat = "".join(sorted(cat.suffix[cat.drg_adrg == a]))
        got = cat.suffix[mcc] + cat.suffix[cc] + cat.suffix[none]
        assert got == {"135": "135", "35": "335", "15": "155", "9": "999"}[pat]


def test_load_keeps_given_costs_and_parquet(tmp_path: Path) -> None:
    df = pd.DataFrame(PATTERN_ROWS[:3], columns=["drg", "mdc", "adrg", "adrg_type"])
    df["ref_mean_cost_yuan"] = [3000.0, 2000.0, 1000.0]
    df["stable"] = [True, False, True]
    df.to_parquet(tmp_path / "l.parquet")
    c = load(tmp_path / "l.parquet")
    assert list(c.ref_cost) == [3000.0, 2000.0, 1000.0] and list(c.stable) == [True, False, True]
    assert list(c.suffix) == ["1", "3", "5"]
    assert c.mean_cost() == pytest.approx(0.12 * 3000 + 0.25 * 2000 + 0.63 * 1000)


@pytest.mark.parametrize(
    ("rows", "cols", "expect"),
    [
        ([("XA11", "X", "XA1", "surgical")], "drg,mdc,adrg",
         r"row 1 column adrg_type: value 'missing'"),
        ([("XA11", "X", "XA1", "surgical"), ("XA11", "X", "XA1", "surgical")],
         "drg,mdc,adrg,adrg_type", r"row 3 column drg: value 'XA11'; expected unique"),
        ([("XA11", "X", "XA1", "surgical", "abc")], "drg,mdc,adrg,adrg_type,ref_mean_cost_yuan",
         r"row 2 column ref_mean_cost_yuan: value 'abc'; expected a positive number"),
        ([("XA11", "X", "XA1", "surgical", "1.0"), ("XA13", "X", "XA1", "surgical", "-5")],
         "drg,mdc,adrg,adrg_type,ref_mean_cost_yuan",
         r"row 3 column ref_mean_cost_yuan: value '-5'; expected a positive number"),
        ([("XA11", "X", "XA1", "surgery")], "drg,mdc,adrg,adrg_type",
         r"row 2 column adrg_type: value 'surgery'"),
        ([("XA11", "X", "", "surgical")], "drg,mdc,adrg,adrg_type", r"row 2 column adrg: value ''"),
        ([("XA11", "X", "XA1", "surgical", "maybe")], "drg,mdc,adrg,adrg_type,stable",
         r"row 2 column stable: value 'maybe'"),
    ],
)  # fmt: skip
def test_bad_files(tmp_path: Path, rows: list[tuple[str, ...]], cols: str, expect: str) -> None:
    path = _write_list(tmp_path, rows, cols)
    with pytest.raises(CatalogueError) as err:
        load(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(path) + ": ")
    assert re.search(expect, msg), msg


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"nope\.csv: file not found") as err:
        load(tmp_path / "nope.csv")
    assert "\n" not in str(err.value) and isinstance(err.value, ValueError)


# --- local suffixes: every DRG of a list can be billed (spec §1) ------------------------------

LOCAL_ROWS = [
    ("ZA10", "Z", "ZA1", "surgical"), ("ZA11", "Z", "ZA1", "surgical"),
    ("ZA13", "Z", "ZA1", "surgical"), ("ZA15", "Z", "ZA1", "surgical"),
    ("ZA19", "Z", "ZA1", "surgical"), ("ZR18", "Z", "ZR1", "medical"),
    ("ZR19", "Z", "ZR1", "medical"),
]  # fmt: skip


def test_local_suffixes_are_levels_spread_evenly(tmp_path: Path) -> None:
    """Zhejiang-style ZA1 {0,1,3,5,9}: 0 and 9 get 1/5 of the ADRG each, 1/3/5 share the rest."""
    c = load(_write_list(tmp_path, LOCAL_ROWS))
    a = int(np.flatnonzero(c.adrg == "ZA1")[0])
    codes = [c.drg[g] for g in c.group_table[a]]
    assert codes == ["ZA11", "ZA13", "ZA15", "ZA10", "ZA19"]
    rest = 1.0 - 2 / 5  # synthetic severity mix: P(MCC) 0.12, P(CC) 0.25 of the national part
    expected = [0.12 * rest, 0.25 * rest, (1 - 0.12 - 0.25) * rest, 1 / 5, 1 / 5]
    np.testing.assert_allclose(c.level_prob[a], expected, rtol=1e-12)
    r = int(np.flatnonzero(c.adrg == "ZR1")[0])  # {8,9}: 9 is the unsplit code, 8 a local
    assert [c.drg[g] for g in c.group_table[r]] == ["ZR19"] * 3 + ["ZR18", "ZR19"]
    np.testing.assert_allclose(c.level_prob[r], [0.06, 0.125, 0.315, 0.5, 0.0], rtol=1e-12)
    level = {c.drg[g]: int(k) for g, k in enumerate(c.drg_level())}
    assert level == {"ZA11": 0, "ZA13": 1, "ZA15": 2, "ZA10": 3, "ZA19": 4, "ZR19": 2, "ZR18": 3}
    up = {c.drg[g]: c.drg[t] for g, t in enumerate(c.upcode_target())}
    assert up["ZA10"] == "ZA10" and up["ZA19"] == "ZA19" and up["ZA15"] == "ZA13"


def test_local_suffixes_take_their_case_share(tmp_path: Path) -> None:
    """With a case_share column each code is billed with exactly its share of the list."""
    rows = [(*r, s) for r, s in zip(LOCAL_ROWS, ["1", "2", "3", "4", "5", "6", "9"], strict=True)]
    c = load(_write_list(tmp_path, rows, "drg,mdc,adrg,adrg_type,case_share"))
    share = {c.drg[g]: p for g, p in enumerate(c.group_probs())}
    assert share == pytest.approx(
        {"ZA10": 1 / 30, "ZA11": 2 / 30, "ZA13": 3 / 30, "ZA15": 4 / 30, "ZA19": 5 / 30,
         "ZR18": 6 / 30, "ZR19": 9 / 30}, rel=1e-12
    )  # fmt: skip


@pytest.mark.parametrize(
    "name",
    ["chs_drg_1.0.csv", "chs_drg_1.1.csv", "chs_drg_2.0_codes.csv", "zhejiang_2022.csv",
     "foshan_2022.csv"],
)  # fmt: skip
def test_every_drg_of_a_real_list_can_be_billed(name: str) -> None:
    c = load(_real(name))
    billed = np.zeros(c.n_drg, dtype=bool)
    billed[c.group_table[c.level_prob > 0]] = True
    assert billed.all(), f"{name}: never billed: {list(c.drg[~billed][:5])}"
    np.testing.assert_allclose(c.level_prob.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (c.level_prob >= 0).all()
    level = c.drg_level()
    assert (c.group_table[c.drg_adrg, level] == np.arange(c.n_drg)).all()


@pytest.mark.parametrize(
    "name",
    ["chs_drg_1.0.csv", "chs_drg_1.1.csv", "chs_drg_2.0_codes.csv", "zhejiang_2022.csv",
     "foshan_2022.csv"],
)  # fmt: skip
def test_every_drg_of_a_real_list_receives_cases_in_a_run(name: str, tmp_path: Path) -> None:
    """A year of a city billing the list's codes evenly (case_share 1 each) bills every code.

    With 1,006 codes and 200,000 admissions a code expects about 200 cases, so a code without a
    case is one the generator cannot reach (before v2: Zhejiang's 34 and Foshan's 94 locals).
    """
    from drgsim.scale.runner import run

    codes = pd.read_csv(_real(name), dtype=str, keep_default_na=False)
    path = tmp_path / name
    codes.assign(case_share="1").to_csv(path, index=False)
    result = run(
        {
            "extends": "shanwei",
            "years": 1,
            "replications": 1,
            "region": {"admissions": 200_000},
            "catalogue": {"source": str(path)},
        },
        cases=True,
    )
    assert result.cases is not None
    billed = set(result.cases["drg_billed"].astype(str))
    missing = sorted(set(codes["drg"]) - billed)
    assert not missing, f"{name}: {len(missing)} codes got no case, e.g. {missing[:5]}"


def _same_catalogue(a: Catalogue, b: Catalogue) -> None:
    """Every field equal, arrays of the same dtype and shape, read-only."""
    import dataclasses

    for f in dataclasses.fields(a):
        if not f.init:
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all(), f.name
            assert not x.flags.writeable and not y.flags.writeable, f.name
        else:
            assert x == y, f.name


def test_the_builtin_catalogue_kept_built_is_the_one_read_from_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later process reads the built-in catalogue back from drgsim's cache folder (without
    pandas): the same catalogue; a kept file that cannot be read, or a folder that cannot be
    written, only means it is built from the files again."""
    from drgsim.records import catalogue_file

    monkeypatch.setenv("DRGSIM_CACHE_DIR", str(tmp_path / "cache"))
    built = catalogue_file._build_builtin(catalogue_file._data_dir())  # read with pandas
    for value in vars(built).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    catalogue_file.builtin.cache_clear()
    try:
        first = catalogue_file.builtin()  # built, then kept
        (kept,) = (tmp_path / "cache").glob("catalogue-*.pickle")
        catalogue_file.builtin.cache_clear()

        def refuse(d: Path) -> Catalogue:
            raise AssertionError("built again although kept")

        with monkeypatch.context() as m:
            m.setattr(catalogue_file, "_build_builtin", refuse)
            again = catalogue_file.builtin()
        _same_catalogue(first, built)
        _same_catalogue(again, built)
        kept.write_bytes(kept.read_bytes()[:100])  # cut short: built from the files again
        catalogue_file.builtin.cache_clear()
        _same_catalogue(first, catalogue_file.builtin())
        catalogue_file.builtin.cache_clear()
        monkeypatch.setenv("DRGSIM_CACHE_DIR", str(kept))  # a file, not a folder: kept nowhere
        _same_catalogue(first, catalogue_file.builtin())
    finally:
        catalogue_file.builtin.cache_clear()
