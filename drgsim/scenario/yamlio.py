"""Strict YAML reading: plain values only, bounded size, duplicate keys refused, lines remembered.

Every YAML text drgsim reads (scenario files, `--set` and `--grid` values) goes through
`parse_yaml`, which first streams the parser's events — an iterative pass that cannot recurse
or expand — and refuses custom tags, nesting deeper than `MAX_DEPTH` and aliases that would
expand to more than `MAX_VALUES` values, each as one line naming the key path.  Only then is
the text composed and converted, so that neither step can blow the stack or the memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from drgsim.errors import NO_VALUE, ScenarioError, problem

MAX_DEPTH = 64  # nested mappings and lists; a scenario needs fewer than 10
MAX_VALUES = 100_000  # values after aliases are expanded; a large scenario has a few thousand
_STANDARD = "tag:yaml.org,2002:"
# libyaml's event parser when present: fast, and it stops nesting itself at 1,000 levels
_EVENTS_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PLAIN_TAGS = frozenset(
    _STANDARD + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


def read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    """Read a YAML file into plain Python objects and a map from dotted key path to line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            [problem(str(path), None, "", str(path), _missing_file_hint(path))]
        ) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [problem(str(path), None, "", f"byte {exc.start}", "the file must be UTF-8 text")]
        ) from None
    except OSError as exc:  # a directory, a file without read permission, …
        raise ScenarioError(
            [
                problem(
                    str(path),
                    None,
                    "",
                    NO_VALUE,
                    f"cannot be read ({exc.strerror}); expected a YAML file",
                )
            ]
        ) from None
    return parse_yaml(text, str(path))


def parse_value(text: str, name: str) -> Any:
    """One YAML value (a `--set` or `--grid` value) read under the same limits as a file."""
    if not text.strip():
        return None
    return _parse(text, name, whole_file=False)[0]


