"""The figures' axes draw what matplotlib's own draw: ticks copied from an axis's first and
worked out once per drawing (layout.ticks_once), bars taken into the data limits together."""

from __future__ import annotations

import contextlib

import matplotlib
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from drgsim.present.figures import layout
from drgsim.present.figures.axes import LeanFigure


def drawn(figure_class: type[Figure]) -> tuple[np.ndarray, Figure]:
    """Two panels with ticks set in most of the ways ticks are set: labels with their own
    font, rotated and longer ticks, a grid, hidden labels of a shared axis, minor ticks,
    the first tick changed before the others are made."""
    fig = figure_class(figsize=(6, 3), dpi=80)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, sharey=True)
    left.barh(range(6), [3, -1, 4, 1, -5, 9])
    left.set_yticks(range(6), [f"row {i}" for i in range(6)], fontsize=7, color="C3")
    left.tick_params(axis="x", labelrotation=30, length=6, direction="inout")
    left.grid(axis="x", alpha=0.3)
    right.plot([0, 10], [0, 5])
    right.tick_params(axis="y", labelleft=False)
    (first,) = right.xaxis.get_major_ticks(1)  # made alone: the others are made like it
    first.label1.set_fontweight("bold")
    first.tick1line.set_markersize(9)
    right.minorticks_on()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy(), fig


def test_copied_ticks_draw_the_pixels_of_matplotlibs_ticks() -> None:
    theirs, _ = drawn(Figure)
    ours, fig = drawn(LeanFigure)
    ticks = [t for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for t in axis.majorTicks]
    assert sum(hasattr(t, "_copied_from") for t in ticks) > 10  # the copies were drawn
    np.testing.assert_array_equal(ours, theirs)


def test_a_copied_tick_shares_nothing_that_changes_in_place_with_the_first() -> None:
    _, fig = drawn(LeanFigure)
    first, other = fig.axes[1].xaxis.get_major_ticks()[:2]
    assert getattr(other, "_copied_from", None) is first
    other.label1.set_fontsize(20)
    other.tick1line.set_markersize(11)
    seen = []
    other.gridline.add_callback(seen.append)
    assert first.label1.get_fontsize() != 20 and first.tick1line.get_markersize() != 11
    first.gridline.pchanged()
    assert seen == []


def test_ticks_and_their_label_boxes_worked_out_once_draw_matplotlibs_pixels() -> None:
    def draw(once: bool) -> np.ndarray:
        _, fig = drawn(Figure)
        for k, ax in enumerate(fig.axes):
            ax.set_title(f"panel {k}")
            ax.set_xlabel("x label")
        fig.axes[0].set_ylabel("y label")
        fig.axes[1].set_xlim(0, 12)  # new ticks, labels and extents since the first drawing
        with layout.ticks_once(fig) if once else contextlib.nullcontext():
            fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()

    np.testing.assert_array_equal(draw(True), draw(False))


def test_bars_enter_the_data_limits_as_matplotlibs_do(monkeypatch: pytest.MonkeyPatch) -> None:
    def bars(figure_class: type[Figure]) -> tuple[np.ndarray, np.ndarray]:
        fig = figure_class(figsize=(4, 3), dpi=80)
        FigureCanvasAgg(fig)
        ax, other = fig.subplots(1, 2)
        ax.plot([0.5, 1.5], [-0.25, 0.25])  # limits that the bars widen
        ax.barh([0.1, 1.3, 2.7], [3.3, -1.7, 1 / 3], left=[0.05, 1 / 3, 2.0], height=0.37,
                xerr=[0.2, 0.4, 0.1])  # fmt: skip
        ax.bar([9.0], [0.0], width=0.0, bottom=[40.0])  # neither wide nor high: not counted
        other.bar([0.3, 1.7], [2 / 3, -5.1], bottom=[0.1, 1e-3], width=0.7)  # the first data
        fig.canvas.draw()
        limits = np.array([a.dataLim.get_points() for a in fig.axes])
        return limits, np.asarray(fig.canvas.buffer_rgba()).copy()

    one_by_one = []
    update = Axes._update_patch_limits
    monkeypatch.setattr(
        Axes, "_update_patch_limits", lambda ax, p: one_by_one.append(p) or update(ax, p)
    )
    theirs, their_pixels = bars(Figure)
    assert len(one_by_one) == 6
    one_by_one.clear()
    ours, our_pixels = bars(LeanFigure)
    assert one_by_one == []  # the bars entered the limits together
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(our_pixels, their_pixels)


def test_an_axis_makes_no_minor_tick_until_one_is_wanted_and_lays_out_as_matplotlib() -> None:
    def laid_out(figure_class: type[Figure], minor: bool) -> tuple[np.ndarray, list[float]]:
        # minor ticks longer than major ones: their length sets how far the labels stand off
        with matplotlib.rc_context({"xtick.minor.size": 9.0, "ytick.direction": "inout"}):
            fig = figure_class(figsize=(4, 3), dpi=80)
            FigureCanvasAgg(fig)
            ax = fig.subplots()
            ax.plot([0, 10], [0, 5])
            ax.set_xlabel("x label")
            ax.set_title("title", loc="left")
            ax.xaxis.set_tick_params(which="minor", size=7.0)
            if minor:
                ax.minorticks_on()
            fig.canvas.draw()
            padding = [ax.xaxis.get_tick_padding(), ax.yaxis.get_tick_padding()]
            return np.asarray(fig.canvas.buffer_rgba()).copy(), padding

    for minor in (False, True):
        theirs, their_padding = laid_out(Figure, minor)
        ours, our_padding = laid_out(LeanFigure, minor)
        assert our_padding == their_padding
        np.testing.assert_array_equal(ours, theirs)
    fig = LeanFigure()
    ax = fig.subplots()
    fig.canvas.draw()
    assert "minorTicks" not in vars(ax.xaxis) and ax.xaxis.get_minor_ticks() == []


def test_text_layouts_worked_out_once_draw_matplotlibs_pixels() -> None:
    def draw(once: bool) -> tuple[np.ndarray, list[tuple[float, ...]]]:
        _, fig = drawn(Figure)
        ax = fig.axes[0]
        texts = [  # the same strings told apart by size, alignment, rotation and spacing
            ax.text(1, 1, "same", fontsize=8),
            ax.text(1, 2, "same", fontsize=9),
            ax.text(1, 3, "same", fontsize=8, ha="right", va="top"),
            ax.text(1, 4, "same", fontsize=8, rotation=30),
            ax.text(1, 5, "two\nlines", fontsize=8, linespacing=2.0),
            ax.text(1, 5, "two\nlines", fontsize=8, multialignment="right"),
            ax.text(0, 0, "same", fontsize=8, fontweight="bold"),
            ax.text(2, 1, "$x^2$ same", fontsize=8),
        ]
        with layout.text_layouts_once() if once else contextlib.nullcontext():
            fig.canvas.draw()
            boxes = [tuple(t.get_window_extent().bounds) for t in texts]
        return np.asarray(fig.canvas.buffer_rgba()).copy(), boxes

    ours, our_boxes = draw(True)
    theirs, their_boxes = draw(False)
    assert our_boxes == their_boxes and len(set(our_boxes)) == len(our_boxes)
    np.testing.assert_array_equal(ours, theirs)
