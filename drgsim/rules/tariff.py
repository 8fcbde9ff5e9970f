"""The year's tariff: group weights, base points, stability and hospital coefficients (spec §1–§2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from drgsim.errors import DrgsimError
from drgsim.rules.catalogue import Catalogue, drg_mask
from drgsim.scenario.schema import Scenario


class HospitalTable(Protocol):
    """What the tariff needs to know of the hospitals: how many, and each one's tier."""

    @property
    def n(self) -> int: ...

    @property
    def tier(self) -> np.ndarray: ...


@dataclass(frozen=True)
class Tariff:
    """What a case in each DRG is worth this year, and each hospital's coefficient."""

    ref_cost: np.ndarray  # ā_g, yuan
    mean_cost: float  # ā, yuan
    rw: np.ndarray  # RW_g = ā_g / ā
    base_pts: np.ndarray  # BP_g = base_points × RW_g
    stable: np.ndarray  # bool
    ref_cases: np.ndarray  # reference cases per group (-1: shipped values)
    coef: np.ndarray  # K[h, g]


@dataclass(frozen=True)
class Reference:
    """Reference cases for weights: hospital, billed DRG and total cost of earlier years' stays,
    each with the weight of its year (`weights.year_weights`; None: all equal)."""

    hospital: np.ndarray
    drg: np.ndarray
    cost: np.ndarray
    weight: np.ndarray | None = None


def pool_years(years: list[Reference], year_weights: tuple[float, ...] | None) -> Reference:
    """One year's reference cases per item, oldest first, pooled with their years' weights.

    The newest years take the last weights, so a history shorter than `reference_years` weighs
    its years as the most recent ones; unset weights leave every case weighing the same.
    """
    parts = {k: np.concatenate([getattr(r, k) for r in years]) for k in ("hospital", "drg", "cost")}
    if year_weights is None:
        return Reference(parts["hospital"], parts["drg"], parts["cost"])
    used = year_weights[len(year_weights) - len(years) :]
    weight = np.concatenate([np.full(r.cost.shape[0], w) for r, w in zip(years, used, strict=True)])
    return Reference(parts["hospital"], parts["drg"], parts["cost"], weight)


def expected_points(tariff: Tariff, drg_cases: np.ndarray) -> float:
    """Points the cases [hospital, DRG] earn at the tariff's base points × coefficients, as a
    bureau forecasts them (every case a normal case of its true DRG)."""
    return float((np.asarray(drg_cases, dtype=np.float64) * tariff.coef * tariff.base_pts).sum())


def first_tariff(cat: Catalogue, scn: Scenario, hospitals: HospitalTable) -> Tariff:
    """Year one's tariff from the catalogue's shipped reference costs."""
    mean_cost = cat.mean_cost()
    ref_cost = cat.ref_cost.astype(np.float64).copy()
    ref_cases = np.full(cat.n_drg, -1, dtype=np.int64)
    return _finish(cat, scn, hospitals, ref_cost, mean_cost, cat.stable.copy(), ref_cases, None)


def tariff_from_history(
    cat: Catalogue, scn: Scenario, hospitals: HospitalTable, ref: Reference, previous: Tariff
) -> Tariff:
    """A tariff recomputed from reference cases: trimmed group means, stability, blend coefficients.

    Group means ā_g and the overall mean ā weigh each trimmed case by its year's weight;
    `weights.rebase: fixed` keeps the previous tariff's ā (year one's) instead of the new ā.
    """
    ok = ref.drg >= 0
    drg = ref.drg[ok].astype(np.int64)
    cost = ref.cost[ok].astype(np.float64)
    hosp = ref.hospital[ok].astype(np.int64)
    keep = trim_mask(drg, cost, scn.weights.trim_quantiles, cat.n_drg)
    if not keep.any():
        return previous
    if ref.weight is None:
        n_g = np.bincount(drg[keep], minlength=cat.n_drg)
        sums = np.bincount(drg[keep], weights=cost[keep], minlength=cat.n_drg)
        mean_cost = float(cost[keep].mean())
    else:
        w = ref.weight[ok].astype(np.float64)[keep]
        n_g = np.bincount(drg[keep], weights=w, minlength=cat.n_drg)
        sums = np.bincount(drg[keep], weights=w * cost[keep], minlength=cat.n_drg)
        mean_cost = float(np.sum(w * cost[keep]) / np.sum(w))
    if scn.weights.rebase == "fixed":
        mean_cost = previous.mean_cost
    stable = np.bincount(drg, minlength=cat.n_drg) >= scn.weights.min_cases
    ref_cost = np.where(n_g > 0, sums / np.maximum(n_g, 1), previous.ref_cost)
    history = (hosp[keep], drg[keep], cost[keep])
    counts = np.bincount(drg, minlength=cat.n_drg)
    return _finish(cat, scn, hospitals, ref_cost, mean_cost, stable, counts, history)


