"""The figures of a run: which there are, and `make_figures`, which writes each as PNG (and SVG)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from drgsim.present import fonts, labels
from drgsim.present.figures import layout
from drgsim.present.figures import png as png_file
from drgsim.present.figures.audit import audit_by_act, audit_figure
from drgsim.present.figures.frame import (
    BASELINE,
    DPI,
    WAN_FEN,
    WAN_YUAN,
    Tables,
    last_year,
    title,
    variants,
)
from drgsim.present.figures.glyphs import Canvas
from drgsim.present.figures.groups import (
    CHANGE_COLUMNS,
    CHANGES,
    grouped,
    hospital_cost,
    mean_interval,
    who_pays,
)
from drgsim.present.figures.hospitals import (
    CLASSES,
    INDICATORS,
    case_class_figure,
    class_counts,
    coefficient_figure,
)
from drgsim.present.figures.money import payment_figure, who_pays_figure
from drgsim.present.figures.point_value import point_value_figure
from drgsim.present.figures.regions import regions_figure
from drgsim.present.figures.years import years_figure

__all__ = [
    "BASELINE",
    "CHANGES",
    "CHANGE_COLUMNS",
    "CLASSES",
    "DPI",
    "FIGURES",
    "INDICATORS",
    "WAN_FEN",
    "WAN_YUAN",
    "audit_figure",
    "caption",
    "case_class_figure",
    "class_counts",
    "coefficient_figure",
    "grouped",
    "hospital_cost",
    "last_year",
    "make_figures",
    "mean_interval",
    "payment_figure",
    "point_value_figure",
    "regions_figure",
    "save",
    "skipped",
    "title",
    "variants",
    "who_pays",
    "who_pays_figure",
    "years_figure",
]

#: Every figure of a run, by file name, in the order the report shows them; a builder returns
#: None where the tables cannot draw its figure (`skipped` says why).
FIGURES: tuple[tuple[str, Callable[[Tables, str], Figure | None]], ...] = (
    ("point_value", point_value_figure),
    ("payment", payment_figure),
    ("who_pays", who_pays_figure),
    ("audit", audit_figure),
    ("regions", regions_figure),
    ("coefficients", coefficient_figure),
    ("case_classes", case_class_figure),
    ("years", years_figure),
)


def make_figures(
    tables: Tables, out_dir: Path, lang: str, folder: str = "plots", *, svg: bool = False
) -> list[Path]:
    """Build every figure the tables allow and write each as PNG (and with `svg` as SVG too)
    into `out_dir/folder/`."""
    labels.check_lang(lang)
    lang = fonts.figure_lang(lang)  # English labels when the system has no Chinese font
    plots = Path(out_dir) / folder
    plots.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context(fonts.rc()):
        for slug, build in FIGURES:
            fig = build(tables, lang)
            if fig is None:
                continue
            written += save(fig, plots / slug, svg=svg)
    return written


def save(fig: Figure, stem: Path, *, svg: bool = False) -> list[Path]:
    """Write a figure as `stem.png` (and with `svg` as `stem.svg`), without dates, so the bytes
    are repeatable.

    The layout is worked out once (layout.fit), for the PNG, and kept for the SVG.
    """
    canvas = fig.canvas if isinstance(fig.canvas, Canvas) else Canvas(fig)
    png, vector = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with matplotlib.rc_context(fonts.rc()), layout.text_layouts_once():
        fig.set_dpi(DPI)  # laid out at the resolution it is drawn at: text measured once
        if fig.get_layout_engine() is None:
            layout.fit(fig)
        else:
            fig.draw_without_rendering()
            fig.set_layout_engine("none")
        with layout.ticks_once(fig):
            canvas.draw()
        write_png(canvas, png)
        if not svg:
            return [png]
        fig.savefig(vector, format="svg", metadata={"Date": None, "Creator": None})
    return [png, vector]


def write_png(canvas: FigureCanvasAgg, png: Path) -> None:
    """The drawn canvas as a PNG file (figures/png.py): RGB where the figure is opaque (every
    figure's background is), RGBA where it is not."""
    rgba = np.asarray(canvas.buffer_rgba())
    png_file.write(png_file.rgb(rgba) if rgba[..., 3].min() == 255 else rgba, png, DPI)


def skipped(tables: Tables) -> list[str]:
    """Label keys saying which figures these tables cannot draw, and why."""
    out = []
    if not variants(tables)[1:]:
        out.append("skip.who_pays")
    if audit_by_act(tables) is None:
        out.append("skip.audit")
    if class_counts(tables) is None:
        out.append("skip.case_classes")
    if tables["region_year"]["year"].nunique() < 2:
        out.append("skip.years")
    return out


def caption(slug: str, tables: Tables, lang: str) -> str:
    """The caption of figure `slug`: its title, then how to read it where a caption is written."""
    head = title(slug, tables, lang)
    key = f"caption.{slug}"
    return f"{head} {labels.text(key, lang)}" if labels.has(key) else head
