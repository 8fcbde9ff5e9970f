"""Each figure builds from a small run's tables, in Chinese and English, with every glyph drawn."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import NO_AUDIT, SMALL_WITH_VARIANT
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

import drgsim
from drgsim.present import drg_losses, fonts, labels, plots
from drgsim.present.figures import png
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
    assert all(len(ax.patches) == GROUPS for ax in axes)
    titles = [ax.get_title() for ax in axes]
    assert titles[0] == labels.text("ind.coefficient", lang)
    assert labels.text("ind.cei", lang) in titles
    # no audit and no referral: violations and referrals are zero everywhere, so no panel for
    # them; the figure names them instead
    assert len(axes) == 4
    assert labels.text("ind.violation_rate", lang) not in titles
    notes = " ".join(t.get_text() for t in fig.texts)
    assert labels.text("ind.violation_rate", lang) in notes
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
    figures = [fig for _, fn in plots.FIGURES if (fig := fn(one_year, "zh")) is not None]
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


#: A baseline-only run with one fund: no variant, no fund column.
BASELINE_ONLY = {
    "extends": "shanwei",
    "name": "small",
    "seed": 7,
    "replications": 2,
    "region": {"admissions": 8000},
    "funds": {"all": {"share": 1.0}},
    "variants": {},
}
#: Three generated regions and Shanwei, each settling its own two funds, with one variant.
MANY_REGIONS = {
    "extends": "shanwei",
    "name": "small",
    "seed": 7,
    "replications": 2,
    "regions": {
        "count": 3,
        "admissions": 24_000,
        "listed": {"汕尾市": {"region.admissions": 6000}},
    },
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "variants": {"upcoding": {"behaviour.upcoding.rate": 0.1}},
}


@pytest.fixture(scope="module")
def baseline_only(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tables of a one-fund run with the baseline alone."""
    out = tmp_path_factory.mktemp("plots") / "baseline_only"
    write(drgsim.run(BASELINE_ONLY), out)
    return read(out)


