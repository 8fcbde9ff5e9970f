"""The acts' one-pass kernels against their rules written in plain numpy, on random batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kernels import price_reference

from drgsim.kernels.acts import destinations_reference, drawn_rows_reference
from drgsim.kernels.checks import KernelInputError
from drgsim.kernels.rng import Draw, uniform_reference
from drgsim.kernels.shift import shift_cases
from drgsim.kernels.split import split_cases
from drgsim.kernels.underserve import underserve_cases
from drgsim.kernels.upcode import upcode_claims, upcode_month


def random_tariff(rng: np.random.Generator, n_drg: int, hospitals: int, seed: int) -> tuple:
    """A small tariff and rules, with few distinct values so that cases tie and cross lines."""
    return (
        rng.choice([1.0, 2.0, 4.0], n_drg),  # base points
        rng.choice([0.5, 1.0, 3.0], n_drg),  # relative weight
        rng.choice([1000.0, 2000.0], n_drg),  # reference charges
        rng.random(n_drg) < 0.9,  # stable
        rng.choice([0.9, 1.0, 1.1], (hospitals, n_drg)),  # coefficients
        np.array([1.0, np.inf]),
        np.array([2.0, 3.0]),
        0.4,
        bool(seed % 2),
        0.8,
        100.0,
        1500.0,
        0.9,
        1,
    )


def random_destinations(rng: np.random.Generator, hospitals: int) -> tuple:
    """Per source: cumulative tier weights (NaN: its patients stay), each tier's members (-1
    pads) and their cumulative shares (+inf pads), some tiers empty."""
    w = rng.choice([0.0, 0.2, 1.0], (hospitals, 3))
    tier_cdf = np.cumsum(w, axis=1) / np.where(w.sum(axis=1) > 0, w.sum(axis=1), np.nan)[:, None]
    members = np.full((hospitals, 3, hospitals), -1, np.int64)
    member_cdf = np.full((hospitals, 3, hospitals), np.inf)
    for s in range(hospitals):
        for t in range(3):
            size = rng.integers(0, hospitals + 1)
            members[s, t, :size] = rng.permutation(hospitals)[:size]
            share = rng.random(size)
            member_cdf[s, t, :size] = np.cumsum(share) / share.sum() if size else []
    return tier_cdf, members, member_cdf


def random_cases(rng: np.random.Generator, n: int, hospitals: int, n_adrg: int) -> dict:
    """A month's cases as the acts read them."""
    return {
        "case_id": rng.permutation(10 * n + 1)[:n].astype(np.int64),
        "hospital": rng.integers(0, hospitals, n).astype(np.int32),
        "adrg": rng.integers(0, n_adrg, n).astype(np.int16),
        "severity": rng.integers(0, 3, n).astype(np.int8),
        "ungroupable": rng.random(n) < 0.1,
        "cost": rng.choice([100.0, 900.0, 1500.0, 8000.0], n),
        "discharge": (rng.random(n) < 0.2).astype(np.int8),
        "los": rng.integers(1, 4, n).astype(np.int16),
    }


