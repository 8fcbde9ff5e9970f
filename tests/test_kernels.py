"""Every numba kernel against a plain-numpy reference, on hypothesis-generated inputs."""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drgsim.kernels.checks import KernelInputError
from drgsim.kernels.generate import CHUNK, N_PARAMS, generate_cases
from drgsim.kernels.group import group_cases
from drgsim.kernels.price import (
    AUTOMATIC,
    HIGH,
    LOW,
    NORMAL,
    NOT_SPECIAL,
    SPECIAL,
    price_cases,
    price_claims,
)
from drgsim.kernels.rng import (
    KINDS,
    Draw,
    normal,
    normal_np,
    normal_pair,
    normal_pair_np,
    stream_key,
    uniform,
    uniform_np,
    uniform_reference,
)
from drgsim.population.generator import (
    SyntheticSource,
    alias_table,
    expected_patient_share,
    expected_stay_scale,
    month_days,
    tier_mixes,
    trimmed_mean_factor,
)
from drgsim.population.hospitals import hospital_table
from drgsim.records.catalogue_file import builtin
from drgsim.scenario.loader import load_scenario
from drgsim.scenario.schema import Generator

U64 = st.integers(min_value=0, max_value=2**64 - 1)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
FAST = settings(max_examples=40, deadline=None)


# --- rng -------------------------------------------------------------------------------------


KIND = st.integers(min_value=0, max_value=KINDS - 1)
CASE = st.integers(min_value=0, max_value=2**52 - 1)


@numba.njit
def _jit_uniform(key, kind, cases, k):  # pragma: no cover - jitted
    out = np.empty(cases.shape[0])
    for i in range(cases.shape[0]):
        out[i] = uniform(key, kind, cases[i], k)
    return out


@numba.njit
def _jit_normals(key, kind, cases):  # pragma: no cover - jitted
    one = np.empty(cases.shape[0])
    first = np.empty(cases.shape[0])
    second = np.empty(cases.shape[0])
    for i in range(cases.shape[0]):
        one[i] = normal(key, kind, cases[i])
        first[i], second[i] = normal_pair(key, kind, cases[i])
    return one, first, second


@FAST
@given(
    key=U64,
    kind=KIND,
    k=st.integers(0, 3),
    cases=st.lists(CASE, min_size=1, max_size=50),
)
def test_jitted_uniform_equals_numpy_uniform_bit_for_bit(
    key: int, kind: int, k: int, cases: list[int]
) -> None:
    c = np.array(cases, dtype=np.int64)
    jit = _jit_uniform(np.uint64(key), kind, c, k)
    ref = uniform_reference(key, kind, c, k)
    assert jit.tobytes() == ref.tobytes()
    assert uniform_np(key, kind, c, k).tobytes() == ref.tobytes()  # the array kernel's front
    assert np.all((ref >= 0.0) & (ref < 1.0))


@FAST
@given(key=U64, kind=KIND, cases=st.lists(CASE, min_size=1, max_size=50))
@example(key=1787847910, kind=111, cases=[19913])  # numpy's array sin is an ulp off here (AVX-512)
def test_jitted_normals_equal_the_rule_bit_for_bit_and_numpy_within_two_ulp(
    key: int, kind: int, cases: list[int]
) -> None:
    """Box–Muller from the same uniforms in Python's math (the C library) gives the kernels'
    doubles; numpy's array sin, cos and log may take SIMD paths of their own on some CPUs
    (AVX-512), so its version agrees within two units in the last place."""
    c = np.array(cases, dtype=np.int64)
    one, first, second = _jit_normals(np.uint64(key), kind, c)
    u0, u1 = uniform_np(key, kind, c, 0), uniform_np(key, kind, c, 1)
    r = [math.sqrt(-2.0 * math.log(1.0 - u)) for u in u0]
    angle = [2.0 * math.pi * u for u in u1]
    rule_first = np.array([ri * math.cos(a) for ri, a in zip(r, angle, strict=True)])
    rule_second = np.array([ri * math.sin(a) for ri, a in zip(r, angle, strict=True)])
    assert first.tobytes() == rule_first.tobytes() and second.tobytes() == rule_second.tobytes()
    assert one.tobytes() == first.tobytes()
    ref_first, ref_second = normal_pair_np(key, kind, c)
    np.testing.assert_array_max_ulp(ref_first, first, maxulp=2)
    np.testing.assert_array_max_ulp(ref_second, second, maxulp=2)
    np.testing.assert_array_max_ulp(normal_np(key, kind, c), one, maxulp=2)
    assert np.all(np.isfinite(ref_first) & np.isfinite(ref_second))


def test_draws_outside_the_case_range_are_refused() -> None:
    with pytest.raises(ValueError, match="case numbers"):
        uniform_np(1, Draw.COST, np.array([-1]))
    with pytest.raises(ValueError, match="case numbers"):
        uniform_np(1, Draw.COST, np.array([2**52], dtype=np.uint64))
    with pytest.raises(ValueError, match="case numbers"):
        uniform_reference(1, Draw.COST, np.array([-1]))


# --- group -----------------------------------------------------------------------------------


