"""The audit per act: claims that carried it, screened, sampled, inspected, caught, and the
money recovered (audit.parquet, last year, mean over replications)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from drgsim.present import labels
from drgsim.present.figures.frame import (
    WAN_FEN,
    Tables,
    base_figure,
    colour,
    last_year,
    panels,
    styled,
    t,
    variants,
)

#: The audit's stages in the order a claim meets them, and the column counting each.
STAGES = (
    ("done", "claims"),
    ("screened", "screened"),
    ("sampled", "sampled"),
    ("inspected", "inspected"),
    ("caught", "confirmed"),
)
HONEST = "none"  # audit.parquet's act of claims that carry no act


def audit_by_act(tables: Tables) -> pd.DataFrame | None:
    """Per act and variant, the last year's claims at each stage and the money recovered (mean
    over replications of the sum over hospitals); acts no variant did are left out."""
    audit = tables.get("audit")
    if audit is None or not len(audit):
        return None
    sel = audit[(audit["year"] == last_year(tables)) & (audit["act"] != HONEST)]
    columns = [c for _, c in STAGES] + ["recovered_fen"]
    per_rep = sel.groupby(["act", "variant", "replication"], sort=False)[columns].sum()
    mean = per_rep.groupby(level=["act", "variant"], sort=False).mean()
    mean = mean[mean["claims"] > 0]
    return mean if len(mean) else None


@styled
def audit_figure(tables: Tables, lang: str) -> Figure | None:
    """One panel per act: how many claims carried it, and how many of them the audit screened,
    sampled, inspected and caught, per variant that did it, with the money recovered."""
    table = audit_by_act(tables)
    if table is None:
        return None
    order = variants(tables)
    acts = list(dict.fromkeys(table.index.get_level_values("act")))
    ncols = min(4, len(acts))
    nrows = math.ceil(len(acts) / ncols)
    per_panel = max(len(table.loc[a]) for a in acts)
    height = (0.24 * len(STAGES) * per_panel + 1.4) * nrows + 1.0
    fig = base_figure(tables, lang, "audit", (3.6 * ncols + 1.4, height))
    y = np.arange(len(STAGES))[::-1].astype(float)
    drawn: dict[str, Any] = {}
    for k, ax in enumerate(panels(fig, len(acts), ncols, sharey=True)):
        part = table.loc[acts[k]]
        names = [v for v in order if v in part.index]
        height_each = 0.8 / len(names)
        recovered = []
        for n, name in enumerate(names):
            row = part.loc[name]
            counts = np.array([row[c] for _, c in STAGES], dtype=float)
            offset = (len(names) - 1) / 2 * height_each - n * height_each
            drawn[name] = ax.barh(
                y + offset, counts, height=height_each, color=colour(order.index(name))
            )
            recovered.append(row["recovered_fen"] / WAN_FEN)
        money = " / ".join(f"{w:,.1f}" for w in recovered)
        ax.set_title(f"{labels.act(acts[k], lang)}\n{t('legend.recovered', lang, wan=money)}",
                     fontsize=9.5)  # fmt: skip
        if k % ncols == 0:
            ax.set_yticks(y, [t(f"stage.{s}", lang) for s, _ in STAGES])
        ax.set_xlim(left=0)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlabel(t("axis.claims", lang))
    names = [v for v in order if v in drawn]
    fig.legend([drawn[v] for v in names], [labels.variant(v, lang) for v in names],
               loc="outside lower right", ncols=min(len(names), 5), fontsize=8)  # fmt: skip
    return fig
