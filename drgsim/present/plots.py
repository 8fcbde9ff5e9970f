"""The figures of a run, built as matplotlib Figure objects and saved as PNG and SVG."""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from drgsim.present import fonts, labels
from drgsim.present.comparison import t975

WAN_FEN = 1_000_000  # fen in 1万元 (10,000 yuan)
WAN_YUAN = 10_000.0  # yuan in 1万元
BASELINE = "baseline"
SUM_COLS = (
    "cases",
    "points",
    "deducted_points",
    "prepaid_fen",
    "withheld_fen",
    "deduction_fen",
    "incentive_fen",
    "final_fen",
    "true_cost_yuan",
    "fixed_cost_yuan",
    "variable_cost_yuan",
    "oop_yuan",
    "margin_yuan",
)
MEAN_COLS = ("cmi", "cei", "tei", "violation_rate", "referral_out_high", "score", "coefficient")
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
CHANGE_COLOURS = {"payment": "#4c72b0", "margin_": "#dd8452"}
MONEY_COLOURS = {"prepaid": "#4c72b0", "incentive": "#55a868", "deduction": "#c44e52"}
_ACT_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
_THOUSANDS = matplotlib.ticker.StrMethodFormatter("{x:,.0f}")
Tables = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])


def make_figures(tables: Tables, out_dir: Path, lang: str, folder: str = "plots") -> list[Path]:
    """Build every figure the tables allow and write each as PNG and SVG into `out_dir/folder/`."""
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
            written += save(fig, plots / slug)
    return written


def save(fig: Figure, stem: Path) -> list[Path]:
    """Write a figure as `stem.png` and `stem.svg`, without dates, so the bytes are repeatable."""
    FigureCanvasAgg(fig)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with matplotlib.rc_context(fonts.rc()):
        fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return [png, svg]


def skipped(tables: Tables) -> list[str]:
    """Label keys saying which figures these tables cannot draw, and why."""
    out = []
    if not variants(tables)[1:]:
        out.append("skip.who_pays")
    if class_counts(tables) is None:
        out.append("skip.case_classes")
    if tables["region_year"]["year"].nunique() < 2:
        out.append("skip.years")
    return out


def _styled(build: F) -> F:
    """Build a figure with drgsim's fonts and settings, restoring matplotlib's afterwards."""

    @functools.wraps(build)
    def wrapper(tables: Tables, lang: str) -> Any:
        labels.check_lang(lang)
        with matplotlib.rc_context(fonts.rc()):
            return build(tables, fonts.figure_lang(lang))

    return cast(F, wrapper)


@_styled
def point_value_figure(tables: Tables, lang: str) -> Figure:
    """Monthly point value per variant, the line at the mean and a band over replications."""
    hm = tables["hospital_month"]
    keys = ["variant", "replication", "year", "month"]
    if "fund" in hm.columns:  # several funds: yuan per point over the funds, by their points
        rows = hm.assign(money=hm["point_value"] * hm["points"]).groupby(keys, sort=False)
        pv = rows["money"].sum() / rows["points"].sum()
    else:
        pv = hm.groupby(keys, sort=False)["point_value"].first()
    fig, ax = _figure(tables, lang, "point_value", (10, 5.5))
    y0 = int(hm["year"].min())
    for i, name in enumerate(variants(tables)):
        wide = pv.loc[name].unstack("replication").sort_index()
        x = np.array([(y - y0) * 12 + m for y, m in wide.index], dtype=float)
        colour = _colour(i)
        ax.plot(x, wide.mean(axis=1), color=colour, lw=1.6, label=labels.variant(name, lang))
        if wide.shape[1] > 1:
            ax.fill_between(x, wide.min(axis=1), wide.max(axis=1), color=colour, alpha=0.18, lw=0)
    years = sorted(hm["year"].unique())
    if len(years) == 1:
        ax.set_xticks(range(1, 13))
    else:
        ticks = [(y - y0) * 12 + 1 for y in years]
        ax.set_xticks(ticks, [f"{y}-01" for y in years])
    ax.set_xlabel(labels.text("axis.month", lang))
    ax.set_ylabel(labels.text("axis.point_value", lang))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2 if len(variants(tables)) > 4 else 1, loc="best")
    return fig