def shift_reference(
    key, case_id, hospital, adrg, severity, ungroupable, drg_true, cost, discharge, los, rate,
    threshold, expected, point_value, group_table, tier_cdf, members, member_cdf, high_rw, *tariff,
):  # fmt: skip
    """Shifting by its rule (spec §8): draw the groupable cases below their hospital's rate,
    price each at the hospital's expected charges of its true DRG (a normal discharge), refuse
    those whose predicted loss is above the threshold, send them by `destinations`; count the
    moved cases' high weights, charges and points at their own charges per refusing hospital."""
    drawn = drawn_rows_reference(key, Draw.SHIFT, case_id, hospital, rate, ~ungroupable)
    h = hospital[drawn]
    g = group_table[adrg[drawn], severity[drawn]]
    charges = expected[h, np.maximum(drg_true[drawn], 0)]
    normal = np.zeros(drawn.size, np.int8)
    pay = price_reference(h, g, charges, normal, los[drawn], *tariff)[1] * point_value
    refused = (charges - pay) / np.maximum(pay, 1e-9) > threshold[h]
    rows, g = drawn[refused], g[refused]
    u_tier = uniform_reference(key, Draw.SHIFT_TIER, case_id[rows])
    u_to = uniform_reference(key, Draw.SHIFT_TO, case_id[rows])
    to = destinations_reference(hospital[rows], u_tier, u_to, tier_cdf, members, member_cdf)
    rows, g, to = rows[to >= 0], g[to >= 0], to[to >= 0]
    hr, n_hosp = hospital[rows], rate.size
    points = price_reference(hr, g, cost[rows], discharge[rows], los[rows], *tariff)[1]
    rw = tariff[1]
    return (
        rows,
        to,
        np.bincount(hr[rw[np.maximum(g, 0)] >= high_rw], minlength=n_hosp).astype(float),
        np.bincount(hr, weights=cost[rows], minlength=n_hosp),
        np.bincount(hr, weights=points, minlength=n_hosp),
    )


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    hospitals=st.integers(1, 6),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_shift_cases_refuse_and_send_as_the_numpy_rule(n, hospitals, key, seed) -> None:
    rng = np.random.default_rng(seed)
    n_drg, n_adrg = 12, 5
    tariff = random_tariff(rng, n_drg, hospitals, seed)
    c = random_cases(rng, n, hospitals, n_adrg)
    group_table = rng.integers(-1, n_drg, (n_adrg, 3)).astype(np.int64)
    drg_true = rng.integers(-1, n_drg, n).astype(np.int16)
    expected = rng.choice([500.0, 1000.0, 3000.0], (hospitals, n_drg))
    rate = rng.choice([0.0, 0.5, 1.0], hospitals)
    threshold = rng.choice([-0.5, 0.0, 0.3], hospitals)
    args = (
        np.uint64(key),
        c["case_id"],
        c["hospital"],
        c["adrg"],
        c["severity"],
        c["ungroupable"],
        drg_true,
        c["cost"],
        c["discharge"],
        c["los"],
        rate,
        threshold,
        expected,
        0.9,
        group_table,
        *random_destinations(rng, hospitals),
        1.0,
        *tariff,
    )
    got = shift_cases(*args)
    want = shift_reference(*args)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    rows, to = got[0], got[1]
    # a refused case leaves a hospital that shifts, for another hospital
    assert (rate[c["hospital"][rows]] > 0).all()
    assert not c["ungroupable"][rows].any()
    assert (got[3] >= 0).all() and np.isclose(got[3].sum(), c["cost"][rows].sum())
    assert to.dtype == np.int64 and ((to >= 0) & (to < hospitals)).all()


def underserve_reference(
    key, case_id, hospital, adrg, severity, ungroupable, cost, oop, discharge, los, rate, cut,
    uplift, window, group_table, *tariff,
):  # fmt: skip
    """Under-service by its rule (spec §8): draw the cases below their hospital's rate, cut
    their charges and patient payments by cut[h]; draw which come back and after how long;
    count the charges cut and the formula points lost per hospital."""
    ones = np.ones(case_id.size, dtype=bool)
    rows = drawn_rows_reference(key, Draw.UNDERSERVE, case_id, hospital, rate, ones)
    h, ids = hospital[rows], case_id[rows]
    back = uniform_reference(key, Draw.UNDERSERVE_READMIT, ids) < uplift[h]
    u_gap = uniform_reference(key, Draw.UNDERSERVE_READMIT, ids, 1)
    gap = np.where(back, 1 + np.floor(u_gap * max(window, 1)), 0).astype(np.int64)
    g = np.where(ungroupable[rows], -1, group_table[adrg[rows], severity[rows]])
    saved = cost[rows] * cut[h]
    new_cost, new_oop = cost[rows] - saved, oop[rows] * (1.0 - cut[h])
    before = price_reference(h, g, cost[rows], discharge[rows], los[rows], *tariff)[1]
    after = price_reference(h, g, new_cost, discharge[rows], los[rows], *tariff)[1]
    n_hosp = rate.size
    return (
        rows,
        new_cost,
        new_oop,
        gap,
        np.bincount(h, weights=saved, minlength=n_hosp),
        np.bincount(h, weights=before - after, minlength=n_hosp),
    )


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    hospitals=st.integers(1, 6),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_underserve_cases_cut_and_count_as_the_numpy_rule(n, hospitals, key, seed) -> None:
    rng = np.random.default_rng(seed)
    n_drg, n_adrg = 12, 5
    tariff = random_tariff(rng, n_drg, hospitals, seed)
    c = random_cases(rng, n, hospitals, n_adrg)
    args = (
        np.uint64(key),
        c["case_id"],
        c["hospital"],
        c["adrg"],
        c["severity"],
        c["ungroupable"],
        c["cost"],
        c["cost"] * rng.choice([0.0, 0.3], n),
        c["discharge"],
        c["los"],
        rng.choice([0.0, 0.4, 1.0], hospitals),
        rng.choice([0.1, 0.5], hospitals),
        rng.choice([0.0, 0.5, 1.0], hospitals),
        int(rng.integers(0, 20)),
        rng.integers(-1, n_drg, (n_adrg, 3)).astype(np.int64),
        *tariff,
    )
    got = underserve_cases(*args)
    for g, w in zip(got, underserve_reference(*args), strict=True):
        np.testing.assert_array_equal(g, w)
    rows, new_cost, gap = got[0], got[1], got[3]
    # a cut stay costs less; a readmission comes 1 … window days after
    assert (new_cost <= c["cost"][rows]).all()
    assert ((gap == 0) | ((gap >= 1) & (gap <= max(args[13], 1)))).all()