@FAST
@given(
    n=st.integers(0, 200),
    n_adrg=st.integers(1, 30),
    n_drg=st.integers(1, 60),
    seed=SEEDS,
)
def test_group_cases_looks_up_the_group_table_or_marks_ungroupable(
    n: int, n_adrg: int, n_drg: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    table = rng.integers(0, n_drg, size=(n_adrg, 3)).astype(np.int32)
    adrg = rng.integers(0, n_adrg, n).astype(np.int16)
    severity = rng.integers(0, 3, n).astype(np.int8)
    ungroupable = rng.random(n) < 0.2
    out = group_cases(adrg, severity, ungroupable, table)
    assert out.dtype == np.int16 and out.shape == (n,)
    np.testing.assert_array_equal(out, np.where(ungroupable, -1, table[adrg, severity]))


# --- price -----------------------------------------------------------------------------------


def price_reference(
    hospital: np.ndarray,
    drg: np.ndarray,
    cost: np.ndarray,
    discharge: np.ndarray,
    los: np.ndarray,
    base_pts: np.ndarray,
    rw: np.ndarray,
    ref_cost: np.ndarray,
    stable: np.ndarray,
    coef: np.ndarray,
    band_up: np.ndarray,
    band_ratio: np.ndarray,
    low: float,
    low_uses_coef: bool,
    high_factor: float,
    base_points: float,
    mean_cost: float,
    pay_ratio: float,
    incomplete_days: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Spec §2 vectorised: class and points of each case."""
    g = np.where(drg >= 0, drg, 0)
    special = base_points * cost / mean_cost * pay_ratio
    is_special = (drg < 0) | ~stable[g]
    bp = base_pts[g]
    k = coef[hospital, g]
    r = cost / ref_cost[g]
    band = np.minimum(np.searchsorted(band_up, rw[g], side="left"), band_up.shape[0] - 1)
    h = band_ratio[band]  # the first band whose upper bound of RW is >= RW_g
    incomplete = (discharge != 0) & (los <= incomplete_days)
    is_low = ~is_special & ((r < low) | incomplete)
    is_high = ~is_special & ~is_low & (r > h)
    klass = np.select([is_special, is_low, is_high], [SPECIAL, LOW, HIGH], NORMAL)
    low_points = np.minimum(bp * r * (k if low_uses_coef else 1.0), bp * k)
    points = np.select(
        [is_special, is_low, is_high],
        [special, low_points, bp * k + bp * (r - h) * high_factor],
        bp * k,
    )
    return klass.astype(np.int8), points


@st.composite
def pricing_inputs(draw: st.DrawFn) -> dict:
    """Random cases and a random tariff: groups, coefficients, bands, thresholds."""
    n = draw(st.integers(0, 200))
    n_drg = draw(st.integers(1, 25))
    n_hosp = draw(st.integers(1, 6))
    n_band = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(SEEDS))
    ups = np.sort(rng.choice(np.arange(0.2, 6.0, 0.1), size=n_band - 1, replace=False))
    band_up = np.append(ups, np.inf)
    band_ratio = rng.uniform(1.0, 4.0, n_band)
    base_points = draw(st.floats(10.0, 1000.0))
    rw = rng.uniform(0.05, 8.0, n_drg)
    if ups.size:  # some groups sit exactly on a band's upper bound
        on_edge = rng.random(n_drg) < 0.2
        rw[on_edge] = rng.choice(ups, on_edge.sum())
    base_pts = base_points * rw
    ref_cost = rng.uniform(500.0, 60_000.0, n_drg)
    low = draw(st.floats(0.0, 1.0))
    drg = rng.integers(-1, n_drg, n).astype(np.int16)
    g = np.where(drg >= 0, drg, 0)
    ratio = rng.uniform(0.0, 5.0, n)
    edge = rng.random(n)  # some costs exactly at the low or the high threshold
    h_of = band_ratio[np.minimum(np.searchsorted(band_up, rw[g]), n_band - 1)]
    ratio = np.where(edge < 0.1, low, np.where(edge < 0.2, h_of, ratio))
    return {
        "hospital": rng.integers(0, n_hosp, n).astype(np.int32),
        "drg": drg,
        "cost": ref_cost[g] * ratio,
        "discharge": rng.integers(0, 4, n).astype(np.int8),
        "los": rng.integers(0, 8, n).astype(np.int16),
        "base_pts": base_pts,
        "rw": rw,
        "ref_cost": ref_cost,
        "stable": rng.random(n_drg) < 0.8,
        "coef": rng.uniform(0.5, 1.5, (n_hosp, n_drg)),
        "band_up": band_up,
        "band_ratio": band_ratio,
        "low": low,
        "low_uses_coef": draw(st.booleans()),
        "high_factor": draw(st.floats(0.0, 2.0)),
        "base_points": base_points,
        "mean_cost": float(rng.uniform(1000.0, 20_000.0)),
        "pay_ratio": draw(st.floats(0.5, 1.5)),
        "incomplete_days": draw(st.integers(0, 5)),
    }


@settings(max_examples=80, deadline=None)
@given(inputs=pricing_inputs())
def test_price_cases_classifies_and_prices_as_spec_section_2(inputs: dict) -> None:
    klass, points, special = price_cases(*inputs.values())
    ref_klass, ref_points = price_reference(*inputs.values())
    np.testing.assert_array_equal(klass, ref_klass)
    np.testing.assert_allclose(points, ref_points, rtol=1e-12, atol=0)
    np.testing.assert_allclose(
        special,
        inputs["base_points"] * inputs["cost"] / inputs["mean_cost"] * inputs["pay_ratio"],
        rtol=1e-12,
    )


@settings(max_examples=60, deadline=None)
@given(inputs=pricing_inputs(), min_ratio=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5]))
def test_price_claims_add_the_special_review_candidates_by_the_rule(
    inputs: dict, min_ratio: float
) -> None:
    """Standing, claims per hospital and the eligible claims with their gains (spec §2):
    formula-priced grouped claims with charges ≥ min_ratio × ā_g that special review pays more."""
    n_hosp = inputs["coef"].shape[0]
    klass, points, special, status, claims, eligible, gain = price_claims(
        *inputs.values(), min_ratio, n_hosp
    )
    ref_klass, ref_points, ref_special = price_cases(*inputs.values())
    assert np.array_equal(klass, ref_klass) and np.array_equal(points, ref_points)
    assert np.array_equal(special, ref_special)
    np.testing.assert_array_equal(status, np.where(ref_klass == SPECIAL, AUTOMATIC, NOT_SPECIAL))
    np.testing.assert_array_equal(claims, np.bincount(inputs["hospital"], minlength=n_hosp))
    drg, cost = inputs["drg"], inputs["cost"]
    grouped = drg >= 0
    above = np.zeros(drg.shape[0], dtype=bool)
    above[grouped] = cost[grouped] >= min_ratio * inputs["ref_cost"][drg[grouped]]
    gains = ref_special - ref_points
    want = np.flatnonzero((ref_klass != SPECIAL) & grouped & above & (gains > 0))
    np.testing.assert_array_equal(eligible, want)
    assert np.array_equal(gain, gains[want])


def _hand_priced(base_points: float, low_uses_coef: bool, ks: float = 0.9) -> tuple:
    """Eight hand-made cases in a group of RW 0.5 (H = 3) and one of RW 1.5 (H = 2)."""
    cost = np.array([10.0, 100.0, 250.0, 350.0, 100.0, 100.0, 100.0, 300.0])
    drg = np.array([0, 0, 0, 0, 0, -1, 1, 1], np.int16)
    rw = np.array([0.5, 1.5])
    return price_cases(
        np.zeros(8, np.int32),
        drg,
        cost,
        np.array([0, 0, 0, 0, 1, 0, 0, 0], np.int8),
        np.array([5, 5, 5, 5, 1, 5, 5, 5], np.int16),
        base_points * rw,  # base points
        rw,
        np.array([100.0, 100.0]),  # ā_g
        np.array([True, True]),
        np.array([[ks, ks]]),  # K
        np.array([1.0, 3.0, np.inf]),  # bands on RW: ≤ 1 → 3, ≤ 3 → 2, above → 1.5
        np.array([3.0, 2.0, 1.5]),
        0.4,
        low_uses_coef,
        1.0,
        base_points,
        200.0,  # ā
        1.0,
        2,
    )


def test_price_cases_on_hand_made_cases() -> None:
    """One case of each class in a group with RW 0.5 (H = 3) and one with RW 1.5 (H = 2)."""
    klass, points, special = _hand_priced(100.0, False)
    assert klass.tolist() == [LOW, NORMAL, NORMAL, HIGH, LOW, SPECIAL, NORMAL, HIGH]
    np.testing.assert_allclose(
        points,
        [
            50 * 0.1,  # r = 0.1 < 0.4: BP × r
            50 * 0.9,  # r = 1: BP × K
            50 * 0.9,  # r = 2.5 ≤ 3
            50 * 0.9 + 50 * (3.5 - 3.0),  # r = 3.5 > 3: BP × K + BP × (r − H)
            50 * 0.9,  # transfer within 2 days: min(BP × r, BP × K) = min(50, 45)
            100 * 100 / 200,  # ungroupable: base_points × c / ā
            150 * 0.9,  # r = 1 in the RW-1.5 group
            150 * 0.9 + 150 * (3.0 - 2.0),  # r = 3 > 2
        ],
    )
    np.testing.assert_allclose(
        special, 100 * np.array([10, 100, 250, 350, 100, 100, 100, 300]) / 200
    )


def test_high_bands_on_relative_weight_keep_every_class_when_base_points_double() -> None:
    """At base points 100 the RW bands are v1's BP bands; doubling base points doubles points."""
    one, two = _hand_priced(100.0, False), _hand_priced(200.0, False)
    assert one[0].tolist() == two[0].tolist()
    np.testing.assert_allclose(two[1], 2.0 * one[1], rtol=1e-15)
    # a group of RW 0.75 at base points 200 has BP 150: v1's bands on BP (≤ 100 → 3, ≤ 300 → 2)
    # gave it H = 2, so r = 2.75 was high; on RW (0.75 ≤ 1 → 3) it is normal, BP × K = 150
    k, p, _ = price_cases(
        np.zeros(1, np.int32),
        np.zeros(1, np.int16),
        np.array([275.0]),  # r = 2.75: high only if H = 2
        np.zeros(1, np.int8),
        np.full(1, 5, np.int16),
        np.array([150.0]),
        np.array([0.75]),
        np.array([100.0]),
        np.array([True]),
        np.ones((1, 1)),
        np.array([1.0, 3.0, np.inf]),
        np.array([3.0, 2.0, 1.5]),
        0.4,
        False,
        1.0,
        200.0,
        200.0,
        1.0,
        2,
    )
    assert k.tolist() == [NORMAL] and p.tolist() == [150.0]


def test_low_cost_points_take_the_coefficient_when_low_uses_coefficient() -> None:
    """Zhejiang: BP × r × K, never above BP × K; Jinhua (default): BP × r, never above BP × K."""
    jinhua, zhejiang = _hand_priced(100.0, False, 0.8), _hand_priced(100.0, True, 0.8)
    assert jinhua[1][0] == pytest.approx(50 * 0.1)  # r = 0.1
    assert zhejiang[1][0] == pytest.approx(50 * 0.1 * 0.8)
    assert jinhua[1][4] == pytest.approx(min(50 * 1.0, 50 * 0.8))  # incomplete stay, r = 1
    assert zhejiang[1][4] == pytest.approx(min(50 * 1.0 * 0.8, 50 * 0.8))
    # with K > 1 the cap BP × K is never reached by BP × r × K for r < 1, but is for r ≥ 1
    k12 = _hand_priced(100.0, True, 1.2)
    assert k12[1][0] == pytest.approx(50 * 0.1 * 1.2)
    assert k12[1][4] == pytest.approx(50 * 1.2)  # min(50 × 1 × 1.2, 50 × 1.2)


# --- generate --------------------------------------------------------------------------------


def generate_reference(
    key: int,
    hospital: np.ndarray,
    hosp_tier: np.ndarray,
    hosp_cost_level: np.ndarray,
    patient_share: np.ndarray,
    fund_key: int,
    fund_cum: np.ndarray,
    alias_prob: np.ndarray,
    alias_idx: np.ndarray,
    level_prob: np.ndarray,
    group_table: np.ndarray,
    ref_cost: np.ndarray,
    mean_los: np.ndarray,
    params: np.ndarray,
    first_day: int,
    days_in_month: int,
    population: int,
) -> tuple[np.ndarray, ...]:
    """The documented rule in plain Python: each quantity of case j is its own kind of draw.

    The case's position j in the batch numbers its draws: uniform(kind) is draw 0 of that
    kind, the stay's normal and the cost's pair of normals are those of their kinds. The
    patient's fund is the first whose upper edge lies above the patient's own fund draw.
    """
    n = hospital.shape[0]
    cost_sigma, los_sigma, oop_sd, p_tr, p_de, p_ama, short_days = params[:7]
    readmit_rate, window, ungroup_rate = params[7:]
    n_adrg = alias_prob.shape[1]
    idx = np.arange(n)
    u = {kind: uniform_np(key, kind, idx) for kind in Draw}
    z_stay = normal_np(key, Draw.STAY, idx)
    z_cost, z_share = normal_pair_np(key, Draw.COST, idx)
    out = {
        k: [0] * n
        for k in (
            "patient",
            "adrg",
            "sev",
            "drg",
            "cost",
            "oop",
            "los",
            "admit",
            "day",
            "dis",
            "ung",
            "gap_next",
            "fund",
        )
    }

    def stay_of(j: int, g: int, dtype: int) -> tuple[int, float]:
        m = mean_los[g]
        stay = max(math.floor(m * math.exp(los_sigma * z_stay[j] - 0.5 * los_sigma**2) + 0.5), 1)
        scale = 1.0
        if dtype != 0 and u[Draw.SHORT_STAY][j] < 0.5:
            stay = math.floor(u[Draw.SHORT_STAY][j] * 2.0 * (short_days + 1.0))
            scale = min(1.0, (stay + 1.0) / (m + 1.0))
        return int(stay), scale

    def dtype_of(j: int) -> int:
        ud = u[Draw.DISCHARGE][j]
        return 1 if ud < p_tr else 2 if ud < p_tr + p_de else 3 if ud < p_tr + p_de + p_ama else 0

    # a stay that is not a readmission is followed by the next case of its hospital as its
    # readmission with probability rate / (1 − rate) (so `rate` of all stays are followed);
    # the readmission's gap after the discharge is uniform on 0 … min(window, room + 1) − 1
    # whole days, room keeping both discharges in the month (no pair when room < 0)
    follow = readmit_rate / (1.0 - readmit_rate) if readmit_rate < 1.0 else 2.0
    readmits = [False] * n  # case j is the readmission of case j − 1
    for j in range(n):
        h = int(hospital[j])
        dtype = dtype_of(j)
        if readmits[j]:
            a, s, pid = out["adrg"][j - 1], out["sev"][j - 1], out["patient"][j - 1]
            g = out["drg"][j - 1]
            stay, scale = stay_of(j, g, dtype)
            gap = out["gap_next"][j - 1]
            d = out["day"][j - 1] + 1 + gap + stay
        else:
            t = hosp_tier[h]
            col = int(u[Draw.ADRG_COLUMN][j] * n_adrg)
            a = col if u[Draw.ADRG_ACCEPT][j] < alias_prob[t, col] else int(alias_idx[t, col])
            us = u[Draw.SEVERITY][j]
            # the first level whose running total of probabilities exceeds the draw, else none
            running = np.cumsum(level_prob[a])
            s = next((k for k in range(running.shape[0]) if us < running[k]), 2)
            pid = int(u[Draw.PATIENT][j] * population)
            g = int(group_table[a, s])
            stay, scale = stay_of(j, g, dtype)
            span = 0
            nxt = j + 1
            if nxt < n and hospital[nxt] == h and u[Draw.READMIT][nxt] < follow:
                next_stay, _ = stay_of(nxt, g, dtype_of(nxt))
                room = days_in_month - 2 - next_stay
                if room >= 0:
                    gap = int(u[Draw.READMIT_GAP][nxt] * min(window, room + 1))
                    span = 1 + gap + next_stay
                    readmits[nxt] = True
                    out["gap_next"][j] = gap
            d = first_day + int(u[Draw.DISCHARGE_DAY][j] * (days_in_month - span))
        c = (
            ref_cost[g]
            * hosp_cost_level[h]
            * scale
            * math.exp(cost_sigma * z_cost[j] - 0.5 * cost_sigma**2)
        )
        u_fund = uniform_np(int(fund_key), Draw.FUND, np.array([pid]))[0]
        f = 0 if len(fund_cum) == 1 else int(np.flatnonzero(u_fund < fund_cum)[0])
        share = min(max(patient_share[f, h] + oop_sd * z_share[j], 0.0), 0.95)
        for name, value in (
            ("patient", pid),
            ("adrg", a),
            ("sev", s),
            ("drg", g),
            ("cost", c),
            ("oop", c * share),
            ("los", stay),
            ("admit", d - stay),
            ("day", d),
            ("dis", dtype),
            ("ung", u[Draw.UNGROUPABLE][j] < ungroup_rate),
            ("fund", f),
        ):
            out[name][j] = value
    del out["gap_next"]
    return tuple(np.array(v) for v in out.values())


@st.composite
def generator_inputs(draw: st.DrawFn) -> tuple:
    """A small random catalogue, hospitals and generator parameters in the kernel's dtypes."""
    n = draw(st.integers(0, 60))
    n_hosp = draw(st.integers(1, 4))
    n_tier = draw(st.integers(1, 3))
    n_adrg = draw(st.integers(1, 8))
    n_drg = draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(SEEDS))
    hospital = np.sort(rng.integers(0, n_hosp, n)).astype(np.int32)
    n_level = draw(st.integers(3, 6))  # MCC, CC, none and up to three local suffixes
    n_fund = draw(st.integers(1, 3))
    fund_cum = np.cumsum(rng.dirichlet(np.ones(n_fund)))
    fund_cum[-1] = 1.0
    level_prob = rng.dirichlet(np.ones(n_level), n_adrg)
    params = np.array(
        [
            rng.uniform(0.1, 1.0),  # cost_sigma
            rng.uniform(0.1, 1.0),  # los_sigma
            rng.uniform(0.0, 0.3),  # oop_sd
            rng.uniform(0.0, 0.2),  # transfer
            rng.uniform(0.0, 0.2),  # death
            rng.uniform(0.0, 0.2),  # against advice
            float(rng.integers(0, 5)),  # incomplete-stay days
            rng.uniform(0.3, 0.9),  # readmission rate: high, to exercise readmissions
            float(rng.integers(1, 31)),  # window days
            rng.uniform(0.0, 0.3),  # ungroupable rate
        ]
    )
    assert params.shape[0] == N_PARAMS
    first, days = month_days(2021 + int(rng.integers(0, 4)), int(rng.integers(1, 13)))
    return (
        np.uint64(draw(U64)),
        hospital,
        rng.integers(0, n_tier, n_hosp).astype(np.int64),
        rng.uniform(0.6, 1.4, n_hosp),
        rng.uniform(0.0, 0.6, (n_fund, n_hosp)),
        np.uint64(draw(U64)),
        fund_cum,
        rng.uniform(0.0, 1.0, (n_tier, n_adrg)),
        rng.integers(0, n_adrg, (n_tier, n_adrg)).astype(np.int32),
        level_prob,
        rng.integers(0, n_drg, (n_adrg, n_level)).astype(np.int32),
        rng.uniform(500.0, 50_000.0, n_drg),
        rng.uniform(1.0, 20.0, n_drg),
        params,
        first,
        days,
        int(rng.integers(1, 1_000_000)),
    )


@settings(max_examples=60, deadline=None)
@given(inputs=generator_inputs())
def test_generate_cases_follows_its_documented_draws(inputs: tuple) -> None:
    got = generate_cases(*inputs)
    ref = generate_reference(int(inputs[0]), *inputs[1:])
    columns = {
        "patient": np.int64,
        "adrg": np.int16,
        "severity": np.int8,
        "drg_true": np.int16,
        "cost": np.float64,
        "oop": np.float64,
        "los": np.int16,
        "admit": np.int16,
        "day": np.int16,
        "discharge": np.int8,
        "ungroupable": np.bool_,
        "fund": np.int8,
    }
    for (name, dt), g, r in zip(columns.items(), got, ref, strict=True):
        assert g.dtype == dt, name
        assert g.shape == (inputs[1].shape[0],), name
        if name in ("cost", "oop"):
            np.testing.assert_allclose(g, r.astype(np.float64), rtol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(g, r.astype(dt), err_msg=name)


@settings(max_examples=15, deadline=None)
@given(inputs=generator_inputs(), zero_cost=st.booleans())
def test_generate_cases_draws_factors_off_exps_main_path_by_the_library(
    inputs: tuple, zero_cost: bool
) -> None:
    """A sigma of 0 puts exp's argument at 0, off its main path (|x| < 2**-54): those cases'
    cost or stay factors are taken by the library's exp, and still follow the documented draws."""
    params = inputs[13].copy()
    params[0 if zero_cost else 1] = 0.0
    inputs = (*inputs[:13], params, *inputs[14:])
    got = generate_cases(*inputs)
    ref = generate_reference(int(inputs[0]), *inputs[1:])
    np.testing.assert_allclose(got[4], ref[4].astype(np.float64), rtol=1e-12)  # cost
    np.testing.assert_array_equal(got[6], ref[6].astype(np.int16))  # stay


def test_generate_cases_makes_readmissions_when_asked() -> None:
    """With readmission rate ½ or more every stay that is not a readmission is followed by one."""
    rng = np.random.default_rng(3)
    n_adrg, n_drg = 4, 6
    params = np.array([0.5, 0.4, 0.05, 0.0, 0.0, 0.0, 2.0, 1.0, 3.0, 0.0])
    hospital = np.zeros(40, np.int32)
    out = generate_cases(
        np.uint64(99),
        hospital,
        np.zeros(1, np.int64),
        np.ones(1),
        np.full((1, 1), 0.3),
        np.uint64(3),
        np.ones(1),
        np.ones((1, n_adrg)),
        np.arange(n_adrg, dtype=np.int32)[None, :],
        np.tile([0.2, 0.3, 0.5], (n_adrg, 1)),
        rng.integers(0, n_drg, (n_adrg, 3)).astype(np.int32),
        np.full(n_drg, 5000.0),
        np.full(n_drg, 3.0),
        params,
        1,
        31,
        1000,
    )
    patient, adrg, _, _, _, _, _, admit, day, _, _, _ = out
    follows = patient[1:] == patient[:-1]
    # stays of 3 days on average leave room in a 31-day month: cases 0–1, 2–3, … are pairs
    assert follows.tolist() == [True, False] * 19 + [True]
    gap = admit[1:][follows] - day[:-1][follows]
    assert np.all((gap >= 1) & (gap <= 3))
    assert np.all(adrg[1:][follows] == adrg[:-1][follows])
    assert np.all(day <= 31)


def test_generate_cases_levels_short_of_one_leave_the_rest_at_none() -> None:
    """A draw above every running total of an ADRG's levels is level 2 (none), not the last."""
    inputs = list(_long_runs(4))
    n_adrg = inputs[9].shape[0]
    inputs[9] = np.tile([0.1, 0.0, 0.1, 0.1], (n_adrg, 1))  # running totals 0.1, 0.1, 0.2, 0.3
    inputs[10] = np.tile(inputs[10][:, :1], (1, 4))  # a DRG for each of the four levels
    inputs[13] = inputs[13].copy()
    inputs[13][7] = 0.0  # no readmissions: every case's level is its own draw's
    severity = generate_cases(*inputs)[2]
    np.testing.assert_array_equal(severity, generate_reference(int(inputs[0]), *inputs[1:])[2])
    # from the severity draws: below 0.1 MCC (0), 0.2 to 0.3 the local level 3, else none (2)
    us = uniform_np(int(inputs[0]), Draw.SEVERITY, np.arange(severity.size))
    want = np.where(us < 0.1, 0, np.where((us >= 0.2) & (us < 0.3), 3, 2))
    np.testing.assert_array_equal(severity, want)


def test_generate_cases_level_totals_that_dip_keep_the_first_total_above_the_draw() -> None:
    """A negative level probability (a real list's rounding residue, here exaggerated) makes the
    running totals dip: the level is still the first whose total exceeds the draw."""
    inputs = list(_long_runs(5))
    n_adrg = inputs[9].shape[0]
    inputs[9] = np.tile([0.5, 0.3, -0.2, 0.4], (n_adrg, 1))  # running totals 0.5, 0.8, 0.6, 1.0
    inputs[10] = np.tile(inputs[10][:, :1], (1, 4))
    inputs[13] = inputs[13].copy()
    inputs[13][7] = 0.0  # no readmissions: every case's level is its own draw's
    severity = generate_cases(*inputs)[2]
    np.testing.assert_array_equal(severity, generate_reference(int(inputs[0]), *inputs[1:])[2])
    us = uniform_np(int(inputs[0]), Draw.SEVERITY, np.arange(severity.size))
    np.testing.assert_array_equal(severity, np.where(us < 0.5, 0, np.where(us < 0.8, 1, 3)))


def _long_runs(seed: int) -> tuple:
    """Two hospitals with runs several parallel pieces long, and many readmissions."""
    rng = np.random.default_rng(seed)
    n_adrg, n_drg, n_level = 5, 9, 3
    counts = [2 * CHUNK + 700, CHUNK + 3]
    hospital = np.repeat(np.arange(2, dtype=np.int32), counts)
    params = np.array([0.5, 0.4, 0.05, 0.05, 0.02, 0.03, 2.0, 0.3, 15.0, 0.02])
    return (
        np.uint64(seed * 7919 + 1),
        hospital,
        np.array([0, 1]),
        np.array([1.1, 0.9]),
        rng.uniform(0.1, 0.4, (2, 2)),
        np.uint64(seed),
        np.array([0.3, 1.0]),
        rng.uniform(0.0, 1.0, (2, n_adrg)),
        rng.integers(0, n_adrg, (2, n_adrg)).astype(np.int32),
        rng.dirichlet(np.ones(n_level), n_adrg),
        rng.integers(0, n_drg, (n_adrg, n_level)).astype(np.int32),
        rng.uniform(500.0, 50_000.0, n_drg),
        rng.uniform(1.0, 20.0, n_drg),
        params,
        1,
        30,
        50_000,
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_generate_cases_cut_into_parallel_pieces_follows_the_rule(seed: int) -> None:
    """Runs longer than a piece give the cases of one pass (readmission pairs included)."""
    inputs = _long_runs(seed)
    got = generate_cases(*inputs)
    ref = generate_reference(int(inputs[0]), *inputs[1:])
    for k, (g, r) in enumerate(zip(got, ref, strict=True)):
        if g.dtype == np.float64:
            np.testing.assert_allclose(g, r, rtol=1e-12, err_msg=str(k))
        else:
            np.testing.assert_array_equal(g, r.astype(g.dtype), err_msg=str(k))
    patient = got[0]
    # readmission pairs (about 0.3 of the cases) span the cuts
    assert (patient[1:] == patient[:-1]).sum() > patient.size // 4


def test_generate_cases_without_noise_draw_the_mean_costs_and_stays() -> None:
    """σ = 0: every lognormal factor is e^0 = 1, an argument off exp's main path (the
    kernel's draws ahead take the library's exp there)."""
    inputs = list(_long_runs(4))
    params = inputs[13].copy()
    params[0] = params[1] = 0.0
    inputs[13] = params
    got = generate_cases(*inputs)
    ref = generate_reference(int(inputs[0]), *inputs[1:])
    for k, (g, r) in enumerate(zip(got, ref, strict=True)):
        np.testing.assert_array_equal(g, r.astype(g.dtype), err_msg=str(k))
    full = got[9] == 0  # a normal discharge, never a short stay: the DRG's mean stay, rounded
    mean_los = inputs[12][got[3]]
    np.testing.assert_array_equal(got[6][full], np.maximum(np.floor(mean_los + 0.5), 1)[full])


def test_generate_cases_do_not_depend_on_the_thread_count() -> None:
    inputs = _long_runs(3)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = generate_cases(*inputs)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = generate_cases(*inputs)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many, strict=True):
        assert a.tobytes() == b.tobytes()


# --- the generator on the built-in catalogue -------------------------------------------------


def _month_of(overrides: dict) -> tuple:
    scn = load_scenario({"extends": "shanwei", "region": {"admissions": 360_000}, **overrides})
    cat = builtin()
    hospitals = hospital_table(scn)
    source = SyntheticSource(scn, cat, hospitals)
    batch = source.month(0, 4, np.random.SeedSequence(2024))
    return scn, cat, hospitals, source, batch


def _alias_probabilities(prob: np.ndarray, alias: np.ndarray) -> np.ndarray:
    """The probability of each outcome of the two-step alias draw."""
    n = prob.shape[0]
    p = prob.copy()
    np.add.at(p, alias, 1.0 - prob)
    return p / n


def test_synthetic_costs_average_to_the_catalogue_mean() -> None:
    """Without incomplete stays, trimming or growth, the city's stays of each ADRG cost its
    catalogue reference on average, and a hospital's cost level is relative to the city's."""
    gen = {"transfer": 0.0, "death": 0.0, "against_advice": 0.0}
    _, cat, hospitals, _, batch = _month_of(
        {"generator": gen, "weights": {"trim_quantiles": [0, 1]}, "growth": {"charges": 0}}
    )
    assert batch.n > 20_000
    adrg_cost = (cat.level_prob * cat.ref_cost[cat.group_table]).sum(axis=1)
    reference = adrg_cost[batch.adrg]
    assert batch.cost.sum() == pytest.approx(reference.sum(), rel=0.03)
    # within an ADRG a tier-3 stay costs cost_level[3] / cost_level[2] times a tier-2 stay:
    # pooled over ADRGs with both, each weighted by n3 × n2 / (n3 + n2)
    df = pd.DataFrame(
        {"a": batch.adrg, "t": hospitals.tier[batch.hospital], "rel": batch.cost / reference}
    )
    cell = df[df["t"] >= 2].groupby(["a", "t"])["rel"].agg(["mean", "size"]).unstack("t")
    cell = cell.dropna()
    n3, n2 = cell[("size", 3)], cell[("size", 2)]
    w = n3 * n2 / (n3 + n2)
    ratio = (w * cell[("mean", 3)]).sum() / (w * cell[("mean", 2)]).sum()
    levels = Generator().cost_level
    assert ratio == pytest.approx(levels[3] / levels[2], rel=0.04)
    assert np.all(batch.cost > 0) and np.all(batch.oop >= 0) and np.all(batch.oop <= batch.cost)
    assert np.all(batch.los >= 1)


def test_expected_stay_scale_by_hand() -> None:
    # incomplete 0.4, half of them short: p_short = 0.2; short stays 0, 1, 2 days
    # mean stay 2: scales 1/3, 2/3, 1 → 2/3, so 0.8 + 0.2 × 2/3; mean stay 9: 0.1, 0.2, 0.3 → 0.2
    got = expected_stay_scale(np.array([2.0, 9.0]), 0.4, 2)
    assert got == pytest.approx([0.8 + 0.2 * 2 / 3, 0.8 + 0.2 * 0.2], rel=1e-12)
    assert expected_stay_scale(np.array([5.0]), 0.0, 2) == pytest.approx([1.0])


def test_tier_mixes_keep_the_city_shares_and_tilt_by_weight() -> None:
    rng = np.random.default_rng(2)
    share = rng.dirichlet(np.ones(30))
    rw = np.exp(rng.normal(0.0, 0.8, 30))
    volume = np.array([0.5, 0.3, 0.2])
    mix = tier_mixes(share, rw, np.array([-1.0, 0.3, 1.5]), volume)
    np.testing.assert_allclose(mix.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(volume @ mix, share, rtol=1e-9)
    mean_rw = mix @ rw
    assert mean_rw[0] < share @ rw < mean_rw[2]
    # one tier takes the city's shares whatever its tilt
    np.testing.assert_allclose(tier_mixes(share, rw, np.array([2.0]), np.ones(1))[0], share)


def test_trimmed_mean_factor_is_the_lognormals_trimmed_mean() -> None:
    sigma = 0.6
    x = np.exp(sigma * np.random.default_rng(3).standard_normal(2_000_000) - sigma**2 / 2)
    lo, hi = np.quantile(x, [0.025, 0.975])
    sampled = x[(x >= lo) & (x <= hi)].mean()
    assert trimmed_mean_factor(sigma, (0.025, 0.975)) == pytest.approx(sampled, abs=2e-3)
    assert trimmed_mean_factor(sigma, (0.0, 1.0)) == pytest.approx(1.0)


def test_expected_patient_share_is_the_clipped_normals_mean() -> None:
    rng = np.random.default_rng(5)
    z = rng.standard_normal(2_000_000)
    for m, sd in ((0.02, 0.1), (0.36, 0.08), (0.9, 0.2)):
        sampled = np.clip(m + sd * z, 0.0, 0.95).mean()
        assert expected_patient_share(np.array([m]), sd)[0] == pytest.approx(sampled, abs=5e-4)
    assert expected_patient_share(np.array([-0.1, 0.5, 1.2]), 0.0).tolist() == [0.0, 0.5, 0.95]


def test_expected_charges_and_patient_share_are_what_the_generator_draws() -> None:
    """Many short incomplete stays and a clipped patient share: the month's drawn charges and
    patient shares average to the expectations the budget-neutral default is made of."""
    gen = {
        "transfer": 0.3,
        "death": 0.1,
        "against_advice": 0.1,
        "oop_share": {3: 0.9, 2: 0.9, 1: 0.9},
        "oop_sd": 0.2,
    }
    # one fund whose patients pay the generator's oop_share (Shanwei's own funds set theirs)
    one_fund = {"funds": {"all": {"share": 1.0}}}
    _, _, hospitals, source, batch = _month_of({"generator": gen, **one_fund})
    yearly = np.sum([source.expected_counts(0, m) for m in range(1, 13)], axis=0)
    per_case = source.expected_charges(0) / yearly
    n_h = np.bincount(batch.hospital, minlength=hospitals.n)
    # about 19% below the full-stay expectation, so a 3% band tells the two apart
    assert batch.cost.sum() == pytest.approx(float(n_h @ per_case), rel=0.03)
    drawn_share = float(np.mean(batch.oop / batch.cost))
    assert drawn_share == pytest.approx(expected_patient_share(np.array([0.9]), 0.2)[0], abs=3e-3)


def test_synthetic_month_has_readmissions_and_the_parameter_shares() -> None:
    gen = {"readmission_rate": 0.1, "transfer": 0.05, "death": 0.02, "against_advice": 0.04}
    scn, _, _, _, batch = _month_of({"generator": gen})
    n = batch.n
    shares = np.bincount(batch.discharge, minlength=4) / n
    for dtype, p in ((1, 0.05), (2, 0.02), (3, 0.04)):
        assert abs(shares[dtype] - p) < 5 * math.sqrt(p * (1 - p) / n)
    p_ung = scn.generator.ungroupable_rate
    assert abs(batch.ungroupable.mean() - p_ung) < 5 * math.sqrt(p_ung / n) + 1e-4
    same = (
        (batch.patient[1:] == batch.patient[:-1])
        & (batch.hospital[1:] == batch.hospital[:-1])
        & (batch.adrg[1:] == batch.adrg[:-1])
    )
    gap = batch.admit_day[1:].astype(int) - batch.day[:-1]
    pairs = same & (gap >= 1) & (gap <= scn.readmission.window_days)
    assert np.array_equal(pairs, same)  # a repeated patient is always a readmission in the window
    # the rate is the share of stays followed by a readmission (binomial bounds)
    assert abs(pairs.sum() / n - 0.1) < 5 * math.sqrt(0.1 * 0.9 / n)
    first, days = month_days(scn.start_year, 4)
    assert batch.day.min() >= first and batch.day.max() <= first + days - 1


def test_synthetic_months_check_their_tables_once_and_draw_what_the_front_draws() -> None:
    scn = load_scenario({"extends": "shanwei", "region": {"admissions": 12_000}})
    cat, hospitals = builtin(), hospital_table(scn)
    source = SyntheticSource(scn, cat, hospitals)
    seed = np.random.SeedSequence(7)
    batch = source.month(0, 2, seed)
    # the same month through the checked front, from the same seed's streams
    counts_seed, case_seed = np.random.SeedSequence(7).spawn(2)
    expected, args = source.month_inputs(0, 2)
    counts = np.random.Generator(np.random.PCG64(counts_seed)).poisson(expected)
    hospital = np.repeat(np.arange(hospitals.n, dtype=np.int32), counts)
    out = generate_cases(np.uint64(stream_key(case_seed)), hospital, *args)
    assert np.array_equal(batch.hospital, hospital)
    names = "patient adrg severity drg_true cost oop los admit_day day discharge ungroupable fund"
    for name, want in zip(names.split(), out, strict=True):
        got = getattr(batch, name)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), name
    # a month whose tables do not index one another is refused when its inputs are first made
    broken = SyntheticSource(scn, cat, hospitals)
    broken.alias_idx = np.full_like(broken.alias_idx, broken.alias_prob.shape[1])
    with pytest.raises(KernelInputError, match="alias_idx"):
        broken.month(0, 2, seed)


# --- alias tables ----------------------------------------------------------------------------


@FAST
@given(
    weights=st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e3)), min_size=1, max_size=40).filter(
        lambda w: sum(w) > 0
    )
)
def test_alias_table_gives_each_outcome_its_weight(weights: list[float]) -> None:
    w = np.array(weights)
    prob, alias = alias_table(w)
    assert np.all((prob >= 0) & (prob <= 1 + 1e-12))
    assert np.all((alias >= 0) & (alias < w.shape[0]))
    np.testing.assert_allclose(_alias_probabilities(prob, alias), w / w.sum(), atol=1e-12)


