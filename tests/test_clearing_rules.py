"""scenarios/clearing_rules.yaml: the year-end designs a bureau chooses between, on the same
patients — each settles every fen of its budget, and each rule does what it says against the
design it changes (small city, two replications)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import drgsim
from drgsim.present.summary import BUDGET_PARTS, budget_parts
from drgsim.scenario.loader import load_scenario, with_overrides

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "clearing_rules.yaml"
KEYS = ["fund", "replication", "year", "hospital"]
#: The funds of the city as shipped, and two funds (职工, 居民), each settled on its own
FUNDS = {
    "as shipped": {},
    "two funds": {"funds": {"职工": {"share": 0.25}, "居民": {"share": 0.75}}},
}


@pytest.fixture(scope="module", params=list(FUNDS))
def result(request: pytest.FixtureRequest) -> drgsim.Result:
    small = {"region.admissions": 20000, "replications": 2, **FUNDS[request.param]}
    return drgsim.run(with_overrides(load_scenario(SCENARIO), small))


def _by_fund(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with a `fund` column (one fund, `all`, when the scenario has only one)."""
    return frame if "fund" in frame else frame.assign(fund="all")


def _settled(result: drgsim.Result) -> pd.DataFrame:
    """Each hospital's year in each fund: each fund settles on its own (spec §3)."""
    return _by_fund(result.settlement if result.fund_settlement is None else result.fund_settlement)


def _of(frame: pd.DataFrame, variant: str) -> pd.DataFrame:
    """A variant's rows indexed by fund, replication, year (and hospital where there is one)."""
    frame = _by_fund(frame)
    return frame[frame["variant"] == variant].set_index([k for k in KEYS if k in frame])


def test_the_scenario_compares_the_designs_on_the_same_patients(result) -> None:
    variants = ["baseline", "pool_true_up", "clearing", "clearing_shared", "clearing_reserve"]
    assert list(load_scenario(SCENARIO).variants) == [*variants[1:], "floor"]
    st = result.settlement
    cases = st.pivot_table(index=KEYS[1:], columns="variant", values="cases")
    assert (cases.to_numpy() == cases[["baseline"]].to_numpy()).all()  # common random numbers


def test_every_design_settles_every_fen_of_its_budget(result) -> None:
    ry = _by_fund(budget_parts(result.region_year))
    assert (ry[list(BUDGET_PARTS)].sum(axis=1) == ry["budget_fen"]).all()
    assert (ry[list(BUDGET_PARTS)] >= 0).all().all()
    keys = ["variant", "fund", "replication", "year"]
    paid = _settled(result).groupby(keys)["final_fen"].sum()
    by_year = ry.set_index(keys)["paid_fen"]
    assert (by_year.sort_index() == paid.sort_index()).all()
    # the pools pay out the whole budget (reserve released, every month has claims)
    for v in ("baseline", "pool_true_up"):
        mine = ry[ry["variant"] == v]
        assert (mine["paid_fen"] == mine["budget_fen"]).all()
    # the floor is not reached with these patients: the fund keeps the reserve, pays B
    floor = result.region_year[result.region_year["variant"] == "floor"]  # each fund's row
    assert (floor["floor_topup_fen"] == 0).all()
    assert (floor["reserve_kept_fen"] == floor["reserve_fen"]).all()
    assert (floor["paid_fen"] == floor["available_fen"]).all()


def test_surplus_retention_and_overrun_sharing_move_money_as_spec_6_says(result) -> None:
    """clearing pays F' (keep all, share none); clearing_shared has the same F' (same patients,
    coefficients and point value) and keeps half of a surplus above fund-eligible charges C for
    the hospital, and pays at most half an overrun above 0.85 C on top."""
    st = _settled(result)
    plain, shared = _of(st, "clearing"), _of(st, "clearing_shared")
    f = plain["final_fen"].to_numpy()
    got = shared.loc[plain.index, "final_fen"].to_numpy()
    c = np.rint((plain["charges_yuan"] - plain["oop_yuan"]).to_numpy() * 100).astype(np.int64)
    surplus = f >= c
    want = [int(ci) + round(Fraction(int(fi) - int(ci), 2)) for fi, ci in zip(f, c, strict=True)]
    assert surplus.any() and (got[surplus] == np.array(want)[surplus]).all()
    over = ~surplus & (f >= np.ceil(0.85 * c))
    most = [int(fi) + round(Fraction(int(ci) - int(fi), 2)) for fi, ci in zip(f, c, strict=True)]
    assert over.any()
    assert (got[over] >= f[over]).all() and (got[over] <= np.array(most)[over]).all()
    assert (got[over] > f[over]).mean() > 0.9  # nearly every hospital under its charges gains
    below = ~surplus & ~over
    assert (got[below] == f[below]).all()
    ry = _of(result.region_year, "clearing_shared")
    assert int(ry["overrun_shared_fen"].sum()) == int((got - f)[over].sum()) > 0


def test_holding_the_reserve_for_overrun_sharing_spends_it_on_hospitals_under_their_charges(
    result,
) -> None:
    ry = _by_fund(result.region_year).sort_values(["fund", "replication", "year"])
    held = ry[ry["variant"] == "clearing_reserve"]
    released = ry[ry["variant"] == "clearing_shared"]
    assert (held["reserve_released_fen"] == 0).all()
    assert (held["reserve_overrun_fen"] > 0).all()
    assert (held["reserve_overrun_fen"] + held["reserve_kept_fen"] == held["reserve_fen"]).all()
    # more overrun is shared when the reserve waits for it than when it is paid out to all
    assert (held["overrun_shared_fen"].to_numpy() > released["overrun_shared_fen"].to_numpy()).all()
