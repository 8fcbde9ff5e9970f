"""`drgsim keys`: every scenario key of the schema, its default, and docs/keys.md kept current."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli

from drgsim.scenario.keys import listing, scenario_keys
from drgsim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[1]


def schema_paths(cls: Any, prefix: str = "") -> set[str]:
    """The schema's leaf keys, walked here on its own: `*` for any name of a mapping or list.

    A field holding a dataclass is a section (its fields are the keys); one holding a mapping
    or a list of dataclasses is a key itself, and each item's fields are keys too.
    """
    out: set[str] = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        path = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(tp):
            out |= schema_paths(tp, path + ".")
            continue
        out.add(path)
        items = [a for a in typing.get_args(tp) if dataclasses.is_dataclass(a)]
        if items:
            out |= schema_paths(items[0], path + ".*.")
    return out


def wildcard(key: str) -> str:
    """A listed key with its placeholders (`<id>`, `[]`) as `*`."""
    parts = key.replace("[]", ".*").split(".")
    return ".".join("*" if p.startswith("<") and p.endswith(">") else p for p in parts)


def plain(value: Any) -> Any:
    """A default as YAML reads it back: tuples as lists, sections as mappings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def test_the_listed_keys_are_the_schema_s_keys() -> None:
    listed = [wildcard(k.key) for k in scenario_keys()]
    assert len(listed) == len(set(listed)), "a key is listed twice"
    assert set(listed) == schema_paths(Scenario)


def test_a_nested_hospital_act_key_and_a_list_item_key_are_listed() -> None:
    keys = {k.key for k in scenario_keys()}
    assert "hospitals.<id>.upcoding.rate" in keys
    assert "tiers.<tier>.shifting.destination.higher" in keys
    assert "outliers.high[].ratio" in keys
    assert "budget.reserve" in keys


def test_each_concrete_key_shows_the_schema_s_default() -> None:
    problems = []
    checked = 0
    for k in scenario_keys():
        if "<" in k.key or "[]" in k.key:
            continue
        value: Any = Scenario()
        for part in k.key.split("."):
            value = getattr(value, part)
        shown = k.default
        if shown.startswith("null → "):  # an act's key: null, inheriting its fallback at last
            assert value is None, k.key
            continue
        checked += 1
        if yaml.safe_load(shown) != plain(value):
            problems.append(f"{k.key}: shows {shown!r}, schema has {value!r}")
    assert problems == []
    assert checked > 50


def test_the_allowed_values_come_from_the_schema_s_range() -> None:
    allowed = {k.key: k.allowed for k in scenario_keys()}
    assert allowed["budget.reserve"] == "number in [0, 1)"  # ge=0, lt=1
    assert allowed["years"] == "whole number in [1, 50]"
    assert allowed["base_points"] == "number > 0"
    assert allowed["settlement.mode"] == "pool | clearing | repricing"
    assert allowed["budget.annual"] == "number ≥ 0, or null"


def test_docs_keys_md_is_the_generated_markdown() -> None:
    written = (REPO / "docs" / "keys.md").read_text(encoding="utf-8")
    assert written == listing(markdown=True), "run: drgsim keys --markdown > docs/keys.md"


def test_the_readme_links_to_the_key_list() -> None:
    assert "docs/keys.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_markdown_has_one_row_per_key_and_no_raw_placeholder_tags() -> None:
    text = listing(markdown=True)
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == len(list(scenario_keys()))
    for row in rows:  # outside code spans a <placeholder> would be read as an HTML tag
        outside = row.split("`")[::2]
        assert not any("<" in part for part in outside), row


def test_a_prefix_lists_the_keys_under_it_with_a_hospital_id_for_its_placeholder() -> None:
    proc = run_cli("keys", "hospitals.SW01.upcoding")
    assert proc.returncode == 0, proc.stderr
    listed = [line.split(" = ")[0] for line in proc.stdout.splitlines() if " = " in line]
    assert listed == [
        k.key for k in scenario_keys() if k.key.startswith("hospitals.<id>.upcoding.")
    ]
    assert len(listed) == 4


@pytest.mark.parametrize(
    ("prefix", "near"), [("budjet", "budget"), ("audit.penalties", "audit.penalty")]
)
def test_an_unknown_prefix_is_one_line_naming_it_and_the_nearest_keys(
    prefix: str, near: str
) -> None:
    proc = run_cli("keys", prefix)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert repr(prefix) in lines[0]
    assert f"nearest: {near}," in lines[0]
