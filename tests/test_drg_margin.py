"""Profit and loss by DRG (病组盈亏, drg_margin.parquet): it adds up to the settlement, and its
cases and charges are the case table's, grouped here on their own."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import drgsim
from drgsim.acts import ACT
from drgsim.engine import calendar
from drgsim.engine.drg_totals import DrgTotals
from drgsim.engine.rows import NO_CLAIMS, drg_margin_rows
from drgsim.population.hospitals import hospital_table
from drgsim.records.results import frame
from drgsim.rules.costs import fixed_by_charges_yuan, payment_by_points_fen
from drgsim.scale.runner import load_catalogue
from drgsim.scenario.loader import load_scenario

#: Two funds, two years, and the acts whose claims are deducted, billed without cost or split.
SMALL = {
    "extends": "shanwei",
    "name": "small",
    "seed": 11,
    "years": 2,
    "replications": 2,
    "region": {"admissions": 4000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "variants": {
        "upcoding": {"hospitals.SW01.upcoding.rate": 0.3},
        "phantom": {"hospitals.SW02.phantom.rate": 0.1},
        "splitting": {"hospitals.SW03.splitting.rate": 0.2},
        "clearing": {"settlement.mode": "clearing"},
    },
}
KEYS = ["variant", "replication", "year", "hospital"]
FEN = 100.0


@pytest.fixture(scope="module")
def small() -> drgsim.Result:
    return drgsim.run(SMALL, cases=True)


def test_the_rows_add_up_to_each_hospital_s_settlement(small: drgsim.Result) -> None:
    dm, st = small.drg_margin, small.settlement.set_index(KEYS)
    sums = dm.groupby(KEYS)[
        ["final_fen", "cases", "charges_yuan", "oop_yuan", "cost_yuan", "margin_yuan"]
    ].sum()
    sums = sums.reindex(st.index)
    assert (sums["final_fen"] == st["final_fen"]).all()  # to the fen
    assert (sums["cases"] == st["cases"]).all()
    for mine, theirs in (
        ("charges_yuan", st["charges_yuan"]),
        ("oop_yuan", st["oop_yuan"]),
        ("cost_yuan", st["fixed_cost_yuan"] + st["variable_cost_yuan"]),
        ("margin_yuan", st["margin_yuan"]),
    ):
        np.testing.assert_allclose(sums[mine], theirs, rtol=1e-9, atol=1e-4, err_msg=mine)


def test_the_table_is_keyed_by_hospital_and_drg_over_the_funds(small: drgsim.Result) -> None:
    dm = small.drg_margin
    assert small.fund_settlement is not None  # two funds, summed in each row
    assert list(dm.columns[:5]) == [*KEYS, "drg"]
    assert not dm.duplicated([*KEYS, "drg"]).any()
    assert dm["final_fen"].dtype == np.int64 and dm["cases"].dtype == np.int64


def by_drg_from_cases(cases: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Cases, charges, patient payments, net points and treated charges per DRG, from the cases."""
    phantom = (cases["acts"].to_numpy() & ACT["phantom"].bit) != 0
    table = cases.assign(
        drg=cases["drg_billed"],
        net=cases["points"] - cases["deducted_points"],
        borne=np.where(phantom, 0.0, cases["cost_yuan"]),
    )
    return table.groupby([*keys, "drg"]).agg(
        cases=("case_id", "size"),
        charges_yuan=("cost_yuan", "sum"),
        oop_yuan=("oop_yuan", "sum"),
        net_points=("net", "sum"),
        borne=("borne", "sum"),
    )


def test_cases_charges_and_points_per_drg_are_the_case_table_s(small: drgsim.Result) -> None:
    expected = by_drg_from_cases(small.cases, KEYS)
    dm = small.drg_margin[small.drg_margin["drg"] != NO_CLAIMS].set_index([*KEYS, "drg"])
    assert sorted(dm.index) == sorted(expected.index)
    dm = dm.reindex(expected.index)
    assert (dm["cases"] == expected["cases"]).all()
    for col in ("charges_yuan", "oop_yuan", "net_points"):
        np.testing.assert_allclose(dm[col], expected[col], rtol=1e-9, atol=1e-6, err_msg=col)
    share = small.scenario.cost.variable_share
    variable = dm["cost_yuan"] - dm["fixed_cost_yuan"]
    np.testing.assert_allclose(variable, share * expected["borne"], rtol=1e-9, atol=1e-6)


