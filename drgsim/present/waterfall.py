"""The report's waterfall: one hospital's change in payment and margin, part by part.

The parts come from `drgsim explain --hospital` (docs/explain.md), which `drgsim run` and
`drgsim report` write to `explain.json` for the hospital whose payment moved most; they add
up to the change to the fen, and the figure draws each as a step from the baseline's 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from drgsim.present import fonts, labels, plots
from drgsim.present.figures.axes import LeanFigure
from drgsim.present.figures.glyphs import Canvas

#: The file in a run's directory that holds the decomposition the waterfall draws.
FILE = "explain.json"
FEN_PER_WAN = 1_000_000  # 万元
_UP, _DOWN, _TOTAL = "#1b9e77", "#d95f02", "#555555"


def make_figure(
    tables: dict[str, Any], out_dir: Path, lang: str, folder: str, *, svg: bool = False
) -> list[Path]:
    """Draw `waterfall.png` (and with `svg` `.svg`) into `out_dir/folder/` from explain.json, if
    it holds parts."""
    path = Path(out_dir) / FILE
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    if "parts" not in data:
        return []
    with matplotlib.rc_context(fonts.rc()):
        fig = waterfall_figure(data, tables, fonts.figure_lang(lang))
    return plots.save(fig, Path(out_dir) / folder / "waterfall", svg=svg)


def steps(parts: list[dict[str, Any]], key: str) -> list[tuple[float, float]]:
    """Each part's bar as (bottom, height) in 万元, from 0; the last bar is the total."""
    out, level = [], 0
    for part in parts:
        out.append((level / FEN_PER_WAN, part[key] / FEN_PER_WAN))
        level += part[key]
    out.append((0.0, level / FEN_PER_WAN))
    return out


def waterfall_figure(data: dict[str, Any], tables: dict[str, Any], lang: str) -> Figure:
    """Payment (left) and margin (right) changes as waterfalls over the decomposition's parts."""
    fig = LeanFigure(figsize=(11, 4.8), dpi=plots.DPI)
    Canvas(fig)
    st = tables["settlement"]
    named = st.loc[st["hospital"] == data["hospital"], "name"]
    who = labels.hospital(data["hospital"], str(named.iloc[0]) if len(named) else "", lang)
    subject = labels.text(
        "explain.subject", lang, who=who, variant=labels.variant(data["variant"], lang)
    )
    fig.suptitle(f"{plots.title('waterfall', tables, lang)}\n{subject}", fontsize=11)
    names = [labels.text(f"explain.{p['part']}", lang) for p in data["parts"]]
    names.append(labels.text("explain.total", lang))
    for ax, key, total in zip(
        fig.subplots(1, 2, sharey=False),
        ("payment_fen", "margin_fen"),
        ("explain.payment", "explain.margin"),
        strict=True,
    ):
        bars = steps(data["parts"], key)
        colours = [_UP if h >= 0 else _DOWN for _, h in bars[:-1]] + [_TOTAL]
        x = range(len(bars))
        ax.bar(x, [h for _, h in bars], bottom=[b for b, _ in bars], color=colours, width=0.7)
        for i, (bottom, height) in enumerate(bars):
            if height:
                top = bottom + max(height, 0.0)
                ax.annotate(
                    f"{height:+,.1f}",
                    (i, top),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
        ax.axhline(0, color="#333333", linewidth=0.8)
        ends = [v for b, h in bars for v in (b, b + h)]
        low, high = min(ends), max(ends)
        pad = 0.12 * (high - low or 1.0)
        ax.set_ylim(low - pad, high + pad)  # bars' sticky edges would stop the margins
        ax.set_xticks(list(x), names, rotation=40, ha="right", fontsize=8)
        ax.set_ylabel(labels.text("axis.change", lang))
        ax.set_title(labels.text(total, lang), fontsize=10)
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    return fig