def _vose_reference(scaled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias method with Python lists as the stacks of small (< 1) and large entries."""
    scaled = scaled.copy()
    n = scaled.shape[0]
    prob, alias = np.ones(n), np.arange(n)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] = scaled[g] - (1.0 - scaled[s])
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias


@FAST
@given(
    weights=st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e3)), min_size=1, max_size=60).filter(
        lambda w: sum(w) > 0
    )
)
def test_alias_kernel_is_vose_to_the_bit(weights: list[float]) -> None:
    from drgsim.kernels.alias import alias_build

    w = np.array(weights)
    scaled = w / w.sum() * w.shape[0]
    prob, alias = alias_build(scaled)
    want_prob, want_alias = _vose_reference(scaled)
    assert prob.tobytes() == want_prob.tobytes()
    assert alias.dtype == np.int32 and np.array_equal(alias, want_alias)


def test_alias_draws_match_the_weights_in_frequency() -> None:
    rng = np.random.default_rng(11)
    w = rng.gamma(0.5, size=30)
    w[[3, 17]] = 0.0
    prob, alias = alias_table(w)
    n = 400_000
    col = (uniform_np(5, Draw.ADRG_COLUMN, np.arange(n)) * w.shape[0]).astype(int)
    accept = uniform_np(5, Draw.ADRG_ACCEPT, np.arange(n)) < prob[col]
    draws = np.where(accept, col, alias[col])
    observed = np.bincount(draws, minlength=w.shape[0])
    expected = n * w / w.sum()
    assert observed[[3, 17]].sum() == 0
    pos = expected > 0
    chi2 = float(np.sum((observed[pos] - expected[pos]) ** 2 / expected[pos]))
    df = int(pos.sum()) - 1
    assert chi2 < df + 6 * math.sqrt(2 * df)


def _select_reference(group, case_id, size, key):
    """Plain-Python selection sampling with draw 0 of the audit's sample kind for each case."""
    left = np.bincount(group, minlength=len(size)).astype(np.int64)
    take = np.array(size, dtype=np.int64)
    u = uniform_np(key, Draw.AUDIT_SAMPLE, case_id)
    out = np.zeros(len(group), dtype=bool)
    for j, g in enumerate(group):
        if take[g] > 0 and u[j] * left[g] < take[g]:
            out[j] = True
            take[g] -= 1
        left[g] -= 1
    return out


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    groups=st.integers(1, 6),
    rate=st.floats(0.0, 1.0),
    key=st.integers(0, 2**64 - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_select_per_group_matches_its_reference_and_takes_exactly_the_size(
    n, groups, rate, key, seed
) -> None:
    from drgsim.kernels.sample import select_per_group

    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n).astype(np.int32)
    case_id = rng.permutation(n).astype(np.int64) * 7 + 3
    counts = np.bincount(group, minlength=groups)
    size = np.floor(rate * counts + 0.5).astype(np.int64)
    got = select_per_group(group, case_id, size, np.uint64(key), int(Draw.AUDIT_SAMPLE))
    np.testing.assert_array_equal(got, _select_reference(group, case_id, size, key))
    np.testing.assert_array_equal(np.bincount(group[got], minlength=groups), size)


def _readmission_reference(
    patient, hospital, adrg, admit, day, grouped, window, later=None, tie=None
):
    """The rule pair by pair: grouped stay i is flagged when a grouped stay j of the same
    patient, hospital and ADRG after it (by admission day, then `tie`, by default the index),
    and `later[j]` where given, is admitted 0..window days after i's discharge."""
    out = np.zeros(len(patient), dtype=bool)
    idx = np.flatnonzero(grouped)
    tie = np.arange(len(patient)) if tie is None else tie
    i, j = idx[:, None], idx[None, :]
    same = (patient[i] == patient[j]) & (hospital[i] == hospital[j]) & (adrg[i] == adrg[j])
    after = (admit[j] > admit[i]) | ((admit[j] == admit[i]) & (tie[j] > tie[i]))
    gap = admit[j].astype(np.int64) - day[i].astype(np.int64)
    pair = same & after & (gap >= 0) & (gap <= window)
    if later is not None:
        pair &= later[j]
    out[idx[pair.any(axis=1)]] = True
    return out


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(0, 400),
    patients=st.integers(1, 40),
    window=st.integers(0, 30),
    seed=st.integers(0, 2**32 - 1),
)
def test_readmission_kernel_matches_the_pairwise_reference(n, patients, window, seed) -> None:
    from drgsim.rules.pricing import readmission_earlier

    rng = np.random.default_rng(seed)
    patient = rng.integers(0, patients, n).astype(np.int64)
    hospital = rng.integers(0, 3, n).astype(np.int32)
    adrg = rng.integers(0, 3, n).astype(np.int16)
    admit = rng.integers(-30, 360, n).astype(np.int16)
    day = (admit + rng.integers(0, 20, n)).astype(np.int16)
    grouped = rng.random(n) < 0.95
    got = readmission_earlier(patient, hospital, adrg, admit, day, grouped, window)
    ref = _readmission_reference(patient, hospital, adrg, admit, day, grouped, window)
    np.testing.assert_array_equal(got, ref)


