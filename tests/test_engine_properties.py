"""Engine-level properties: random small cities with behaviours and the audit on, settled in both
modes with any pre-payment share, add up to the fen and follow the settlement rules every year.

Each example runs the SimPy calendar on a tiny city (a few hundred admissions, the five-DRG
golden catalogue) and checks its tables against the rules of spec §3–§7, recomputed here from
the tables' own columns. The default run draws DRGSIM_ENGINE_EXAMPLES (300) examples; the
benchmark suite runs 10⁴ (see benchmarks/README.md).
"""

from __future__ import annotations

import os
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drgsim.records.results import frame
from drgsim.scale.runner import Job, load_catalogue, simulate
from drgsim.scenario.loader import load_scenario

ACT_KEYS = ("upcoding", "splitting", "induced", "phantom", "underservice", "shifting")
EXAMPLES = int(os.environ.get("DRGSIM_ENGINE_EXAMPLES", "300"))
CATALOGUE = str(Path(__file__).resolve().parent / "golden" / "catalogue.csv")
RATE = st.one_of(st.just(0.0), st.floats(0.0, 0.5), st.just(1.0))
SHARE = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))


@st.composite
def hospitals(draw: st.DrawFn) -> dict[str, Any]:
    """Two to four hospitals of random tiers and sizes, each with some acts."""
    out = {}
    for k in range(draw(st.integers(2, 4))):
        acts: dict[str, Any] = {
            act: {"rate": draw(RATE)}
            for act in ("upcoding", "splitting", "induced", "phantom")
            if draw(st.booleans())
        }
        if draw(st.booleans()):
            acts["underservice"] = {"rate": draw(RATE), "cut": draw(st.floats(0.0, 0.5))}
        if draw(st.booleans()):
            acts["shifting"] = {"rate": draw(RATE)}
        if draw(st.booleans()):
            acts["referral_down"] = {"rate": draw(RATE)}
        tier = draw(st.integers(1, 3))
        out[f"H{k}"] = {"tier": tier, "beds": draw(st.integers(20, 800)), **acts}
    return out


@st.composite
def bands(draw: st.DrawFn) -> tuple[float | None, float | None]:
    """A point-value floor and ceiling (ratios of PV_ref), either absent, floor ≤ ceiling."""
    floor = draw(st.one_of(st.none(), st.floats(0.5, 2.0)))
    ceiling = draw(st.one_of(st.none(), st.floats(0.5, 2.0)))
    if floor is not None and ceiling is not None and floor > ceiling:
        floor, ceiling = ceiling, floor
    return floor, ceiling


@st.composite
def cities(draw: st.DrawFn) -> dict[str, Any]:
    """A tiny random city: hospitals with acts, audit, budget, settlement mode and share."""
    shares = draw(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=12, max_size=12).map(
                lambda s: s if sum(s) > 0 else [1.0, *s[1:]]  # the schema wants a positive sum
            ),
        )
    )
    low, high = draw(st.floats(0.0, 5.0)), draw(st.floats(0.0, 5.0))
    return {
        "seed": draw(st.integers(0, 2**31 - 1)),
        "years": draw(st.integers(1, 2)),
        "catalogue": {"source": CATALOGUE},
        "region": {"admissions": draw(st.integers(100, 300))},
        "hospitals": draw(hospitals()),
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "audit": {
            "sample_rate": draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))),
            "detection": {a: draw(RATE) for a in ("upcoding", "split", "phantom", "underservice")},
            "penalty": {a: draw(st.floats(0.0, 5.0)) for a in ("upcoding", "split", "phantom")},
            "deductions_to": draw(st.sampled_from(["others", "fund"])),
            "screening": {
                "recall": {a: draw(RATE) for a in ("upcoding", "split", "phantom", "underservice")},
                "false_alarm": draw(RATE),
            },
            "targeted": {"count": draw(st.integers(0, 3)), "rate": draw(RATE)},
        },
        "budget": {
            "annual": draw(st.one_of(st.sampled_from([0.0, 0.01, 3.0]), st.floats(1e3, 1e8))),
            "reserve": draw(st.floats(0.0, 0.95)),
            "growth": draw(st.floats(-0.5, 1.0)),
            "month_shares": shares,
            "reserve_use": draw(st.sampled_from(["release", "keep", "cover"])),
        },
        "point_value": dict(zip(("floor", "ceiling"), draw(bands()), strict=True)),
        "settlement": {
            "mode": draw(st.sampled_from(["pool", "clearing", "repricing"])),
            "prepay_share": draw(SHARE),
            "true_up": draw(st.booleans()),
        },
        "clearing": {
            "surplus_keep": draw(st.one_of(st.sampled_from([0.0, 1.0]), RATE)),
            "overrun_floor": draw(st.one_of(st.sampled_from([0.0, 1.0]), RATE)),
            "overrun_share": draw(st.one_of(st.sampled_from([0.0, 1.0]), RATE)),
        },
        "incentive": {
            "min": min(low, high),
            "max": max(low, high),
            "peers": draw(st.sampled_from(["tier", "city"])),
        },
        "readmission": {
            "factor": draw(st.floats(0.0, 1.0)),
            "window_days": draw(st.integers(0, 60)),
        },
        "reporting": {"lag_months": draw(st.integers(0, 2))},
        "adaptation": {"enabled": draw(st.booleans()), "step": 0.1},
    }


