"""Each figure builds from a small run's tables, in Chinese and English, with every glyph drawn."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import NO_AUDIT, SMALL_WITH_VARIANT
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

import drgsim
from drgsim.present import fonts, labels, plots
from drgsim.records.results import read, write

#: The small city unaudited: its upcoder gains (under the audit's defaults — screening, sampling,
#: quarterly inspection — its penalties can outweigh its gain, and who gains is not the point here).
SMALL = {**SMALL_WITH_VARIANT, "audit": NO_AUDIT}
TWO_YEARS = {
    "extends": "shanwei",
    "name": "two_years",
    "seed": 7,
    "years": 2,
    "replications": 2,
    "region": {"admissions": 20000},
    "tiers": {3: {"upcoding": {"rate": 0.05}}},
    "adaptation": {"enabled": True},
}
GROUPS = 7  # five pilot hospitals, then the generated tier-2 and tier-1 hospitals


@pytest.fixture(scope="module")
def one_year(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tables of a one-year run with one variant and its cases."""
    out = tmp_path_factory.mktemp("plots") / "one_year"
    write(drgsim.run(SMALL, cases=True), out)
    return read(out)


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tables of a two-year baseline run in which tier-3 hospitals upcode and adapt."""
    out = tmp_path_factory.mktemp("plots") / "two_years"
    write(drgsim.run(TWO_YEARS), out)
    return read(out)


def build(fn: Any, tables: dict[str, Any], lang: str) -> Figure:
    """A figure from its public function, outside any matplotlib settings of the caller."""
    fig = fn(tables, lang)
    assert isinstance(fig, Figure)
    return fig


def visible_axes(fig: Figure) -> list[Any]:
    """The axes of a figure that are drawn."""
    return [ax for ax in fig.axes if ax.get_visible()]


def check_frame(fig: Figure, slug: str, tables: dict[str, Any], lang: str) -> None:
    """The title states the figure's subject and the footer names the scenario and seed."""
    assert fig.get_suptitle().replace("\n", " ") == plots.title(slug, tables, lang)
    footer = " ".join(t.get_text() for t in fig.texts)
    assert "small" in footer or "two_years" in footer
    assert "7" in footer


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_point_value_has_a_line_and_a_band_per_variant(one_year: dict, lang: str) -> None:
    fig = build(plots.point_value_figure, one_year, lang)
    (ax,) = visible_axes(fig)
    assert len(ax.get_lines()) == 2
    assert len(ax.collections) == 2
    assert ax.get_xlabel() == labels.text("axis.month", lang)
    assert ax.get_ylabel() == labels.text("axis.point_value", lang)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [labels.variant("baseline", lang), labels.variant("upcoding", lang)]
    check_frame(fig, "point_value", one_year, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_payment_stacks_prepaid_incentive_and_deductions_per_hospital(
    one_year: dict, lang: str
) -> None:
    fig = build(plots.payment_figure, one_year, lang)
    (ax,) = visible_axes(fig)
    assert len(ax.patches) == 3 * GROUPS
    assert len(ax.get_lines()) == 1 + 1  # the fund's cost markers and the zero line
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    first = "汕尾市人民医院" if lang == "zh" else "Shanwei People's Hospital"
    assert ticks[0] == first
    assert ticks[-1] == labels.other_tier(1, 25, lang)
    assert ax.get_xlabel() == labels.text("axis.amount", lang)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for key in ("legend.prepaid", "legend.incentive", "legend.deduction", "legend.fund_cost"):
        assert labels.text(key, lang) in legend
    check_frame(fig, "payment", one_year, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_who_pays_has_two_bars_and_intervals_per_hospital_group(one_year: dict, lang: str) -> None:
    fig = build(plots.who_pays_figure, one_year, lang)
    (ax,) = visible_axes(fig)
    assert len(ax.patches) == 2 * GROUPS  # the change in payment and, beside it, in margin
    assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == 2
    assert ax.get_title() == labels.variant("upcoding", lang)
    assert ax.get_xlabel() == labels.text("axis.change", lang)
    check_frame(fig, "who_pays", one_year, lang)
    change = plots.who_pays(one_year, lang).set_index("group")
    # the upcoding hospital's payment moves most (a gain, or the audit's penalties) and every
    # other hospital's the other way: under a fixed budget they pay for, or gain by, its act
    assert change["mean"].abs().idxmax() == "SW01"
    others = change.drop("SW01")["mean"]
    assert (np.sign(others) == -np.sign(change.loc["SW01", "mean"])).all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coefficients_beside_their_indicators(one_year: dict, lang: str) -> None:
    fig = build(plots.coefficient_figure, one_year, lang)
    axes = visible_axes(fig)
    assert len(axes) == 6
    assert all(len(ax.patches) == GROUPS for ax in axes)
    titles = [ax.get_title() for ax in axes]
    assert titles[0] == labels.text("ind.coefficient", lang)
    assert labels.text("ind.cei", lang) in titles
    check_frame(fig, "coefficients", one_year, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_case_classes_stack_four_classes_per_hospital(one_year: dict, lang: str) -> None:
    fig = build(plots.case_class_figure, one_year, lang)
    (ax,) = visible_axes(fig)
    assert len(ax.patches) == 4 * GROUPS
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [labels.case_class(c, lang) for c in plots.CLASSES]
    assert ax.get_xlabel() == labels.text("axis.share", lang)
    widths = sum(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(100 * GROUPS)
    check_frame(fig, "case_classes", one_year, lang)


def test_case_classes_and_years_are_skipped_when_the_tables_cannot_draw_them(
    one_year: dict,
) -> None:
    without_cases = {k: v for k, v in one_year.items() if k != "cases"}
    class_columns = [f"cases_{c}" for c in plots.CLASSES]
    bare = without_cases | {"settlement": one_year["settlement"].drop(columns=class_columns)}
    assert plots.case_class_figure(bare, "zh") is None
    assert plots.years_figure(one_year, "zh") is None
    assert plots.skipped(bare) == ["skip.case_classes", "skip.years"]
    assert plots.skipped(without_cases) == ["skip.years"]


def test_case_classes_come_from_the_settlement_table_as_from_the_cases(one_year: dict) -> None:
    from_settlement = plots.class_counts({k: v for k, v in one_year.items() if k != "cases"})
    class_columns = [f"cases_{c}" for c in plots.CLASSES]
    bare = one_year | {"settlement": one_year["settlement"].drop(columns=class_columns)}
    from_cases = plots.class_counts(bare)
    assert from_settlement is not None and from_cases is not None
    pd.testing.assert_frame_equal(
        from_settlement.sort_index(), from_cases.sort_index().astype(float), check_names=False
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_years_show_point_value_cmi_and_act_rates(two_years: dict, lang: str) -> None:
    fig = build(plots.years_figure, two_years, lang)
    ax_pv, ax_cmi, ax_rate = visible_axes(fig)
    assert len(ax_pv.get_lines()) == 1 and len(ax_pv.collections) == 1
    assert len(ax_cmi.get_lines()) == 1
    assert len(ax_rate.get_lines()) == 1  # upcoding, the one act with a non-zero rate
    assert labels.act("upcoding", lang) in ax_rate.get_legend().get_texts()[0].get_text()
    assert ax_pv.get_ylabel() == labels.text("axis.point_value", lang)
    assert ax_cmi.get_ylabel() == labels.text("axis.cmi", lang)
    assert ax_rate.get_ylabel() == labels.text("axis.rate", lang)
    assert ax_rate.get_xlabel() == labels.text("axis.year", lang)
    check_frame(fig, "years", two_years, lang)


def test_every_chinese_label_has_a_glyph_in_the_bundled_font() -> None:
    assert fonts.missing_glyphs(labels.all_strings("zh")) == ""
    assert fonts.missing_glyphs(["汕尾点值鼓励系数套高病组推诿"]) == ""


def test_no_glyph_is_missing_when_drawing_in_chinese(one_year: dict, two_years: dict) -> None:
    figures = [build(fn, one_year, "zh") for _, fn in plots.FIGURES[:5]]
    figures.append(build(plots.years_figure, two_years, "zh"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fig in figures:
            fig.canvas.draw()
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []


def test_the_glyph_check_catches_a_font_without_chinese() -> None:
    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, "汕尾", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    assert any("missing from font" in str(w.message) for w in caught)


def test_without_a_chinese_font_chinese_figures_are_drawn_with_english_labels(
    one_year: dict, no_chinese_font: None
) -> None:
    figures = [build(fn, one_year, "zh") for _, fn in plots.FIGURES[:5]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fig in figures:
            fig.canvas.draw()
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
