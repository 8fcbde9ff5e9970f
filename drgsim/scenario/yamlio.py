"""Strict YAML reading: duplicate keys are errors and every key path remembers its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from drgsim.errors import NO_VALUE, ScenarioError, problem


def read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    """Read a YAML file into plain Python objects and a map from dotted key path to line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            [problem(str(path), None, "", str(path), "the scenario file does not exist")]
        ) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [problem(str(path), None, "", f"byte {exc.start}", "the file must be UTF-8 text")]
        ) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, name: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML text into plain objects and a line map, rejecting duplicate keys."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([problem(name, line, "", what, "the file is not valid YAML")]) from None
    lines: dict[str, int] = {}
    if node is None:
        raise ScenarioError(
            [
                problem(
                    name,
                    None,
                    "",
                    NO_VALUE,
                    "the file is empty; expected a mapping "
                    "of scenario keys (name, seed, hospitals, …)",
                )
            ]
        )
    constructor = yaml.SafeLoader("")
    problems: list[str] = []
    value = _to_python(node, "", constructor, lines, problems, name)
    if problems:
        raise ScenarioError(problems)
    return value, lines


def _to_python(
    node: yaml.Node,
    path: str,
    constructor: yaml.SafeLoader,
    lines: dict[str, int],
    problems: list[str],
    name: str,
) -> Any:
    """Convert a composed node tree to Python objects, recording lines and duplicate keys."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            sub = f"{path}.{key}" if path else str(key)
            if key in out:
                problems.append(
                    problem(
                        name,
                        key_node.start_mark.line + 1,
                        sub,
                        NO_VALUE,
                        f"duplicate key (first on line {lines.get(sub)})",
                    )
                )
                continue
            lines[sub] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, sub, constructor, lines, problems, name)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(item, f"{path}.{i}", constructor, lines, problems, name)
            for i, item in enumerate(node.value)
        ]
    return constructor.construct_object(node, deep=True)
