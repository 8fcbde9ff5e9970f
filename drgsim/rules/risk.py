"""The targeted inspection's rule (spec §5): a risk score from what the regulator sees, and its choices.

Each quarter every hospital with claims gets four indicators from its quarter's claims as billed:
its CMI's rise against last year (CMI of the quarter / CMI of last year − 1), its readmission rate
(claims cut by the readmission rule per claim), its share of low-cost cases and its screening hits
per claim. None needs to know which claims carry an act. The score is the mean, over the
indicators that have a value for some hospital, of each hospital's z-score on that indicator:
its distance from the mean over the hospitals with claims, in standard deviations (population
sd; 0 for a hospital without a value, or where all values are equal). A z-score, unlike a rank,
keeps how far a hospital stands out, so one strong signal (screening hits four times the city's)
is not drowned by three ordinary ones. The `count` hospitals with the highest scores are
inspected (ties to the lower index), and of each a share `rate` of its quarter's claims, those
with the lowest TARGETED draws of their case ids.
"""

from __future__ import annotations

import numpy as np

from drgsim.kernels.rng import Draw, uniform_np

#: The risk indicators, in the order the score takes them.
RISK_INDICATORS = ("cmi_rise", "readmission_rate", "low_cost_share", "screening_hits")


def risk_indicators(
    claims: np.ndarray,
    rw: np.ndarray,
    grouped: np.ndarray,
    readmitted: np.ndarray,
    low_cost: np.ndarray,
    screened: np.ndarray,
    last_cmi: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Each hospital's risk indicators from its quarter's counts (NaN where it has no value).

    `rw` sums the billed DRGs' relative weights over the `grouped` claims; `last_cmi` is each
    hospital's CMI of last year (None in a first year).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        per_claim = {
            "readmission_rate": readmitted / claims,
            "low_cost_share": low_cost / claims,
            "screening_hits": screened / claims,
        }
        cmi = np.where(grouped > 0, rw / grouped, np.nan)
        if last_cmi is None:
            rise = np.full(claims.shape[0], np.nan)
        else:
            rise = np.where(last_cmi > 0, cmi / last_cmi - 1.0, np.nan)
    out = {"cmi_rise": rise, **per_claim}
    return {k: np.where(claims > 0, out[k], np.nan) for k in RISK_INDICATORS}


def z_scores(values: np.ndarray) -> np.ndarray:
    """Each value's distance from the hospitals' mean in standard deviations (0 where none: NaN)."""
    have = ~np.isnan(values)
    out = np.zeros(values.shape[0])
    if have.sum() < 2:
        return out
    v = values[have]
    sd = float(v.std())
    if sd > 0:
        out[have] = (v - v.mean()) / sd
    return out


def risk_score(indicators: dict[str, np.ndarray]) -> np.ndarray:
    """The mean z-score of each hospital over the indicators some hospital has a value of."""
    used = [v for v in indicators.values() if not np.all(np.isnan(v))]
    n = next(iter(indicators.values())).shape[0]
    if not used:
        return np.zeros(n)
    return np.mean([z_scores(v) for v in used], axis=0)


def targets(score: np.ndarray, eligible: np.ndarray, count: int) -> np.ndarray:
    """The `count` eligible hospitals with the highest scores (ties to the lower index)."""
    candidates = np.flatnonzero(eligible)
    order = candidates[np.argsort(-score[candidates], kind="stable")]
    return np.sort(order[:count])


def take(
    hospital: np.ndarray, case_id: np.ndarray, chosen: np.ndarray, rate: float, key: int
) -> np.ndarray:
    """The claims a quarter's inspection reviews: of each chosen hospital, round(rate × n_h) claims.

    They are the claims with the lowest TARGETED draws of their case ids, so the choice depends
    on which claims there are, not on their order.
    """
    out = np.zeros(hospital.shape[0], dtype=bool)
    for h in chosen.tolist():
        rows = np.flatnonzero(hospital == h)
        k = min(int(np.floor(rate * rows.size + 0.5)), rows.size)
        if k:
            out[rows[_lowest(uniform_np(key, Draw.TARGETED, case_id[rows]), k)]] = True
    return out


def _lowest(u: np.ndarray, k: int) -> np.ndarray:
    """The positions of the k lowest values of u (1 ≤ k ≤ u.size), equal values by position:
    those of `np.argsort(u, kind="stable")[:k]`, found without sorting."""
    if k == u.size:
        return np.arange(u.size)
    kth = np.partition(u, k - 1)[k - 1]
    below = np.flatnonzero(u < kth)
    return np.concatenate([below, np.flatnonzero(u == kth)[: k - below.size]])