def split_reference(
    key, case_id, hospital, adrg, ungroupable, los, admit_day, rate, evade, gap_days, other_of,
    other_cdf, first_day, year_end, window,
):  # fmt: skip
    """Split admissions by their rule (spec §8), in plain numpy: see `split_cases`."""
    days = los.astype(np.int64)
    first_los = days // 2
    end = admit_day.astype(np.int64) + first_los
    ok = (days >= 2) & (end >= first_day) & ~ungroupable
    rows = drawn_rows_reference(key, Draw.SPLIT, case_id, hospital, rate, ok)
    h, ids = hospital[rows], case_id[rows]
    evading = uniform_reference(key, Draw.SPLIT_EVADE, ids) < evade[h]
    other = np.full(rows.size, -1, np.int64)
    if other_of.shape[1]:
        u = uniform_reference(key, Draw.SPLIT_ADRG, ids)
        k = np.minimum((u[:, None] >= other_cdf[adrg[rows]]).sum(axis=1), other_of.shape[1] - 1)
        other = np.where(evading, other_of[adrg[rows], k], -1)
    gap = np.where(evading & (other < 0), window + 1, gap_days[h].astype(np.int64))
    fits = end[rows] + gap + (days[rows] - first_los[rows]) <= year_end
    rows, gap, other = rows[fits], gap[fits], other[fits]
    a, b, c = (uniform_reference(key, Draw.SPLIT_SHARE, case_id[rows], k) for k in range(3))
    share = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return rows, first_los[rows], gap, other, share


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    hospitals=st.integers(1, 6),
    width=st.integers(0, 3),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_cases_split_as_the_numpy_rule(n, hospitals, width, key, seed) -> None:
    rng = np.random.default_rng(seed)
    n_adrg = 5
    c = random_cases(rng, n, hospitals, n_adrg)
    other_of = rng.integers(-1, n_adrg, (n_adrg, width)).astype(np.int64)
    w = rng.random((n_adrg, width))
    other_cdf = np.cumsum(w, axis=1) / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    los = rng.integers(0, 12, n).astype(np.int16)
    args = (
        np.uint64(key),
        c["case_id"],
        c["hospital"],
        c["adrg"],
        c["ungroupable"],
        los,
        rng.integers(-5, 40, n).astype(np.int16),
        rng.choice([0.0, 0.5, 1.0], hospitals),
        rng.choice([0.0, 0.5, 1.0], hospitals),
        rng.choice([0.0, 1.0, 3.0], hospitals),
        other_of,
        other_cdf,
        int(rng.integers(0, 10)),
        int(rng.integers(20, 60)),
        int(rng.integers(0, 20)),
    )
    got = split_cases(*args)
    for g, w_ in zip(got, split_reference(*args), strict=True):
        np.testing.assert_array_equal(g, w_)
    rows, first_los, share = got[0], got[1], got[4]
    # only stays of two days or more are split; the first stay is the shorter half
    assert (los[rows] >= 2).all() and (2 * first_los <= los[rows]).all()
    assert ((share > 0) & (share < 1)).all()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 300),
    hospitals=st.integers(1, 5),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_upcode_month_selects_draws_and_counts_as_the_numpy_rule(n, hospitals, key, seed) -> None:
    rng = np.random.default_rng(seed)
    n_drg, n_adrg = 12, 5
    tariff = random_tariff(rng, n_drg, hospitals, seed)
    c = random_cases(rng, n, hospitals, n_adrg)
    drg_true = rng.integers(-1, n_drg, n).astype(np.int16)
    rate = rng.choice([0.0, 0.3, 1.0], hospitals)
    deep = rng.integers(0, 2, hospitals).astype(np.int8)
    share = rng.choice([0.0, 0.5, 1.0], hospitals)
    expected = rng.choice([100.0, 900.0, 1500.0, 8000.0], (hospitals, n_drg))
    options = rng.integers(-1, n_drg, (2, n_adrg, 3, 5)).astype(np.int64)
    money = rng.choice([-1.0, 0.5, 2.0], hospitals)
    got = upcode_month(
        np.uint64(key),
        c["case_id"],
        c["hospital"],
        c["ungroupable"],
        drg_true,
        c["adrg"],
        c["severity"],
        c["discharge"],
        c["los"],
        rate,
        deep,
        share,
        expected,
        options,
        money,
        *tariff,
    )
    # the rule: the groupable claims of hospitals that upcode, each hospital's count from its
    # claims and its draw, the claims' charges from the table, their tie draws; then the claims'
    # kernel (itself held to the numpy rule in test_act_kernels.py)
    h = c["hospital"]
    mine = np.flatnonzero((rate[h] > 0) & ~c["ungroupable"])
    u_count = uniform_reference(key, Draw.UPCODE_COUNT, np.arange(hospitals))
    count = np.floor(rate * np.bincount(h, minlength=hospitals) + u_count).astype(np.int64)
    n_proc = np.floor(share * count + 0.5).astype(np.int64)
    target = upcode_claims(
        h[mine],
        c["adrg"][mine],
        c["severity"][mine],
        deep[h[mine]],
        expected[h[mine], np.maximum(drg_true[mine], 0)],
        c["discharge"][mine],
        c["los"][mine],
        options,
        money,
        uniform_reference(key, Draw.UPCODE, c["case_id"][mine]),
        n_proc,
        count,
        *tariff,
    )
    want = np.full(n, -1, np.int64)
    want[mine] = target
    np.testing.assert_array_equal(got, want)
    assert (got[c["ungroupable"] | (rate[h] == 0)] == -1).all()


