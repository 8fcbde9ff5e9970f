"""Insurance funds (spec §3): which fund a patient belongs to, its patients' share, its budget."""

from __future__ import annotations

import math

import numpy as np

from drgsim.kernels.rng import CASES, Draw, stream_key, uniform_np
from drgsim.scenario.schema import Scenario

#: The spawn key of the stream that says which fund each patient of a city belongs to.
FUND_STREAM = (0xF0D,)
#: numpy adds fewer values than this in order, one after another (more: pairwise).
IN_ORDER = 8


def fund_names(scn: Scenario) -> tuple[str, ...]:
    """The scenario's funds in the order their index numbers them on each case."""
    return tuple(scn.funds)


def cumulative_shares(scn: Scenario) -> np.ndarray:
    """Each fund's upper edge on [0, 1): a patient's uniform draw below it and above the last."""
    shares = np.array([f.share for f in scn.funds.values()], dtype=np.float64)
    cum = np.cumsum(shares / shares.sum())
    cum[-1] = 1.0
    return cum


def fund_key(scn: Scenario) -> np.uint64:
    """The key of the fund draws: fixed by the scenario's seed, so a patient's fund never changes."""
    return np.uint64(stream_key(np.random.SeedSequence(scn.seed, spawn_key=FUND_STREAM)))


def fund_of(key: int, patients: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """The fund of each patient (int8): a uniform draw of the patient's number against `cum`."""
    patients = np.asarray(patients, dtype=np.int64)
    if cum.shape[0] == 1:
        return np.zeros(patients.shape[0], dtype=np.int8)
    # a replayed patient's number is a 64-bit pseudonym: its low CASE_BITS bits number the draw
    number = patients.view(np.uint64) & np.uint64(CASES - 1)
    u = uniform_np(int(key), int(Draw.FUND), number)
    return np.minimum(np.searchsorted(cum, u, side="right"), cum.shape[0] - 1).astype(np.int8)


def patient_shares(scn: Scenario, tier: np.ndarray, tier_default: np.ndarray) -> np.ndarray:
    """Mean patient-paid share of each fund (rows) at each hospital (columns).

    A fund's tier value, else its mean, else the hospital's tier default (generator.oop_share).
    """
    out = np.empty((len(scn.funds), tier.shape[0]), dtype=np.float64)
    for f, fund in enumerate(scn.funds.values()):
        row = np.asarray(tier_default, dtype=np.float64).copy()
        if fund.patient_share_mean is not None:
            row[:] = fund.patient_share_mean
        for t, share in fund.patient_share_tiers.items():
            row[tier == t] = share
        out[f] = row
    return out


def needs_expected_cost(scn: Scenario) -> bool:
    """Whether the funds' budgets depend on the expected fund cost (spec §3's neutral budget)."""
    open_funds = sum(f.budget is None for f in scn.funds.values())
    return open_funds > 1 or (open_funds == 1 and scn.budget.annual is None)


def fund_budgets(scn: Scenario, neutral: np.ndarray | None = None) -> tuple[float, ...]:
    """Year one's budget of each fund in yuan (spec §3).

    A fund's own `budget` first; the rest of `budget.annual` shared among the other funds in
    proportion to their budget-neutral amounts `neutral` (each fund's expected fund cost); with
    no `budget.annual`, those funds are budget-neutral.
    """
    given = [f.budget for f in scn.funds.values()]
    open_funds = [i for i, b in enumerate(given) if b is None]
    annual = scn.budget.annual
    out = [float(b) if b is not None else 0.0 for b in given]
    if not open_funds:
        return tuple(out)
    rest = None if annual is None else annual - sum(b for b in given if b is not None)
    if rest is not None and len(open_funds) == 1:
        out[open_funds[0]] = max(rest, 0.0)
        return tuple(out)
    if neutral is None:
        raise ValueError("funds without a budget need their expected fund cost")
    expected = np.asarray(neutral, dtype=np.float64)
    open_total = float(expected[open_funds].sum())
    for i in open_funds:
        if rest is None:
            out[i] = float(expected[i])
        elif open_total > 0:
            out[i] = max(rest, 0.0) * float(expected[i]) / open_total
        else:
            out[i] = max(rest, 0.0) / len(open_funds)
    return tuple(out)


def points_weighted_pv(values: list[float], points: list[float]) -> float:
    """Yuan per point over the funds, as a hospital sees it: the funds' finite point values
    weighted by their points (one fund's value as it is; NaN when none is finite), in float64."""
    pairs = [(float(v), float(p)) for v, p in zip(values, points, strict=True) if math.isfinite(v)]
    if len(pairs) == 1:
        return pairs[0][0]
    if not pairs:
        return float("nan")
    if len(pairs) >= IN_ORDER:  # numpy adds longer rows pairwise
        return float(np.average([v for v, _ in pairs], weights=[p for _, p in pairs]))
    # np.average's sums, added in order from 0.0 as numpy adds a short row (without its layers)
    products, weights = 0.0, 0.0
    for v, p in pairs:
        products += v * p
        weights += p
    if weights == 0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return products / weights
