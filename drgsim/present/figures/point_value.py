"""The point value per fund: the baseline's months, each variant's change against it, and the
money per RW unit, which a rebased point value does not change."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drgsim.present import labels
from drgsim.present.comparison import t975
from drgsim.present.figures.frame import (
    BASELINE,
    Tables,
    base_figure,
    colour,
    funds,
    note,
    styled,
    t,
    variants,
)
from drgsim.present.figures.groups import mean_interval

KEYS = ["variant", "replication", "year", "month"]


def monthly_point_value(hm: pd.DataFrame) -> pd.Series:
    """Each fund's point value per variant, replication and month: the month's own value, or
    over several regions their values weighted by the regions' points (in region order, so the
    figure does not depend on the rows' order)."""
    keys = [*KEYS, "fund"] if "fund" in hm.columns else KEYS
    pv = _over_regions(hm, keys, hm["point_value"], hm["points"].clip(lower=0.0))
    if "fund" not in hm.columns:
        pv = pv.to_frame("pv").assign(fund="").set_index("fund", append=True)["pv"]
    return pv.sort_index()


def _over_regions(
    table: pd.DataFrame, keys: list[str], value: pd.Series, weight: pd.Series
) -> pd.Series:
    """`value`, one per group of `keys` (and region): each region's own value, weighted by
    the region's summed `weight` where a group holds several regions."""
    by = [*keys, "region"] if "region" in table.columns else keys
    frame = table.assign(_v=value, _w=weight).groupby(by, sort=True)
    per = frame["_v"].first().to_frame("v").assign(w=frame["_w"].sum())
    if "region" not in table.columns:
        return per["v"]
    sums = per.assign(x=per["v"] * per["w"]).groupby(level=keys, sort=True)[["x", "w"]].sum()
    return sums["x"] / sums["w"].where(sums["w"] > 0)


def change_against_baseline(pv: pd.Series, name: str) -> pd.DataFrame:
    """Variant `name`'s paired change in point value per fund and month: mean and 95% interval
    over replications, mean ± t(0.975, n − 1) × sd / √n (columns mean, lo, hi; index fund,
    year, month)."""
    diff = (pv.loc[name] - pv.loc[BASELINE]).dropna()
    wide = diff.unstack("replication").reorder_levels(["fund", "year", "month"]).sort_index()
    n = wide.count(axis=1).to_numpy()
    mean = wide.mean(axis=1).to_numpy(float)
    sd = wide.std(axis=1, ddof=1).to_numpy(float)
    q = np.array([t975(int(k) - 1) for k in n])
    half = q * sd / np.sqrt(np.maximum(n, 1))
    return pd.DataFrame({"mean": mean, "lo": mean - half, "hi": mean + half}, index=wide.index)


def year_values(tables: Tables, column: str) -> pd.Series:
    """A region_year column per variant, replication, year and fund (points-weighted over
    regions)."""
    ry = tables["region_year"]
    keys = ["variant", "replication", "year", *(["fund"] if "fund" in ry.columns else [])]
    out = _over_regions(ry, keys, ry[column], ry["points"].clip(lower=0.0))
    if "fund" not in ry.columns:
        out = out.to_frame("v").assign(fund="").set_index("fund", append=True)["v"]
    return out.sort_index()


@styled
def point_value_figure(tables: Tables, lang: str) -> Figure:
    """Per fund: the baseline's monthly point value with the year-end value; each variant's
    change against it by month (95% intervals); each variant's money per RW unit."""
    hm = tables["hospital_month"]
    pv = monthly_point_value(hm)
    names = variants(tables)
    fund_names = funds(hm)
    year_end = year_values(tables, "point_value")
    per_rw = year_values(tables, "money_per_rw_yuan")
    rows = 3 if names[1:] else 2
    heights = [3.0, 3.4, 0.32 * len(names) + 1.1] if rows == 3 else [3.0, 1.6]
    fig = base_figure(
        tables, lang, "point_value", (6.4 * len(fund_names) + 1.6, sum(heights) + 1.6)
    )
    axes = fig.subplots(rows, len(fund_names), squeeze=False, height_ratios=heights)
    y0 = int(hm["year"].min())
    changes = {name: change_against_baseline(pv, name) for name in names[1:]}  # all funds
    for j, fund in enumerate(fund_names):
        level, money = axes[0, j], axes[-1, j]
        _baseline_months(level, pv, fund, year_end, y0, lang)
        if fund:
            level.set_title(labels.fund(fund, lang), fontsize=11)
        if rows == 3:
            _changes(axes[1, j], changes, fund, y0, lang)
            level.tick_params(labelbottom=False)  # the months are named under the changes
            level.set_xlabel("")
        _money_per_rw(money, per_rw, names, fund, lang)
        if j > 0:  # the first column names the axes
            for ax in axes[:-1, j]:
                ax.set_ylabel("")
    return fig


def _month_x(index: pd.Index, y0: int) -> np.ndarray:
    """Months counted from the run's first January: (year, month) → 1, 2, …"""
    return np.array([(int(y) - y0) * 12 + int(m) for y, m in index], dtype=float)


