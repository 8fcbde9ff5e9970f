"""Sweep grids: `KEY=0.85,0.9` and `KEY=a:b:n` flags or a YAML `sweep.grid`, as value lists."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

from drgsim.errors import DrgsimError
from drgsim.scenario.yamlio import parse_value

Grid = dict[str, list[Any]]
_RANGE = re.compile(r"^\s*([^:,\[\]{}]+):([^:,\[\]{}]+):([^:,\[\]{}]+)\s*$")


def parse_flags(flags: list[str]) -> Grid:
    """The grid of repeated `--grid KEY=SPEC` flags, keys in the order given."""
    grid: Grid = {}
    for flag in flags:
        key, sep, spec = flag.partition("=")
        key = key.strip()
        where = f"--grid {flag}"
        if not sep or not key or not spec.strip():
            raise DrgsimError(
                f"{where}: expected KEY=VALUES, e.g. settlement.prepay_share=0.85,0.9"
            )
        if key in grid:
            raise DrgsimError(f"{where}: {key} is swept twice; give each key one --grid")
        grid[key] = parse_spec(spec, where)
    return grid


def parse_section(section: Any, where: str) -> Grid:
    """The grid of a YAML `sweep.grid` mapping: key → list, `{start, stop, num}` or a flag spec."""
    if not isinstance(section, Mapping) or not section:
        raise DrgsimError(f"{where}: got {section!r}; expected a mapping of dotted keys to values")
    grid: Grid = {}
    for key, spec in section.items():
        here = f"{where}.{key}"
        if isinstance(spec, list):
            if not spec:
                raise DrgsimError(f"{here}: got []; expected at least one value")
            grid[str(key)] = list(spec)
        elif isinstance(spec, Mapping):
            if set(spec) != {"start", "stop", "num"}:
                raise DrgsimError(
                    f"{here}: got {dict(spec)}; expected a list of values or {{start, stop, num}}"
                )
            grid[str(key)] = _linspace(spec["start"], spec["stop"], spec["num"], here)
        elif isinstance(spec, str):
            grid[str(key)] = parse_spec(spec, here)
        else:
            grid[str(key)] = [spec]
    return grid


def parse_spec(spec: str, where: str) -> list[Any]:
    """Values of one spec: `a:b:n` (n points from a to b inclusive) or a comma list of YAML values."""
    match = _RANGE.match(spec)
    if match:
        start, stop, num = (parse_value(p, where) for p in match.groups())
        return _linspace(start, stop, num, where)
    values = []
    for item in _split(spec):
        if not item.strip():
            raise DrgsimError(f"{where}: empty value in {spec!r}; expected a,b,c or start:stop:n")
        values.append(parse_value(item, where))
    return values


def _split(spec: str) -> list[str]:
    """Split on commas outside brackets and braces, so `[1,2],[3,4]` is two list values."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(spec):
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(spec[start:i])
            start = i + 1
    parts.append(spec[start:])
    return parts


def _linspace(start: Any, stop: Any, num: Any, where: str) -> list[Any]:
    """n evenly spaced values from start to stop inclusive; whole numbers stay whole."""
    nums = (start, stop)
    if not all(_is_number(v) for v in nums) or not isinstance(num, int) or isinstance(num, bool):
        raise DrgsimError(
            f"{where}: got {start}:{stop}:{num}; expected start:stop:n with numbers and a whole n"
        )
    if num < 1:
        raise DrgsimError(f"{where}: got n = {num}; expected n >= 1 points")
    if num == 1:
        return [start]
    step = (stop - start) / (num - 1)
    values = [float(f"{start + step * i:.12g}") for i in range(num - 1)] + [stop]
    if isinstance(start, int) and isinstance(stop, int) and all(v == int(v) for v in values):
        return [int(v) for v in values]
    return [float(v) for v in values]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def points(grid: Grid) -> list[dict[str, Any]]:
    """Every grid point (the cross product), the last key varying fastest."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]
