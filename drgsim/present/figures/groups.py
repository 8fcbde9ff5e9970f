"""Hospitals taken in groups (each listed hospital, the generated ones by tier) and the change
of each group's payment and margin against the baseline."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from drgsim.present import labels
from drgsim.present.comparison import t975
from drgsim.present.figures.frame import BASELINE, WAN_FEN, WAN_YUAN, Tables, last_year, variants

SUM_COLS = (
    "cases",
    "points",
    "deducted_points",
    "prepaid_fen",
    "withheld_fen",
    "deduction_fen",
    "incentive_fen",
    "final_fen",
    "true_cost_yuan",
    "fixed_cost_yuan",
    "variable_cost_yuan",
    "oop_yuan",
    "margin_yuan",
)
MEAN_COLS = ("cmi", "cei", "tei", "violation_rate", "referral_out_high", "score", "coefficient")


def hospital_cost(st: pd.DataFrame) -> pd.Series:
    """Each row's cost to its hospital, fixed + variable (spec §8); tables of runs before costs
    existed: the charges of the cases treated."""
    if "fixed_cost_yuan" in st.columns:
        return st["fixed_cost_yuan"] + st["variable_cost_yuan"]
    return st["true_cost_yuan"]


#: Results worked out from the tables at hand, so that the figures, findings and report tables
#: that read them (figures in forked workers too) work each out once: key → (tables, result).
_MEMO: dict[tuple[Any, ...], tuple[tuple[Any, ...], pd.DataFrame]] = {}
_MEMO_SIZE = 8


def _memo(
    name: str, tables: tuple[Any, ...], lang: str, work: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """`work()`, or a copy of what it gave for the same table objects and language (held, so
    that their ids stay theirs)."""
    key = (name, lang, *map(id, tables))
    hit = _MEMO.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], tables, strict=True)):
        while len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        hit = _MEMO[key] = (tables, work())
    return hit[1].copy()


def grouped(st: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Settlement rows summed per listed hospital and per tier of generated hospitals.

    Money and counts are summed; indicators, coefficients and act rates are case-weighted means.
    """
    return _memo("grouped", (st,), lang, lambda: _grouped(st, lang))


def _grouped(st: pd.DataFrame, lang: str) -> pd.DataFrame:
    means = [c for c in (*MEAN_COLS, *[c for c in st.columns if c.startswith("rate_")]) if c in st]
    sums = [c for c in SUM_COLS if c in st]
    w = st["cases"].astype(float)
    df = st.assign(
        group=[group_key(h, t) for h, t in zip(st["hospital"], st["tier"], strict=True)],
        **{f"{c}_x": st[c] * w for c in means},
    )
    agg = df.groupby(["variant", "replication", "year", "group"], sort=False).agg(
        hospitals=("hospital", "size"),
        tier=("tier", "first"),
        **{c: (c, "sum") for c in sums},
        **{f"{c}_x": (f"{c}_x", "sum") for c in means},
    )
    for c in means:
        agg[c] = agg.pop(f"{c}_x") / agg["cases"].where(agg["cases"] > 0)
    agg = agg.reset_index()
    order = group_order(st, lang)
    agg["label"] = agg["group"].map(order)
    agg["order"] = agg["group"].map({k: i for i, k in enumerate(order)})
    return agg.sort_values(["variant", "replication", "year", "order"], kind="stable")


#: What "who gains and who pays" compares (spec §8): the final payment and the margin, each
#: with the divisor that turns it into 万元.
CHANGES = (("final_fen", WAN_FEN), ("margin_yuan", WAN_YUAN))
CHANGE_COLUMNS = ["mean", "lo", "hi", "margin_mean", "margin_lo", "margin_hi"]


def who_pays(tables: Tables, lang: str) -> pd.DataFrame:
    """Per variant and hospital group: mean change in final payment and in margin (万元), each
    with its 95% interval (mean ± t(0.975, n − 1) × sd / √n of the paired differences)."""
    read = (tables["settlement"], tables["region_year"], tables.get("manifest"))
    return _memo("who_pays", read, lang, lambda: _who_pays(tables, lang))


def _who_pays(tables: Tables, lang: str) -> pd.DataFrame:
    year = last_year(tables)
    g = grouped(tables["settlement"], lang)
    g = g[g["year"] == year]
    columns = [c for c, _ in CHANGES if c in g.columns]
    base = g[g["variant"] == BASELINE].set_index(["replication", "group"])[columns]
    order = group_order(tables["settlement"], lang)
    rows = []
    for name in variants(tables)[1:]:
        part = g[g["variant"] == name].set_index(["replication", "group"])[columns]
        diff = (part - base).dropna()
        # each group's paired differences in the order of diff's rows, as groupby gives them
        of_group = diff.index.get_level_values("group").to_numpy()
        values_of = {column: diff[column].to_numpy(float) for column in columns}
        for key, label in order.items():
            mine = of_group == key
            row: dict[str, Any] = {
                "variant": name,
                "group": key,
                "label": label,
                "replications": int(mine.sum()),
            }
            for (column, unit), prefix in zip(CHANGES, ("", "margin_"), strict=True):
                values = values_of[column][mine] / unit if column in values_of else np.zeros(0)
                mean, lo, hi = mean_interval(values)
                row |= {f"{prefix}mean": mean, f"{prefix}lo": lo, f"{prefix}hi": hi}
            rows.append(row)
    return pd.DataFrame(
        rows, columns=["variant", "group", "label", "replications", *CHANGE_COLUMNS]
    )


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% interval (Student's t) of paired differences; NaN where undefined."""
    n = len(values)
    mean = float(np.mean(values)) if n else math.nan
    half = t975(n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    return mean, mean - half, mean + half


def group_key(hospital: str, tier: object) -> str:
    """A listed hospital's own id, or `T<tier>` for a generated one."""
    return f"T{int(str(tier))}" if labels.is_generated(str(hospital)) else str(hospital)


def group_order(st: pd.DataFrame, lang: str) -> dict[str, str]:
    """Group keys in table order (listed hospitals, then tiers) mapped to their labels."""
    first = st[
        (st["variant"] == st["variant"].iloc[0]) & (st["replication"] == st["replication"].iloc[0])
    ]
    first = first[first["year"] == first["year"].iloc[0]]
    out: dict[str, str] = {}
    counts: dict[str, int] = {}
    for h, name, tier in zip(first["hospital"], first["name"], first["tier"], strict=True):
        key = group_key(h, tier)
        counts[key] = counts.get(key, 0) + 1
        if key not in out:
            out[key] = labels.hospital(str(h), str(name), lang)
    for key, count in counts.items():
        if key.startswith("T") and key[1:].isdigit():
            out[key] = labels.other_tier(int(key[1:]), count, lang)
    return out


def hospital_names(st: pd.DataFrame) -> dict[str, tuple[str, int]]:
    """Each hospital id's name and tier."""
    rows = st.drop_duplicates("hospital")
    return {
        str(h): (str(n), int(t))
        for h, n, t in zip(rows["hospital"], rows["name"], rows["tier"], strict=True)
    }


def mean_over_reps(g: pd.DataFrame) -> pd.DataFrame:
    """Grouped rows averaged over replications, in group order."""
    numeric = [
        c for c in g.columns if c not in ("variant", "replication", "year", "group", "label")
    ]
    out = g.groupby(["group", "label"], sort=False)[numeric].mean().reset_index()
    return out.sort_values("order", kind="stable").reset_index(drop=True)
