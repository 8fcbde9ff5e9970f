"""The figures' Axes: matplotlib's, drawing the same pixels with less of its per-artist work.

- Each tick after an axis's first is a copy of that first tick, as matplotlib makes it like
  the first (a new Tick, then the first's properties copied onto it), in a tenth of the time:
  a Tick's making (five artists, each reading its settings) is most of what ticks cost.
- An axis's first minor tick is made when a minor tick is first wanted (drawn, measured or
  set one by one), not with every axis: the figures draw none, and a first tick is the dearest.
- A bar chart's bars enter the data limits together once they are all made, each bar's
  corners worked out as matplotlib works them out, instead of one limits update per bar
  (most of the time a bar takes to make).
"""

from __future__ import annotations

import copy
from typing import Any, cast

import matplotlib as mpl
import numpy as np
from matplotlib import axis as maxis
from matplotlib import cbook
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import NullLocator

#: The artists of a Tick, each copied with it.
PARTS = ("tick1line", "tick2line", "gridline", "label1", "label2")
#: The points of a bar's unit square that matplotlib's limits take: each side's two ends, as
#: Path.iter_bezier gives them for Path.unit_rectangle().
SIDES_ENDS = np.array([[0, 0], [1, 0], [1, 0], [1, 1], [1, 1], [0, 1], [0, 1], [0, 0]], float)


def copied(tick: maxis.Tick) -> maxis.Tick:
    """A copy of `tick` drawn where it is set next (update_position), sharing nothing that
    changes in place: each artist with its own callbacks and font properties."""
    new = copy.copy(tick)
    new._callbacks = cbook.CallbackRegistry(signals=["pchanged"])  # type: ignore[attr-defined]
    for name in PARTS:
        part = copy.copy(getattr(tick, name))
        part._callbacks = cbook.CallbackRegistry(signals=["pchanged"])
        if hasattr(part, "_fontproperties"):  # the labels: set in place by set_fontsize etc.
            part._fontproperties = part._fontproperties.copy()
        setattr(new, name, part)
    new._copied_from = tick  # type: ignore[attr-defined]
    return new


#: The share of a tick's length outside the axes, by its direction (Tick.get_tick_padding).
OUTSIDE = {"in": 0.0, "inout": 0.5, "out": 1.0}
#: matplotlib's lazy list of an axis's minor ticks, which makes the first when first read.
_MADE_ON_READING = maxis.Axis.__dict__["minorTicks"]


class _MinorTicks:
    """An axis's minor ticks, made (by matplotlib's lazy list) once the axis has a minor
    locator; before, an empty list that is not kept: no minor tick is drawn or measured then."""

    def __get__(self, axis: Any, owner: Any = None) -> Any:
        if axis is None:
            return self
        if isinstance(axis.get_minor_locator(), NullLocator):
            return []
        return _MADE_ON_READING.__get__(axis, owner)


