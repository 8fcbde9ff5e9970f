"""Hospital indicators a regulator can see, the incentive score and coefficient 鼓励系数 (spec §6)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from drgsim.schema import Incentive


def efficiency_index(
    hospital: np.ndarray, drg: np.ndarray, value: np.ndarray, n_hosp: int, n_drg: int
) -> np.ndarray:
    """Σ_g n_hg (v̄_hg / v̄_g) / n_h over grouped cases: CEI for costs, TEI for stays; NaN if none."""
    ok = drg >= 0
    h = hospital[ok].astype(np.int64)
    g = drg[ok].astype(np.int64)
    v = value[ok].astype(np.float64)
    n_g = np.bincount(g, minlength=n_drg)
    mean_g = np.bincount(g, weights=v, minlength=n_drg) / np.maximum(n_g, 1)
    cell = h * n_drg + g
    n_hg = np.bincount(cell, minlength=n_hosp * n_drg)
    mean_hg = np.bincount(cell, weights=v, minlength=n_hosp * n_drg) / np.maximum(n_hg, 1)
    ratio = np.where(
        np.tile(mean_g, n_hosp) > 0, mean_hg / np.tile(np.maximum(mean_g, 1e-300), n_hosp), 1.0
    )
    weighted = np.bincount(
        np.repeat(np.arange(n_hosp), n_drg), weights=n_hg * ratio, minlength=n_hosp
    )
    n_h = np.bincount(h, minlength=n_hosp)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_h > 0, weighted / n_h, np.nan)


def score(values: Mapping[str, np.ndarray], incentive: Incentive) -> np.ndarray:
    """Score S_h in [0, 100]: weighted, clipped distance of each indicator from worst to best."""
    total: np.ndarray | float = 0.0
    for name, ind in incentive.indicators.items():
        x = np.nan_to_num(np.asarray(values[name], dtype=np.float64), nan=ind.best)
        part = np.clip((ind.worst - x) / (ind.worst - ind.best), 0.0, 1.0)
        total = total + ind.weight * 100.0 * part
    return np.asarray(total, dtype=np.float64)


def coefficient(scores: np.ndarray, incentive: Incentive) -> np.ndarray:
    """Incentive coefficient λ_h = min + (max − min) × S_h / 100."""
    return incentive.min + (incentive.max - incentive.min) * scores / 100.0
