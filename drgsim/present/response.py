"""Response figures of a sweep: the point value and every hospital group's payment and margin
against each swept key, with 95% intervals over replications, in Chinese or English."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from drgsim.present import fonts, labels
from drgsim.present.response_table import METRICS, entities, entity_label

_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def plot(
    summary: pd.DataFrame, grid: Mapping[str, list[Any]], folder: Path, lang: str
) -> list[Path]:
    """For each swept key, one figure per metric (point value, payment, margin) with a panel per
    fund or hospital group, as PNG into `folder`; returns the paths written.

    With two swept keys each panel has a line per value of the other key; with more, the others
    are held at their middle value. Bands are 95% intervals of the mean over replications.
    """
    labels.check_lang(lang)
    lang = fonts.figure_lang(lang)  # English labels when the system has no Chinese font
    folder.mkdir(parents=True, exist_ok=True)
    if summary.empty:
        return []
    year = int(summary["year"].max())
    last = summary[summary["year"] == year]
    about = entities(summary)
    reps = int(last["replications"].max())
    written: list[Path] = []
    with matplotlib.rc_context(fonts.rc()):
        for key, values in grid.items():
            others = [k for k in grid if k != key]
            lines_by = others[0] if len(others) == 1 else None
            held = {k: grid[k][len(grid[k]) // 2] for k in others if k != lines_by}
            part = last
            for k, v in held.items():
                part = part[part[k].astype(str) == str(v)]
            for metric, scale in METRICS.items():
                rows = part[part["metric"] == metric]
                if rows.empty:
                    continue
                fig = _figure(rows, key, list(values), lines_by, scale, about, lang)
                title = labels.text(
                    "sweep.title",
                    lang,
                    metric=labels.text(f"sweep.metric.{metric}", lang),
                    swept=key,
                    year=year,
                    reps=reps,
                )
                if held:
                    note = ", ".join(f"{k}={v}" for k, v in held.items())
                    title += "\n" + labels.text("sweep.held", lang, held=note)
                fig.suptitle(title, fontsize=10)
                written += _save(fig, folder, f"{key}.{metric}")
    return written


def _figure(
    rows: pd.DataFrame,
    key: str,
    values: list[Any],
    lines_by: str | None,
    scale: float,
    about: Mapping[str, Mapping[str, Any]],
    lang: str,
) -> Figure:
    """One panel per entity: the metric against `key`, a line per value of `lines_by`."""
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    names = list(dict.fromkeys(rows["entity"]))
    ncols = min(4, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = Figure(figsize=(3.4 * ncols, 2.7 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    for ax, entity in zip(axes, names, strict=False):
        mine = rows[rows["entity"] == entity]
        groups = mine.groupby(lines_by, sort=False) if lines_by else [(None, mine)]
        for i, (level, line) in enumerate(groups):
            line = line.sort_values(key) if numeric else line
            x = list(line[key]) if numeric else [_index(values, v) for v in line[key]]
            colour = _COLOURS[i % len(_COLOURS)]
            label = f"{lines_by}={level}" if lines_by else None
            ax.plot(x, line["mean"] / scale, marker="o", ms=3, color=colour, label=label)
            ax.fill_between(x, line["lo"] / scale, line["hi"] / scale, color=colour, alpha=0.2)
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.set_title(entity_label(entity, about.get(entity, {}), lang), fontsize=9)
        ax.set_xlabel(key, fontsize=8)
        ax.tick_params(labelsize=7)
    if lines_by:
        axes[0].legend(fontsize=7)
    return fig


def _save(fig: Figure, folder: Path, name: str) -> list[Path]:
    """Write `name.png` without a date, so the bytes are repeatable (a swept key's dots stay in
    the name: Path.with_suffix would cut them)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    png = folder / f"{name}.png"
    fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    return [png]


def _index(values: list[Any], value: Any) -> int:
    """The position of a (possibly stringified) grid value among the key's values."""
    text = [str(v) for v in values]
    return text.index(str(value))
