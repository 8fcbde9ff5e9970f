"""Point value, case mix and act rates over the years of a multi-year run."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drgsim.present import labels
from drgsim.present.figures.frame import Tables, base_figure, colour, styled, t, variants

ACT_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


@styled
def years_figure(tables: Tables, lang: str) -> Figure | None:
    """Point value, CMI and act rates per year and variant, for runs of two or more years."""
    ry, st = tables["region_year"], tables["settlement"]
    if ry["year"].nunique() < 2:
        return None
    fig = base_figure(tables, lang, "years", (14, 4.8))
    ax_pv, ax_cmi, ax_rate = fig.subplots(1, 3)
    w = st["cases"].astype(float)
    rate_cols = [c for c in st.columns if c.startswith("rate_") and float(st[c].abs().max()) > 0]
    weighted = st.assign(cmi_x=st["cmi"] * w, **{f"{c}_x": st[c] * w for c in rate_cols})
    per_rep = weighted.groupby(["variant", "replication", "year"], sort=False)[
        ["cases", "cmi_x", *[f"{c}_x" for c in rate_cols]]
    ].sum()
    styles = ("-", "--", ":", "-.")
    for i, name in enumerate(variants(tables)):
        shade = colour(i)
        label = labels.variant(name, lang)
        pv = ry[ry["variant"] == name].pivot_table(
            index="year", columns="replication", values="point_value", aggfunc="mean"
        )
        band(ax_pv, pv, shade, label)
        part = per_rep.loc[name]
        cmi = (part["cmi_x"] / part["cases"]).unstack("replication")
        band(ax_cmi, cmi, shade, label)
        for j, col in enumerate(rate_cols):
            rate = (part[f"{col}_x"] / part["cases"]).unstack("replication").mean(axis=1) * 100
            ax_rate.plot(
                rate.index,
                rate.to_numpy(),
                color=ACT_COLOURS[j % len(ACT_COLOURS)],
                ls=styles[i % len(styles)],
                marker="o",
                ms=3,
                label=f"{labels.act(col.removeprefix('rate_'), lang)} · {label}",
            )
    years = sorted(ry["year"].unique())
    for ax, key in ((ax_pv, "axis.point_value"), (ax_cmi, "axis.cmi"), (ax_rate, "axis.rate")):
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_xlabel(t("axis.year", lang))
        ax.set_ylabel(t(key, lang))
        ax.grid(alpha=0.3)
    ax_pv.legend(fontsize=8)
    if rate_cols:
        ax_rate.legend(fontsize=7)
    return fig


def band(ax: Axes, wide: pd.DataFrame, colour: str, label: str) -> None:
    """A line at the mean over replications (columns) and a min–max band."""
    x = wide.index.to_numpy()
    ax.plot(x, wide.mean(axis=1).to_numpy(), color=colour, marker="o", ms=3, label=label)
    if wide.shape[1] > 1:
        ax.fill_between(x, wide.min(axis=1), wide.max(axis=1), color=colour, alpha=0.18, lw=0)
