"""The short table a run prints: each hospital's payment, margin and coefficient, and the point value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from drgsim.runner import Result

WAN = 1_000_000  # fen in 1万元


def summary_text(result: Result) -> str:
    """A plain-text summary of the run's last year (baseline, mean over replications)."""
    st, ry = result.settlement, result.region_year
    year = int(ry["year"].max())
    base = st[(st["variant"] == "baseline") & (st["year"] == year)]
    reps = int(base["replication"].nunique())
    mean = base.groupby(["hospital", "name", "tier"], sort=False, as_index=False).agg(
        cases=("cases", "mean"),
        final=("final_fen", "mean"),
        margin=("margin_yuan", "mean"),
        coefficient=("coefficient", "mean"),
    )
    table = pd.DataFrame(
        {
            "hospital": mean["hospital"],
            "name": mean["name"],
            "tier": mean["tier"],
            "cases": mean["cases"].round().astype(int),
            "final 万元": (mean["final"] / WAN).round(1),
            "margin 万元": (mean["margin"] / 1e4).round(1),
            "coefficient": mean["coefficient"].round(3),
        }
    )
    ry_base = ry[(ry["variant"] == "baseline") & (ry["year"] == year)]
    pv = ry_base["point_value"]
    reps_note = f", mean of {reps} replications" if reps > 1 else ""
    lines = [
        f"{result.scenario.name}: year {year}, baseline{reps_note}",
        table.to_string(index=False),
        f"point value 点值 {pv.mean():.4f} yuan/point"
        + (f" (range {pv.min():.4f}–{pv.max():.4f})" if reps > 1 else "")
        + f"; budget {ry_base['budget_fen'].mean() / WAN / 1e4:.2f} 亿元; "
        + f"paid {ry_base['paid_fen'].mean() / WAN / 1e4:.2f} 亿元; "
        + f"retained {ry_base['retained_fen'].mean() / WAN:.1f} 万元",
    ]
    variants = [v for v in st["variant"].unique() if v != "baseline"]
    if variants:
        lines.append(_variant_lines(st, year, variants))
    return "\n".join(lines)


def _variant_lines(st: pd.DataFrame, year: int, variants: list[str]) -> str:
    """Mean change in final payment against the baseline per variant and hospital (万元)."""
    last = st[st["year"] == year]
    pivot = last.pivot_table(
        index=["hospital"], columns="variant", values="final_fen", aggfunc="mean", sort=False
    )
    change = pd.DataFrame(
        {v: ((pivot[v] - pivot["baseline"]) / WAN).round(1) for v in variants}, index=pivot.index
    )
    return "change in final payment against baseline (万元, mean):\n" + change.to_string()
