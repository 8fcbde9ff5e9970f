"""The run's tables assembled in one go are those assembled simulation by simulation."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pandas as pd
import pytest

from drgsim import cpus
from drgsim.engine.coded import Coded
from drgsim.engine.rows import Tables
from drgsim.records import results
from drgsim.records.results import TABLES, _parquet, frame
from drgsim.scale import runner
from drgsim.scale.runner import _frame, _frame_by_parts, plan_jobs, simulate
from drgsim.scenario.loader import load_scenario

CITY = {
    "extends": "shanwei",
    "region": {"admissions": 3000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "years": 2,
    "variants": {"upcoding": {"hospitals.SW01.upcoding.rate": 0.15}},
}


@pytest.fixture(scope="module")
def collected() -> list[tuple[runner.Job, Tables]]:
    scn = load_scenario(CITY)
    cat = runner.load_catalogue(scn)
    jobs, _ = plan_jobs(scn, cat, ["baseline", "upcoding"], range(2), True, False, None, {})
    return [(job, simulate(job)) for job in jobs]


@pytest.fixture(params=[False, True], ids=["one thread", "threads"])
def threaded(request, monkeypatch) -> bool:
    """Tables made one column after another, or (as a large run's are) on two threads."""
    if request.param:
        monkeypatch.setattr(results, "THREADED_BYTES", 0)
        monkeypatch.setattr(cpus, "usable", lambda: 2)
    return bool(request.param)


@pytest.mark.parametrize("key", [*TABLES, "fund_settlement", "cases"])
@pytest.mark.parametrize("with_region", [False, True])
def test_one_go_equals_frame_by_frame(collected, key: str, with_region: bool, threaded) -> None:
    keys = (["region"] if with_region else []) + runner.KEYS
    parts = [(job, getattr(t, key)) for job, t in collected if getattr(t, key)]
    got = _frame(collected, key, with_region)
    want = _frame_by_parts(parts, keys, with_region)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.columns[: len(keys)]) == keys
    assert len(got) == sum(len(b["year"]) for _, rows in parts for b in rows)
    assert set(got["variant"]) == {"baseline", "upcoding"}


def test_blocks_with_other_columns_are_joined_frame_by_frame(collected) -> None:
    """A simulation whose blocks lack a column gets NaN there, as pandas' concat gives."""
    (job_a, a), (job_b, b) = collected[:2]
    rows = [dict(block) for block in a.region_year]
    for block in rows:
        block.pop(next(k for k in block if k != "year"))
    partial = Tables()
    partial.region_year = rows
    mixed = [(job_a, partial), (job_b, b)]
    got = _frame(mixed, "region_year", False)
    want = _frame_by_parts([(job_a, rows), (job_b, b.region_year)], runner.KEYS, False)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.isna().any().any()


def _as_strings(collected, key: str, with_region: bool) -> pd.DataFrame:
    """The table as pandas makes it of every text column written out string by string."""
    keys = (["region"] if with_region else []) + runner.KEYS
    parts = [(job, getattr(t, key)) for job, t in collected if getattr(t, key)]
    names = list(parts[0][1][0])
    lengths = [sum(len(b["year"]) for b in rows) for _, rows in parts]
    columns = {
        "region": np.repeat(np.array([j.region for j, _ in parts], dtype=object), lengths),
        "variant": np.repeat(np.array([j.variant for j, _ in parts], dtype=object), lengths),
        "replication": np.repeat(np.array([j.replication for j, _ in parts]), lengths),
    }
    for name in names:
        columns[name] = np.concatenate([np.asarray(b[name]) for _, rows in parts for b in rows])
    return pd.DataFrame({k: columns[k] for k in keys + [n for n in names if n not in keys]})


def _blocks(df: pd.DataFrame) -> list[tuple[str, list[int], tuple[int, ...]]]:
    """Each of the frame's memory blocks: its dtype, its columns and its strides."""
    return sorted(
        (str(b.dtype), b.mgr_locs.as_array.tolist(), getattr(b.values, "strides", ()))
        for b in df._mgr.blocks
    )


