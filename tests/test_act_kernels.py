"""The behaviours' kernels and case buffer against plain numpy: same cases, same columns."""

from __future__ import annotations

import dataclasses

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kernels import price_reference

from drgsim.cases import CASE_DTYPES, CaseBatch, CaseBuffer
from drgsim.kernels.act_totals import (
    KINDS,
    act_totals,
    act_totals_reference,
    split_firsts,
    split_firsts_reference,
)
from drgsim.kernels.acts import (
    added_rows,
    added_rows_reference,
    destination,
    destinations_reference,
    drawn_rows,
    drawn_rows_reference,
)
from drgsim.kernels.charge_sums import charge_sums, charge_sums_reference
from drgsim.kernels.checks import KernelInputError
from drgsim.kernels.rng import Draw, uniform_reference
from drgsim.kernels.upcode import pick_upcodes_reference, upcode_claims


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 400),
    hospitals=st.integers(1, 8),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_drawn_rows_are_the_eligible_cases_drawn_below_their_hospitals_rate(
    n, hospitals, key, seed
) -> None:
    rng = np.random.default_rng(seed)
    case_id = rng.permutation(n).astype(np.int64) * 5 + 2
    hospital = rng.integers(0, hospitals, n).astype(np.int32)
    rate = np.where(rng.random(hospitals) < 0.3, 0.0, rng.random(hospitals))
    eligible = rng.random(n) < 0.8
    got = drawn_rows(np.uint64(key), int(Draw.SPLIT), case_id, hospital, rate, eligible)
    # the rule case by case: an eligible case of a hospital with a rate, its draw below it
    u = uniform_reference(key, Draw.SPLIT, case_id)
    want = [
        j for j in range(n) if eligible[j] and rate[hospital[j]] > 0 and u[j] < rate[hospital[j]]
    ]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.int64))
    ref = drawn_rows_reference(np.uint64(key), int(Draw.SPLIT), case_id, hospital, rate, eligible)
    np.testing.assert_array_equal(ref, got)


def test_drawn_rows_refuses_a_hospital_outside_the_rates() -> None:
    one = np.ones(3, dtype=bool)
    with pytest.raises(KernelInputError, match="hospital"):
        drawn_rows(np.uint64(1), 26, np.arange(3), np.array([0, 1, 2], np.int32), np.ones(2), one)


def _batch(n: int, start: int, rng: np.random.Generator) -> CaseBatch:
    """`n` cases of made-up values in the case columns' own types."""
    cols = {}
    for name, dtype in CASE_DTYPES.items():
        values = rng.integers(0, 100, n) + start
        cols[name] = values.astype(dtype) if dtype is not np.bool_ else values % 2 == 1
    return CaseBatch(**cols)


@pytest.mark.parametrize("room", [0, 3, 50])
def test_a_buffer_holds_what_concatenation_gives_and_keeps_its_source(room: int) -> None:
    rng = np.random.default_rng(room)
    first, second, third = _batch(20, 0, rng), _batch(7, 1000, rng), _batch(11, 2000, rng)
    kept = first.copy()
    buffer = CaseBuffer(first, room)
    buffer.batch.cost[:] = -1.0  # a change to the buffer's cases leaves the source alone
    first.cost[:] = -1.0
    buffer.append(second)
    buffer.append(third)
    third.patient = third.patient.astype(np.int32)  # narrower: still widened as concat does
    buffer.append(third)
    want = CaseBatch.concat([first, second, third, third])
    got = buffer.batch
    for f in dataclasses.fields(CaseBatch):
        a, b = getattr(got, f.name), getattr(want, f.name)
        assert a.dtype == b.dtype, f.name
        np.testing.assert_array_equal(a, b, err_msg=f.name)
    np.testing.assert_array_equal(kept.case_id, first.case_id)