def parse_yaml(text: str, name: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML text into plain objects and a line map, rejecting duplicate keys."""
    return _parse(text, name, whole_file=True)


def _parse(text: str, name: str, *, whole_file: bool) -> tuple[Any, dict[str, int]]:
    """Check the event stream, then compose and convert the text (a file's, or one value's)."""
    try:
        _check_events(yaml.parse(text, Loader=_EVENTS_LOADER), name, whole_file)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None and whole_file else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "nesting depth" in what:  # libyaml's own limit, met before ours on one long line
            raise ScenarioError([_too_deep(name, line, "")]) from None
        kind = "the file" if whole_file else "the value"
        raise ScenarioError([problem(name, line, "", what, f"{kind} is not valid YAML")]) from None
    lines: dict[str, int] = {}
    if node is None:
        if not whole_file:
            return None, lines
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


class _Frame:
    """One open mapping or list of the event stream: its key path, its size so far, its anchor."""

    def __init__(self, path: str, is_mapping: bool, anchor: str | None) -> None:
        self.path = path
        self.is_mapping = is_mapping
        self.anchor = anchor
        self.size = 1  # values it stands for once aliases are expanded, itself included
        self.items = 0  # keys and values (mapping) or items (list) seen so far
        self.key = ""

    def expects_key(self) -> bool:
        return self.is_mapping and self.items % 2 == 0

    def path_of(self, key: str | None = None) -> str:
        """The key path of `key` in this mapping, or of the value or item that comes next."""
        part = key if key is not None else (self.key if self.is_mapping else str(self.items))
        return f"{self.path}.{part}" if self.path else part


def _check_events(events: Iterator[yaml.Event], name: str, with_lines: bool) -> None:
    """Refuse custom tags, odd keys, deep nesting and aliases that expand too far."""
    stack: list[_Frame] = []
    sizes: dict[str, int] = {}  # anchor → values it stands for, once its node is complete
    total = 0

    def fail(event: yaml.Event, value: object, allowed: str, key: str | None = None) -> None:
        path = stack[-1].path_of(key) if stack else ""
        if len(path) > 60:
            path = path[:57] + "..."
        raise ScenarioError([problem(name, line_of(event), path, value, allowed)])

    def line_of(event: yaml.Event) -> int | None:
        mark = event.start_mark
        return mark.line + 1 if with_lines and mark is not None else None

    def count(event: yaml.Event, size: int) -> None:
        nonlocal total
        total += size
        if total > MAX_VALUES:
            fail(
                event,
                f"more than {MAX_VALUES:,} values",
                f"allowed: at most {MAX_VALUES:,} values in all, aliases (*name) expanded",
            )

    def close(size: int, key: str | None = None) -> None:
        if stack:
            top = stack[-1]
            if top.expects_key() and key is not None:
                top.key = key
            top.items += 1
            top.size += size

    for event in events:
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in PLAIN_TAGS:
            fail(
                event,
                tag.replace(_STANDARD, "!!"),
                "allowed: plain YAML values without tags (!!str, !!int, !!float, !!bool, !!null)",
            )
        at_key = bool(stack) and stack[-1].expects_key()
        if isinstance(event, yaml.CollectionStartEvent):
            if at_key:
                fail(event, "a list or mapping as a key", "allowed: keys are plain text", "?")
            if len(stack) >= MAX_DEPTH:
                path = stack[-1].path_of()
                raise ScenarioError([_too_deep(name, line_of(event), path)])
            count(event, 1)
            path = stack[-1].path_of() if stack else ""
            stack.append(_Frame(path, isinstance(event, yaml.MappingStartEvent), event.anchor))
        elif isinstance(event, yaml.CollectionEndEvent):
            frame = stack.pop()
            if frame.anchor is not None:
                sizes[frame.anchor] = frame.size
            close(frame.size)
        elif isinstance(event, yaml.ScalarEvent):
            if at_key and event.value == "<<" and event.implicit[0]:
                fail(event, "<<", "allowed: plain keys; merge keys (<<) are not read", "<<")
            if event.anchor is not None:
                sizes[event.anchor] = 1
            count(event, 1)
            close(1, event.value)
        elif isinstance(event, yaml.AliasEvent):
            if at_key:
                fail(event, f"*{event.anchor}", "allowed: keys are plain text, not aliases", "?")
            if any(f.anchor == event.anchor for f in stack):
                fail(
                    event, f"*{event.anchor}", "allowed: aliases to values that do not contain them"
                )
            size = sizes.get(event.anchor or "", 1)
            count(event, size)
            close(size)


def _too_deep(name: str, line: int | None, path: str) -> str:
    """The problem of a file nested deeper than `MAX_DEPTH`."""
    if len(path) > 60:
        path = path[:57] + "..."
    return problem(
        name, line, path, f"nesting deeper than {MAX_DEPTH}", f"allowed: {MAX_DEPTH} levels"
    )


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


def _missing_file_hint(path: Path) -> str:
    """What to say of a scenario file that does not exist: the shipped one of that name, if any,
    else where the shipped scenarios are."""
    shipped = shipped_scenarios()
    same = shipped / f"{path.stem}.yaml"
    if same.is_file():
        return f"the scenario file does not exist; did you mean {_shown(same)}?"
    names = ", ".join(shipped_names())
    return f"the scenario file does not exist; the shipped scenarios ({names}) are in {_shown(shipped)}/"


def _shown(path: Path) -> str:
    """A path as a user would type it: relative to the working directory where it lies in it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def shipped_scenarios() -> Path:
    """The folder of the shipped scenarios: `_scenarios` in the wheel or the repo's `scenarios`."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "_scenarios", package.parent / "scenarios"):
        if folder.is_dir():
            return folder
    return package.parent / "scenarios"


def shipped_names() -> list[str]:
    """The names of the shipped scenarios (what `extends:` takes), sorted."""
    return sorted(p.stem for p in shipped_scenarios().glob("*.yaml"))