@pytest.mark.parametrize("key", [*TABLES, "fund_settlement", "cases"])
def test_text_taken_from_codes_is_the_table_pandas_makes_of_strings(
    collected, key: str, tmp_path
) -> None:
    """Text kept as codes (hospitals, DRGs, variants) gives the same frame, dtypes, memory
    blocks and Parquet bytes as the strings written out one by one."""
    got, want = _frame(collected, key, True), _as_strings(collected, key, True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.dtypes.tolist() == want.dtypes.tolist()
    assert _blocks(got) == _blocks(want)  # the same columns share a block (floats: its layout)
    _parquet(got, tmp_path / "got.parquet")
    _parquet(want, tmp_path / "want.parquet")
    assert (tmp_path / "got.parquet").read_bytes() == (tmp_path / "want.parquet").read_bytes()


def test_coded_text_follows_pandas_without_its_string_type(monkeypatch) -> None:
    """Where pandas keeps text as objects, so does a coded column; none is taken from an
    empty one; a negative code counts from the end, as numpy's indexing does."""
    monkeypatch.setattr(results, "TAKEN_FROM_ROWS", 1)  # short columns taken in arrow too
    coded = Coded.of(("a", "b", "c"), np.array([2, -1, 0]))
    assert np.asarray(coded).tolist() == ["c", "c", "a"]
    assert frame([{"x": coded}])["x"].tolist() == ["c", "c", "a"]
    with warnings.catch_warnings():  # the option is deprecated
        warnings.simplefilter("ignore")
        with pd.option_context("future.infer_string", False):
            plain = frame([{"x": coded}, {"x": Coded.of(("z",), np.zeros(1))}])
    assert plain["x"].dtype == object and plain["x"].tolist() == ["c", "c", "a", "z"]
    empty = frame([{"x": Coded.of(("a",), np.zeros(0))}])
    assert empty["x"].dtype == pd.DataFrame({"x": np.array([], dtype=object)})["x"].dtype


def test_copies_of_equal_labels_are_taken_once_and_labels_alike_only_in_value_stay_apart(
    monkeypatch,
) -> None:
    """Each simulation a worker process sends carries its own copy of the same labels (the
    catalogue's DRG codes): the column takes its strings from one copy of them. Labels equal
    in value but not in kind (1 and 1.0) are not merged: each block keeps its own text."""
    import pickle

    monkeypatch.setattr(results, "TAKEN_FROM_ROWS", 1)
    taken: list[int] = []
    text_column = results.text_column

    def counted(labels, codes):  # type: ignore[no-untyped-def]
        taken.append(len(labels))
        return text_column(labels, codes)

    monkeypatch.setattr(results, "text_column", counted)
    drgs = np.array(["FR19", "AA13", "ZZ11"], dtype=object)
    first = Coded.of(drgs, np.array([0, 1, 2, 1]))
    second = pickle.loads(pickle.dumps(Coded.of(drgs.copy(), np.array([2, 2, 0]))))
    other = Coded.of(np.array(["AA13", "QQ01"], dtype=object), np.array([1, 0]))
    got = results.column([first, second, other, first])
    want = [*drgs[[0, 1, 2, 1]], *drgs[[2, 2, 0]], "QQ01", "AA13", *drgs[[0, 1, 2, 1]]]
    assert list(got) == want
    assert taken == [3 + 2]  # the two copies of the DRG codes taken as one
    numbers = [Coded.of(np.array([1, "x"], dtype=object), np.array([0, 1]))]
    numbers.append(Coded.of(np.array([1.0, "x"], dtype=object), np.array([0, 1])))
    mixed = list(results.column(numbers))
    assert mixed == [1, "x", 1.0, "x"]
    assert [type(v) for v in mixed] == [int, str, float, str]


def test_large_frames_are_made_on_threads_in_order(monkeypatch) -> None:
    """Columns that write THREADED_BYTES or more are made on the CPUs' threads, each result
    in its maker's place; fewer bytes, or one CPU, make them here one after another."""
    monkeypatch.setattr(cpus, "usable", lambda: 2)
    where: list[str] = []

    def maker(i: int):
        def make() -> int:
            where.append(threading.current_thread().name)
            return i * i

        return make

    makers = [maker(i) for i in range(5)]
    assert results.on_cpus(makers, results.THREADED_BYTES) == [0, 1, 4, 9, 16]
    assert len(where) == 5 and all(name.startswith("drgsim-frame") for name in where)
    where.clear()
    assert results.on_cpus(makers, results.THREADED_BYTES - 1) == [0, 1, 4, 9, 16]
    assert set(where) == {threading.current_thread().name}
    monkeypatch.setattr(cpus, "usable", lambda: 1)
    where.clear()
    assert results.on_cpus(makers, results.THREADED_BYTES) == [0, 1, 4, 9, 16]
    assert set(where) == {threading.current_thread().name}


def test_columns_from_parts_are_the_frame_pandas_makes_of_them_joined(threaded) -> None:
    """Numeric parts concatenated straight into their dtype's block give pandas' own frame of
    the joined columns: values, dtypes (parts of two integer widths: the wider), blocks; a
    column pandas might read as text (numpy objects) makes the whole frame pandas' way."""
    rng = np.random.default_rng(5)
    text = pd.Series(["a", "b", "c", "a", "b"]).array  # pandas' text
    ints = [np.arange(2, dtype=np.int32), np.arange(3, dtype=np.int64)]
    floats = [rng.normal(size=4), rng.normal(size=1)]
    given = {
        "v": text,
        "i": ints,
        "f": floats,
        "one": [np.array([True, False, True, True, False])],
        "g": [rng.normal(size=5)],
    }
    got = results.from_columns(given)
    joined = {k: v if not isinstance(v, list) else np.concatenate(v) for k, v in given.items()}
    want = pd.DataFrame(joined)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.dtypes.tolist() == want.dtypes.tolist()
    assert got["i"].dtype == np.int64
    assert _blocks(got) == _blocks(want)
    objects = {**given, "o": np.array(list("pqrst"), dtype=object)}
    got = results.from_columns(objects)
    want = pd.DataFrame({**joined, "o": objects["o"]})
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.dtypes.tolist() == want.dtypes.tolist()
    with pytest.raises(ValueError, match="different lengths"):
        results.from_columns({"a": [np.arange(2)], "b": [np.arange(3)]})
