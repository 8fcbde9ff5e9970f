"""Figures whose axes make each tick after an axis's first as a copy of that first tick, as
matplotlib makes it like the first (a new Tick, then the first's properties copied onto it),
in a tenth of the time: a Tick's making (five artists, each reading its settings) is most of
what a figure's hundreds of ticks cost."""

from __future__ import annotations

import copy
from typing import Any

from matplotlib import axis as maxis
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: The artists of a Tick, each copied with it.
PARTS = ("tick1line", "tick2line", "gridline", "label1", "label2")


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


class _Copying:
    """An axis that makes its ticks after the first by copying the first."""

    majorTicks: list[maxis.Tick]
    minorTicks: list[maxis.Tick]

    def _get_tick(self, major: bool) -> maxis.Tick:
        first = self.majorTicks if major else self.minorTicks
        if first:
            return copied(first[0])
        return super()._get_tick(major)  # type: ignore[misc,no-any-return]

    def _copy_tick_props(self, src: maxis.Tick, dest: maxis.Tick) -> None:
        if getattr(dest, "_copied_from", None) is src:  # a copy of src has its properties
            return
        super()._copy_tick_props(src, dest)  # type: ignore[misc]


class XAxis(_Copying, maxis.XAxis):
    """matplotlib's x axis, its ticks copied from its first."""


class YAxis(_Copying, maxis.YAxis):
    """matplotlib's y axis, its ticks copied from its first."""


class TickAxes(Axes):
    """matplotlib's Axes with axes that copy their first tick."""

    def _init_axis(self) -> None:
        self.xaxis = XAxis(self, clear=False)
        self.spines.bottom.register_axis(self.xaxis)
        self.spines.top.register_axis(self.xaxis)
        self.yaxis = YAxis(self, clear=False)
        self.spines.left.register_axis(self.yaxis)
        self.spines.right.register_axis(self.yaxis)


class TickFigure(Figure):
    """A Figure whose subplots are TickAxes unless another class is asked for."""

    def add_subplot(self, *args: Any, **kwargs: Any) -> Any:
        """Figure.add_subplot, with TickAxes where no projection or class is named."""
        if "projection" not in kwargs and "polar" not in kwargs:
            kwargs.setdefault("axes_class", TickAxes)
        return super().add_subplot(*args, **kwargs)
