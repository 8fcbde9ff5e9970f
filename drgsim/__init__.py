"""drgsim: simulate a city's hospital payment under global budget + DRG + point method."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drgsim.present.cjk import use_chinese_font
from drgsim.scale.front import run
from drgsim.version import __version__

__all__ = ["Result", "__version__", "load_scenario", "run", "use_chinese_font"]

if TYPE_CHECKING:
    from drgsim.present.outputs import Result
    from drgsim.scenario.schema import Scenario


def load_scenario(source: Any) -> Scenario:
    """Load and validate a scenario file."""
    from drgsim.scenario.loader import load_scenario as _load

    return _load(source)


def __getattr__(name: str) -> Any:
    """`drgsim.Result`, imported when first asked for (it brings pandas)."""
    if name == "Result":
        from drgsim.present.outputs import Result

        return Result
    raise AttributeError(f"module 'drgsim' has no attribute {name!r}")