#: Found by the property in CI: 67,108,865.742 yuan is 6,710,886,574 fen, whose quarter is
#: 1,677,721,643.5 fen, a half rounded to even (…644); float yuan × share rounded it to …643.
HALF_FEN_RESERVE: dict[str, Any] = {
    "seed": 0,
    "years": 1,
    "catalogue": {"source": CATALOGUE},
    "region": {"admissions": 100},
    "hospitals": {"H0": {"tier": 3, "beds": 500}, "H1": {"tier": 2, "beds": 200}},
    "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
    "audit": {"sample_rate": 0.0, "detection": {}, "penalty": {}, "deductions_to": "others"},
    "budget": {
        "annual": 67_108_865.742,
        "reserve": 0.25,
        "growth": 0.0,
        "month_shares": None,
        "reserve_use": "keep",
    },
    "point_value": {"floor": None, "ceiling": None},
    "settlement": {"mode": "pool", "prepay_share": 0.9, "true_up": False},
    "clearing": {"surplus_keep": 1.0, "overrun_floor": 0.85, "overrun_share": 0.0},
    "incentive": {"min": 0.8, "max": 1.2, "peers": "tier"},
    "readmission": {"factor": 0.5, "window_days": 15},
    "reporting": {"lag_months": 0},
    "adaptation": {"enabled": False, "step": 0.1},
}
#: Year two's budget is 1000.25 × 1.06 = 1060.265 yuan = 106,026.5 fen, a half (to even: …026);
#: in floats it was …026.50…01 and went up. α = 0.7 of a month's budget can be a half fen too.
HALF_FEN_GROWN_BUDGET: dict[str, Any] = {
    **HALF_FEN_RESERVE,
    "years": 2,
    "budget": {
        "annual": 1000.25,
        "reserve": 0.3,
        "growth": 0.06,
        "month_shares": None,
        "reserve_use": "release",
    },
    "settlement": {"mode": "repricing", "prepay_share": 0.7, "true_up": False},
}

#: Found by the property in CI: phantom cases caught by a quarter's targeted inspection take their
#: points out of the quarter's last month, which ends year one with negative points; year two's
#: month budget forecast from them was −10 fen and the books paid 310 fen of a 300-fen budget.
NEGATIVE_MONTH: dict[str, Any] = {
    **HALF_FEN_RESERVE,
    "years": 2,
    "hospitals": {
        "H0": {"tier": 1, "beds": 32, "phantom": {"rate": 1.0}},
        "H1": {"tier": 1, "beds": 20},
        "H2": {"tier": 1, "beds": 20},
    },
    "audit": {
        "sample_rate": 0.0,
        "detection": {"upcoding": 0.0, "split": 0.0, "phantom": 1.0, "underservice": 0.0},
        "penalty": {"upcoding": 0.0, "split": 0.0, "phantom": 0.0},
        "deductions_to": "others",
        "screening": {
            "recall": {"upcoding": 0.0, "split": 0.0, "phantom": 0.0, "underservice": 0.0},
            "false_alarm": 0.0,
        },
        "targeted": {"count": 1, "rate": 1.0},
    },
    "budget": {
        "annual": 3.0,
        "reserve": 0.0,
        "growth": 0.0,
        "month_shares": None,
        "reserve_use": "release",
    },
    "settlement": {"mode": "pool", "prepay_share": 0.0, "true_up": False},
    "clearing": {"surplus_keep": 0.0, "overrun_floor": 0.0, "overrun_share": 0.0},
    "incentive": {"min": 0.0, "max": 0.0, "peers": "tier"},
    "readmission": {"factor": 0.0, "window_days": 0},
}

