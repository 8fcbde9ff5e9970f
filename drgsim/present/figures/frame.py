"""What every figure shares: fonts, title, scenario footer, colours and the run's variants."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar, cast

import matplotlib
import matplotlib.ticker
import matplotlib.transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drgsim.present import fonts, labels
from drgsim.present.figures.axes import LeanFigure
from drgsim.present.figures.glyphs import Canvas

WAN_FEN = 1_000_000  # fen in 1万元 (10,000 yuan)
WAN_YUAN = 10_000.0  # yuan in 1万元
BASELINE = "baseline"
DPI = 110  # the figures' resolution, in the files and while they are laid out
THOUSANDS = matplotlib.ticker.StrMethodFormatter("{x:,.0f}")
Tables = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])


def styled(build: F) -> F:
    """Build a figure with drgsim's fonts and settings, restoring matplotlib's afterwards."""

    @functools.wraps(build)
    def wrapper(tables: Tables, lang: str) -> Any:
        labels.check_lang(lang)
        with matplotlib.rc_context(fonts.rc()):
            return build(tables, fonts.figure_lang(lang))

    return cast(F, wrapper)


def variants(tables: Tables) -> list[str]:
    """The run's variants, the baseline first."""
    manifest = tables.get("manifest", {})
    names = list(manifest.get("variants") or tables["region_year"]["variant"].unique())
    present = set(tables["region_year"]["variant"])
    return [n for n in names if n in present]


def last_year(tables: Tables) -> int:
    """The last calendar year of the run."""
    return int(tables["region_year"]["year"].max())


def reps(tables: Tables) -> int:
    """The number of replications in the run."""
    return int(tables["region_year"]["replication"].nunique())


def funds(table: Any) -> list[str]:
    """The funds of a table in order of appearance; `[""]` where it has one fund (no column)."""
    if "fund" not in table.columns:
        return [""]
    return [str(f) for f in table["fund"].unique()]  # in order of appearance


def regions(tables: Tables) -> list[str]:
    """The pooling regions of a many-region run, in order; empty for a one-region run."""
    ry = tables["region_year"]
    return [str(r) for r in dict.fromkeys(ry["region"])] if "region" in ry.columns else []


def title(slug: str, tables: Tables, lang: str) -> str:
    """The title of figure `slug`, which states its finding's subject."""
    return t(f"title.{slug}", lang, year=last_year(tables), reps=reps(tables))


def base_figure(tables: Tables, lang: str, slug: str, size: tuple[float, float]) -> Figure:
    """An empty figure with its title and the scenario footer (laid out by layout.fit)."""
    fig = LeanFigure(figsize=size, dpi=DPI)
    Canvas(fig)
    fig.suptitle(wrap(title(slug, tables, lang), lang), fontsize=12)
    manifest = tables.get("manifest", {})
    fig.text(
        0.005,
        0.005,
        t(
            "footer",
            lang,
            scenario=manifest.get("scenario", "?"),
            seed=manifest.get("seed", "?"),
            reps=reps(tables),
            version=manifest.get("drgsim_version", "?"),
        ),
        fontsize=7,
        color="#666666",
        ha="left",
        va="bottom",
    )
    return fig


def one_axes(
    tables: Tables, lang: str, slug: str, size: tuple[float, float]
) -> tuple[Figure, Axes]:
    """A figure with one axes, its title and the scenario footer."""
    fig = base_figure(tables, lang, slug, size)
    return fig, fig.subplots()


def panels(fig: Figure, count: int, ncols: int, *, sharey: bool = False) -> list[Axes]:
    """`count` axes in rows of `ncols`, made only where a panel goes (no empty cell made and
    removed); with `sharey` they share the y axis, which only the first column labels."""
    grid = fig.add_gridspec(-(-count // ncols), ncols)
    out: list[Axes] = []
    for k in range(count):
        ax = fig.add_subplot(grid[k // ncols, k % ncols], sharey=out[0] if sharey and out else None)
        if sharey and k % ncols:
            ax.tick_params(axis="y", labelleft=False)
        out.append(ax)
    return out


def t(key: str, lang: str, **values: Any) -> str:
    """A label, shorthand for labels.text."""
    return labels.text(key, lang, **values)


def wrap(text: str, lang: str) -> str:
    """Long English titles over two lines; Chinese titles stay on one."""
    return text if lang == "zh" else "\n".join(textwrap.wrap(text, 95))


def colour(i: int) -> str:
    """The colour of the i-th series: near-black for the baseline, then tab10."""
    if i == 0:
        return "#222222"
    rgba = matplotlib.colormaps["tab10"]((i - 1) % 10)
    return matplotlib.colors.to_hex(rgba)


def note(ax: Axes, x: float, y: float, text: str, dx: float = 0, dy: float = 0, **kw: Any) -> None:
    """Text at data point (x, y), moved by (dx, dy) points: a plain Text, which lays out
    faster than an annotation."""
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    shift = matplotlib.transforms.offset_copy(ax.transData, fig=fig, x=dx, y=dy, units="points")
    ax.text(x, y, text, transform=shift, **kw)
