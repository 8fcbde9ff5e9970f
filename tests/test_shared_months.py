"""A replication's months are drawn once and shared by its variants, with unchanged tables."""

from __future__ import annotations

import pandas as pd
import pytest

import drgsim
from drgsim.scale import shared_months
from drgsim.scale.shared_months import MonthStore

CITY = {
    "extends": "shanwei",
    "region": {"admissions": 3000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 2,
    "years": 2,
    "variants": {
        "upcoding": {"hospitals.SW01.upcoding.rate": 0.3},
        "splitting": {"hospitals.SW03.splitting.rate": 0.2},
        "bigger": {"region.admissions": 3300},
    },
}
TABLES = ("settlement", "hospital_month", "region_year", "audit")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> MonthStore:
    fresh = MonthStore()
    monkeypatch.setattr(shared_months, "STORE", fresh)
    return fresh


def test_each_month_is_drawn_once_per_replication_for_the_variants_that_share_it(
    store: MonthStore,
) -> None:
    drgsim.run(CITY, workers=1)
    months = 2 * 2 * 12  # replications × years × months
    # baseline, upcoding and splitting share one draw; `bigger` has more admissions: its own
    assert store.drawn == 2 * months
    assert store.shared == 2 * months
    assert store.cases == 0  # nothing kept after the run


def test_shared_months_give_the_tables_of_months_drawn_anew(
    store: MonthStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = drgsim.run(CITY, workers=1)
    monkeypatch.setattr(shared_months.MonthStore, "get", _draw_anew)
    anew = drgsim.run(CITY, workers=1)
    # the first run shared each month with two more variants; the second drew every month
    assert store.shared == 2 * (2 * 2 * 12)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(shared, name), getattr(anew, name))


class _Watching(MonthStore):
    """A store that notes each kept month's bytes when drawn and, when cleared at the run's end,
    checks that no variant changed them (the variants get the kept arrays themselves)."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn_bytes: dict[bytes, bytes] = {}
        self.checked = 0

    def get(self, source, year, month, seed):  # type: ignore[no-untyped-def]
        key = source.month_key(year, month, seed)
        got = super().get(source, year, month, seed)
        if key in self.months and key not in self.drawn_bytes:
            self.drawn_bytes[key] = _bytes(self.months[key])
        return got

    def clear(self) -> None:
        for key, batch in self.months.items():
            assert _bytes(batch) == self.drawn_bytes[key], "a variant changed a shared month"
            self.checked += 1
        super().clear()


def _bytes(batch) -> bytes:  # type: ignore[no-untyped-def]
    from drgsim.cases import COLUMNS

    return b"".join(getattr(batch, k).tobytes() for k in COLUMNS)


def test_no_variant_changes_the_months_it_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every act on in the first variant after the baseline, the audit and readmission rule on
    every claim: the kept months' arrays are byte for byte as drawn when the run ends."""
    watching = _Watching()
    monkeypatch.setattr(shared_months, "STORE", watching)
    acts = {
        "hospitals.SW01.upcoding.rate": 0.3,
        "tiers.3.shifting.rate": 0.3,
        "tiers.3.shifting.loss_threshold": 0.1,
        "hospitals.SW03.splitting.rate": 0.2,
        "tiers.1.induced.rate": 0.1,
        "hospitals.SW05.phantom.rate": 0.05,
        "hospitals.SW04.underservice.cut": 0.15,
        "tiers.3.referral_down.rate": 0.3,
    }
    city = {**CITY, "replications": 1, "variants": {"all": acts, "again": acts}}
    drgsim.run(city, workers=1)
    assert watching.shared == 2 * 2 * 12 and watching.checked == 2 * 12


def _draw_anew(self: MonthStore, source, year, month, seed):  # type: ignore[no-untyped-def]
    """A store that keeps nothing: every variant draws its own months."""
    return source.month(year, month, seed)


def test_a_month_key_tells_apart_months_years_seeds_and_what_months_are_drawn_from() -> None:
    """Keys are equal exactly when the month, its seed and every input of the draw are; a
    source's second look at a month (its inputs and key kept) sees what a fresh source sees."""
    import numpy as np

    from drgsim.population.generator import SyntheticSource
    from drgsim.population.hospitals import hospital_table
    from drgsim.records.catalogue_file import builtin
    from drgsim.scenario.loader import load_scenario

    def source(overrides: dict) -> SyntheticSource:
        scn = load_scenario({**CITY, **overrides})
        return SyntheticSource(scn, builtin(), hospital_table(scn))

    base, same, bigger = source({}), source({}), source({"region": {"admissions": 3300}})
    seed, other = np.random.SeedSequence(5), np.random.SeedSequence(6)
    key = base.month_key(0, 3, seed)
    assert base.month_key(0, 3, seed) == key == same.month_key(0, 3, seed)
    others = [
        base.month_key(0, 4, seed),
        base.month_key(1, 3, seed),  # another year: more admissions, higher charges
        base.month_key(0, 3, other),
        bigger.month_key(0, 3, seed),
    ]
    assert len({key, *others}) == 5
    expected, args = base.month_inputs(1, 3)
    fresh_expected, fresh_args = source({}).month_inputs(1, 3)
    assert expected.tobytes() == fresh_expected.tobytes()
    for a, b in zip(args, fresh_args, strict=True):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    drawn = base.month(1, 3, np.random.SeedSequence(5))  # (a seed spawns once per month)
    assert drawn.cost.tobytes() == source({}).month(1, 3, np.random.SeedSequence(5)).cost.tobytes()


class _Racing:
    """A source whose draws wait for one another: two threads asking for one month both miss
    the store and draw it at once."""

    def __init__(self) -> None:
        import threading

        self.together = threading.Barrier(2, timeout=10)

    def month_key(self, year, month, seed):  # type: ignore[no-untyped-def]
        return bytes([year, month])

    def month(self, year, month, seed):  # type: ignore[no-untyped-def]
        import numpy as np

        from drgsim.cases import CASE_DTYPES, CaseBatch

        self.together.wait()
        return CaseBatch(**{k: np.zeros(100, dtype=d) for k, d in CASE_DTYPES.items()})


def test_two_threads_drawing_one_month_keep_it_once() -> None:
    """A Dask worker may run tasks on several threads: the store keeps one copy of a month
    both drew, counts its cases once and gives each thread the month."""
    from concurrent.futures import ThreadPoolExecutor

    store, source = MonthStore(), _Racing()
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda _: store.get(source, 0, 3, None), range(2)))  # type: ignore[arg-type]
    assert [b.n for b in got] == [100, 100]
    assert store.drawn == 2 and len(store.months) == 1
    assert store.cases == 100 == sum(b.n for b in store.months.values())