def _month_axis(ax: Axes, x: np.ndarray, y0: int, lang: str) -> None:
    """Month ticks: 1–12 for one year, each January's date for several."""
    if x.max() <= 12:
        ax.set_xticks(range(1, 13))
    else:
        starts = [v for v in range(1, int(x.max()) + 1, 12)]
        ax.set_xticks(starts, [f"{y0 + (v - 1) // 12}-01" for v in starts])
    ax.set_xlabel(t("axis.month", lang))
    ax.grid(alpha=0.3)


def _baseline_months(
    ax: Axes, pv: pd.Series, fund: str, year_end: pd.Series, y0: int, lang: str
) -> None:
    """The baseline's monthly point value of one fund (mean and min–max over replications),
    and each year's year-end point value as a dashed step."""
    wide = pv.loc[BASELINE].xs(fund, level="fund").unstack("replication").sort_index()
    x = _month_x(wide.index, y0)
    ax.plot(x, wide.mean(axis=1), color=colour(0), lw=1.6, marker="o", ms=3,
            label=t("legend.month_pv", lang))  # fmt: skip
    if wide.shape[1] > 1:
        ax.fill_between(x, wide.min(axis=1), wide.max(axis=1), color=colour(0), alpha=0.15, lw=0)
    end = year_end.loc[BASELINE].xs(fund, level="fund").groupby(level="year").mean()
    for k, (year, value) in enumerate(end.items()):
        start = (int(year) - y0) * 12 + 0.5
        ax.hlines(value, start, start + 12, color="#c44e52", ls="--", lw=1.2,
                  label=t("legend.year_end_pv", lang) if k == 0 else "_nolegend_")  # fmt: skip
    ax.set_ylabel(t("axis.point_value", lang))
    _month_axis(ax, x, y0, lang)
    ax.legend(fontsize=8, loc="lower right")


def _changes(ax: Axes, changes: dict[str, pd.DataFrame], fund: str, y0: int, lang: str) -> None:
    """Each variant's change in one fund's monthly point value against the baseline (from
    `changes`, by variant), its line labelled at its end, with the 95% interval as a faint
    band."""
    ends = []
    for i, (name, every) in enumerate(changes.items(), start=1):
        change = every.xs(fund, level="fund")
        x = _month_x(change.index, y0)
        shade = colour(i)
        ax.plot(x, change["mean"], color=shade, lw=1.4, label=labels.variant(name, lang))
        if change["lo"].notna().any():
            ax.fill_between(x, change["lo"], change["hi"], color=shade, alpha=0.10, lw=0)
        ends.append((float(change["mean"].iloc[-1]), x[-1], shade, labels.variant(name, lang)))
    _label_ends(ax, ends)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel(t("axis.pv_change", lang))
    _month_axis(ax, x, y0, lang)
    ax.set_xlim(right=x.max() + 0.22 * (x.max() - x.min() + 1))


def _label_ends(ax: Axes, ends: list[tuple[float, float, str, str]]) -> None:
    """Name each line at its right end, nudged apart so the names do not overlap."""
    if not ends:
        return
    ends.sort()
    values = [e[0] for e in ends]
    span = max(values) - min(values)
    gap = max(span, 1e-9) / max(len(ends) * 1.6, 1.0)
    placed: list[float] = []
    for value, x, shade, name in ends:
        y = value if not placed else max(value, placed[-1] + gap)
        placed.append(y)
        note(ax, x + 0.3, y, name, color=shade, fontsize=7.5, va="center", clip_on=False)


def _money_per_rw(ax: Axes, per_rw: pd.Series, names: list[str], fund: str, lang: str) -> None:
    """Each variant's money per RW unit in the last year (mean and 95% interval over
    replications), the baseline's as a dashed line."""
    year = int(per_rw.index.get_level_values("year").max())
    y = np.arange(len(names))[::-1].astype(float)
    stats = np.array(
        [
            mean_interval(per_rw.loc[n].xs((year, fund), level=("year", "fund")).to_numpy(float))
            for n in names
        ]
    )
    shades = [colour(i) for i in range(len(names))]
    ax.hlines(y, stats[:, 1], stats[:, 2], colors=shades, lw=1.2)  # NaN where one replication
    ax.scatter(stats[:, 0], y, c=shades, s=28, zorder=3)
    for yi, mean in zip(y, stats[:, 0], strict=True):
        note(ax, mean, yi, f"{mean:,.0f}", dy=5, ha="center", fontsize=7)
    ax.axvline(stats[0, 0], color=colour(0), ls="--", lw=0.8)  # the baseline's
    ax.set_yticks(y, [labels.variant(n, lang) for n in names])
    ax.set_ylim(y.min() - 0.7, y.max() + 0.9)
    ax.margins(x=0.15)
    ax.set_xlabel(t("axis.money_per_rw", lang, year=year))
    ax.grid(axis="x", alpha=0.3)