#: Pool mode, deductions to the others, and no other hospital to take them: every λ is 0 (no
#: weight) and every hospital's caught phantom cases cost it more points than it earned (no net
#: points). The fund keeps those deductions (other retained), not as unpaid withholding.
DEDUCTION_WITHOUT_TAKER: dict[str, Any] = {
    **HALF_FEN_RESERVE,
    "hospitals": {
        "H0": {"tier": 3, "beds": 300, "phantom": {"rate": 1.0}},
        "H1": {"tier": 2, "beds": 200, "phantom": {"rate": 1.0}},
    },
    "audit": {
        **NEGATIVE_MONTH["audit"],
        "sample_rate": 1.0,
        "penalty": {"upcoding": 0.0, "split": 0.0, "phantom": 5.0},
        "targeted": {"count": 0, "rate": 0.0},
    },
    "incentive": {"min": 0.0, "max": 0.0, "peers": "tier"},
}

_CATALOGUE: dict[str, Any] = {}


def _tables(city: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Run the calendar once on the city; its tables as DataFrames."""
    scn = load_scenario(city)
    if "cat" not in _CATALOGUE:
        _CATALOGUE["cat"] = load_catalogue(scn)
    job = Job("baseline", scn, _CATALOGUE["cat"], float(city["budget"]["annual"]), 0, False)
    tables = simulate(job)
    names = ("hospital_month", "settlement", "region_year", "catalogue")
    return {k: frame(getattr(tables, k)) for k in names}


def _fen(amount: Decimal) -> int:
    """An exact amount of fen to a whole fen, half to even (spec §7)."""
    return int(amount.to_integral_value(rounding=ROUND_HALF_EVEN))


def _dec(value: float) -> Decimal:
    """A scenario number as the decimal it is written as (0.1 is one tenth)."""
    return Decimal(repr(float(value)))


def _near(got: Any, want: Any, fen: float) -> bool:
    """Whole fen `got` within `fen` (plus float noise) of the exact `want`."""
    want = np.asarray(want, dtype=np.float64)
    return bool(np.all(np.abs(np.asarray(got) - want) <= fen + 1e-9 * np.abs(want).max(initial=1)))


def _allocated_by_month(hm: pd.DataFrame) -> list[int]:
    """Each month's allocation summed over hospitals, January to December."""
    return hm.groupby("month")["allocation_fen"].sum().reindex(range(1, 13), fill_value=0).tolist()


def _check_year(
    city: dict[str, Any],
    y: int,
    hm: pd.DataFrame,
    st_: pd.DataFrame,
    ry: pd.Series,
    last_points: np.ndarray | None,
    cat: pd.DataFrame,
) -> None:
    """One year's tables against the rules."""
    budget, rules = city["budget"], city["settlement"]
    alpha, mode = rules["prepay_share"], rules["mode"]
    # spec §3/§7: the budget grown by the year in whole fen, then the reserve its share of those
    # fen, each computed exactly from the decimals written and rounded once, half to even
    with localcontext() as exact:
        exact.prec = 200
        grown = _dec(budget["annual"]) * (1 + _dec(budget["growth"])) ** y * 100
        budget_fen = _fen(grown)
        reserve = _fen(budget_fen * _dec(budget["reserve"]))
        alpha_of = [_fen(int(a) * _dec(alpha)) for a in _allocated_by_month(hm)]
    assert int(ry["budget_fen"]) == budget_fen
    assert int(ry["reserve_fen"]) == reserve
    available = budget_fen - reserve
    assert int(ry["available_fen"]) == available

    # spec §4: each month's budget is its forecast share of the year; with points it is all
    # allocated by points, and α of it (to the fen) pre-paid
    month = hm.groupby("month")[["allocation_fen", "prepaid_fen", "withheld_fen", "points"]].sum()
    month = month.reindex(range(1, 13), fill_value=0)
    if last_points is not None and np.maximum(last_points, 0).sum() > 0:
        shares = np.maximum(last_points, 0)  # a month whose corrections made it negative: 0
    elif budget["month_shares"] is not None:
        shares = np.asarray(budget["month_shares"], dtype=np.float64)
    else:  # year one without written shares: the generator's seasonality (its admissions)
        shares = np.asarray(load_scenario(city).region.seasonality, dtype=np.float64)
    planned = available * shares / shares.sum()
    with_points = month["points"].to_numpy() > 0
    allocated = month["allocation_fen"].to_numpy()
    assert _near(allocated[with_points], planned[with_points], 1.0)
    assert not allocated[~with_points].any()
    assert month["prepaid_fen"].tolist() == alpha_of
    assert _near(hm["prepaid_fen"], alpha * hm["allocation_fen"], 1.0)
    pv_m = hm["point_value"].to_numpy()
    has = np.isfinite(pv_m)
    exact = (pv_m * hm["points"] - hm["oop_yuan"]).to_numpy() * 100
    assert _near(hm["allocation_fen"].to_numpy()[has], exact[has], 1.0)

    # the year's table sums its months
    by_h = hm.groupby("hospital", sort=False)[["prepaid_fen", "withheld_fen", "cases"]].sum()
    s = st_.set_index("hospital")
    for col in ("prepaid_fen", "withheld_fen", "cases"):
        assert (s[col] == by_h[col].loc[s.index]).all(), col
    lam = s["coefficient"].to_numpy()
    lo, hi = city["incentive"]["min"], city["incentive"]["max"]
    assert np.all((lam >= lo - 1e-12) & (lam <= hi + 1e-12))

    final, retained = s["final_fen"].to_numpy(), int(ry["retained_fen"])
    points, deducted = s["points"].to_numpy(), s["deducted_points"].to_numpy()
    oop, prepaid = s["oop_yuan"].to_numpy(), s["prepaid_fen"].to_numpy()
    withheld = s["withheld_fen"].to_numpy()
    deduction = s["deduction_fen"].to_numpy()
    to_fund = city["audit"]["deductions_to"] == "fund"
    net = points - deducted
    # a deduction no other hospital with net points can take is kept by the fund (spec §5)
    takers = [np.delete(np.maximum(net, 0.0), h).sum() > 0 for h in range(len(net))]
    kept_deductions = int(deduction.sum()) if to_fund else int(deduction[~np.array(takers)].sum())
    # spec §3: PV_ref is the year's money (the reserve too where released) and patient payments
    # over the points the claims earn at their true DRGs; without acts (and with readmissions
    # at full points) those are the year's points
    use = budget["reserve_use"]
    planned = reserve if use == "release" else 0
    ref_money = available + planned
    pv_ref = ry["reference_point_value"]
    honest = not any(k in h for h in city["hospitals"].values() for k in ACT_KEYS)
    if honest and city["readmission"]["factor"] == 1.0 and points.sum() > 0:
        want_ref = (ref_money / 100 + oop.sum()) / points.sum()
        assert np.isclose(pv_ref, want_ref, rtol=1e-9)
    assert np.isnan(pv_ref) or pv_ref > 0 or ref_money / 100 + oop.sum() <= 0
    # spec §3: the year's money, the ceiling's surplus and the floor's top-up from the reserve
    floor, ceiling = city["point_value"]["floor"], city["point_value"]["ceiling"]
    base = points.sum()  # PV_y prices the points; deductions are taken in money (spec §5, §6)
    limit = planned + max(int(withheld.sum()), 0) if mode == "pool" else ref_money
    limit = min(limit, ref_money)
    surplus = topup = 0
    if base > 0 and np.isfinite(pv_ref):
        if ceiling is not None:
            cap = _fen(_dec((ceiling * pv_ref * base - oop.sum()) * 100))
            surplus = max(0, min(ref_money - cap, limit))
        if floor is not None and surplus == 0 and use == "cover":
            lift = _fen(_dec((floor * pv_ref * base - oop.sum()) * 100))
            topup = max(0, min(lift - ref_money, reserve))
    money = ref_money - surplus + topup
    kept = reserve - planned - topup
    # clearing's overrun sharing beyond the year's unpaid money spends the ceiling surplus, then
    # the reserve kept under cover (spec §6): the tables keep what is left
    spent_surplus = spent_reserve = 0
    if mode != "pool":
        shared = int(ry["overrun_shared_fen"])
        paid_before = int(final.sum()) - shared  # payments after surplus retention
        unpaid_before = max(money - kept_deductions - paid_before, 0)
        beyond = max(shared - unpaid_before, 0)
        spent_surplus = min(beyond, surplus)
        spent_reserve = beyond - spent_surplus
        assert spent_reserve <= (kept if use == "cover" else 0)
        held = min(surplus, planned)  # the reserve the ceiling held back, spent after the rest
        assert int(ry["reserve_overrun_fen"]) == max(spent_surplus - (surplus - held), 0) + (
            spent_reserve
        )
    else:
        assert int(ry["overrun_shared_fen"]) == int(ry["reserve_overrun_fen"]) == 0
    assert int(ry["ceiling_surplus_fen"]) == surplus - spent_surplus
    assert int(ry["floor_topup_fen"]) == topup
    assert int(ry["reserve_kept_fen"]) == kept - spent_reserve
    assert int(ry["reserve_released_fen"]) == planned - min(surplus, planned)
    spare = surplus + (kept if use == "cover" else 0)  # before overrun sharing spent any
    surplus, kept = surplus - spent_surplus, kept - spent_reserve
    if mode == "pool":
        # spec §6: PV_y over all points; deductions in money at PV_y; the pool (withheld money
        # + deductions) by withheld × λ, or by net points when no hospital has that weight
        total = base
        pv = (money / 100 + oop.sum()) / total if total > 0 else np.nan
        # the weights: W_h λ_h, or with true-up the outstanding entitlement before the deduction
        # (taken from the final payment) × λ_h; the withheld money by them (net points if no
        # weight); each deduction among the other hospitals by the same rule (spec §5), or kept
        # by the fund with deductions_to: fund
        if rules["true_up"] and total > 0:
            outstanding = (pv * points - oop) * 100 - prepaid
            weights = np.maximum(outstanding, 0.0) * lam
        else:
            weights = np.maximum(withheld, 0) * lam
        net = np.maximum(points - deducted, 0.0)
        shared = deduction if city["audit"]["deductions_to"] == "others" else 0 * deduction
        # spec §5: an offender never takes back its own deduction, so one that no other
        # hospital can take (none has a weight, none has net points) stays with the fund
        untaken = 0
        for h, d in enumerate(shared.tolist()):
            alone = all(np.delete(layer, h).sum() <= 0 for layer in (weights, net))
            untaken += d if d > 0 and alone else 0
    # spec §3/§6: paid + reserve kept + ceiling surplus + unpaid withholding + other retained
    # (the budget of months without points, deductions kept by the fund) is the budget
    unpaid = int(ry["unpaid_withholding_fen"])
    if mode == "pool":
        other = available - int(allocated.sum()) + int(deduction.sum() - shared.sum()) + untaken
    else:
        other = kept_deductions
    assert unpaid >= 0
    assert int(final.sum()) + kept + surplus + unpaid + other == budget_fen
    assert retained == surplus + unpaid + other
    if mode == "pool":
        if total > 0:
            assert _near(deduction, pv * deducted * 100, 0.5 + 1e-6)
        else:
            assert not deduction.any()
        exact, placed = np.zeros(len(net)), 0
        # the year's money in the pool: withheld + released reserve + floor top-up − surplus
        money_in = int(withheld.sum()) + money - available
        layer = weights if weights.sum() > 0 else net
        if money_in and layer.sum() > 0:
            exact += money_in * layer / layer.sum()
            placed += money_in
        for h, d in enumerate(shared.tolist()):
            for layer in (weights, net):
                others = np.where(np.arange(len(net)) == h, 0.0, layer)
                if d > 0 and others.sum() > 0:
                    exact += d * others / others.sum()
                    placed += d
                    break
        pool = money_in + int(shared.sum())
        incentive = s["incentive_fen"].to_numpy()
        assert int(incentive.sum()) == placed
        assert _near(incentive, exact, 1.0 + 1e-9 * pool)
        assert (final == prepaid + incentive - deduction).all()
        # unpaid: the pool's money without a taker, less the deductions the fund kept
        assert unpaid == pool - placed - untaken
    else:
        # spec §6 (clearing): E_h = PV_y × (points − deducted) − oop, PV_y over all points, plus
        # the other hospitals' deductions by net points (spec §5: never the offender's own), paid
        # × (α + (1−α) λ/max λ)
        if points.sum() <= 0:
            assert not final.any() and unpaid == money
            return
        pv = (money / 100 + oop.sum()) / points.sum()
        assert _near(deduction, pv * deducted * 100, 0.5 + 1e-6)
        entitlement = (pv * net - oop) * 100
        for h, d in enumerate(deduction.tolist()):
            others = np.where(np.arange(len(net)) == h, 0.0, np.maximum(net, 0.0))
            if d > 0 and not to_fund and others.sum() > 0:
                entitlement += d * others / others.sum()
        top = lam.max()
        scale = alpha + (1 - alpha) * (lam / top if top > 0 else np.zeros_like(lam))
        pays = entitlement >= 1
        paid = np.where(pays, entitlement * scale, entitlement)  # F'_h; a claw-back in full
        # then against fund-eligible charges C_h (spec §6): surplus kept at surplus_keep,
        # an overrun above the floor shared from what the fund keeps (unpaid money, ceiling
        # surplus, the reserve kept under cover), pro rata if short
        rule = city["clearing"]
        charges = (s["charges_yuan"].to_numpy() - oop) * 100
        ok = charges <= 0  # a hospital without charges: F' as it is
        surplus = ~ok & (paid >= charges)
        overrun = ~ok & ~surplus & (paid >= rule["overrun_floor"] * charges)
        want = np.where(surplus, charges + rule["surplus_keep"] * (paid - charges), paid)
        need = np.where(overrun, rule["overrun_share"] * (charges - paid), 0.0)
        fund = max(money - kept_deductions - want.sum(), 0.0) + spare
        want = want + (need if need.sum() <= fund else need * fund / need.sum())
        edge = np.isclose(paid, charges, rtol=1e-9, atol=2.0) | np.isclose(
            paid, rule["overrun_floor"] * charges, rtol=1e-9, atol=2.0
        )  # a fen's rounding may put a hospital either side of ρ = 1 or the floor
        assert _near(final[~edge], want[~edge], 3.0 + len(final))
        assert (final == prepaid + s["incentive_fen"].to_numpy()).all()
        assert retained >= 0  # the fund never pays more than the available budget


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(city=cities())
@example(city=HALF_FEN_RESERVE)
@example(city=HALF_FEN_GROWN_BUDGET)
@example(city=NEGATIVE_MONTH)
@example(city=DEDUCTION_WITHOUT_TAKER)
def test_every_year_of_a_random_city_follows_the_settlement_rules_to_the_fen(city: dict) -> None:
    t = _tables(city)
    hm, st_, ry = t["hospital_month"], t["settlement"], t["region_year"]
    assert len(ry) == city["years"]
    last_points = None
    for y, cal in enumerate(sorted(ry["year"])):
        year_hm = hm[hm["year"] == cal]
        _check_year(
            city,
            y,
            year_hm,
            st_[st_["year"] == cal],
            ry[ry["year"] == cal].iloc[0],
            last_points,
            t["catalogue"][t["catalogue"]["year"] == cal],
        )
        last_points = year_hm.groupby("month")["points"].sum().reindex(range(1, 13)).to_numpy()
