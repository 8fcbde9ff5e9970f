"""The short table a run prints: each hospital's payment, margin and coefficient, and the point value."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from drgsim.present.comparison import t975

if TYPE_CHECKING:
    from drgsim.records.results import Result

WAN = 1_000_000  # fen in 1万元

#: Where every fen of a year's budget went (spec §6): region_year's parts, adding up to budget_fen.
BUDGET_PARTS = (
    "paid_fen",
    "reserve_kept_fen",
    "ceiling_surplus_fen",
    "unpaid_withholding_fen",
    "other_retained_fen",
)


def summary_text(result: Result) -> str:
    """A plain-text summary of the run's last year (baseline, mean over replications)."""
    st, ry = result.settlement, result.region_year
    year = int(ry["year"].max())
    base = st[(st["variant"] == "baseline") & (st["year"] == year)]
    reps = int(base["replication"].nunique())
    table = _hospital_rows(base, set(result.scenario.hospitals))
    ry_base = ry[(ry["variant"] == "baseline") & (ry["year"] == year)]
    money = totals(ry_base)
    reps_note = f", mean of {reps} replications" if reps > 1 else ""
    regions = int(ry["region"].nunique()) if "region" in ry.columns else 0
    where = f"{regions} regions together, " if regions else ""
    lines = [
        f"{result.scenario.name}: year {year}, {where}baseline{reps_note}",
        table.to_string(index=False, formatters={"coefficient": _three_places}),
        _point_value_text(ry_base, reps)
        + f"; budget {money['budget_fen'].mean() / WAN / 1e4:.2f} 亿元; "
        + f"paid {money['paid_fen'].mean() / WAN / 1e4:.2f} 亿元; "
        + f"retained {money['retained_fen'].mean() / WAN:.1f} 万元",
        _budget_line(ry_base),
    ]
    if regions:
        lines.append(_region_line(ry_base))
    variants = [v for v in st["variant"].unique() if v != "baseline"]
    if variants:
        lines.append(_variant_lines(st, year, variants, set(result.scenario.hospitals)))
    return "\n".join(lines)


def totals(ry: pd.DataFrame) -> pd.DataFrame:
    """region_year's money summed over the funds and the regions: one row per variant,
    replication and year (a many-region run's national totals)."""
    keys = [k for k in ("variant", "replication", "year") if k in ry.columns]
    money = [c for c in ry.columns if c.endswith("_fen") or c in ("cases", "points")]
    return ry.groupby(keys, sort=False)[money].sum().reset_index()


def per_region(ry: pd.DataFrame) -> pd.DataFrame:
    """region_year's money summed over the funds per region, then the mean over replications
    (one row per region, in the run's order)."""
    money = [c for c in ry.columns if c.endswith("_fen") or c in ("cases", "points")]
    summed = ry.groupby(["region", "replication"], sort=False)[money].sum()
    return summed.groupby(level="region", sort=False).mean()


def _point_value_text(ry: pd.DataFrame, reps: int) -> str:
    """The year's point value (each fund's, where there are several), mean and range over the
    replications; a many-region run's mean over regions × replications, with two ranges named:
    over regions × replications, and over the regions' means."""
    groups = ry.groupby("fund", sort=False) if "fund" in ry.columns else [("", ry)]
    regions = "region" in ry.columns
    parts = []
    for fund, rows in groups:
        pv = rows["point_value"]
        spread = f"{pv.min():.4f}–{pv.max():.4f}"
        if regions:
            means = rows.groupby("region", sort=False)["point_value"].mean()
            spread = (
                f"range over regions × replications {spread}, "
                f"over region means {means.min():.4f}–{means.max():.4f}"
            )
        parts.append(
            (f"{fund!s} " if fund else "")
            + f"{pv.mean():.4f}"
            + (f" ({'' if regions else 'range '}{spread})" if reps > 1 or regions else "")
        )
    where = " (mean over regions × replications)" if regions else ""
    return f"point value 点值{where} " + ", ".join(parts) + " yuan/point"


def _region_line(ry: pd.DataFrame) -> str:
    """How the budget spreads over the regions: the smallest, median and largest (万元)."""
    budget = per_region(ry)["budget_fen"] / WAN
    return (
        f"{len(budget)} regions: budget per region {budget.min():.1f} to {budget.max():.1f} 万元"
        f" (median {budget.median():.1f}); the budget above is their sum"
    )


def budget_parts(ry: pd.DataFrame) -> pd.DataFrame:
    """region_year with `other_retained_fen`, so its BUDGET_PARTS add up to budget_fen row by row.

    Other retained is what the fund keeps besides the ceiling surplus and the unpaid
    withholding: the budget of months without points, and deductions kept by the fund. With
    several funds (or regions) each row adds up to its budget (`totals` sums them).
    """
    other = ry["retained_fen"] - ry["ceiling_surplus_fen"] - ry["unpaid_withholding_fen"]
    return ry.assign(other_retained_fen=other)