def test_every_point_of_a_hospital_in_a_fund_is_paid_alike(small: drgsim.Result) -> None:
    """The allocation rule, from arithmetic here: in each fund, a DRG's payment (fund +
    patients) is the hospital's money there × the DRG's share of its net points; a row is the
    sum over the two funds, each split to the fen."""
    assert small.fund_settlement is not None
    fkeys = [*KEYS, "fund"]
    per_fund = by_drg_from_cases(small.cases, fkeys).reset_index()
    paid = small.fund_settlement.set_index(fkeys)["final_fen"]
    group = per_fund.groupby(fkeys)
    money = per_fund.set_index(fkeys).index.map(paid).to_numpy() / FEN + group[
        "oop_yuan"
    ].transform("sum")
    points = group["net_points"].transform("sum")
    assert (points > 0).all()
    expected = (
        (money * per_fund["net_points"] / points)
        .groupby([per_fund[k] for k in [*KEYS, "drg"]])
        .sum()
    )
    dm = small.drg_margin.set_index([*KEYS, "drg"])["payment_yuan"].reindex(expected.index)
    assert (dm - expected).abs().max() < 2.0 / FEN + 1e-6


def test_fixed_cost_follows_the_charges_of_the_cases_treated(small: drgsim.Result) -> None:
    dm = small.drg_margin
    treated = by_drg_from_cases(small.cases, KEYS)["borne"]
    borne = dm.set_index([*KEYS, "drg"]).index.map(treated).to_numpy()
    share = borne / dm.assign(b=borne).groupby(KEYS)["b"].transform("sum")
    fixed = small.settlement.set_index(KEYS)["fixed_cost_yuan"]
    expected = dm.set_index(KEYS).index.map(fixed).to_numpy() * share
    np.testing.assert_allclose(dm["fixed_cost_yuan"], expected, rtol=1e-9, atol=1e-6)


def test_a_penalty_makes_its_drg_lose(small: drgsim.Result) -> None:
    """Caught phantom claims earn no points and are deducted 3×: their DRG's net points go
    below zero, and its payment with them."""
    dm = small.drg_margin
    penalised = dm[(dm["variant"] == "phantom") & (dm["net_points"] < 0)]
    assert len(penalised) > 0
    assert (penalised["final_fen"] < 0).all()
    assert (penalised["margin_yuan"] < 0).all()


def test_the_payment_split_sums_to_the_fen_with_negative_points_and_without_points() -> None:
    # 1000 fen + 2 yuan of patient payments = 1200 fen over 3 + 1 points: 900 and 300 fen in
    # all; less the patients' 200 and 0 fen, the fund pays 700 and 300
    parts = payment_by_points_fen(
        1000, np.array([2.0, 0.0]), np.array([3.0, 1.0]), np.zeros(2), np.ones(2)
    )
    assert parts.tolist() == [700, 300]
    # a deduction's DRG (0 points, 1 deducted) pays back its share: 900 fen over 3 − 1 = 2
    parts = payment_by_points_fen(
        900, np.zeros(2), np.array([3.0, 0.0]), np.array([0, 1.0]), np.ones(2)
    )
    assert parts.tolist() == [1350, -450]
    # no net points (or a fully deducted hospital's rounding residue): by charges; then evenly
    none, two = np.zeros(2), np.array([1.0, 3.0])
    assert payment_by_points_fen(101, none, none, none, two).tolist() == [25, 76]
    residue = np.array([1.0, 2.0]), np.array([1.0, 2.0 - 1e-13])
    assert payment_by_points_fen(101, none, *residue, two).tolist() == [25, 76]
    assert payment_by_points_fen(7, np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3)).sum() == 7
    rng = np.random.default_rng(3)
    for _ in range(200):  # always whole fen summing to the payment
        n = int(rng.integers(1, 30))
        total = int(rng.integers(-(10**9), 10**9))
        parts = payment_by_points_fen(
            total,
            rng.uniform(0, 500, n),
            rng.uniform(0, 200, n),
            rng.uniform(0, 50, n) * (rng.random(n) < 0.2),
            rng.uniform(0, 9, n),
        )
        assert parts.dtype == np.int64 and int(parts.sum()) == total


def test_fixed_cost_follows_treated_charges_then_cases_then_is_even() -> None:
    np.testing.assert_allclose(
        fixed_by_charges_yuan(100.0, np.array([1.0, 3.0]), np.array([5, 5])), [25.0, 75.0]
    )
    np.testing.assert_allclose(
        fixed_by_charges_yuan(100.0, np.zeros(2), np.array([1, 4])), [20.0, 80.0]
    )
    np.testing.assert_allclose(fixed_by_charges_yuan(100.0, np.zeros(2), np.zeros(2)), [50, 50])


