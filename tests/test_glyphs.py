"""The figures' canvas draws text as matplotlib's own Agg canvas does: the same ink in the same
place (give or take kerning), inside the box it measures, and the same warning for a glyph that
no font has."""

from __future__ import annotations

import multiprocessing
import sys
import warnings
from typing import Any

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from drgsim.present import fonts
from drgsim.present.figures import glyphs
from drgsim.present.figures.glyphs import Canvas

TEXTS = ("汕尾市人民医院", "Point value (yuan/point)", "−1,234.5 万元", "2021年每RW单位金额")


def drawn(canvas_type: type, text: str, size: float, rotation: float = 0) -> tuple[Figure, Any]:
    """A figure holding `text` alone, drawn on a canvas of `canvas_type`, and its Text."""
    fig = Figure(figsize=(4, 4), dpi=110)
    canvas_type(fig)
    label = fig.text(0.5, 0.5, text, fontsize=size, rotation=rotation, ha="center", va="center")
    fig.canvas.draw()
    return fig, label


def ink(fig: Figure) -> tuple[int, int, int, int]:
    """The box of the pixels that are not white: x0, y0, x1, y1 with y downwards."""
    grey = np.asarray(fig.canvas.buffer_rgba())[..., :3].min(axis=2)
    rows, cols = np.nonzero(grey < 250)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


@pytest.fixture(autouse=True)
def cjk() -> Any:
    with matplotlib.rc_context(fonts.rc()):
        yield


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("size", [7, 10, 12])
def test_text_is_drawn_where_matplotlib_draws_it(text: str, size: float) -> None:
    ours, _ = drawn(Canvas, text, size)
    theirs, _ = drawn(FigureCanvasAgg, text, size)
    a, b = ink(ours), ink(theirs)
    width = b[2] - b[0]
    assert abs(a[1] - b[1]) <= 1 and abs(a[3] - b[3]) <= 1  # same lines of pixels
    assert abs((a[0] + a[2]) - (b[0] + b[2])) / 2 <= 0.03 * width + 1  # centred alike
    assert abs((a[2] - a[0]) - width) <= 0.06 * width + 1  # as wide, but for kerning


@pytest.mark.parametrize("rotation", [0, 40, 90])
@pytest.mark.parametrize("text", TEXTS)
def test_the_ink_lies_inside_the_measured_box(text: str, rotation: float) -> None:
    fig, label = drawn(Canvas, text, 10, rotation)
    box = label.get_window_extent(fig.canvas.get_renderer())
    x0, y0, x1, y1 = ink(fig)
    height = fig.bbox.height
    assert box.x0 - 1 <= x0 and x1 <= box.x1 + 1
    assert height - box.y1 - 1 <= y0 and y1 <= height - box.y0 + 1
    assert (x1 - x0) >= 0.8 * box.width or (y1 - y0) >= 0.8 * box.height  # and fills it


def test_a_size_is_not_drawn_from_another_sizes_glyphs() -> None:
    small, _ = drawn(Canvas, "医保点值", 8)
    large, _ = drawn(Canvas, "医保点值", 16)
    (a0, _, a1, _), (b0, _, b1, _) = ink(small), ink(large)
    assert (b1 - b0) == pytest.approx(2 * (a1 - a0), abs=3)


def test_a_glyph_no_font_has_is_warned_of_on_every_drawing() -> None:
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            drawn(Canvas, "汕尾 \U0001fae8", 10)
        assert any("Glyph 129768" in str(w.message) and "missing from font" in str(w.message)
                   for w in caught)  # fmt: skip


#: The fonts the parent opened, for the forked child to compare its own with.
_PARENTS: list[Any] = []


def _own_fonts() -> bool:
    """In a forked child: whether its fonts are not the parent's, and draw."""
    mine = glyphs._chain(FontProperties(size=10))
    drawn(Canvas, "汕尾市 1,234", 10)
    return all(a is not b for a, b in zip(mine, _PARENTS, strict=True))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="figures are forked on Linux")
def test_a_forked_process_reads_the_fonts_through_its_own_files() -> None:
    drawn(Canvas, "汕尾市 1,234", 10)
    _PARENTS[:] = glyphs._chain(FontProperties(size=10))
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_own_fonts)  # shared file offsets would read them broken
    _PARENTS.clear()