def test_a_buffer_widens_a_column_as_concatenation_does() -> None:
    rng = np.random.default_rng(5)
    first, second = _batch(4, 0, rng), _batch(3, 0, rng)
    second.los = second.los.astype(np.int64) + 100_000  # wider than int16
    buffer = CaseBuffer(first, 10)
    buffer.append(second)
    want = np.concatenate([first.los, second.los])
    assert buffer.batch.los.dtype == want.dtype == np.int64
    np.testing.assert_array_equal(buffer.batch.los, want)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 200),
    procedures=st.integers(0, 4),
    hospitals=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_upcode_claims_prices_each_option_and_picks_as_the_numpy_rule(
    n, procedures, hospitals, seed
) -> None:
    rng = np.random.default_rng(seed)
    n_drg, n_adrg, levels, k = 12, 5, 3, 3 + procedures
    table = rng.integers(-1, n_drg, (2, n_adrg, levels, k)).astype(np.int64)
    # a few values of weights, so that options tie on gain and the draw breaks the tie
    tariff = (
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
    hospital = rng.integers(0, hospitals, n).astype(np.int32)
    adrg = rng.integers(0, n_adrg, n).astype(np.int16)
    severity = rng.integers(0, levels, n).astype(np.int8)
    deep = rng.integers(0, 2, n).astype(np.int8)
    charges = rng.choice([100.0, 900.0, 1500.0, 8000.0], n)
    discharge = (rng.random(n) < 0.2).astype(np.int8)
    los = rng.integers(1, 4, n).astype(np.int16)
    money = rng.choice([-1.0, 0.5, 2.0], hospitals)
    # draws that repeat, at times, so that the earlier row breaks what gain and draw leave tied
    tie = rng.random(n) if seed % 3 else rng.choice([0.25, 0.5], n)
    count = rng.integers(0, max(n // 2, 1) + 1, hospitals).astype(np.int64)
    n_proc = np.floor(rng.random(hospitals) * count + 0.5).astype(np.int64)
    got = upcode_claims(
        hospital,
        adrg,
        severity,
        deep,
        charges,
        discharge,
        los,
        table,
        money,
        tie,
        n_proc,
        count,
        *tariff,
    )
    # the rule: each claim's options from the table, each priced by spec §2's numpy formulas at
    # the claim's charges, the gain over the billed DRG; then the picking rule
    options = table[deep, adrg, severity]
    options[options[:, 0] < 0] = -1
    row, col = np.nonzero(options >= 0)
    pts = np.full(options.shape, -np.inf)
    pts[row, col] = price_reference(
        hospital[row], options[row, col], charges[row], discharge[row], los[row], *tariff
    )[1]
    with np.errstate(invalid="ignore"):  # -inf - -inf where the billed DRG is -1
        gain = pts - pts[:, :1]
    gain[options[:, 0] < 0] = -np.inf
    want = pick_upcodes_reference(hospital, options, gain, money[hospital], tie, n_proc, count)
    np.testing.assert_array_equal(got, want)
    # never more claims of a hospital than its count, and only options that gain money
    assert (np.bincount(hospital[got >= 0], minlength=hospitals) <= np.maximum(count, 0)).all()
    for j in np.flatnonzero(got >= 0):
        assert got[j] in options[j, 1:]
        assert (pts[j, list(options[j]).index(got[j])] - pts[j, 0]) * money[hospital[j]] > 0


def _hand_upcode(
    options: np.ndarray, count: int, n_proc: int, tie: np.ndarray | None = None
) -> np.ndarray:
    """`upcode_claims` of one hospital's claims, claim j of ADRG j at level 0 with `options[j]`,
    each at its DRG's reference charges (a normal case: points = the DRG's base points)."""
    base = np.arange(30, dtype=float)
    base[[11, 12, 13, 14, 20, 21]] = [11, 14, 12, 13, 19, 15]
    n = options.shape[0]
    table = np.stack([options[:, None, :], options[:, None, :]])
    tariff = (base, np.ones(30), np.full(30, 1000.0), np.ones(30, bool), np.ones((1, 30)))
    rules = (np.array([np.inf]), np.array([2.0]), 0.4, False, 0.8, 100.0, 1000.0, 1.0, 1)
    return upcode_claims(
        np.zeros(n, np.int32),
        np.arange(n, dtype=np.int16),
        np.zeros(n, np.int8),
        np.zeros(n, np.int8),
        np.full(n, 1000.0),
        np.zeros(n, np.int8),
        np.full(n, 5, np.int16),
        table,
        np.ones(1),
        np.array([0.1, 0.2, 0.3, 0.4]) if tie is None else tie,
        np.array([n_proc]),
        np.array([count]),
        *tariff,
        *rules,
    )


def test_upcode_claims_takes_procedures_first_then_levels_then_procedures_again() -> None:
    # billed DRG 10 (10 points); gains: claim 0 by level 1 (DRG 11), by procedure 9 (DRG 20);
    # claim 1 only by procedure, 5 (DRG 21); claim 2 by level 2 or 4 (DRGs 13, 12); claim 3 by
    # level 3 (DRG 14)
    options = np.array([[10, 11, -1, 20], [10, -1, -1, 21], [10, 13, 12, -1], [10, 14, -1, -1]])
    # 3 upcoded, 1 by procedure: claim 0 (9 beats 5); then by level the two largest of the rest
    # (claims 2 and 3, 4 and 3 points); claim 1 is left: the count is spent
    np.testing.assert_array_equal(_hand_upcode(options, 3, 1), [20, -1, 12, 14])
    # 4 to upcode and no claim left that gains by level: claim 1 goes by procedure
    np.testing.assert_array_equal(_hand_upcode(options, 4, 1), [20, 21, 12, 14])


def test_upcode_claims_refuses_a_tie_draw_that_is_not_a_number() -> None:
    """A NaN tie draw would order no claim before or after the cut (the selection's premise)."""
    options = np.array([[10, 11, -1, 20], [10, -1, -1, 21], [10, 13, 12, -1], [10, 14, -1, -1]])
    with pytest.raises(KernelInputError, match="tie has value nan"):
        _hand_upcode(options, 3, 1, np.array([0.1, np.nan, 0.3, 0.4]))


def test_upcode_claims_refuses_options_without_the_level_columns() -> None:
    with pytest.raises(KernelInputError, match="columns"):
        _hand_upcode(np.full((4, 2), 10), 1, 0)


@numba.njit
def destinations(src, u_tier, u_to, tier_cdf, members, member_cdf):  # pragma: no cover
    """`destination` of each patient refused by hospital src[i] (-1: stays)."""
    out = np.full(src.shape[0], -1, np.int64)
    for i in range(src.shape[0]):
        out[i] = destination(src[i], u_tier[i], u_to[i], tier_cdf, members, member_cdf)
    return out


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 200), hospitals=st.integers(1, 7), seed=st.integers(0, 2**32 - 1))
def test_destinations_agree_with_their_numpy_rule(n, hospitals, seed) -> None:
    rng = np.random.default_rng(seed)
    # per source: cumulative tier weights (NaN: its patients stay), each tier's members (-1
    # pads) and their cumulative shares (+inf pads), some tiers empty
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
    src = rng.integers(0, hospitals, n).astype(np.int32)
    u_tier, u_to = rng.random(n), rng.random(n)
    args = (src, u_tier, u_to, tier_cdf, members, member_cdf)
    got = destinations(*args)
    np.testing.assert_array_equal(got, destinations_reference(*args))
    # a patient moves only to a member of a tier of its source, and stays where none is drawn
    for i in np.flatnonzero(got >= 0):
        assert got[i] in members[src[i]]
    assert (got[np.isnan(tier_cdf[src, 0])] == -1).all()


def test_destinations_take_the_first_cumulative_share_above_the_draw() -> None:
    # source 0: tiers (same, higher, lower) at cumulative weights 0.5, 1, 1; its same tier has
    # hospitals 1 and 2 at cumulative shares 0.25 and 1, the higher tier hospital 3
    tier_cdf = np.full((4, 3), np.nan)
    tier_cdf[0] = [0.5, 1.0, 1.0]
    members = np.full((4, 3, 4), -1)
    member_cdf = np.full((4, 3, 4), np.inf)
    members[0, 0, :2], member_cdf[0, 0, :2] = [1, 2], [0.25, 1.0]
    members[0, 1, 0], member_cdf[0, 1, 0] = 3, 1.0
    src = np.zeros(3, np.int32)
    got = destinations(
        src, np.array([0.1, 0.1, 0.7]), np.array([0.1, 0.6, 0.9]), tier_cdf, members, member_cdf
    )
    np.testing.assert_array_equal(got, [1, 2, 3])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    hospitals=st.integers(1, 6),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_added_rows_agree_with_their_numpy_rule(n, hospitals, key, seed) -> None:
    rng = np.random.default_rng(seed)
    hospital = rng.integers(0, hospitals, n).astype(np.int32)
    rate = rng.choice([0.0, 0.05, 0.5, 2.0], hospitals)
    args = (np.uint64(key), int(Draw.INDUCED_COUNT), int(Draw.INDUCED_TEMPLATE), hospital, rate)
    new_h, rows = added_rows(*args)
    want_h, want_rows = added_rows_reference(*args)
    np.testing.assert_array_equal(new_h, want_h)
    np.testing.assert_array_equal(rows, want_rows)
    # each added case copies a case of its own hospital; a hospital adds rate × its cases ± 1
    assert (hospital[rows] == new_h).all()
    n_h = np.bincount(hospital, minlength=hospitals)
    added = np.bincount(new_h, minlength=hospitals)
    assert (np.abs(added - rate * n_h) <= 1).all()
    assert (added[n_h == 0] == 0).all()


def test_added_rows_by_hand() -> None:
    # hospital 0 has rows 0, 2, 3 and adds ⌊2 × 3 + u⌋ = 6 copies; hospital 1 (row 1) adds
    # none at rate 0, hospital 2 (no cases) none at any rate
    hospital = np.array([0, 1, 0, 0], np.int32)
    new_h, rows = added_rows(np.uint64(7), 30, 31, hospital, np.array([2.0, 0.0, 5.0]))
    assert new_h.tolist() == [0] * 6
    u = uniform_reference(7, 31, np.arange(6))
    assert rows.tolist() == [[0, 2, 3][int(np.floor(x * 3))] for x in u]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 300), hospitals=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_act_totals_agree_with_a_bincount_per_act(n, hospitals, seed) -> None:
    rng = np.random.default_rng(seed)
    bits = np.array([1, 2, 4, 8, 16], dtype=np.uint8)
    kinds = np.array([0, 1, 2, 3, 0])
    args = (
        rng.integers(0, hospitals, n).astype(np.int32),
        rng.integers(0, 32, n).astype(np.uint8),  # several acts on one claim
        bits,
        kinds,
        *(rng.normal(size=n) * 100 for _ in range(5)),  # final, deducted, true, points, cost
        rng.random(n) < 0.2,
        hospitals,
    )
    for got, want in zip(act_totals(*args), act_totals_reference(*args), strict=True):
        np.testing.assert_array_equal(got, want)  # summed in the same order: bit for bit


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 300), ordered=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_split_firsts_agree_with_numpys_isin(n, ordered, seed) -> None:
    rng = np.random.default_rng(seed)
    # a month's ids in order (or not, e.g. some claims picked), origins among them or not
    case_id = np.cumsum(rng.integers(1, 3, n)) if ordered else rng.integers(0, 2 * n + 1, n)
    args = (
        case_id.astype(np.int64),
        rng.integers(0, 8, n).astype(np.uint8),
        rng.integers(-1, 2 * n + 1, n).astype(np.int64),
        rng.choice(np.array([0, 2, 4], np.uint8), n),
        np.uint8(4),
    )
    np.testing.assert_array_equal(split_firsts(*args), split_firsts_reference(*args))