def _claims(rng: np.random.Generator, n: int, n_fund: int, n_hosp: int, n_drg: int) -> dict:
    """A month of random claims for the sums kernels, some readmitted, phantom or ungroupable."""
    return {
        "fund": rng.integers(0, n_fund, n).astype(np.int8),
        "hospital": rng.integers(0, n_hosp, n).astype(np.int32),
        "drg": rng.integers(-1, n_drg, n).astype(np.int16),
        "klass": rng.integers(0, 4, n).astype(np.int8),
        "points": rng.random(n) * 300,
        "readmit": rng.random(n) < 0.1,
        "oop": rng.random(n) * 1000,
        "cost": rng.random(n) * 5000,
        "los": rng.integers(0, 30, n).astype(np.int16),
        "deducted": rng.random(n) * (rng.random(n) < 0.1),
        "audited": rng.random(n) < 0.05,
        "caught": (rng.random(n) < 0.02).astype(np.uint8) * 4,
        "acts": rng.integers(0, 256, n).astype(np.uint8) * (rng.random(n) < 0.2),
    }


def _month_totals_reference(c: dict, factor, unborne_bits, rw, high_rw, n_fund, n_hosp):
    """The month's sums by the rule, with np.bincount (which adds in claim order)."""
    n, n_drg = len(c["hospital"]), len(rw)
    final = np.where(c["readmit"], c["points"] * factor, c["points"])
    row = c["fund"].astype(np.int64) * n_hosp + c["hospital"]
    n_rows = n_fund * n_hosp
    grouped = c["drg"] >= 0
    g = np.where(grouped, c["drg"], 0)
    borne = (c["acts"] & unborne_bits) == 0

    def by_row(weights, take=slice(None)):
        return np.bincount(row[take], weights=weights[take], minlength=n_rows)

    # the settlement's sums: each claim in lane j mod 4, lanes then added 0 + 1 + 2 + 3
    lane = np.arange(n) % 4
    month = np.zeros((n_rows, 2))
    for k, v in enumerate((final, c["oop"])):
        parts = [by_row(v, lane == i) for i in range(4)]
        month[:, k] = ((parts[0] + parts[1]) + parts[2]) + parts[3]
    sums = np.stack(
        [
            by_row(np.ones(n)),
            by_row(final),
            by_row(c["oop"]),
            by_row(np.where(borne, c["cost"], 0.0)),
            by_row(c["deducted"]),
            by_row(c["audited"].astype(float)),
            by_row((c["caught"] != 0).astype(float)),
            by_row((grouped & (rw[g] >= high_rw)).astype(float)),
            by_row(grouped.astype(float)),
            by_row(np.where(grouped, rw[g], 0.0)),
            by_row(c["cost"]),
        ],
        axis=1,
    )
    # each fund's (hospital, DRG) cells, then their sum over the funds in fund order
    cell = (row * n_drg + g)[grouped]
    size = n_rows * n_drg
    cells = np.stack(
        [
            np.bincount(cell, minlength=size).astype(float),
            np.bincount(cell, weights=c["cost"][grouped], minlength=size),
            np.bincount(cell, weights=c["los"][grouped].astype(float), minlength=size),
        ],
        axis=1,
    )
    cells = cells.reshape(n_fund, n_hosp * n_drg, 3).sum(axis=0)
    # the cells with claims, in order of their first claim
    hospital_cell = (c["hospital"].astype(np.int64) * n_drg + g)[grouped]
    _, first = np.unique(hospital_cell, return_index=True)
    keys = hospital_cell[np.sort(first)]
    classes = np.bincount(
        c["hospital"].astype(np.int64) * 4 + c["klass"], minlength=n_hosp * 4
    ).reshape(n_hosp, 4)
    return final, month, sums, keys, cells[keys], classes


