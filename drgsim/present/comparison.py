"""Variants against the baseline: paired differences over replications with 95% intervals."""

from __future__ import annotations

import math

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
    interval is mean ± t(0.975, n−1) × sd / √n of the per-replication differences.
    """
    where = ["region"] if "region" in settlement.columns else []
    keys = [*where, "replication", "hospital", "year"]
    base = settlement[settlement["variant"] == baseline].set_index(keys)[list(METRICS)]
    rows = []
    for variant, part in settlement[settlement["variant"] != baseline].groupby(
        "variant", sort=False
    ):
        diff = part.set_index(keys)[list(METRICS)] - base
        diff = diff.dropna().reset_index()
        for group, d in diff.groupby([*where, "hospital", "year"], sort=False):
            n = len(d)
            row: dict[str, object] = {"variant": variant, "replications": n}
            row.update(zip([*where, "hospital", "year"], group, strict=True))
            for m in METRICS:
                values = d[m].to_numpy(dtype=np.float64)
                mean = float(values.mean())
                half = (
                    (t975(n - 1) * float(values.std(ddof=1)) / math.sqrt(n)) if n > 1 else math.nan
                )
                row[f"{m}_change_mean"] = mean
                row[f"{m}_change_lo"] = mean - half
                row[f"{m}_change_hi"] = mean + half
            rows.append(row)
    columns = ["variant", *where, "hospital", "year", "replications"] + [
        f"{m}_change_{s}" for m in METRICS for s in ("mean", "lo", "hi")
    ]
    return pd.DataFrame(rows, columns=columns)