def test_on_a_dask_cluster_a_worker_draws_a_replications_months_once_for_its_variants(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The jobs go to the cluster a replication's variants together (cluster.in_groups); the
    store holds about one replication's two years, so months drawn for one variant are still
    there for the next only when its variants run one after another. Nothing is kept after."""
    distributed = pytest.importorskip("distributed")
    store = MonthStore(limit=8_000)  # 3,000 admissions a year, and 3,300 for `bigger`
    monkeypatch.setattr(shared_months, "STORE", store)
    told: list[tuple[int, str]] = []
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = drgsim.run(
            CITY,
            scheduler=cluster.scheduler_address,
            progress=lambda i, n, what: told.append((i, what)),
        )
    months = 2 * 2 * 12  # replications × years × months
    assert store.drawn == 2 * months and store.shared == 2 * months  # as in one process
    assert store.cases == 0
    jobs = [f"{v} #{r}" for v in ("baseline", "upcoding", "splitting", "bigger") for r in (0, 1)]
    ends = [(i, what) for i, what in told if i > 0]  # (0: the cluster's start)
    assert [i for i, _ in ends] == list(range(1, 9))
    assert sorted(what for _, what in ends) == sorted(jobs)  # each job's end told once
    here = drgsim.run(CITY, workers=1)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(on_dask, name), getattr(here, name))


class _Counting:
    """A source that draws 100 empty cases a month at once, keyed by year and month."""

    def month_key(self, year, month, seed):  # type: ignore[no-untyped-def]
        return bytes([year, month])

    def month(self, year, month, seed):  # type: ignore[no-untyped-def]
        import numpy as np

        from drgsim.cases import CASE_DTYPES, CaseBatch

        return CaseBatch(**{k: np.zeros(100, dtype=d) for k, d in CASE_DTYPES.items()})


def test_a_block_ending_on_one_thread_keeps_the_months_a_block_on_another_still_shares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Dask worker with several threads runs a group of grid points or variants on each: the
    first group's end used to let go of every month, and the other group drew its own again.
    Now the months go when the last group running ends."""
    import threading

    store, source = MonthStore(), _Counting()
    monkeypatch.setattr(shared_months, "STORE", store)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int]] = []

    def first() -> None:
        with shared_months.kept_while():
            store.get(source, 0, 1, None)  # type: ignore[arg-type]
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with shared_months.kept_while():
            store.get(source, 0, 2, None)  # type: ignore[arg-type]
            second_in.set()
            first_out.wait(10)
            store.get(source, 0, 2, None)  # type: ignore[arg-type]  # its next point
            seen.append((store.drawn, len(store.months)))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    # both months still there when the first block had ended; the second's month shared
    assert seen == [(2, 2)]
    assert store.shared == 1
    assert store.months == {} and store.cases == 0 and store.blocks == 0  # all let go


def test_a_forked_child_starts_with_no_block_running() -> None:
    """A process forked inside a block (its thread's block is not the child's) lets go of its
    months when its own first block ends."""
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork")
    read, write = os.pipe()
    with shared_months.kept_while():
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read)
            os.write(write, bytes([shared_months.STORE.blocks]))
            os._exit(0)
        os.close(write)
        told = os.read(read, 1)
        os.close(read)
        os.waitpid(pid, 0)
        assert shared_months.STORE.blocks >= 1
    assert told == bytes([0])