def _first_of_each_hospital(hospital: np.ndarray, eligible: np.ndarray, hospitals: int) -> list:
    """The row of each hospital's first eligible case (hospitals with none left out)."""
    rows = [np.flatnonzero((hospital == h) & eligible) for h in range(hospitals)]
    return [int(r[0]) if r.size else -1 for r in rows]


def _rates_at(key: int, kind: Draw, case_id: np.ndarray, first: list, k: int = 0) -> np.ndarray:
    """Per hospital, the draw of `kind` of its case at row first[h] (0.5 where it has none)."""
    u = uniform_reference(key, kind, case_id, k)
    return np.array([u[j] if j >= 0 else 0.5 for j in first])


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_a_draw_equal_to_its_hospitals_share_does_not_take_the_case(seed: int) -> None:
    # spec §8: a rate is a share, a case is taken when its draw lies below it; each kernel
    # compares its own draws, so each is held at a rate (or evade, or uplift) equal to a draw
    rng = np.random.default_rng(seed)
    n, hospitals, n_drg, n_adrg, key = 120, 3, 12, 5, 987654321 + seed
    tariff = random_tariff(rng, n_drg, hospitals, seed)
    c = random_cases(rng, n, hospitals, n_adrg)
    ids, h = c["case_id"], c["hospital"]
    group_table = rng.integers(0, n_drg, (n_adrg, 3)).astype(np.int64)

    # shifting: every drawn case is refused (a loss is above -1) and has a hospital to go to
    first = _first_of_each_hospital(h, ~c["ungroupable"], hospitals)
    tier_cdf = np.ones((hospitals, 3))
    members = np.full((hospitals, 3, hospitals), -1, np.int64)
    member_cdf = np.full((hospitals, 3, hospitals), np.inf)
    for s in range(hospitals):
        others = [t for t in range(hospitals) if t != s]
        members[s, 0, : len(others)] = others
        member_cdf[s, 0, : len(others)] = np.arange(1, len(others) + 1) / len(others)
    args = (
        np.uint64(key), ids, h, c["adrg"], c["severity"], c["ungroupable"],
        np.zeros(n, np.int16), c["cost"], c["discharge"], c["los"],
        _rates_at(key, Draw.SHIFT, ids, first), np.full(hospitals, -2.0),
        np.full((hospitals, n_drg), 1000.0), 0.9, group_table, tier_cdf, members, member_cdf,
        1.0, *tariff,
    )  # fmt: skip
    got = shift_cases(*args)
    assert not set(first) & set(got[0].tolist())
    assert got[0].size > 0  # cases drawn below their hospital's share are taken
    for g, w in zip(got, shift_reference(*args), strict=True):
        np.testing.assert_array_equal(g, w)

    # under-service: the case at its hospital's rate is not cut; with every case cut, the case
    # at its hospital's readmission uplift is not readmitted
    everyone = np.ones(n, dtype=bool)
    first = _first_of_each_hospital(h, everyone, hospitals)
    for at_rate, rate, uplift in (
        (True, _rates_at(key, Draw.UNDERSERVE, ids, first), np.full(hospitals, 0.5)),
        (False, np.ones(hospitals), _rates_at(key, Draw.UNDERSERVE_READMIT, ids, first)),
    ):
        args = (
            np.uint64(key), ids, h, c["adrg"], c["severity"], c["ungroupable"], c["cost"],
            0.3 * c["cost"], c["discharge"], c["los"], rate, np.full(hospitals, 0.2), uplift,
            15, group_table, *tariff,
        )  # fmt: skip
        got = underserve_cases(*args)
        rows, gap = got[0].tolist(), got[3]
        if at_rate:
            assert not set(first) & set(rows) and len(rows) > 0
        else:  # every case cut, the uplift at a draw
            assert rows == list(range(n))
            assert (gap[[j for j in first if j >= 0]] == 0).all() and (gap > 0).any()
        for g, w in zip(got, underserve_reference(*args), strict=True):
            np.testing.assert_array_equal(g, w)

    # split admissions: the stay at its hospital's rate is not split; with every eligible stay
    # split, the pair at its hospital's evade share keeps its ADRG and gap
    los = rng.integers(2, 8, n).astype(np.int16)
    admit_day = rng.integers(0, 30, n).astype(np.int16)
    eligible = ~c["ungroupable"]
    first = _first_of_each_hospital(h, eligible, hospitals)
    other_of = np.array([[(a + 1) % n_adrg, (a + 2) % n_adrg] for a in range(n_adrg)], np.int64)
    other_cdf = np.tile([0.5, 1.0], (n_adrg, 1))
    for at_rate, rate, evade in (
        (True, _rates_at(key, Draw.SPLIT, ids, first), np.zeros(hospitals)),
        (False, np.ones(hospitals), _rates_at(key, Draw.SPLIT_EVADE, ids, first)),
    ):
        args = (
            np.uint64(key), ids, h, c["adrg"], c["ungroupable"], los, admit_day, rate, evade,
            np.full(hospitals, 2.0), other_of, other_cdf, 0, 365, 15,
        )  # fmt: skip
        got = split_cases(*args)
        rows = got[0].tolist()
        if at_rate:
            assert not set(first) & set(rows) and len(rows) > 0
        else:  # every eligible stay split, evade at a draw: that pair keeps ADRG and gap
            assert rows == np.flatnonzero(eligible).tolist()
            at = [rows.index(j) for j in first if j >= 0]
            assert (got[3][at] == -1).all() and (got[2][at] == 2).all()
            assert (got[3] >= 0).any()  # pairs drawn below the evade share move ADRG
        for g, w in zip(got, split_reference(*args), strict=True):
            np.testing.assert_array_equal(g, w)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 300),
    hospitals=st.integers(1, 5),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_cut_and_refused_sums_are_the_numpy_rules_bit_for_bit_on_any_charges(
    n, hospitals, key, seed
) -> None:
    # charges, payments, cuts and expected charges of any value (not a few round ones, whose
    # products and sums are exact whatever the order): each cut and per-hospital sum is the
    # rule's expression, accumulated in row order as np.bincount does
    rng = np.random.default_rng(seed)
    n_drg, n_adrg = 12, 5
    tariff = random_tariff(rng, n_drg, hospitals, seed)
    c = random_cases(rng, n, hospitals, n_adrg)
    c["cost"] = rng.lognormal(7.0, 1.0, n)
    group_table = rng.integers(-1, n_drg, (n_adrg, 3)).astype(np.int64)
    args = (
        np.uint64(key), c["case_id"], c["hospital"], c["adrg"], c["severity"], c["ungroupable"],
        c["cost"], c["cost"] * rng.random(n), c["discharge"], c["los"],
        rng.uniform(0.3, 1.0, hospitals), rng.random(hospitals), rng.random(hospitals),
        int(rng.integers(0, 20)), group_table, *tariff,
    )  # fmt: skip
    for g, w in zip(underserve_cases(*args), underserve_reference(*args), strict=True):
        np.testing.assert_array_equal(g, w)
    args = (
        np.uint64(key), c["case_id"], c["hospital"], c["adrg"], c["severity"], c["ungroupable"],
        rng.integers(-1, n_drg, n).astype(np.int16), c["cost"], c["discharge"], c["los"],
        rng.uniform(0.3, 1.0, hospitals), rng.uniform(-0.5, 0.5, hospitals),
        rng.lognormal(7.0, 1.0, (hospitals, n_drg)), rng.uniform(5.0, 15.0), group_table,
        *random_destinations(rng, hospitals), 1.0, *tariff,
    )  # fmt: skip
    for g, w in zip(shift_cases(*args), shift_reference(*args), strict=True):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(50, 300),
    hospitals=st.integers(1, 5),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_shift_refuses_by_a_predicted_loss_near_its_threshold_as_the_numpy_rule(
    n, hospitals, key, seed
) -> None:
    # a point value that makes expected payments of the size of expected charges, so that the
    # predicted losses fall on both sides of the thresholds (with payments a thousandth of the
    # charges every drawn case is refused and the prediction's terms go untested)
    rng = np.random.default_rng(seed)
    n_drg, n_adrg = 12, 5
    tariff = random_tariff(rng, n_drg, hospitals, seed)
    c = random_cases(rng, n, hospitals, n_adrg)
    c["ungroupable"][:] = False
    group_table = rng.integers(0, n_drg, (n_adrg, 3)).astype(np.int64)
    tier_cdf = np.ones((hospitals, 3))
    members = np.tile(np.arange(hospitals), (hospitals, 3, 1)).astype(np.int64)
    member_cdf = np.tile(np.arange(1, hospitals + 1) / hospitals, (hospitals, 3, 1))
    args = (
        np.uint64(key), c["case_id"], c["hospital"], c["adrg"], c["severity"], c["ungroupable"],
        rng.integers(-1, n_drg, n).astype(np.int16), c["cost"], c["discharge"], c["los"],
        np.ones(hospitals), rng.uniform(-0.2, 0.2, hospitals),
        rng.lognormal(7.0, 0.7, (hospitals, n_drg)), 600.0, group_table, tier_cdf, members,
        member_cdf, 1.0, *tariff,
    )  # fmt: skip
    got = shift_cases(*args)
    for g, w in zip(got, shift_reference(*args), strict=True):
        np.testing.assert_array_equal(g, w)
    assert 0 < got[0].size < n  # some drawn cases refused, some kept


