"""The report's "groups that lose most" figure: each pilot hospital's DRGs with the largest losses.

Read from drg_margin.parquet (profit and loss by DRG, 病组盈亏) at the baseline in the run's last
year: each listed hospital on its own, the generated hospitals of a tier together; per DRG the
margin summed over the group's hospitals, its mean over replications and a 95% interval.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from drgsim.present import fonts, labels, plots
from drgsim.present.comparison import t975
from drgsim.present.figures.axes import LeanFigure
from drgsim.present.figures.frame import panels
from drgsim.present.figures.glyphs import Canvas

SLUG = "drg_losses"
BASELINE = "baseline"
#: DRGs shown for each hospital group: those losing most.
TOP = 8
WAN_YUAN = 10_000.0


def group_losses(tables: dict[str, Any], lang: str, top: int = TOP) -> pd.DataFrame:
    """Per hospital group, its `top` DRGs with the most negative mean margin at the baseline in
    the last year: group, label, drg, mean cases, margin mean and 95% interval (yuan)."""
    columns = ["group", "label", "drg", "cases", "margin", "lo", "hi"]
    dm = tables.get("drg_margin")
    if dm is None or dm.empty:
        return pd.DataFrame(columns=columns)
    year = int(tables["region_year"]["year"].max())
    at_baseline = (dm["variant"] == BASELINE).to_numpy() & (dm["year"].to_numpy() == year)
    dm = dm[["hospital", "drg", "replication", "cases", "margin_yuan"]][at_baseline]
    dm = dm[dm["drg"] != "-"]  # the columns read and the rows of the year cut out first
    groups = _groups(tables["settlement"], lang)
    key_of = {h: key for h, (key, _) in groups.items()}
    codes, hospitals = pd.factorize(dm["hospital"])  # each hospital's group looked up once
    dm = dm.assign(group=np.array([key_of.get(h) for h in hospitals], dtype=object)[codes])
    per_rep = dm.groupby(["group", "drg", "replication"], sort=False)[
        ["cases", "margin_yuan"]
    ].sum()
    reps = sorted(tables["region_year"]["replication"].unique())
    wide = per_rep["margin_yuan"].unstack("replication").reindex(columns=reps).fillna(0.0)
    cases = per_rep["cases"].unstack("replication").reindex(columns=reps).fillna(0.0)
    n = len(reps)
    mean = wide.mean(axis=1)
    half = t975(n - 1) * wide.std(axis=1, ddof=1) / math.sqrt(n) if n > 1 else mean * np.nan
    out = pd.DataFrame(
        {"cases": cases.mean(axis=1), "margin": mean, "lo": mean - half, "hi": mean + half}
    ).reset_index()
    out = out[out["margin"] < 0].sort_values(["group", "margin"], kind="stable")
    out = out.groupby("group", sort=False).head(top)
    order = {key: i for i, key in enumerate(dict.fromkeys(k for k, _ in groups.values()))}
    labels_of = {k: label for k, label in groups.values()}
    out = out.assign(label=out["group"].map(labels_of), order=out["group"].map(order))
    return out.sort_values(["order", "margin"], kind="stable")[columns].reset_index(drop=True)


def drg_losses_figure(tables: dict[str, Any], lang: str) -> Figure | None:
    """One panel per hospital group: its DRGs that lose most, margin in 万元 with 95% intervals."""
    labels.check_lang(lang)
    lang = fonts.figure_lang(lang)  # English labels when the system has no Chinese font
    losses = group_losses(tables, lang)
    if losses.empty:
        return None
    with matplotlib.rc_context(fonts.rc()):
        keys = list(dict.fromkeys(losses["group"]))
        ncols = min(3, len(keys))
        nrows = math.ceil(len(keys) / ncols)
        fig = _base_figure(tables, lang, (5.2 * ncols, 0.38 * TOP * nrows + 1.6 * nrows + 1.2))
        for ax, key in zip(panels(fig, len(keys), ncols), keys, strict=True):
            rows = losses[losses["group"] == key].iloc[::-1]
            y = np.arange(len(rows))
            margin = rows["margin"].to_numpy() / WAN_YUAN
            err = np.vstack([margin - rows["lo"] / WAN_YUAN, rows["hi"] / WAN_YUAN - margin])
            ax.barh(y, margin, color="#c44e52", height=0.6)
            if np.isfinite(err).all():
                ax.errorbar(margin, y, xerr=err, fmt="none", ecolor="#333333", lw=0.8, capsize=2)
            ax.set_yticks(
                y,
                [
                    labels.text("drg.bar", lang, drg=d, cases=c)
                    for d, c in zip(rows["drg"], rows["cases"], strict=True)
                ],
                fontsize=8,
            )
            ax.axvline(0, color="#222222", lw=0.8)
            ax.set_title(str(rows["label"].iloc[0]), fontsize=10)
            ax.set_xlabel(labels.text("axis.drg_margin", lang), fontsize=8)
    return fig


def write(tables: dict[str, Any], folder: Path, lang: str, *, svg: bool = False) -> list[Path]:
    """Draw the figure into `folder` as PNG, and with `svg` as SVG too (nothing when no DRG
    loses money)."""
    fig = drg_losses_figure(tables, lang)
    if fig is None:
        return []
    return plots.save(fig, Path(folder) / SLUG, svg=svg)


def _groups(st: pd.DataFrame, lang: str) -> dict[str, tuple[str, str]]:
    """Each hospital's group key and label: a listed hospital on its own, generated ones by tier."""
    each = st.drop_duplicates([c for c in ("region", "hospital") if c in st.columns])
    generated = each[[labels.is_generated(str(h)) for h in each["hospital"]]]
    per_tier = generated["tier"].value_counts()  # hospitals, in every region
    names = each.drop_duplicates("hospital").set_index("hospital")
    out = {}
    for h, row in names.iterrows():
        tier = int(row["tier"])
        if labels.is_generated(str(h)):
            out[str(h)] = (f"T{tier}", labels.other_tier(tier, int(per_tier[tier]), lang))
        else:
            out[str(h)] = (str(h), labels.hospital(str(h), str(row.get("name", "")), lang))
    return out


def _base_figure(tables: dict[str, Any], lang: str, size: tuple[float, float]) -> Figure:
    """An empty figure with the figure's title and the run's footer."""
    fig = LeanFigure(figsize=size, dpi=plots.DPI)
    Canvas(fig)
    fig.suptitle(plots.title(SLUG, tables, lang), fontsize=12)
    manifest = tables.get("manifest", {})
    footer = labels.text(
        "footer",
        lang,
        scenario=manifest.get("scenario", "?"),
        seed=manifest.get("seed", "?"),
        reps=int(tables["region_year"]["replication"].nunique()),
        version=manifest.get("drgsim_version", "?"),
    )
    fig.text(0.005, 0.005, footer, fontsize=7, color="#666666", ha="left", va="bottom")
    return fig