@pytest.fixture(scope="module")
def many_regions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tables of a run of four pooling regions."""
    out = tmp_path_factory.mktemp("plots") / "many_regions"
    write(drgsim.run(MANY_REGIONS), out)
    return read(out)


def draws_data(ax: Any) -> bool:
    """Whether an axes draws data: a bar of some length, a line or dots at data coordinates,
    or a filled band — reference lines (axvline, axhline), titles and ticks do not count."""
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_width() != 0 and patch.get_height() != 0:
            return True
    for line in ax.get_lines():
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        if line.get_transform() == ax.transData and np.isfinite(x * y).any():
            return True
    for coll in ax.collections:
        if len(coll.get_offsets()) and coll.get_offset_transform() == ax.transData:
            offsets = np.asarray(coll.get_offsets(), dtype=float)
            if np.isfinite(offsets).all(axis=1).any():
                return True
        if any(len(p.vertices) > 1 for p in coll.get_paths()):
            return True
    return False


def test_the_data_check_sees_a_panel_of_zero_length_bars_as_empty() -> None:
    fig = Figure()
    empty, full = fig.subplots(1, 2)
    empty.barh([0, 1, 2], [0.0, 0.0, 0.0])  # the old coefficient figure's violation panel
    empty.axvline(1.0)
    full.barh([0, 1, 2], [0.0, 0.5, 0.0])
    assert not draws_data(empty)
    assert draws_data(full)


@pytest.mark.parametrize("run", ["baseline_only", "one_year", "two_years", "many_regions"])
def test_every_panel_of_every_figure_draws_data(run: str, request: pytest.FixtureRequest) -> None:
    tables = request.getfixturevalue(run)
    drawn = 0
    for slug, fn in plots.FIGURES:
        fig = fn(tables, "en")
        if fig is None:
            continue
        drawn += 1
        for k, ax in enumerate(visible_axes(fig)):
            assert draws_data(ax), f"{run}: figure {slug}, panel {k} ({ax.get_title()!r}) is empty"
    assert drawn >= 4


def fund_month_values(tables: dict[str, Any], variant: str) -> pd.DataFrame:
    """Each fund's month point value as the engine wrote it for every hospital (one value per
    fund and month in a one-region run): replications in columns."""
    hm = tables["hospital_month"]
    sel = hm[(hm["variant"] == variant) & (hm["year"] == hm["year"].min())]
    assert sel.groupby(["fund", "replication", "month"])["point_value"].nunique().max() == 1
    return sel.pivot_table(
        index=["fund", "month"], columns="replication", values="point_value", aggfunc="first"
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_point_value_draws_each_fund_its_months_changes_and_money_per_rw(
    one_year: dict, lang: str
) -> None:
    fig = build(plots.point_value_figure, one_year, lang)
    check_frame(fig, "point_value", one_year, lang)
    axes = visible_axes(fig)
    funds = list(dict.fromkeys(one_year["hospital_month"]["fund"]))
    assert len(funds) == 2 and len(axes) == 3 * len(funds)  # months, changes, money per RW
    grid = np.array(axes).reshape(3, len(funds))
    base = fund_month_values(one_year, "baseline")
    variant = fund_month_values(one_year, "upcoding")
    ry = one_year["region_year"]
    for j, fund in enumerate(funds):
        level, change, money = grid[:, j]
        assert level.get_title() == labels.fund(fund, lang)
        # the baseline's months: the mean over replications of the value every hospital saw
        line = level.get_lines()[0]
        np.testing.assert_allclose(line.get_ydata(), base.loc[fund].mean(axis=1), rtol=1e-12)
        # the variant's change: its value minus the baseline's in the same replication
        (diff,) = [
            ln for ln in change.get_lines() if ln.get_label() == labels.variant("upcoding", lang)
        ]
        expected = (variant.loc[fund] - base.loc[fund]).mean(axis=1)
        np.testing.assert_allclose(diff.get_ydata(), expected, rtol=1e-9, atol=1e-12)
        # money per RW unit of each variant: the mean over replications of region_year's
        dots = np.asarray(money.collections[-1].get_offsets())  # (x, y) per variant
        for name, y in (("baseline", 1.0), ("upcoding", 0.0)):
            want = ry[(ry["variant"] == name) & (ry["fund"] == fund)]["money_per_rw_yuan"].mean()
            assert dots[dots[:, 1] == y, 0] == pytest.approx([want], rel=1e-12)
        assert money.get_xlabel() == labels.text("axis.money_per_rw", lang, year=2021)


def test_point_value_of_a_baseline_alone_has_no_change_row(baseline_only: dict) -> None:
    fig = build(plots.point_value_figure, baseline_only, "en")
    level, money = visible_axes(fig)  # one fund: one column; no variant: no change row
    hm = baseline_only["hospital_month"]
    want = hm.groupby(["month", "replication"])["point_value"].first().groupby("month").mean()
    np.testing.assert_allclose(level.get_lines()[0].get_ydata(), want, rtol=1e-12)
    per_rw = baseline_only["region_year"]["money_per_rw_yuan"].mean()
    assert np.asarray(money.collections[-1].get_offsets())[:, 0] == pytest.approx([per_rw])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_audit_draws_each_act_done_at_each_stage(one_year: dict, lang: str) -> None:
    fig = build(plots.audit_figure, one_year, lang)
    check_frame(fig, "audit", one_year, lang)
    audit = one_year["audit"]
    last = audit[(audit["year"] == audit["year"].max()) & (audit["act"] != "none")]
    per_rep = last.groupby(["act", "variant", "replication"])[
        ["claims", "screened", "sampled", "inspected", "confirmed", "recovered_fen"]
    ].sum()
    mean = per_rep.groupby(level=["act", "variant"]).mean()
    done = mean[mean["claims"] > 0]
    (ax,) = visible_axes(fig)  # the small run's one act: SW01's upcoding, in its variant
    assert list(done.index) == [("upcoding", "upcoding")]
    act, recovered = ax.get_title().split("\n")
    assert act == labels.act("upcoding", lang)
    row = done.loc[("upcoding", "upcoding")]
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx(
        [row["claims"], row["screened"], row["sampled"], row["inspected"], row["confirmed"]]
    )
    assert row["claims"] > 0 and row["screened"] == 0  # unaudited: done, never screened
    wan = f"{row['recovered_fen'] / 1e6:,.1f}"
    assert recovered == labels.text("legend.recovered", lang, wan=wan)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [labels.variant("upcoding", lang)]


def test_audit_draws_every_act_of_the_all_gaming_variant() -> None:
    audit = pd.DataFrame(
        {
            "variant": ["baseline", "g", "g", "g", "g"],
            "replication": 0,
            "year": 2021,
            "hospital": "SW01",
            "act": ["none", "none", "upcoding", "phantom", "shifting"],
            "claims": [100, 80, 10, 4, 0],
            "screened": [3, 2, 5, 1, 0],
            "sampled": [5, 4, 1, 1, 0],
            "inspected": [0, 0, 2, 0, 0],
            "reviewed": [8, 6, 7, 2, 0],
            "confirmed": [0, 0, 3, 1, 0],
            "deducted_points": 0.0,
            "recovered_fen": [0, 0, 1_500_000, 200_000, 0],
        }
    )
    ry = pd.DataFrame({"variant": ["baseline", "g"], "replication": 0, "year": 2021})
    tables = {"audit": audit, "region_year": ry, "manifest": {"variants": ["baseline", "g"]}}
    fig = build(plots.audit_figure, tables, "en")
    titles = [ax.get_title().split("\n")[0] for ax in visible_axes(fig)]
    assert titles == [labels.act("upcoding", "en"), labels.act("phantom", "en")]  # not shifting
    phantom = visible_axes(fig)[1]
    assert [p.get_width() for p in phantom.patches] == [4, 1, 1, 0, 1]
    assert phantom.get_title().endswith("recovered 0.2 ×10,000 yuan")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_regions_draw_a_dot_per_region_and_variant(many_regions: dict, lang: str) -> None:
    fig = build(plots.regions_figure, many_regions, lang)
    check_frame(fig, "regions", many_regions, lang)
    ax_pv, ax_margin = visible_axes(fig)
    ry, st = many_regions["region_year"], many_regions["settlement"]
    regions = ry["region"].nunique()
    assert regions == 4
    for ax in (ax_pv, ax_margin):
        assert sum(len(c.get_offsets()) for c in ax.collections) == 2 * regions
    # Shanwei's baseline dot: year-end over planned point value, points-weighted over its funds
    sw = ry[(ry["region"] == "汕尾市") & (ry["variant"] == "baseline")]
    ratios = [
        (g["point_value"] * g["points"]).sum() / (g["reference_point_value"] * g["points"]).sum()
        for _, g in sw.groupby("replication")
    ]
    xs = np.asarray(ax_pv.collections[0].get_offsets())[:, 0]  # the baseline's dots
    assert np.isclose(xs, np.mean(ratios), rtol=1e-12).sum() == 1
    stw = st[(st["region"] == "汕尾市") & (st["variant"] == "baseline")]
    margins = [
        100 * g["margin_yuan"].sum() / (g["final_fen"].sum() / 100 + g["oop_yuan"].sum())
        for _, g in stw.groupby("replication")
    ]
    xs = np.asarray(ax_margin.collections[0].get_offsets())[:, 0]
    assert np.isclose(xs, np.mean(margins), rtol=1e-12).sum() == 1


def test_regions_are_skipped_for_one_region(one_year: dict) -> None:
    assert plots.regions_figure(one_year, "zh") is None


def test_without_a_chinese_font_chinese_figures_are_drawn_with_english_labels(
    one_year: dict, no_chinese_font: None
) -> None:
    figures = [fig for _, fn in plots.FIGURES if (fig := fn(one_year, "zh")) is not None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fig in figures:
            fig.canvas.draw()
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []


def _inside(box: Any, page: Any) -> bool:
    """Whether a box lies on the page, give or take a pixel."""
    return bool(
        box.x0 >= page.x0 - 1 and box.y0 >= page.y0 - 1 and box.x1 <= page.x1 + 1
        and box.y1 <= page.y1 + 1
    )  # fmt: skip


def _apart(a: Any, b: Any) -> bool:
    """Whether two boxes overlap by no more than a pixel either way."""
    return bool(min(a.x1, b.x1) - max(a.x0, b.x0) <= 1 or min(a.y1, b.y1) - max(a.y0, b.y0) <= 1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_are_laid_out_with_nothing_cut_off_or_overlapping(
    one_year: dict, tmp_path: Path, lang: str
) -> None:
    builders = [*plots.FIGURES, (drg_losses.SLUG, drg_losses.drg_losses_figure)]
    checked = 0
    for slug, fn in builders:
        fig = fn(one_year, lang)
        if fig is None:
            continue
        plots.save(fig, tmp_path / slug)
        renderer = fig.canvas.get_renderer()
        page = fig.bbox
        panels = [ax.get_tightbbox(renderer) for ax in visible_axes(fig)]
        notes = [t.get_window_extent(renderer) for t in fig.texts if t.get_text()]
        legends = [leg.get_window_extent(renderer) for leg in fig.legends]
        for box in [*panels, *notes, *legends]:
            assert _inside(box, page), f"{slug}: {box} leaves the figure {page}"
        for i, a in enumerate(panels):
            assert all(_apart(a, b) for b in panels[i + 1 :]), f"{slug}: panel {i} overlaps"
        for box in [*notes, *legends]:
            assert all(_apart(box, p) for p in panels), f"{slug}: {box} overlaps a panel"
        for box in legends:
            assert all(_apart(box, n) for n in notes), f"{slug}: a legend overlaps a note"
        for i, a in enumerate(notes):
            assert all(_apart(a, b) for b in notes[i + 1 :]), f"{slug}: notes overlap"
        checked += 1
    assert checked >= 6


def test_the_png_holds_the_drawn_pixels_at_the_figure_resolution(
    one_year: dict, tmp_path: Path
) -> None:
    fig = build(plots.payment_figure, one_year, "en")
    (png,) = plots.save(fig, tmp_path / "payment")
    drawn = np.asarray(fig.canvas.buffer_rgba())
    assert (drawn[..., 3] == 255).all()  # opaque: the file needs no alpha channel
    with Image.open(png) as image:
        assert image.mode == "RGB"
        width, height = fig.get_size_inches()
        assert image.size == (round(width * plots.DPI), round(height * plots.DPI))
        assert round(image.info["dpi"][0]) == plots.DPI
        assert "Software" not in image.info
        np.testing.assert_array_equal(np.asarray(image), drawn[..., :3])


def test_a_see_through_figure_keeps_its_alpha_channel(tmp_path: Path) -> None:
    fig = Figure(figsize=(2, 1), facecolor="none")
    fig.subplots().plot([0, 1], [1, 0])
    (png,) = plots.save(fig, tmp_path / "clear")
    with Image.open(png) as image:
        assert image.mode == "RGBA"
        alpha = np.asarray(image)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255


@pytest.mark.parametrize("channels, mode", [(3, "RGB"), (4, "RGBA")])
def test_a_png_file_holds_any_pixels_as_given(tmp_path: Path, channels: int, mode: str) -> None:
    # noise, so that every difference between rows (the filter's bytes, modulo 256) occurs
    pixels = np.random.default_rng(3).integers(0, 256, (37, 53, channels), dtype=np.uint8)
    png.write(pixels, tmp_path / "noise.png", 110)
    with Image.open(tmp_path / "noise.png") as image:
        assert image.mode == mode and image.size == (53, 37)
        assert round(image.info["dpi"][0]) == round(image.info["dpi"][1]) == 110
        np.testing.assert_array_equal(np.asarray(image), pixels)
    png.write(pixels.copy(), tmp_path / "again.png", 110)
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "noise.png").read_bytes()


@pytest.mark.parametrize("run", ["one_year", "many_regions"])
def test_who_pays_states_each_groups_paired_differences(
    run: str, request: pytest.FixtureRequest
) -> None:
    tables = request.getfixturevalue(run)
    change = plots.who_pays(tables, "en")
    columns = ["final_fen", "margin_yuan"]
    g = plots.grouped(tables["settlement"], "en")
    g = g[g["year"] == plots.last_year(tables)].set_index(["replication", "group"])
    base = g[g["variant"] == plots.BASELINE][columns]
    for v in plots.variants(tables)[1:]:
        diff = (g[g["variant"] == v][columns] - base).dropna()
        for group, d in diff.groupby(level="group"):
            row = change[(change["variant"] == v) & (change["group"] == group)].iloc[0]
            assert row["replications"] == len(d)
            for column, unit, prefix in (("final_fen", 1e6, ""), ("margin_yuan", 1e4, "margin_")):
                stated = [row[f"{prefix}{s}"] for s in ("mean", "lo", "hi")]
                expected = plots.mean_interval(d[column].to_numpy(float) / unit)
                np.testing.assert_array_equal(stated, expected)  # to the bit