def _by_hospital(c: dict) -> dict:
    """The claims in runs of one fund and hospital (as a month's come), in order within each."""
    order = np.lexsort((np.arange(len(c["hospital"])), c["hospital"], c["fund"]))
    return {k: v[order] for k, v in c.items()}


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 300),
    n_fund=st.integers(1, 3),
    runs=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_month_totals_match_bincount_sums_bit_for_bit(n, n_fund, runs, seed) -> None:
    from drgsim.kernels.aggregate import month_totals

    rng = np.random.default_rng(seed)
    n_hosp, n_drg, factor, high_rw, unborne = 4, 7, 0.8, 2.0, 0b1010
    c = _claims(rng, n, n_fund, n_hosp, n_drg)
    if runs:
        c = _by_hospital(c)
    rw = rng.random(n_drg) * 4
    got = month_totals(
        *(c[k] for k in ("fund", "hospital", "drg", "klass", "points", "readmit")),
        factor,
        *(c[k] for k in ("oop", "cost", "los", "deducted", "audited", "caught", "acts")),
        unborne,
        rw,
        high_rw,
        n_fund,
        n_hosp,
        4,
    )
    ref = _month_totals_reference(c, factor, unborne, rw, high_rw, n_fund, n_hosp)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 300), n_fund=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_drg_cell_sums_match_bincount_sums_bit_for_bit(n, n_fund, seed) -> None:
    from drgsim.kernels.aggregate import drg_cell_sums

    rng = np.random.default_rng(seed)
    n_hosp, n_drg, factor, unborne = 3, 5, 0.7, 0b0110
    c = _claims(rng, n, n_fund, n_hosp, n_drg)
    keys, sums = drg_cell_sums(
        *(c[k] for k in ("fund", "hospital", "drg", "acts", "cost", "oop", "points")),
        c["readmit"],
        c["deducted"],
        factor,
        unborne,
        n_fund,
        n_hosp,
        n_drg,
    )
    # by the rule: a claim's cell is (fund, hospital, DRG or n_drg if ungroupable), each cell
    # listed once, in the order of its first claim, its sums added in claim order
    drg = np.where(c["drg"] >= 0, c["drg"], n_drg)
    cell = (c["fund"].astype(np.int64) * n_hosp + c["hospital"]) * (n_drg + 1) + drg
    _, first = np.unique(cell, return_index=True)
    want = cell[np.sort(first)]
    np.testing.assert_array_equal(keys, want)
    at = np.searchsorted(np.sort(want), cell)
    order = np.argsort(want)  # each sorted key's row in `want`
    final = np.where(c["readmit"], c["points"] * factor, c["points"])
    borne = np.where((c["acts"] & unborne) == 0, c["cost"], 0.0)
    columns = (np.ones(n), c["cost"], borne, c["oop"], final, c["deducted"])
    ref = np.zeros((want.size, 6))
    for k, v in enumerate(columns):
        ref[order, k] = np.bincount(at, weights=v, minlength=want.size)
    np.testing.assert_array_equal(sums, ref)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 300),
    n_outer=st.integers(1, 6),
    n_inner=st.integers(1, 8),
    n_parts=st.integers(1, 16),
    seed=st.integers(0, 2**32 - 1),
)
def test_cell_totals_match_bincount_sums_bit_for_bit(n, n_outer, n_inner, n_parts, seed) -> None:
    from drgsim.kernels.aggregate import cell_totals_of

    rng = np.random.default_rng(seed)
    keys = rng.integers(0, n_outer * n_inner, n).astype(np.int64)
    sums = rng.random((n, 3)) * 100
    sums[rng.random(sums.shape) < 0.05] = -0.0
    cuts = np.sort(rng.integers(0, n + 1, n_parts - 1))  # the rows in parts (months), in order
    parts = list(zip(np.split(keys, cuts), np.split(sums, cuts), strict=True))
    outer, inner, got = cell_totals_of(parts, n_outer, n_inner, 3)
    # by the rule: the cells present, increasing, each summing its rows in row order from 0
    want, at = np.unique(keys, return_inverse=True)
    ref = np.stack([np.bincount(at, weights=col, minlength=want.size) for col in sums.T], axis=1)
    np.testing.assert_array_equal(outer, want // n_inner)
    np.testing.assert_array_equal(inner, want % n_inner)
    assert got.tobytes() == ref.reshape(want.size, 3).tobytes()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 300), runs=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_risk_counts_match_bincount_sums_bit_for_bit(n, runs, seed) -> None:
    from drgsim.kernels.aggregate import risk_counts

    rng = np.random.default_rng(seed)
    n_hosp, n_drg, low = 4, 6, 1
    c = _claims(rng, n, 1, n_hosp, n_drg)
    if runs:
        c = _by_hospital(c)
    screened = rng.random(n) < 0.2
    rw = rng.random(n_drg) * 4
    got = risk_counts(c["hospital"], c["drg"], c["klass"], screened, rw, low, n_hosp)
    # by the rule: per hospital, its claims, Σ RW over its grouped claims, its grouped claims,
    # its low-cost claims and its screened claims
    h, billed = c["hospital"], c["drg"] >= 0
    ref = np.stack(
        [
            np.bincount(h, minlength=n_hosp).astype(float),
            np.bincount(h[billed], weights=rw[c["drg"][billed]], minlength=n_hosp),
            np.bincount(h[billed], minlength=n_hosp).astype(float),
            np.bincount(h, weights=c["klass"] == low, minlength=n_hosp),
            np.bincount(h, weights=screened, minlength=n_hosp),
        ]
    )
    np.testing.assert_array_equal(got, ref)