class _Copying:
    """An axis that makes its ticks after the first by copying the first, and its first minor
    tick only when one is wanted."""

    majorTicks: list[maxis.Tick]
    minorTicks: Any = _MinorTicks()
    _minor_tick_kw: dict[str, Any]
    axis_name: str
    _minor_clip: tuple[Any, Any] | None = None

    def _get_tick(self, major: bool) -> maxis.Tick:
        first = self.majorTicks if major else self.minorTicks
        if first:
            return copied(first[0])
        tick: maxis.Tick = super()._get_tick(major)  # type: ignore[misc]
        if not major and self._minor_clip is not None:  # clipped as it would have been
            tick.set_clip_path(*self._minor_clip)
        return tick

    def _minor_unmade(self) -> bool:
        """Whether the axis's first minor tick is still to be made."""
        return "minorTicks" not in vars(self)

    def set_clip_path(self, path: Any, transform: Any = None) -> None:
        """Axis.set_clip_path; an unmade minor tick is clipped when it is made."""
        super().set_clip_path(path, transform)  # type: ignore[misc]
        if self._minor_unmade():
            self._minor_clip = (path, transform)

    def get_minor_ticks(self, numticks: int | None = None) -> list[maxis.Tick]:
        """Axis.get_minor_ticks, the first made as matplotlib makes it where one is wanted."""
        if numticks is None:
            numticks = len(self.get_minorticklocs())  # type: ignore[attr-defined]
        if numticks and self._minor_unmade():
            _MADE_ON_READING.__get__(self, type(self))
        return super().get_minor_ticks(numticks)  # type: ignore[misc,no-any-return]

    def get_tick_padding(self) -> float:
        """Axis.get_tick_padding, an unmade minor tick's from the size and direction it would
        be made with."""
        if not self._minor_unmade():
            return super().get_tick_padding()  # type: ignore[misc,no-any-return]
        name = f"{self.axis_name}tick"  # the settings of an XTick or YTick
        kw, rc = self._minor_tick_kw, cast(Any, mpl.rcParams)
        size = rc[f"{name}.minor.size"] if kw.get("size") is None else kw["size"]
        direction = rc[f"{name}.direction"] if kw.get("tickdir") is None else kw["tickdir"]
        values = [size * OUTSIDE[direction]]
        if len(self.majorTicks):
            values.append(self.majorTicks[0].get_tick_padding())
        return max(values)

    def _copy_tick_props(self, src: maxis.Tick, dest: maxis.Tick) -> None:
        if getattr(dest, "_copied_from", None) is src:  # a copy of src has its properties
            return
        super()._copy_tick_props(src, dest)  # type: ignore[misc]


class XAxis(_Copying, maxis.XAxis):
    """matplotlib's x axis, its ticks copied from its first."""


class YAxis(_Copying, maxis.YAxis):
    """matplotlib's y axis, its ticks copied from its first."""


class LeanAxes(Axes):
    """matplotlib's Axes with axes that copy their first tick, and bars' limits taken at once."""

    _bars: list[Rectangle] | None = None

    def _init_axis(self) -> None:
        self.xaxis = XAxis(self, clear=False)
        self.spines.bottom.register_axis(self.xaxis)
        self.spines.top.register_axis(self.xaxis)
        self.yaxis = YAxis(self, clear=False)
        self.spines.left.register_axis(self.yaxis)
        self.spines.right.register_axis(self.yaxis)

    def bar(self, *args: Any, **kwargs: Any) -> Any:
        """Axes.bar (and barh, which calls it), its bars taken into the data limits together
        once they are made."""
        if self._bars is not None:
            return super().bar(*args, **kwargs)
        self._bars = []
        try:
            return super().bar(*args, **kwargs)
        finally:
            bars, self._bars = self._bars, None
            if bars:  # the points Axes._update_patch_limits takes, bar by bar
                ends = [(b.get_transform() - self.transData).transform(SIDES_ENDS) for b in bars]
                self.update_datalim(np.concatenate(ends))

    def _update_patch_limits(self, patch: Patch) -> None:
        """A plain bar in data coordinates is kept for bar's one update of the limits (none
        where it has neither width nor height, as matplotlib's); other patches as matplotlib's."""
        if (
            self._bars is not None
            and type(patch) is Rectangle
            and patch.get_angle() == 0
            and patch.get_path() is Path.unit_rectangle()
            and Artist.get_transform(patch) is self.transData
        ):
            if patch.get_width() or patch.get_height():
                self._bars.append(patch)
            return
        super()._update_patch_limits(patch)  # type: ignore[misc]


class LeanFigure(Figure):
    """A Figure whose subplots are LeanAxes unless another class is asked for."""

    def add_subplot(self, *args: Any, **kwargs: Any) -> Any:
        """Figure.add_subplot, with LeanAxes where no projection or class is named."""
        if "projection" not in kwargs and "polar" not in kwargs:
            kwargs.setdefault("axes_class", LeanAxes)
        return super().add_subplot(*args, **kwargs)