def _front_args(rng: np.random.Generator) -> dict[str, tuple]:
    """Valid arguments of each act kernel on 3 hospitals, 12 DRGs and 5 ADRGs; case 0 is an
    ungroupable record whose ADRG lies outside every table."""
    hospitals, n_drg, n_adrg, n = 3, 12, 5, 40
    tariff = random_tariff(rng, n_drg, hospitals, 1)
    c = random_cases(rng, n, hospitals, n_adrg)
    c["ungroupable"][0], c["adrg"][0] = True, 99
    table = rng.integers(-1, n_drg, (n_adrg, 3)).astype(np.int64)
    drg_true = rng.integers(-1, n_drg, n).astype(np.int16)
    rate, key = np.full(hospitals, 0.5), np.uint64(3)
    expected = np.full((hospitals, n_drg), 900.0)
    other_of = np.full((n_adrg, 1), -1, np.int64)
    return {
        "shift_cases": (
            key, c["case_id"], c["hospital"], c["adrg"], c["severity"], c["ungroupable"],
            drg_true, c["cost"], c["discharge"], c["los"], rate, np.zeros(hospitals), expected,
            1.0, table, *random_destinations(rng, hospitals), 1.0, *tariff,
        ),
        "underserve_cases": (
            key, c["case_id"], c["hospital"], c["adrg"], c["severity"], c["ungroupable"],
            c["cost"], c["cost"] * 0.1, c["discharge"], c["los"], rate, np.full(hospitals, 0.2),
            rate, 14, table, *tariff,
        ),
        "split_cases": (
            key, c["case_id"], c["hospital"], c["adrg"], c["ungroupable"], c["los"],
            np.full(n, 5, np.int16), rate, rate, np.ones(hospitals), other_of,
            np.ones((n_adrg, 1)), 1, 365, 14,
        ),
        "upcode_month": (
            key, c["case_id"], c["hospital"], c["ungroupable"], drg_true, c["adrg"],
            c["severity"], c["discharge"], c["los"], rate, np.zeros(hospitals, np.int8),
            np.full(hospitals, 0.5), expected,
            rng.integers(-1, n_drg, (2, n_adrg, 3, 4)).astype(np.int64), np.ones(hospitals),
            *tariff,
        ),
    }  # fmt: skip