_STAY_COLUMNS = ("patient", "hospital", "adrg", "admit", "day", "drg")


def _window_call(month, before, exempt, window, size_bits):
    """`window_readmissions` of a month (a dict of stay columns) against up to three earlier
    months, as the engine calls it (their keys from `stay_keys`); its flags and hits, after
    checking the month's keys it returns."""
    from drgsim.kernels.readmit import stay_keys, window_readmissions

    pad = {k: np.empty(0, month[k].dtype) for k in _STAY_COLUMNS}
    padded = [*before, *[pad] * (3 - len(before))]
    flags, month_of, row, keys = window_readmissions(
        *(month[k] for k in _STAY_COLUMNS),
        exempt,
        window,
        size_bits,
        tuple(stay_keys(s["patient"], s["hospital"], s["adrg"]) for s in padded),
        *(tuple(s[k] for s in padded) for k in _STAY_COLUMNS),
    )
    assert np.array_equal(keys, stay_keys(month["patient"], month["hospital"], month["adrg"]))
    return flags, month_of, row


def _window_reference(month, earlier, exempt, window):
    """The readmission window's rule in numpy: every earlier month's stays, then the month's
    (ties in that order), paired by the pairwise reference with the later stay in the month."""
    n = len(month["patient"])
    parts = [*earlier, month]
    where = [(b, r) for b, stays in enumerate(earlier) for r in range(len(stays["patient"]))]
    where += [(-1, j) for j in range(n)]
    pool = {k: np.concatenate([part[k] for part in parts]) for k in month}
    grouped = (pool["drg"] >= 0) & ~exempt[pool["adrg"]]
    later = np.arange(len(where)) >= len(where) - n
    flags = _readmission_reference(
        pool["patient"], pool["hospital"], pool["adrg"], pool["admit"], pool["day"], grouped,
        window, later,
    )  # fmt: skip
    hits = [where[i] for i in np.flatnonzero(flags) if where[i][0] >= 0]
    return flags[len(flags) - n :], hits