def test_a_hospital_without_claims_keeps_its_fixed_cost_and_payment_in_a_row() -> None:
    scn = load_scenario({**SMALL, "variants": {}})
    cat, hospitals = load_catalogue(scn), hospital_table(scn)
    totals = DrgTotals(2, hospitals.n, cat.n_drg, dense_cells=0)  # cells kept sparse
    # hospital 0 has claims in DRG 3 (fund 0) and ungroupable ones (fund 1); no other has any
    cell = np.array([3, (hospitals.n * (cat.n_drg + 1)) + cat.n_drg])
    sums = np.array([[2, 500.0, 500.0, 100.0, 10.0, 0], [1, 50, 50, 5, 1, 0]])
    totals.parts.append((cell, sums))
    paid = [np.zeros(hospitals.n, np.int64), np.zeros(hospitals.n, np.int64)]
    paid[0][0], paid[1][0], paid[1][1] = 40_000, 4_500, 123  # hospital 1: paid, no claims
    fixed = np.arange(1.0, hospitals.n + 1) * 1000
    dm = frame([drg_margin_rows(2021, hospitals, cat, totals, paid, fixed, 0.6)])
    ids = list(hospitals.ids)
    first = dm[dm["hospital"] == ids[0]]
    assert first["drg"].tolist() == [cat.drg[3], "0000"]
    np.testing.assert_allclose(first["fixed_cost_yuan"], [1000 * 500 / 550, 1000 * 50 / 550])
    np.testing.assert_allclose(first["cost_yuan"], first["fixed_cost_yuan"] + [300.0, 30.0])
    assert first["final_fen"].tolist() == [40_000, 4_500]
    second = dm[dm["hospital"] == ids[1]]
    assert second[["drg", "cases", "final_fen", "fixed_cost_yuan"]].values.tolist() == [
        [NO_CLAIMS, 0, 123, 2000.0]
    ]
    assert dm["hospital"].tolist() == ids[:1] * 2 + ids[1:]  # one row each, no-claims rows too
    assert dm["fixed_cost_yuan"].sum() == pytest.approx(fixed.sum())
    assert int(dm["final_fen"].sum()) == sum(int(p.sum()) for p in paid)


def test_cells_kept_sparse_give_the_dense_array_s_table(monkeypatch) -> None:
    """A region too large for one array of cells keeps only those with claims: same table."""
    scn = {
        **SMALL,
        "years": 1,
        "replications": 1,
        "variants": {"upcoding": SMALL["variants"]["upcoding"]},
    }
    dense = drgsim.run(scn).drg_margin
    monkeypatch.setattr(calendar, "DrgTotals", functools.partial(DrgTotals, dense_cells=0))
    sparse = drgsim.run(scn).drg_margin
    pd.testing.assert_frame_equal(sparse, dense)


def test_the_table_is_made_when_first_read_and_then_kept(small: drgsim.Result) -> None:
    """`drgsim.run` assembles the DRG margins when they are first read (most of a long run's
    rows); read, they are one table, kept, and a pickled result carries them made."""
    import pickle

    from drgsim.records.results import Deferred

    fresh = drgsim.run(SMALL)
    assert isinstance(fresh.held()["drg_margin"], Deferred)
    table = fresh.drg_margin
    assert fresh.drg_margin is table and fresh.held()["drg_margin"] is table
    pd.testing.assert_frame_equal(table, small.drg_margin)  # as the run with cases made it
    again = pickle.loads(pickle.dumps(drgsim.run(SMALL)))
    pd.testing.assert_frame_equal(again.drg_margin, table)


def test_a_deferred_table_read_on_many_threads_is_made_once() -> None:
    import time
    from concurrent.futures import ThreadPoolExecutor

    from drgsim.records.results import Deferred

    made = []

    def make() -> pd.DataFrame:
        made.append(1)
        time.sleep(0.05)  # long enough for the other threads to ask meanwhile
        return pd.DataFrame({"x": [len(made)]})

    deferred = Deferred(make)
    with ThreadPoolExecutor(8) as pool:
        tables = list(pool.map(lambda _: deferred.get(), range(64)))
    assert len(made) == 1 and all(t is tables[0] for t in tables)