def tariff_from_weights(
    cat: Catalogue,
    scn: Scenario,
    hospitals: HospitalTable,
    ref_cost: np.ndarray,
    mean_cost: float,
    stable: np.ndarray,
) -> Tariff:
    """A year's tariff from its published group means, ā and stability (not `blend` mode's K).

    In `uniform` and `tier` mode this is the tariff the year was priced with; `blend` needs
    the year's reference claims as well (`tariff_from_history`).
    """
    ref_cases = np.full(cat.n_drg, -1, dtype=np.int64)
    ref = np.asarray(ref_cost, dtype=np.float64).copy()
    return _finish(cat, scn, hospitals, ref, mean_cost, np.asarray(stable), ref_cases, None)


def trim_mask(
    drg: np.ndarray, cost: np.ndarray, quantiles: tuple[float, float], n_drg: int
) -> np.ndarray:
    """Cases inside their group's [low, high] cost quantiles (linear interpolation)."""
    order = np.lexsort((cost, drg))
    keep = np.zeros(drg.shape[0], dtype=bool)
    starts = np.searchsorted(drg[order], np.arange(n_drg + 1))
    lo_q, hi_q = quantiles
    for g in range(n_drg):
        a, b = starts[g], starts[g + 1]
        if b <= a:
            continue
        seg = cost[order[a:b]]
        lo, hi = np.quantile(seg, [lo_q, hi_q])
        keep[order[a:b]] = (seg >= lo) & (seg <= hi)
    return keep


def _finish(
    cat: Catalogue,
    scn: Scenario,
    hospitals: HospitalTable,
    ref_cost: np.ndarray,
    mean_cost: float,
    stable: np.ndarray,
    ref_cases: np.ndarray,
    history: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> Tariff:
    """Apply negotiated weights and the coefficient mode, and freeze the tariff."""
    rw = ref_cost / mean_cost
    index = {code: i for i, code in enumerate(cat.drg)}
    for code, value in scn.weights.overrides.items():
        if code not in index:
            raise DrgsimError(
                f"weights.overrides.{code}: got {code!r}; not a DRG of the catalogue ({cat.source})"
            )
        rw[index[code]] = value
        ref_cost[index[code]] = value * mean_cost
    coef = coefficients(cat, scn, hospitals, ref_cost, history)
    coef[:, drg_mask(cat, scn.coefficient.common_groups, "coefficient.common_groups")] = 1.0
    return Tariff(
        ref_cost, mean_cost, rw, scn.base_points * rw, stable.astype(bool), ref_cases, coef
    )


def coefficients(
    cat: Catalogue,
    scn: Scenario,
    hospitals: HospitalTable,
    ref_cost: np.ndarray,
    history: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> np.ndarray:
    """K[h, g] by `coefficient.mode`; blend without history falls back to the tier values."""
    mode = scn.coefficient.mode
    n_h, n_g = hospitals.n, cat.n_drg
    if mode == "uniform":
        return np.ones((n_h, n_g))
    tier_k = np.array([scn.coefficient.tiers.get(int(t), 1.0) for t in hospitals.tier])
    if mode == "tier" or history is None:
        return np.repeat(tier_k[:, None], n_g, axis=1)
    hosp, drg, cost = history
    own = cell_ratio(hosp, drg, cost, n_h, n_g, ref_cost)
    tiers = hospitals.tier.astype(np.int64)
    by_tier = cell_ratio(tiers[hosp], drg, cost, 4, n_g, ref_cost)
    below, above = scn.coefficient.missing_tier_factor, scn.coefficient.missing_top_tier_factor
    for t in (2, 1):  # a missing tier takes `below` × the tier above
        by_tier[t] = np.where(np.isnan(by_tier[t]), below * by_tier[t + 1], by_tier[t])
    for t in (2, 3):  # … and one with no tier above, `above` × the tier below
        by_tier[t] = np.where(np.isnan(by_tier[t]), above * by_tier[t - 1], by_tier[t])
    tier_part = np.nan_to_num(by_tier[tiers], nan=1.0)
    own = np.where(np.isnan(own), tier_part, own)
    return scn.coefficient.w_hospital * own + scn.coefficient.w_tier * tier_part


def cell_ratio(
    group: np.ndarray,
    drg: np.ndarray,
    cost: np.ndarray,
    n_rows: int,
    n_g: int,
    ref_cost: np.ndarray,
) -> np.ndarray:
    """Mean cost of each (row, DRG) cell over the group's reference cost; NaN where empty."""
    cell = group * n_g + drg
    n = np.bincount(cell, minlength=n_rows * n_g).reshape(n_rows, n_g)
    s = np.bincount(cell, weights=cost, minlength=n_rows * n_g).reshape(n_rows, n_g)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1) / ref_cost[None, :], np.nan)