def _stays(rng, n, patients):
    """n random stays of `patients` patients (some admitted last year, some ungroupable)."""
    admit = rng.integers(-30, 360, n).astype(np.int16)
    return {
        "patient": rng.integers(0, patients, n).astype(np.int64),
        "hospital": rng.integers(0, 3, n).astype(np.int32),
        "adrg": rng.integers(0, 4, n).astype(np.int16),
        "admit": admit,
        "day": (admit + rng.integers(0, 20, n)).astype(np.int16),
        "drg": rng.integers(-1, 6, n).astype(np.int16),
    }


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    sizes=st.lists(st.integers(0, 300), min_size=0, max_size=3),
    patients=st.sampled_from([5, 40, 10**4, 10**12]),
    window=st.integers(0, 30),
    size_bits=st.sampled_from([1, 3, 16]),
    seed=st.integers(0, 2**32 - 1),
)
def test_window_readmissions_follow_the_rule(n, sizes, patients, window, size_bits, seed) -> None:
    rng = np.random.default_rng(seed)
    month = _stays(rng, n, patients)
    earlier = [_stays(rng, m, patients) for m in sizes]
    for stays in earlier:  # some stays of the month's patients, readmitted in the month
        again = rng.random(len(stays["patient"])) < 0.5
        if n:
            stays["patient"][again] = rng.choice(month["patient"], int(again.sum()))
    exempt = rng.random(4) < 0.25
    flags, month_of, row = _window_call(month, earlier, exempt, window, size_bits)
    want_flags, want_hits = _window_reference(month, earlier, exempt, window)
    assert flags.dtype == bool and np.array_equal(flags, want_flags)
    assert list(zip(month_of.tolist(), row.tolist(), strict=True)) == want_hits


