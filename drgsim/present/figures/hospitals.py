"""Hospital groups at baseline: incentive coefficients with their indicators, and case classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from drgsim.present import labels
from drgsim.present.figures.frame import (
    BASELINE,
    Tables,
    base_figure,
    last_year,
    one_axes,
    styled,
    t,
)
from drgsim.present.figures.groups import (
    group_key,
    group_order,
    grouped,
    hospital_names,
    mean_over_reps,
)

INDICATORS = (
    ("coefficient", 1.0, 1.0),
    ("score", None, 1.0),
    ("cei", 1.0, 1.0),
    ("tei", 1.0, 1.0),
    ("violation_rate", None, 100.0),
    ("referral_out_high", None, 100.0),
)
CLASSES = ("normal", "low", "high", "special")
CLASS_COLOURS = ("#8da0cb", "#66c2a5", "#fc8d62", "#e78ac3")


@styled
def coefficient_figure(tables: Tables, lang: str) -> Figure:
    """The incentive coefficient of each hospital group beside the indicators that set it."""
    year = last_year(tables)
    g = grouped(tables["settlement"], lang)
    base = mean_over_reps(g[(g["variant"] == BASELINE) & (g["year"] == year)])
    shown = [ind for ind in INDICATORS if _has_values(base[ind[0]])]
    ncols = len(shown) if len(shown) <= 4 else 3
    nrows = -(-len(shown) // ncols)
    fig = base_figure(tables, lang, "coefficients", (4.4 * ncols, (0.22 * len(base) + 1.8) * nrows))
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    y = np.arange(len(base))[::-1]
    for k, ax in enumerate(axes.flat):
        if k >= len(shown):
            ax.remove()  # no empty panel
            continue
        col, ref, scale = shown[k]
        ax.barh(y, base[col] * scale, color="#4c72b0" if col == "coefficient" else "#8da0cb")
        if ref is not None:
            ax.axvline(ref, color="black", lw=0.8, ls="--")
        ax.set_title(t(f"ind.{col}", lang), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        if k % ncols == 0:
            ax.set_yticks(y, base["label"])
    lo, hi = base["coefficient"].min(), base["coefficient"].max()
    axes[0, 0].set_xlim(min(0.8, lo - 0.05), max(1.2, hi + 0.05))
    left_out = [t(f"ind.{ind[0]}", lang) for ind in INDICATORS if ind not in shown]
    if left_out:  # say which indicators are zero everywhere rather than draw empty panels
        names = ("、" if lang == "zh" else ", ").join(left_out)
        note = t("note.all_zero", lang, names=names)
        fig.text(0.995, 0.005, note, fontsize=7.5, color="#444444", ha="right", va="bottom")
    return fig


@styled
def case_class_figure(tables: Tables, lang: str) -> Figure | None:
    """The share of normal, low, high and special-review cases in each hospital group."""
    counts = class_counts(tables)
    if counts is None:
        return None
    names = hospital_names(tables["settlement"])
    keys = [group_key(h, names[h][1]) for h in counts.index]
    by_group = counts.groupby(keys, sort=False).sum()
    order = group_order(tables["settlement"], lang)
    by_group = by_group.reindex([k for k in order if k in by_group.index])
    share = by_group.div(by_group.sum(axis=1).where(lambda s: s > 0), axis=0) * 100
    fig, ax = one_axes(tables, lang, "case_classes", (10, 0.5 * len(share) + 2.6))
    y = np.arange(len(share))[::-1]
    left = np.zeros(len(share))
    for name, colour in zip(CLASSES, CLASS_COLOURS, strict=True):
        ax.barh(y, share[name], left=left, color=colour, label=labels.case_class(name, lang))
        left += share[name].to_numpy()
    ax.set_yticks(y, [order[k] for k in share.index])
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("axis.share", lang))
    ax.legend(fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    return fig


def class_counts(tables: Tables) -> pd.DataFrame | None:
    """Baseline cases of each class per hospital in the last year: from the settlement table's
    `cases_<class>` columns (mean over replications), else from the case table."""
    year = last_year(tables)
    st = tables["settlement"]
    columns = [f"cases_{c}" for c in CLASSES]
    if all(c in st.columns for c in columns):
        sel = st[(st["variant"] == BASELINE) & (st["year"] == year)]
        counts = sel.groupby("hospital", sort=False)[columns].mean()
        return counts.set_axis(list(CLASSES), axis=1)
    cases = tables.get("cases")
    if cases is None:
        return None
    sel = cases[(cases["variant"] == BASELINE) & (cases["year"] == year)]
    counts = sel.groupby(["hospital", "case_class"], sort=False).size().unstack(fill_value=0)
    reps = max(int(sel["replication"].nunique()), 1)
    return counts.reindex(columns=list(CLASSES), fill_value=0) / reps


def _has_values(values: pd.Series) -> bool:
    """Whether an indicator has a finite value other than zero for some hospital group."""
    v = values.to_numpy(float)
    return bool(np.any(np.isfinite(v) & (v != 0)))
