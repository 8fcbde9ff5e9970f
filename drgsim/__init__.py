"""drgsim: simulate a city's hospital payment under global budget + DRG + point method."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drgsim.version import __version__

__all__ = ["__version__", "load_scenario", "run"]

if TYPE_CHECKING:
    from drgsim.records.results import Result
    from drgsim.scenario.schema import Scenario


def run(scenario: Any, **kwargs: Any) -> Result:
    """Run a scenario (YAML path, mapping or Scenario) and return its tables as DataFrames."""
    from drgsim.scale.runner import run as _run

    return _run(scenario, **kwargs)


def load_scenario(source: Any) -> Scenario:
    """Load and validate a scenario file."""
    from drgsim.scenario.loader import load_scenario as _load

    return _load(source)