def test_act_totals_by_hand() -> None:
    # two claims of hospital 0: one upcoded (bit 1), one split first stay (bit 2, a first)
    hospital, acts = np.zeros(2, np.int32), np.array([1, 2], np.uint8)
    final, deducted, true = np.array([10.0, 6.0]), np.array([1.0, 0.0]), np.array([4.0, 6.0])
    points, cost = np.array([10.0, 8.0]), np.array([100.0, 50.0])
    kinds = np.array([KINDS.index("upcoded_points"), KINDS.index("split_stays")])
    gain, _, lost = act_totals(
        hospital,
        acts,
        np.array([1, 2], np.uint8),
        kinds,
        final,
        deducted,
        true,
        points,
        cost,
        np.array([False, True]),
        1,
    )
    assert gain[:, 0].tolist() == [10 - 4 - 1, 6 - 0]  # upcoded points; the split's net points
    assert lost[:, 0].tolist() == [0, 8 - 6]  # what the first stay lost to readmission


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 300), hospitals=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_charge_sums_agree_with_bincounts_of_the_treated_cases(n, hospitals, seed) -> None:
    rng = np.random.default_rng(seed)
    args = (
        rng.integers(0, hospitals, n).astype(np.int32),
        rng.integers(-1, 7, n).astype(np.int16),  # -1: no true DRG
        rng.integers(0, 8, n).astype(np.uint8),
        rng.gamma(2.0, 500.0, n),
        4,  # cases with act bit 4 were never treated
        hospitals,
        7,
    )
    sums, counts = charge_sums(*args)
    want_sums, want_counts = charge_sums_reference(*args)
    np.testing.assert_array_equal(sums, want_sums)  # in case order: bit for bit
    np.testing.assert_array_equal(counts, want_counts)
    treated = (args[1] >= 0) & ((args[2] & 4) == 0)
    assert counts.sum() == treated.sum()