def _year_by_months(rng, patients, nested):
    """A year of stays split into months by discharge day, as the engine keeps them; with
    `nested`, some stays of a patient lie inside a longer one of the same key."""
    year = _stays(rng, 1500, patients)
    long = rng.random(1500) < 0.2
    year["day"] = (year["admit"] + rng.integers(0, 60, 1500) * long).astype(np.int16)
    if nested:  # a short stay inside each of the first long stays, in the same key
        outer = np.flatnonzero(long & (year["day"] - year["admit"] > 4))[:60]
        inner = rng.choice(np.setdiff1d(np.arange(1500), outer), outer.size, replace=False)
        for k in ("patient", "hospital", "adrg"):
            year[k][inner] = year[k][outer]
        year["admit"][inner] = year["admit"][outer] + 1
        year["day"][inner] = year["admit"][outer] + 3
    month_of = np.clip(year["day"].astype(np.int64) // 30, 0, 11)
    months = [np.flatnonzero(month_of == i) for i in range(12)]
    return year, month_of, months


def _window_year(year, months, exempt, window, size_bits):
    """The window kernel run month by month on a year, each month against the three before it;
    the flagged stays of the year (by row) and each month's raw results."""
    flagged = np.zeros(len(year["patient"]), dtype=bool)
    raw = []
    for i, rows in enumerate(months):
        before = months[max(0, i - 3) : i]
        flags, month_at, row = _window_call(
            {k: v[rows] for k, v in year.items()},
            [{k: v[p] for k, v in year.items()} for p in before],
            exempt,
            window,
            size_bits,
        )
        flagged[rows[flags]] = True
        flagged[[before[b][r] for b, r in zip(month_at, row, strict=True)]] = True
        raw.append((flags.tolist(), month_at.tolist(), row.tolist()))
    return flagged, raw


@settings(max_examples=25, deadline=None)
@given(
    patients=st.sampled_from([50, 400, 10**6]),
    window=st.integers(0, 40),
    size_bits=st.sampled_from([3, 12, 16]),
    nested=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_window_readmissions_month_by_month_flag_the_years_pairs(
    patients, window, size_bits, nested, seed
) -> None:
    """A year month by month as the engine keeps it (each month against the three before it,
    whose stays are wholly, partly or not at all discharged in time) flags the stays the
    pairwise rule flags over the whole year, where the later stay is discharged at most three
    months after the earlier one, month by month as the month's reference says."""
    rng = np.random.default_rng(seed)
    year, month_of, months = _year_by_months(rng, patients, nested)
    exempt = rng.random(4) < 0.25
    flagged, raw = _window_year(year, months, exempt, window, size_bits)
    for i, rows in enumerate(months):
        before = [{k: v[p] for k, v in year.items()} for p in months[max(0, i - 3) : i]]
        want_flags, want_hits = _window_reference(
            {k: v[rows] for k, v in year.items()}, before, exempt, window
        )
        assert raw[i][0] == want_flags.tolist()
        assert list(zip(raw[i][1], raw[i][2], strict=True)) == want_hits
    grouped = (year["drg"] >= 0) & ~exempt[year["adrg"]]
    # ties in the engine's order: by month of discharge, then row; each pair within 3 months
    tie = month_of * len(month_of) + np.arange(len(month_of))
    want = np.zeros(len(month_of), dtype=bool)
    for i in range(12):
        later = month_of == i
        near = grouped & (month_of >= i - 3) & (month_of <= i)
        part = _readmission_reference(
            year["patient"], year["hospital"], year["adrg"], year["admit"], year["day"],
            near, window, later, tie,
        )  # fmt: skip
        want |= part
    np.testing.assert_array_equal(flagged, want)


@settings(max_examples=15, deadline=None)
@given(
    patients=st.sampled_from([30, 50, 400]), nested=st.booleans(), seed=st.integers(0, 2**32 - 1)
)
def test_what_the_window_flags_does_not_depend_on_the_bitmap_size(patients, nested, seed) -> None:
    """A year month by month as the engine runs it: each month's flags and the earlier
    months' stays it flags are the same whatever the size of the patient bitmap (whose
    collisions let other patients' earlier stays into the pool)."""
    rng = np.random.default_rng(seed)
    year, _, months = _year_by_months(rng, patients, nested)
    exempt = rng.random(4) < 0.25
    runs = [_window_year(year, months, exempt, 30, bits)[1] for bits in (1, 2, 12, 20)]
    assert runs[0] == runs[1] == runs[2] == runs[3]


def test_window_readmissions_refuse_earlier_keys_not_of_their_stays() -> None:
    """An earlier month's keys that are not its stays' `stay_keys` would hide its stays from
    the bitmap: the kernel's front refuses them."""
    from drgsim.kernels.checks import KernelInputError
    from drgsim.kernels.readmit import stay_keys, window_readmissions

    rng = np.random.default_rng(5)
    month, earlier = _stays(rng, 20, 10), _stays(rng, 20, 10)
    pad = {k: np.empty(0, v.dtype) for k, v in month.items()}
    keys = stay_keys(earlier["patient"], earlier["hospital"], earlier["adrg"])
    keys[3] += np.uint64(1)
    with pytest.raises(KernelInputError, match=r"prior_key\[0\] is not stay_keys"):
        window_readmissions(
            *(month[k] for k in _STAY_COLUMNS),
            np.zeros(4, bool),
            15,
            16,
            (keys, np.empty(0, np.uint64), np.empty(0, np.uint64)),
            *((earlier[k], pad[k], pad[k]) for k in _STAY_COLUMNS),
        )


def test_window_readmissions_flag_pairs_across_months() -> None:
    """A stay of an earlier month readmitted this month within the window is flagged there,
    one readmitted after the window is not, and neither is one of an exempt ADRG."""

    def stays(patient, adrg, admit, day):
        return {
            "patient": np.array(patient, np.int64),
            "hospital": np.zeros(len(patient), np.int32),
            "adrg": np.array(adrg, np.int16),
            "admit": np.array(admit, np.int16),
            "day": np.array(day, np.int16),
            "drg": np.zeros(len(patient), np.int16),
        }

    # patient 1: out on day 20, back on day 30 (10 days); 2: out on day 10, back on day 30
    # (20 days); 3: exempt ADRG 1, out on day 25, back on day 30
    earlier = stays([1, 2, 3, 4], [0, 0, 1, 0], [15, 5, 20, 1], [20, 10, 25, 3])
    month = stays([1, 2, 3], [0, 0, 1], [30, 30, 30], [34, 34, 34])
    none = stays([], [], [], [])

    def window(this, *before):  # ADRG 1 exempt, a 15-day window, 2**16 slots
        return _window_call(this, list(before), np.array([False, True]), 15, 16)

    flags, month_of, row = window(month, earlier, none, none)
    assert not flags.any()
    assert month_of.tolist() == [0] and row.tolist() == [0]
    # an earlier month whose last discharge is the window's first day (30 − 15) is read, one
    # wholly before it is not: patient 5 out on day 15 and day 14, back on day 30
    late, early = stays([5, 6], [0, 0], [10, 1], [15, 3]), stays([5], [0], [9], [14])
    flags, month_of, row = window(stays([5], [0], [30], [34]), early, late, none)
    assert not flags.any()
    assert month_of.tolist() == [1] and row.tolist() == [0]