KERNELS = {
    "shift_cases": shift_cases,
    "underserve_cases": underserve_cases,
    "split_cases": split_cases,
    "upcode_month": upcode_month,
}


def test_the_act_kernels_take_an_ungroupable_record_whose_codes_are_outside_the_tables() -> None:
    for name, args in _front_args(np.random.default_rng(5)).items():
        KERNELS[name](*args)  # no refusal: the record is never grouped


@pytest.mark.parametrize(
    ("name", "position", "bad", "word"),
    [
        ("shift_cases", 2, "hospital", "hospital"),
        ("shift_cases", 3, "adrg", "adrg"),
        ("shift_cases", 23, "coef", "coef"),  # coef with a hospital too few
        ("underserve_cases", 2, "hospital", "hospital"),
        ("underserve_cases", 16, "rw", "rw"),  # a relative weight missing
        ("split_cases", 3, "adrg", "adrg"),
        ("upcode_month", 2, "hospital", "hospital"),
        ("upcode_month", 5, "adrg", "adrg"),
    ],
)
def test_an_act_kernel_refuses_arrays_it_would_read_out_of_bounds(
    name: str, position: int, bad: str, word: str
) -> None:
    args = list(_front_args(np.random.default_rng(5))[name])
    value = args[position]
    if bad == "hospital":
        value = value.copy()
        value[3] = 7
    elif bad == "adrg":
        value = value.copy()
        value[3] = 99  # a groupable record's ADRG outside the tables
    elif bad == "coef" or bad == "rw":
        value = value[:-1]
    args[position] = value
    with pytest.raises(KernelInputError, match=word) as caught:
        KERNELS[name](*args)
    assert "\n" not in str(caught.value)
