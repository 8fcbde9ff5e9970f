"""Several insurance funds (spec §3): each patient in one fund, each fund settled on its own.

The golden deck (tests/golden/two_funds.yaml) is settled by hand below with exact fractions:
two funds, two hospitals, five March cases, λ = 1 (incentive min = max = 1), 10% reserve
released into the pool, 90% pre-paid. Every fen is derived from the rules of the spec.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drgsim
from drgsim.errors import DrgsimError
from drgsim.kernels.rng import Draw, uniform_np
from drgsim.records.results import frame
from drgsim.rules.funds import cumulative_shares, fund_budgets, fund_key, points_weighted_pv
from drgsim.scale.runner import Job, annual_budgets, load_catalogue, simulate
from drgsim.scenario.loader import load_scenario, shipped_scenarios, with_overrides
from tests.test_engine_properties import cities
from tests.test_golden_decks import split

GOLDEN = Path(__file__).resolve().parent / "golden"
DECK = GOLDEN / "two_funds.yaml"
SHANWEI = shipped_scenarios() / "shanwei.yaml"


# --- the deck by hand ---------------------------------------------------------------------------
# Points (tier 3 K = 1, tier 2 K = 0.9; every ratio c / ā_g between 0.9 and 1.2: normal cases):
#   职工: H1 ES23 100; H2 FM19 200 × 0.9 = 180              Σ 280, patient-paid 1500 + 2000
#   居民: H1 FM19 200; H2 ES23 90 + ES23 90                 Σ 380, patient-paid 8000 + 6500
FUNDS = {
    #        budget fen, points by hospital, patient-paid yuan by hospital
    "职工": (3_000_000, [F(100), F(180)], [F(1500), F(2000)]),
    "居民": (6_000_000, [F(200), F(180)], [F(8000), F(6500)]),
}


def settle_by_hand(budget: int, points: list[F], oop: list[F]) -> dict[str, list[int] | F]:
    """One fund's year (spec §3, §4, §6): all of March's budget in March, the pool at year end."""
    reserve = budget // 10  # 10% of a whole number of yuan: exact
    available = budget - reserve
    pv_march = (F(available, 100) + sum(oop)) / sum(points)
    allocation = split(
        available, [(pv_march * p - o) * 100 for p, o in zip(points, oop, strict=True)]
    )
    prepaid = split(available * 9 // 10, [F(9, 10) * a for a in allocation])
    withheld = [a - p for a, p in zip(allocation, prepaid, strict=True)]
    pool = sum(withheld) + reserve  # released reserve joins the pool (reserve_use: release)
    incentive = split(pool, [F(pool * w, sum(withheld)) for w in withheld])  # λ = 1
    final = [p + i for p, i in zip(prepaid, incentive, strict=True)]
    pv_year = (F(budget, 100) + sum(oop)) / sum(points)
    return {"allocation": allocation, "prepaid": prepaid, "withheld": withheld,
            "incentive": incentive, "final": final, "pv": pv_year}  # fmt: skip


@pytest.fixture(scope="module")
def deck() -> drgsim.Result:
    return drgsim.run(DECK)


def test_each_fund_is_settled_on_its_own_budget_to_the_fen(deck: drgsim.Result) -> None:
    # 职工 by hand: PV_March = (27000 + 3500) / 280 = 108.928…; allocations 939285.71…,
    # 1760714.28… → 939286 + 1760714; the pool 93929 + 176071 withheld + 300000 reserve
    want = {name: settle_by_hand(*args) for name, args in FUNDS.items()}
    assert want["职工"]["allocation"] == [939286, 1760714]
    assert want["居民"]["final"] == [3116959, 2883041]
    fs = deck.fund_settlement.set_index(["fund", "hospital"])
    hm = deck.hospital_month[deck.hospital_month["month"] == 3].set_index(["fund", "hospital"])
    for name, w in want.items():
        for h, hid in enumerate(("H1", "H2")):
            assert hm.loc[(name, hid), "allocation_fen"] == w["allocation"][h]
            assert hm.loc[(name, hid), "prepaid_fen"] == w["prepaid"][h]
            assert fs.loc[(name, hid), "withheld_fen"] == w["withheld"][h]
            assert fs.loc[(name, hid), "incentive_fen"] == w["incentive"][h]
            assert fs.loc[(name, hid), "final_fen"] == w["final"][h]
    ry = deck.region_year.set_index("fund")
    for name, w in want.items():
        assert ry.loc[name, "budget_fen"] == FUNDS[name][0]
        assert ry.loc[name, "paid_fen"] == FUNDS[name][0]
        assert ry.loc[name, "point_value"] == pytest.approx(float(w["pv"]), rel=1e-12)


def test_a_hospitals_payment_is_the_sum_over_its_funds(deck: drgsim.Result) -> None:
    want = {name: settle_by_hand(*args) for name, args in FUNDS.items()}
    st = deck.settlement.set_index("hospital")
    for h, hid in enumerate(("H1", "H2")):
        assert st.loc[hid, "final_fen"] == sum(w["final"][h] for w in want.values())
        assert st.loc[hid, "points"] == pytest.approx(float(sum(FUNDS[n][1][h] for n in FUNDS)))
    assert int(st["final_fen"].sum()) == 9_000_000  # both budgets, to the fen


# --- a synthetic city --------------------------------------------------------------------------
TWO = {
    "funds": {
        "职工": {"share": 0.25, "patient_share_tiers": {3: 0.165, 2: 0.126, 1: 0.106}},
        "居民": {"share": 0.75, "patient_share_tiers": {3: 0.368, 2: 0.276, 1: 0.192}},
    },
    "replications": 1,
    "variants": {},
}


@pytest.fixture(scope="module")
def city() -> drgsim.Result:
    scn = with_overrides(load_scenario(SHANWEI), TWO)
    return drgsim.run(scn, cases=True, variants=["baseline"])


def test_patients_fall_in_each_fund_by_its_share_and_keep_their_fund(city: drgsim.Result) -> None:
    cases = city.cases
    assert cases is not None
    employee = float((cases["fund"] == "职工").mean())
    n = len(cases)
    # admissions by patient: distinct patients are independent draws; readmissions repeat one
    assert abs(employee - 0.25) < 5 * np.sqrt(0.25 * 0.75 / n) + 0.01
    assert cases.groupby("patient_id")["fund"].nunique().max() == 1


def test_each_funds_patients_pay_their_own_share(city: drgsim.Result) -> None:
    fs = city.fund_settlement.groupby("fund")[["oop_yuan", "charges_yuan"]].sum()
    share = fs["oop_yuan"] / fs["charges_yuan"]
    # tier shares weighted by each tier's charges: between the extremes of each fund's table
    assert 0.106 < share["职工"] < 0.165
    assert 0.192 < share["居民"] < 0.368
    assert share["居民"] > 2 * share["职工"]


def test_every_funds_money_adds_up_to_its_budget(city: drgsim.Result) -> None:
    ry = city.region_year
    # each fund's budget is paid out, kept in its reserve or retained, to the fen
    kept = ry["paid_fen"] + ry["reserve_kept_fen"] + ry["retained_fen"]
    assert (kept == ry["budget_fen"]).all()
    assert (ry["paid_fen"] > 0).all() and (ry["budget_fen"] > 0).all()
    assert sorted(ry["fund"]) == ["居民", "职工"]
    st = city.settlement
    assert int(st["final_fen"].sum()) == int(ry["paid_fen"].sum())
    fs = city.fund_settlement
    by_h = fs.groupby("hospital")["final_fen"].sum()
    assert (st.set_index("hospital")["final_fen"] == by_h.loc[st["hospital"]].to_numpy()).all()


def test_the_fund_draw_is_the_documented_rule() -> None:
    scn = with_overrides(load_scenario(SHANWEI), TWO)
    cum = cumulative_shares(scn)
    patients = np.arange(10_000)
    u = uniform_np(int(fund_key(scn)), int(Draw.FUND), patients)
    want = np.where(u < 0.25, 0, 1)
    from drgsim.rules.funds import fund_of

    assert np.array_equal(fund_of(fund_key(scn), patients, cum), want)


# --- budgets -------------------------------------------------------------------------------------
def test_budgets_split_the_annual_total_by_expected_fund_cost() -> None:
    base = load_scenario(SHANWEI)
    two = with_overrides(base, {**TWO, "budget": {"annual": 1_000_000}})
    # neither fund names its budget: 1 000 000 by expected cost 300 : 100
    assert fund_budgets(two, np.array([300.0, 100.0])) == (750_000.0, 250_000.0)
    one_named = with_overrides(two, {"funds.职工.budget": 400_000})
    assert fund_budgets(one_named, np.array([300.0, 100.0])) == (400_000.0, 600_000.0)
    neutral = with_overrides(base, TWO)
    assert fund_budgets(neutral, np.array([300.0, 100.0])) == (300.0, 100.0)


# --- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("funds", "words"),
    [
        ({"a": {"share": 0.5}, "b": {"share": 0.4}}, "sum to 0.9"),
        ({"a": {"share": 1.0, "patient_share_tiers": {4: 0.2}}}, "allowed tiers"),
        ({"a": {"share": 1.2}}, "<= 1"),
    ],
)
def test_bad_funds_get_one_line_naming_the_key(funds: dict, words: str) -> None:
    with pytest.raises(DrgsimError) as err:
        with_overrides(load_scenario(SHANWEI), {"funds": funds})
    message = str(err.value)
    assert "funds" in message and words in message
    assert "\n" not in message.strip()


def test_a_case_table_naming_an_unknown_fund_is_refused_in_one_line(tmp_path: Path) -> None:
    table = (GOLDEN / "two_funds.csv").read_text(encoding="utf-8").replace("居民", "新农合", 1)
    (tmp_path / "cases.csv").write_text(table, encoding="utf-8")
    (tmp_path / "catalogue.csv").write_text((GOLDEN / "catalogue.csv").read_text())
    (tmp_path / "deck.yaml").write_text(DECK.read_text(encoding="utf-8").replace(
        "two_funds.csv", "cases.csv"), encoding="utf-8")  # fmt: skip
    with pytest.raises(DrgsimError) as err:
        drgsim.run(tmp_path / "deck.yaml")
    message = str(err.value)
    assert "row 4" in message and "新农合" in message and "职工, 居民" in message


# --- properties over random cities with several funds ---------------------------------------------
@st.composite
def cities_with_funds(draw: st.DrawFn) -> dict:
    """A random city of tests/test_engine_properties.py, insured by two or three funds."""
    city = draw(cities())
    n = draw(st.integers(2, 3))
    weights = [draw(st.integers(1, 9)) for _ in range(n)]
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1.0 - sum(shares[:-1])
    city["funds"] = {
        f"F{k}": {
            "share": shares[k],
            "patient_share_mean": draw(st.one_of(st.none(), st.floats(0.0, 0.6))),
            "budget": draw(st.one_of(st.none(), st.floats(1e3, 1e7))),
        }
        for k in range(n)
    }
    if all(f["budget"] is not None for f in city["funds"].values()):
        city["budget"]["annual"] = None
    elif city["budget"]["annual"] is not None:
        given = sum(f["budget"] or 0.0 for f in city["funds"].values())
        city["budget"]["annual"] = given + city["budget"]["annual"]
    return city


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(city=cities_with_funds())
def test_every_fund_closes_its_books_and_hospitals_are_paid_the_sum(city: dict) -> None:
    scn = load_scenario(city)
    cat = load_catalogue(scn)
    budgets = annual_budgets(scn, cat)
    tables = simulate(Job("baseline", scn, cat, budgets, 0, False))
    ry, st_ = frame(tables.region_year), frame(tables.settlement)
    fs = frame(tables.fund_settlement)
    assert sorted(set(ry["fund"])) == sorted(city["funds"])
    parts = ["paid_fen", "reserve_kept_fen", "retained_fen"]
    # spec §6: Σ paid + reserve kept + (ceiling surplus + unpaid withholding + other) = budget
    assert (ry[parts].sum(axis=1) == ry["budget_fen"]).all()
    for f, name in enumerate(city["funds"]):
        first = ry[(ry["fund"] == name) & (ry["year"] == scn.start_year)]
        assert abs(int(first["budget_fen"].iloc[0]) - budgets[f] * 100) <= 0.5 + 1e-6 * budgets[f]
    by_h = fs.groupby(["year", "hospital"])["final_fen"].sum()
    got = st_.set_index(["year", "hospital"])["final_fen"]
    assert (got == by_h.loc[got.index]).all()
    assert int(st_["final_fen"].sum()) == int(ry["paid_fen"].sum())


def test_doubling_base_points_halves_each_funds_point_value_and_changes_no_fen() -> None:
    scn = with_overrides(load_scenario(SHANWEI), {**TWO, "region.admissions": 20_000})
    one = drgsim.run(scn, variants=["baseline"])
    two = drgsim.run(with_overrides(scn, {"base_points": 200}), variants=["baseline"])
    a, b = one.region_year.set_index("fund"), two.region_year.set_index("fund")
    assert np.allclose(b["point_value"], a["point_value"] / 2, rtol=1e-12)
    money = [c for c in a.columns if c.endswith("_fen")]
    assert (a[money] == b.loc[a.index, money]).all().all()
    fa, fb = one.fund_settlement, two.fund_settlement
    assert (fa["final_fen"].to_numpy() == fb["final_fen"].to_numpy()).all()


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.floats(-1e3, 1e3),
                st.sampled_from([0.0, -0.0, float("nan"), float("inf"), -float("inf")]),
            ),
            st.one_of(st.floats(-1e12, 1e12), st.sampled_from([0.0, -0.0, 1.0, -1.0])),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_published_point_value_is_numpys_points_weighted_mean(
    pairs: list[tuple[float, float]],
) -> None:
    """The value hospitals see weighs the finite values by points exactly as np.average does,
    to the last bit and the sign of a zero, and refuses weights summing to zero as it does (the
    rule written with numpy; a lone value as it is, NaN with none)."""
    values, points = [v for v, _ in pairs], [p for _, p in pairs]
    finite = [(v, p) for v, p in pairs if np.isfinite(v)]
    if not finite:
        assert np.isnan(points_weighted_pv(values, points))
    elif len(finite) == 1:
        assert points_weighted_pv(values, points) == finite[0][0]
    else:
        try:
            with np.errstate(all="ignore"):
                want = float(np.average([v for v, _ in finite], weights=[p for _, p in finite]))
        except ZeroDivisionError:
            with pytest.raises(ZeroDivisionError):
                points_weighted_pv(values, points)
            return
        got = points_weighted_pv(values, points)
        assert got == want or (np.isnan(got) and np.isnan(want))
        assert np.signbit(got) == np.signbit(want)
