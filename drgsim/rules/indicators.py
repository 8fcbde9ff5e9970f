"""Hospital indicators a regulator can see, the incentive score and coefficient 鼓励系数 (spec §6)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from drgsim.scenario.schema import Incentive


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