def _budget_line(ry: pd.DataFrame) -> str:
    """Where every fen of the budget went: the parts add up to it (spec §6, region_year)."""
    parts = budget_parts(totals(ry))
    mean = {c: float(parts[c].mean()) / WAN for c in parts.columns if c.endswith("_fen")}
    return (
        f"budget {mean['budget_fen']:.1f} 万元 = paid {mean['paid_fen']:.1f}"
        f" + reserve kept {mean['reserve_kept_fen']:.1f}"
        f" + ceiling surplus {mean['ceiling_surplus_fen']:.1f}"
        f" + unpaid withholding {mean['unpaid_withholding_fen']:.1f}"
        f" + other retained {mean['other_retained_fen']:.1f}"
        f" (reserve released {mean['reserve_released_fen']:.1f},"
        f" floor top-up {mean['floor_topup_fen']:.1f})"
    )


#: What "who gains and who pays" sets side by side (spec §8): payment and margin, in 万元.
CHANGES = (("payment", "final_fen", WAN), ("margin", "margin_yuan", 1e4))


def _variant_lines(st: pd.DataFrame, year: int, variants: list[str], listed: set[str]) -> str:
    """Who gains and who pays: each variant's change in final payment and, beside it, in margin
    against the baseline (万元, mean ± 95% interval), one column per hospital group."""
    last = st[st["year"] == year].assign(
        group=lambda d: [
            h if h in listed else f"other tier {t}"
            for h, t in zip(d["hospital"], d["tier"], strict=True)
        ]
    )
    columns = [column for _, column, _ in CHANGES]
    totals = last.groupby(["variant", "replication", "group"], sort=False)[columns].sum()
    base = totals.loc["baseline"]
    groups = list(base.index.get_level_values("group").unique())
    rows: dict[tuple[str, str], list[str]] = {}
    for v in variants:
        diff = cast(pd.DataFrame, (totals.loc[v] - base).dropna())
        # each group's rows in diff's order
        by_group: dict[Any, pd.DataFrame] = dict(list(diff.groupby(level="group", sort=False)))
        for what, column, unit in CHANGES:
            cells = rows.setdefault((v, what), [])
            for g in groups:
                d = np.asarray(by_group[g][column], dtype=np.float64) / unit
                half = t975(len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else 0
                cells.append(f"{d.mean():+.1f} ±{half:.1f}" if len(d) > 1 else f"{d.mean():+.1f}")
    table = pd.DataFrame(
        list(rows.values()),
        index=pd.MultiIndex.from_tuples(list(rows), names=["variant", "change in"]),
        columns=pd.Index(groups, name=None),
    )
    return (
        "who gains and who pays: change against baseline in final payment and in margin "
        "(万元, mean ± 95% interval)\n" + table.to_string()
    )


def _hospital_rows(base: pd.DataFrame, listed: set[str]) -> pd.DataFrame:
    """Listed hospitals one per row, the generated ones summed by tier; means over replications."""
    per_rep = (
        base.assign(
            group=[
                h if h in listed else f"other tier {t}"
                for h, t in zip(base["hospital"], base["tier"], strict=True)
            ],
            label=[
                n if h in listed else ""
                for h, n in zip(base["hospital"], base["name"], strict=True)
            ],
            lam_x_cases=base["coefficient"] * base["cases"],
        )
        .groupby(["replication", "group"], sort=False)
        .agg(
            name=("label", "first"),
            hospitals=("hospital", "size"),
            tier=("tier", "first"),
            cases=("cases", "sum"),
            final=("final_fen", "sum"),
            margin=("margin_yuan", "sum"),
            lam_x_cases=("lam_x_cases", "sum"),
        )
    )
    mean = per_rep.groupby("group", sort=False).agg(
        name=("name", "first"),
        hospitals=("hospitals", "first"),
        tier=("tier", "first"),
        cases=("cases", "mean"),
        final=("final", "mean"),
        margin=("margin", "mean"),
        lam_x_cases=("lam_x_cases", "mean"),
    )
    names = [
        n if n else f"({k} hospitals)" for n, k in zip(mean["name"], mean["hospitals"], strict=True)
    ]
    return pd.DataFrame(
        {
            "hospital": mean.index,
            "name": names,
            "tier": mean["tier"].to_numpy(),
            "cases": mean["cases"].round().astype(int).to_numpy(),
            "final 万元": (mean["final"] / WAN).round(1).to_numpy(),
            "margin 万元": (mean["margin"] / 1e4).round(1).to_numpy(),
            "coefficient": (mean["lam_x_cases"] / mean["cases"].where(mean["cases"] > 0))
            .round(3)
            .to_numpy(),
        }
    )


def _three_places(value: float) -> str:
    """A coefficient to three places, trailing zeros kept (1.080, not 1.08); '—' where none."""
    return "—" if math.isnan(value) else f"{value:.3f}"
