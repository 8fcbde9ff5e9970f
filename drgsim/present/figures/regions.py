"""Many-region runs: how the point value and the hospitals' margin spread over the regions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drgsim.present import labels
from drgsim.present.figures.frame import (
    Tables,
    base_figure,
    colour,
    last_year,
    regions,
    styled,
    t,
    variants,
)


def per_region(tables: Tables) -> pd.DataFrame:
    """Per region and variant in the last year (mean over replications): the year-end point
    value against the reference (planned) one, points-weighted over funds, and the hospitals'
    margin as a share of their income (fund payment plus patient payments), in percent."""
    year = last_year(tables)
    ry = tables["region_year"]
    ry = ry[ry["year"] == year]
    keys = ["region", "variant", "replication"]
    w = ry["points"].clip(lower=0.0)
    pv = ry.assign(a=ry["point_value"] * w, b=ry["reference_point_value"] * w)
    pv = pv.groupby(keys, sort=False)[["a", "b"]].sum()
    st = tables["settlement"]
    st = st[st["year"] == year]
    income = st["final_fen"] / 100.0 + st["oop_yuan"]
    money = st.assign(income=income).groupby(keys, sort=False)[["margin_yuan", "income"]].sum()
    out = pd.DataFrame(
        {
            "pv_ratio": pv["a"] / pv["b"].where(pv["b"] > 0),
            "margin_pct": 100 * money["margin_yuan"] / money["income"].where(money["income"] > 0),
        }
    )
    return out.groupby(level=["region", "variant"], sort=False).mean()


@styled
def regions_figure(tables: Tables, lang: str) -> Figure | None:
    """Per variant, every region's point value against its plan and its hospitals' margin,
    one dot a region, with a box over the regions where there are five or more."""
    if len(regions(tables)) < 2:
        return None
    data = per_region(tables)
    names = variants(tables)
    fig = base_figure(tables, lang, "regions", (13, 0.55 * len(names) + 2.6))
    ax_pv, ax_margin = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(names))[::-1].astype(float)
    for ax, column, key, ref in (
        (ax_pv, "pv_ratio", "axis.pv_ratio", 1.0),
        (ax_margin, "margin_pct", "axis.margin_pct", 0.0),
    ):
        _strip(ax, data, column, names, y)
        ax.axvline(ref, color="black", lw=0.8, ls="--")
        ax.set_xlabel(t(key, lang, year=last_year(tables)))
        ax.grid(axis="x", alpha=0.3)
    ax_pv.set_yticks(y, [labels.variant(n, lang) for n in names])
    ax_pv.set_ylim(-0.6, len(names) - 0.4)
    return fig


def _strip(ax: Axes, data: pd.DataFrame, column: str, names: list[str], y: np.ndarray) -> None:
    """One dot per region on each variant's row (spread a little up and down), and a box."""
    rng = np.random.default_rng(0)  # the spread of the dots only: fixed, so the figure repeats
    for yi, (i, name) in zip(y, enumerate(names), strict=True):
        values = data.xs(name, level="variant")[column].dropna().to_numpy(float)
        if not len(values):
            continue
        if len(values) >= 5:
            ax.boxplot(values, positions=[yi], orientation="horizontal", widths=0.6,
                       showfliers=False, manage_ticks=False)  # fmt: skip
        jitter = rng.uniform(-0.18, 0.18, len(values))
        ax.scatter(values, yi + jitter, s=12, color=colour(i), alpha=0.7, lw=0)
