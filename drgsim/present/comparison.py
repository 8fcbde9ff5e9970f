"""Variants against the baseline: paired differences over replications with 95% intervals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

METRICS = ("final_fen", "margin_yuan", "points")
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        return math.nan
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def compare(settlement: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """Per variant × hospital × year: mean change against the baseline and its 95% interval.

    Differences are paired by replication (the variants share random numbers), so the
    interval is mean ± t(0.975, n−1) × sd / √n of the per-replication differences. A
    variant's groups (each of the same number of replications) are worked out at once, each
    group's differences a row that numpy sums as it sums them alone: the same figures.
    """
    where = ["region"] if "region" in settlement.columns else []
    keys = [*where, "replication", "hospital", "year"]
    groups = [*where, "hospital", "year"]
    names = ["variant", *groups, "replications"] + [
        f"{m}_change_{s}" for m in METRICS for s in ("mean", "lo", "hi")
    ]
    base = settlement[settlement["variant"] == baseline].set_index(keys)[list(METRICS)]
    parts: list[dict[str, Any]] = []
    for variant, part in settlement[settlement["variant"] != baseline].groupby(
        "variant", sort=False
    ):
        diff = part.set_index(keys)[list(METRICS)] - base
        diff = diff.dropna().reset_index()
        if not diff.empty:
            parts.append(_changes(variant, diff, groups))
    if not parts:
        return pd.DataFrame([], columns=names)
    return pd.DataFrame({k: np.concatenate([p[k] for p in parts]) for k in names})


def _changes(variant: Any, diff: pd.DataFrame, groups: list[str]) -> dict[str, np.ndarray]:
    """One variant's rows of `compare` from its paired differences `diff`, by `groups` in the
    order they first appear."""
    number = diff.groupby(groups, sort=False).ngroup().to_numpy()
    order = np.argsort(number, kind="stable")  # each group's rows together, in their order
    sizes = np.bincount(number)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out: dict[str, Any] = {"variant": np.full(sizes.size, variant, dtype=object)}
    out |= {g: diff[g].to_numpy()[order[starts]] for g in groups}
    out["replications"] = sizes.astype(np.int64)
    for m in METRICS:
        values = diff[m].to_numpy(dtype=np.float64)[order]
        mean, half = np.empty(sizes.size), np.full(sizes.size, math.nan)
        for n in np.unique(sizes):  # groups of as many replications: one array, a row each
            at = np.flatnonzero(sizes == n)
            rows = values[(starts[at][:, None] + np.arange(n)).reshape(-1)].reshape(-1, n)
            mean[at] = rows.mean(axis=1)
            if n > 1:
                half[at] = t975(int(n) - 1) * rows.std(axis=1, ddof=1) / math.sqrt(n)
        out[f"{m}_change_mean"] = mean
        out[f"{m}_change_lo"] = mean - half
        out[f"{m}_change_hi"] = mean + half
    return out
