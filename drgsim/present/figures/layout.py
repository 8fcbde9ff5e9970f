"""Place a figure's grid of axes once from the extents of its labels, titles and notes: the
margins automatic (constrained) layout finds, in one measuring pass instead of its three."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from drgsim.present.figures.glyphs import Canvas

#: Space between the figure's edge and what is drawn, and around each axes' labels (inches).
PAD = 4 / 72
#: Room left for tick labels that change once the axes have their final size (inches).
SLACK = 3 / 72


def fit(fig: Figure) -> None:
    """Set the margins and gaps of the figure's grid so that no label, title or note of an
    axes overlaps another axes or leaves the figure; the title (text anchored at its top) keeps
    the head, footers (text anchored at the bottom) and figure legends the foot. A figure
    narrower than its title is widened to hold it."""
    canvas = fig.canvas if isinstance(fig.canvas, Canvas) else Canvas(fig)
    renderer = canvas.get_renderer()
    width, height = (float(v) for v in fig.get_size_inches())
    inch = fig.dpi
    needed = _widest(fig, renderer) / inch + 2 * PAD
    if needed > width:  # as wide as its title, and as its notes side by side
        width = needed
        fig.set_size_inches(width, height)
        renderer = canvas.get_renderer()
    head = foot = 0.0
    feet: list[Bbox] = []
    for text in fig.texts:
        box = text.get_window_extent(renderer)
        if text.get_verticalalignment() == "top":
            text.set_y(1 - PAD / height)
            head = max(head, PAD + box.height / inch)
        else:
            feet.append(box)
            foot = max(foot, box.y1 / inch)
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        lift = foot if any(_overlap(box, f) for f in feet) else 0.0
        if lift:
            legend.set_bbox_to_anchor((0, lift / height, 1, 1 - lift / height), fig.transFigure)
        foot = max(foot, lift + box.height / inch + PAD)
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_subplotspec() is not None]
    if not axes:
        return
    grid = axes[0].get_subplotspec().get_gridspec()  # type: ignore[union-attr]
    if not isinstance(grid, GridSpec):
        return
    rows, cols = grid.get_geometry()
    side = {"l": [0.0] * cols, "r": [0.0] * cols, "b": [0.0] * rows, "t": [0.0] * rows}
    with ticks_once(fig):
        reach = [_decorations(ax, renderer, inch) for ax in axes]
    for ax, (left, right, bottom, top) in zip(axes, reach, strict=True):
        spec = ax.get_subplotspec()
        assert spec is not None
        first_col, last_col = spec.colspan.start, spec.colspan.stop - 1
        first_row, last_row = spec.rowspan.start, spec.rowspan.stop - 1
        side["l"][first_col] = max(side["l"][first_col], left)
        side["r"][last_col] = max(side["r"][last_col], right)
        side["t"][first_row] = max(side["t"][first_row], top)
        side["b"][last_row] = max(side["b"][last_row], bottom)
    left = PAD + side["l"][0]
    right = PAD + side["r"][-1]
    top = head + PAD + side["t"][0]
    bottom = max(foot, PAD) + PAD + side["b"][-1]
    across = max((side["r"][j] + side["l"][j + 1] for j in range(cols - 1)), default=0.0)
    down = max((side["b"][i] + side["t"][i + 1] for i in range(rows - 1)), default=0.0)
    grid.update(
        left=left / width,
        right=1 - right / width,
        bottom=bottom / height,
        top=1 - top / height,
        wspace=_space(width - left - right, cols, across + 2 * PAD),
        hspace=_space(height - top - bottom, rows, down + 2 * PAD),
    )
    for ax in axes:  # GridSpec.update moves only pyplot's figures' axes
        spec = ax.get_subplotspec()
        assert spec is not None
        ax.set_position(spec.get_position(fig))


def _widest(fig: Figure, renderer: Any) -> float:
    """The width of the widest title of a figure, or of its notes side by side (pixels)."""
    heads, feet = [0.0], [0.0]
    for text in fig.texts:
        (heads if text.get_verticalalignment() == "top" else feet).append(
            text.get_window_extent(renderer).width
        )
    return max(max(heads), sum(feet) + PAD * fig.dpi * (len(feet) - 2))


@contextlib.contextmanager
def ticks_once(fig: Figure) -> Iterator[None]:
    """While the axes keep their places and limits (a measuring pass, a drawing), each axis
    works out its ticks and their labels' extents once: matplotlib works them out again for
    each spine, for the axis label, its title and for every axis sharing it."""
    axes = [axis for ax in fig.axes for axis in ax._axis_map.values()]
    for axis in axes:
        axis._update_ticks = functools.cache(axis._update_ticks)  # type: ignore[attr-defined]
        axis._get_ticklabel_bboxes = _boxes_once(axis._get_ticklabel_bboxes)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for axis in axes:
            del axis._update_ticks  # type: ignore[attr-defined]
            del axis._get_ticklabel_bboxes  # type: ignore[attr-defined]


@contextlib.contextmanager
def text_layouts_once() -> Iterator[None]:
    """While a figure is laid out and drawn, each text's layout (its lines' sizes and offsets
    from its anchor, which do not depend on where it stands) is worked out once for all texts of
    the same string, font, size, alignment, rotation and spacing: matplotlib works it out again
    each time a text is measured or drawn."""
    original = Text._get_layout  # type: ignore[attr-defined]
    done: dict[tuple[Any, ...], Any] = {}

    def once(text: Text, renderer: Any) -> Any:
        if text.get_wrap() or text.get_usetex():  # laid out from where it stands
            return original(text, renderer)
        prop = text._fontproperties  # type: ignore[attr-defined]
        key = (
            text.get_text(),
            tuple(prop.get_family()),
            prop.get_slant(),
            prop.get_variant(),
            prop.get_weight(),
            prop.get_stretch(),
            prop.get_size(),
            prop.get_file(),
            prop.get_math_fontfamily(),
            text._parse_math,  # type: ignore[attr-defined]
            text._linespacing,  # type: ignore[attr-defined]
            text._get_multialignment(),  # type: ignore[attr-defined]
            text.get_rotation(),
            text.get_rotation_mode(),
            text._horizontalalignment,  # type: ignore[attr-defined]
            text._verticalalignment,  # type: ignore[attr-defined]
            text.get_figure(root=True).dpi,  # type: ignore[union-attr]
            id(renderer),
        )
        found = done.get(key)
        if found is None:
            found = done[key] = (original(text, renderer), renderer)  # the renderer kept: its id
        return found[0]

    Text._get_layout = once  # type: ignore[attr-defined]
    try:
        yield
    finally:
        Text._get_layout = original  # type: ignore[attr-defined]


def _boxes_once(boxes: Any) -> Any:
    """An axis's _get_ticklabel_bboxes(ticks, renderer) worked out once for the same list of
    ticks (the one list the axis's cached _update_ticks gives) and renderer."""
    done: dict[tuple[int, int], tuple[Any, Any, Any]] = {}

    def once(ticks: list[Any], renderer: Any) -> Any:
        key = (id(ticks), id(renderer))
        if key not in done:  # the list and renderer are kept, so their ids stay theirs
            done[key] = (ticks, renderer, boxes(ticks, renderer))
        return done[key][2]

    return once


def _decorations(ax: Axes, renderer: Any, inch: float) -> tuple[float, float, float, float]:
    """How far an axes' labels, titles and notes reach past its frame on each side (inches),
    with slack for tick labels that change when it is resized."""
    frame = ax.get_window_extent(renderer)
    tight = ax.get_tightbbox(renderer, for_layout_only=True)
    if tight is None:
        return (0.0, 0.0, 0.0, 0.0)
    return (
        max(0.0, frame.x0 - tight.x0) / inch + SLACK,
        max(0.0, tight.x1 - frame.x1) / inch + SLACK,
        max(0.0, frame.y0 - tight.y0) / inch,
        max(0.0, tight.y1 - frame.y1) / inch,
    )


def _space(total: float, count: int, gap: float) -> float:
    """GridSpec's wspace or hspace for `gap` inches between `count` cells over `total` inches
    (a fraction of the mean cell)."""
    if count < 2:
        return 0.0
    cell = max((total - (count - 1) * gap) / count, 1e-3)
    return gap / cell


def _overlap(a: Bbox, b: Bbox) -> bool:
    """Whether two boxes overlap from left to right."""
    return a.x0 < b.x1 and b.x0 < a.x1