@_styled
def payment_figure(tables: Tables, lang: str) -> Figure:
    """Final payment of each hospital group stacked into its parts, against the fund's cost."""
    year = last_year(tables)
    g = grouped(tables["settlement"], lang)
    base = _mean_over_reps(g[(g["variant"] == BASELINE) & (g["year"] == year)])
    fig, ax = _figure(tables, lang, "payment", (10, 0.6 * len(base) + 3.2))
    y = np.arange(len(base))[::-1]
    prepaid = base["prepaid_fen"] / WAN_FEN
    incentive = base["incentive_fen"] / WAN_FEN
    deduction = base["deduction_fen"] / WAN_FEN
    ax.barh(y, prepaid, color=MONEY_COLOURS["prepaid"], label=_t("legend.prepaid", lang))
    ax.barh(
        y,
        incentive,
        left=prepaid,
        color=MONEY_COLOURS["incentive"],
        label=_t("legend.incentive", lang),
    )
    ax.barh(y, -deduction, color=MONEY_COLOURS["deduction"], label=_t("legend.deduction", lang))
    fund_cost = (hospital_cost(base) - base["oop_yuan"]) / WAN_YUAN  # payment − this = margin
    ax.plot(
        fund_cost,
        y,
        ls="none",
        marker="D",
        color="black",
        ms=6,
        label=_t("legend.fund_cost", lang),
    )
    top = float(np.nanmax(np.r_[prepaid + incentive, fund_cost]))
    for yi, margin in zip(y, base["margin_yuan"] / WAN_YUAN, strict=True):
        ax.text(top * 1.02, yi, _t("legend.margin", lang, margin=margin), va="center", fontsize=8)
    ax.set_xlim(min(0.0, -float(deduction.max()) * 1.1), top * 1.25)
    ax.set_yticks(y, base["label"])
    ax.set_xlabel(_t("axis.amount", lang))
    ax.axvline(0, color="black", lw=0.6)
    ax.grid(axis="x", alpha=0.3)
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.legend(fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    return fig


def hospital_cost(st: pd.DataFrame) -> pd.Series:
    """Each row's cost to its hospital, fixed + variable (spec §8); tables of runs before costs
    existed: the charges of the cases treated."""
    if "fixed_cost_yuan" in st.columns:
        return st["fixed_cost_yuan"] + st["variable_cost_yuan"]
    return st["true_cost_yuan"]


@_styled
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
    fig = _base_figure(tables, lang, "who_pays", size)
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
                label=_t(key, lang),
            )
            ends = np.where(mean >= 0, part[f"{prefix}hi"], part[f"{prefix}lo"])
            ends = np.where(np.isfinite(ends), ends, mean)  # past the interval, where there is one
            for yi, m, end in zip(y + offset, mean, ends, strict=True):
                if np.isfinite(m):
                    ax.annotate(
                        f"{m:+,.0f}",
                        (end, yi),
                        xytext=(3 if m >= 0 else -3, 0),
                        textcoords="offset points",
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
            ax.set_xlabel(_t("axis.change", lang))
    handles, texts = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside lower right", ncols=2, fontsize=8)
    return fig


@_styled
def coefficient_figure(tables: Tables, lang: str) -> Figure:
    """The incentive coefficient of each hospital group beside the indicators that set it."""
    year = last_year(tables)
    g = grouped(tables["settlement"], lang)
    base = _mean_over_reps(g[(g["variant"] == BASELINE) & (g["year"] == year)])
    fig = _base_figure(tables, lang, "coefficients", (13, 0.45 * len(base) + 4))
    axes = fig.subplots(2, 3, sharey=True)
    y = np.arange(len(base))[::-1]
    for ax, (col, ref, scale) in zip(axes.flat, INDICATORS, strict=True):
        ax.barh(y, base[col] * scale, color="#4c72b0" if col == "coefficient" else "#8da0cb")
        if ref is not None:
            ax.axvline(ref, color="black", lw=0.8, ls="--")
        ax.set_title(_t(f"ind.{col}", lang), fontsize=10)
        if float(np.nanmax(base[col] * scale, initial=0.0)) <= 0:
            ax.set_xlim(0, 1)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_yticks(y, base["label"])
    lo, hi = base["coefficient"].min(), base["coefficient"].max()
    axes[0, 0].set_xlim(min(0.8, lo - 0.05), max(1.2, hi + 0.05))
    return fig


@_styled
def case_class_figure(tables: Tables, lang: str) -> Figure | None:
    """The share of normal, low, high and special-review cases in each hospital group."""
    counts = class_counts(tables)
    if counts is None:
        return None
    names = _hospital_names(tables["settlement"])
    keys = [_group_key(h, names[h][1]) for h in counts.index]
    by_group = counts.groupby(keys, sort=False).sum()
    order = _group_order(tables["settlement"], lang)
    by_group = by_group.reindex([k for k in order if k in by_group.index])
    share = by_group.div(by_group.sum(axis=1).where(lambda s: s > 0), axis=0) * 100
    fig, ax = _figure(tables, lang, "case_classes", (10, 0.5 * len(share) + 2.6))
    y = np.arange(len(share))[::-1]
    left = np.zeros(len(share))
    for name, colour in zip(CLASSES, CLASS_COLOURS, strict=True):
        ax.barh(y, share[name], left=left, color=colour, label=labels.case_class(name, lang))
        left += share[name].to_numpy()
    ax.set_yticks(y, [order[k] for k in share.index])
    ax.set_xlim(0, 100)
    ax.set_xlabel(_t("axis.share", lang))
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


@_styled
def years_figure(tables: Tables, lang: str) -> Figure | None:
    """Point value, CMI and act rates per year and variant, for runs of two or more years."""
    ry, st = tables["region_year"], tables["settlement"]
    if ry["year"].nunique() < 2:
        return None
    fig = _base_figure(tables, lang, "years", (14, 4.8))
    ax_pv, ax_cmi, ax_rate = fig.subplots(1, 3)
    w = st["cases"].astype(float)
    rate_cols = [c for c in st.columns if c.startswith("rate_") and float(st[c].abs().max()) > 0]
    weighted = st.assign(cmi_x=st["cmi"] * w, **{f"{c}_x": st[c] * w for c in rate_cols})
    per_rep = weighted.groupby(["variant", "replication", "year"], sort=False)[
        ["cases", "cmi_x", *[f"{c}_x" for c in rate_cols]]
    ].sum()
    styles = ("-", "--", ":", "-.")
    for i, name in enumerate(variants(tables)):
        colour = _colour(i)
        label = labels.variant(name, lang)
        pv = ry[ry["variant"] == name].pivot_table(
            index="year", columns="replication", values="point_value", aggfunc="mean"
        )
        _band(ax_pv, pv, colour, label)
        part = per_rep.loc[name]
        cmi = (part["cmi_x"] / part["cases"]).unstack("replication")
        _band(ax_cmi, cmi, colour, label)
        for j, col in enumerate(rate_cols):
            rate = (part[f"{col}_x"] / part["cases"]).unstack("replication").mean(axis=1) * 100
            ax_rate.plot(
                rate.index,
                rate.to_numpy(),
                color=_ACT_COLOURS[j % len(_ACT_COLOURS)],
                ls=styles[i % len(styles)],
                marker="o",
                ms=3,
                label=f"{labels.act(col.removeprefix('rate_'), lang)} · {label}",
            )
    years = sorted(ry["year"].unique())
    for ax, key in ((ax_pv, "axis.point_value"), (ax_cmi, "axis.cmi"), (ax_rate, "axis.rate")):
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_xlabel(_t("axis.year", lang))
        ax.set_ylabel(_t(key, lang))
        ax.grid(alpha=0.3)
    ax_pv.legend(fontsize=8)
    if rate_cols:
        ax_rate.legend(fontsize=7)
    return fig


FIGURES: tuple[tuple[str, Callable[[Tables, str], Figure | None]], ...] = (
    ("point_value", point_value_figure),
    ("payment", payment_figure),
    ("who_pays", who_pays_figure),
    ("coefficients", coefficient_figure),
    ("case_classes", case_class_figure),
    ("years", years_figure),
)


def variants(tables: Tables) -> list[str]:
    """The run's variants, the baseline first."""
    manifest = tables.get("manifest", {})
    names = list(manifest.get("variants") or tables["region_year"]["variant"].unique())
    present = set(tables["region_year"]["variant"])
    return [n for n in names if n in present]


def last_year(tables: Tables) -> int:
    """The last calendar year of the run."""
    return int(tables["region_year"]["year"].max())


def grouped(st: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Settlement rows summed per listed hospital and per tier of generated hospitals.

    Money and counts are summed; indicators, coefficients and act rates are case-weighted means.
    """
    means = [c for c in (*MEAN_COLS, *[c for c in st.columns if c.startswith("rate_")]) if c in st]
    sums = [c for c in SUM_COLS if c in st]
    w = st["cases"].astype(float)
    df = st.assign(
        group=[_group_key(h, t) for h, t in zip(st["hospital"], st["tier"], strict=True)],
        **{f"{c}_x": st[c] * w for c in means},
    )
    agg = df.groupby(["variant", "replication", "year", "group"], sort=False).agg(
        hospitals=("hospital", "size"),
        tier=("tier", "first"),
        **{c: (c, "sum") for c in sums},
        **{f"{c}_x": (f"{c}_x", "sum") for c in means},
    )
    for c in means:
        agg[c] = agg.pop(f"{c}_x") / agg["cases"].where(agg["cases"] > 0)
    agg = agg.reset_index()
    order = _group_order(st, lang)
    agg["label"] = agg["group"].map(order)
    agg["order"] = agg["group"].map({k: i for i, k in enumerate(order)})
    return agg.sort_values(["variant", "replication", "year", "order"], kind="stable")


#: What "who gains and who pays" compares (spec §8): the final payment and the margin, each
#: with the divisor that turns it into 万元.
CHANGES = (("final_fen", WAN_FEN), ("margin_yuan", WAN_YUAN))
CHANGE_COLUMNS = ["mean", "lo", "hi", "margin_mean", "margin_lo", "margin_hi"]


def who_pays(tables: Tables, lang: str) -> pd.DataFrame:
    """Per variant and hospital group: mean change in final payment and in margin (万元), each
    with its 95% interval (mean ± t(0.975, n − 1) × sd / √n of the paired differences)."""
    year = last_year(tables)
    g = grouped(tables["settlement"], lang)
    g = g[g["year"] == year]
    columns = [c for c, _ in CHANGES if c in g.columns]
    base = g[g["variant"] == BASELINE].set_index(["replication", "group"])[columns]
    rows = []
    for name in variants(tables)[1:]:
        part = g[g["variant"] == name].set_index(["replication", "group"])[columns]
        diff = (part - base).dropna()
        by_group: dict[Any, pd.DataFrame] = dict(list(diff.groupby(level="group")))
        for key, label in _group_order(tables["settlement"], lang).items():
            d = by_group.get(key, diff.iloc[:0])
            row: dict[str, Any] = {
                "variant": name,
                "group": key,
                "label": label,
                "replications": len(d),
            }
            for (column, unit), prefix in zip(CHANGES, ("", "margin_"), strict=True):
                values = d[column].to_numpy(float) / unit if column in d else np.zeros(0)
                mean, lo, hi = mean_interval(values)
                row |= {f"{prefix}mean": mean, f"{prefix}lo": lo, f"{prefix}hi": hi}
            rows.append(row)
    return pd.DataFrame(
        rows, columns=["variant", "group", "label", "replications", *CHANGE_COLUMNS]
    )


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% interval (Student's t) of paired differences; NaN where undefined."""
    n = len(values)
    mean = float(np.mean(values)) if n else math.nan
    half = t975(n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    return mean, mean - half, mean + half


def _group_key(hospital: str, tier: object) -> str:
    """A listed hospital's own id, or `T<tier>` for a generated one."""
    return f"T{int(str(tier))}" if labels.is_generated(str(hospital)) else str(hospital)


def _group_order(st: pd.DataFrame, lang: str) -> dict[str, str]:
    """Group keys in table order (listed hospitals, then tiers) mapped to their labels."""
    first = st[
        (st["variant"] == st["variant"].iloc[0]) & (st["replication"] == st["replication"].iloc[0])
    ]
    first = first[first["year"] == first["year"].iloc[0]]
    out: dict[str, str] = {}
    counts: dict[str, int] = {}
    for h, name, tier in zip(first["hospital"], first["name"], first["tier"], strict=True):
        key = _group_key(h, tier)
        counts[key] = counts.get(key, 0) + 1
        if key not in out:
            out[key] = labels.hospital(str(h), str(name), lang)
    for key, count in counts.items():
        if key.startswith("T") and key[1:].isdigit():
            out[key] = labels.other_tier(int(key[1:]), count, lang)
    return out


def _hospital_names(st: pd.DataFrame) -> dict[str, tuple[str, int]]:
    """Each hospital id's name and tier."""
    rows = st.drop_duplicates("hospital")
    return {
        str(h): (str(n), int(t))
        for h, n, t in zip(rows["hospital"], rows["name"], rows["tier"], strict=True)
    }


def _mean_over_reps(g: pd.DataFrame) -> pd.DataFrame:
    """Grouped rows averaged over replications, in group order."""
    numeric = [
        c for c in g.columns if c not in ("variant", "replication", "year", "group", "label")
    ]
    out = g.groupby(["group", "label"], sort=False)[numeric].mean().reset_index()
    return out.sort_values("order", kind="stable").reset_index(drop=True)


def _band(ax: Axes, wide: pd.DataFrame, colour: str, label: str) -> None:
    """A line at the mean over replications (columns) and a min–max band."""
    x = wide.index.to_numpy()
    ax.plot(x, wide.mean(axis=1).to_numpy(), color=colour, marker="o", ms=3, label=label)
    if wide.shape[1] > 1:
        ax.fill_between(x, wide.min(axis=1), wide.max(axis=1), color=colour, alpha=0.18, lw=0)


def title(slug: str, tables: Tables, lang: str) -> str:
    """The title of figure `slug`, which states its finding's subject."""
    return _t(f"title.{slug}", lang, year=last_year(tables), reps=_reps(tables))


def _base_figure(tables: Tables, lang: str, slug: str, size: tuple[float, float]) -> Figure:
    """An empty figure with its title and the scenario footer."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, 0.04, 1, 0.96))
    fig.suptitle(_wrap(title(slug, tables, lang), lang), fontsize=12)
    manifest = tables.get("manifest", {})
    fig.text(
        0.005,
        0.005,
        _t(
            "footer",
            lang,
            scenario=manifest.get("scenario", "?"),
            seed=manifest.get("seed", "?"),
            reps=_reps(tables),
            version=manifest.get("drgsim_version", "?"),
        ),
        fontsize=7,
        color="#666666",
        ha="left",
        va="bottom",
    )
    return fig


def _figure(tables: Tables, lang: str, slug: str, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """A figure with one axes, its title and the scenario footer."""
    fig = _base_figure(tables, lang, slug, size)
    return fig, fig.subplots()


def _reps(tables: Tables) -> int:
    """The number of replications in the run."""
    return int(tables["region_year"]["replication"].nunique())


def _t(key: str, lang: str, **values: Any) -> str:
    """A label, shorthand for labels.text."""
    return labels.text(key, lang, **values)


def _wrap(title: str, lang: str) -> str:
    """Long English titles over two lines; Chinese titles stay on one."""
    return title if lang == "zh" else "\n".join(textwrap.wrap(title, 95))


def _colour(i: int) -> str:
    """The colour of the i-th series: near-black for the baseline, then tab10."""
    if i == 0:
        return "#222222"
    rgba = matplotlib.colormaps["tab10"]((i - 1) % 10)
    return matplotlib.colors.to_hex(rgba)
