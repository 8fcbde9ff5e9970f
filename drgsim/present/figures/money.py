"""Money by hospital group: the payment against cost, and who gains and who pays by variant."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from drgsim.present import labels
from drgsim.present.figures.frame import (
    BASELINE,
    THOUSANDS,
    WAN_FEN,
    WAN_YUAN,
    Tables,
    base_figure,
    last_year,
    note,
    one_axes,
    styled,
    t,
    variants,
)
from drgsim.present.figures.groups import grouped, hospital_cost, mean_over_reps, who_pays

MONEY_COLOURS = {"prepaid": "#4c72b0", "incentive": "#55a868", "deduction": "#c44e52"}
CHANGE_COLOURS = {"payment": "#4c72b0", "margin_": "#dd8452"}


@styled
def payment_figure(tables: Tables, lang: str) -> Figure:
    """Final payment of each hospital group stacked into its parts, against the fund's cost."""
    year = last_year(tables)
    g = grouped(tables["settlement"], lang)
    base = mean_over_reps(g[(g["variant"] == BASELINE) & (g["year"] == year)])
    fig, ax = one_axes(tables, lang, "payment", (10, 0.6 * len(base) + 3.2))
    y = np.arange(len(base))[::-1]
    prepaid = base["prepaid_fen"] / WAN_FEN
    incentive = base["incentive_fen"] / WAN_FEN
    deduction = base["deduction_fen"] / WAN_FEN
    ax.barh(y, prepaid, color=MONEY_COLOURS["prepaid"], label=t("legend.prepaid", lang))
    ax.barh(
        y,
        incentive,
        left=prepaid,
        color=MONEY_COLOURS["incentive"],
        label=t("legend.incentive", lang),
    )
    ax.barh(y, -deduction, color=MONEY_COLOURS["deduction"], label=t("legend.deduction", lang))
    fund_cost = (hospital_cost(base) - base["oop_yuan"]) / WAN_YUAN  # payment − this = margin
    ax.plot(
        fund_cost,
        y,
        ls="none",
        marker="D",
        color="black",
        ms=6,
        label=t("legend.fund_cost", lang),
    )
    top = float(np.nanmax(np.r_[prepaid + incentive, fund_cost]))
    for yi, margin in zip(y, base["margin_yuan"] / WAN_YUAN, strict=True):
        ax.text(top * 1.02, yi, t("legend.margin", lang, margin=margin), va="center", fontsize=8)
    ax.set_xlim(min(0.0, -float(deduction.max()) * 1.1), top * 1.25)
    ax.set_yticks(y, base["label"])
    ax.set_xlabel(t("axis.amount", lang))
    ax.axvline(0, color="black", lw=0.6)
    ax.grid(axis="x", alpha=0.3)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.legend(fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    return fig


@styled
def who_pays_figure(tables: Tables, lang: str) -> Figure | None:
    """Per variant, each hospital group's change in final payment and, beside it, in margin,
    each with its 95% interval and its value written at the bar's end."""
    names = variants(tables)[1:]
    if not names:
        return None
    change = who_pays(tables, lang)
    ncols = min(4, len(names))
    nrows = math.ceil(len(names) / ncols)
    per_panel = len(change) / len(names)
    size = (max(10.0, 3.6 * ncols + 2.2), 0.6 * per_panel * nrows + 2.4 * nrows)
    fig = base_figure(tables, lang, "who_pays", size)
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    first = change[change["variant"] == names[0]]
    y = np.arange(len(first))[::-1].astype(float)
    for k, ax in enumerate(axes.flat):
        if k >= len(names):
            ax.remove()
            continue
        part = change[change["variant"] == names[k]]
        for prefix, offset, key in (
            ("", 0.2, "legend.payment_change"),
            ("margin_", -0.2, "legend.margin_change"),
        ):
            mean = part[f"{prefix}mean"].to_numpy(float)
            err = np.vstack([mean - part[f"{prefix}lo"], part[f"{prefix}hi"] - mean])
            ax.barh(
                y + offset,
                mean,
                height=0.4,
                xerr=np.nan_to_num(err, nan=0.0),
                color=CHANGE_COLOURS[prefix or "payment"],
                ecolor="#333333",
                capsize=2,
                label=t(key, lang),
            )
            ends = np.where(mean >= 0, part[f"{prefix}hi"], part[f"{prefix}lo"])
            ends = np.where(np.isfinite(ends), ends, mean)  # past the interval, where there is one
            for yi, m, end in zip(y + offset, mean, ends, strict=True):
                if np.isfinite(m):
                    note(
                        ax,
                        end,
                        yi,
                        f"{m:+,.0f}",
                        dx=3 if m >= 0 else -3,
                        ha="left" if m >= 0 else "right",
                        va="center",
                        fontsize=6.5,
                    )
        ax.axvline(0, color="black", lw=0.6)
        ax.margins(x=0.25)
        ax.set_title(labels.variant(names[k], lang), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        if k % ncols == 0:
            ax.set_yticks(y, first["label"])
        if k // ncols == nrows - 1 or k + ncols >= len(names):
            ax.set_xlabel(t("axis.change", lang))
    handles, texts = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside lower right", ncols=2, fontsize=8)
    return fig
