"""The README and docs/ describe the code as it is: every path they name exists, every module and
function they name is there, and docs/rules.md lists every payment-rule key with its default."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from drgsim.records.importing import COLUMNS
from drgsim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TOP = ("drgsim/", "docs/", "scenarios/", "tests/", "data/", "benchmarks/", ".ci/")
ROOT_FILES = ("README.md", "CHANGELOG.md", "pyproject.toml")
#: The sections of a scenario that hold the payment rules and the hospitals' acts.
RULE_SECTIONS = (
    "catalogue",
    "base_points",
    "weights",
    "coefficient",
    "outliers",
    "special_review",
    "incomplete_stay_days",
    "readmission",
    "budget",
    "reporting",
    "settlement",
    "point_value",
    "growth",
    "clearing",
    "audit",
    "incentive",
    "behaviour",
    "adaptation",
    "cost",
)


def paths_named(text: str) -> set[str]:
    """Repository paths a Markdown text names: in `code`, in links and images."""
    found = set()
    for token in re.findall(r"`([^`\s]+)`|\]\(([^)\s]+)\)", text):
        name = (token[0] or token[1]).rstrip(".,:;")
        if re.search(r"[<>{}*…]|://", name):  # a placeholder, a pattern or a URL
            continue
        if name.startswith(TOP) or name in ROOT_FILES:
            found.add(name.split("#")[0])
    return found


def modules_named(text: str) -> set[str]:
    """Dotted names under drgsim a text mentions (`drgsim.records.catalogue_synth`, `drgsim.run`)."""
    return set(re.findall(r"\bdrgsim(?:\.[A-Za-z_]\w*)+", text))


def resolves(dotted: str) -> bool:
    """Whether a dotted name is a module of drgsim, or a name defined at the top of one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = REPO.joinpath(*parts[:cut])
        source = (
            base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        )
        if not source.is_file():
            continue
        rest = parts[cut:]
        if not rest:
            return True
        defined = (
            rf"^(?:def |class |){re.escape(rest[0])}\b|^from \S+ import .*\b{re.escape(rest[0])}\b"
        )
        return len(rest) == 1 and re.search(defined, source.read_text("utf-8"), re.M) is not None
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_path_a_document_names_exists(doc: Path) -> None:
    missing = sorted(p for p in paths_named(doc.read_text("utf-8")) if not (REPO / p).exists())
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_module_or_function_a_document_names_exists(doc: Path) -> None:
    missing = sorted(m for m in modules_named(doc.read_text("utf-8")) if not resolves(m))
    assert missing == []


def test_the_path_checks_would_catch_a_stale_name() -> None:
    text = (
        "see `drgsim/schema.py`, [rules](docs/rules.md), `out/report.html` and `drgsim.catalogue`"
    )
    assert paths_named(text) == {"drgsim/schema.py", "docs/rules.md"}
    assert not (REPO / "drgsim/schema.py").exists()
    assert not resolves("drgsim.catalogue") and not resolves("drgsim.rules.pricing.nothing")
    assert resolves("drgsim.rules.pricing.price") and resolves("drgsim.run")
    assert resolves("drgsim.records.catalogue_synth")


def test_architecture_md_says_what_every_module_does() -> None:
    text = (REPO / "docs" / "architecture.md").read_text("utf-8")
    described = set(re.findall(r"^\| `(drgsim/[\w/]+\.py)` \|", text, re.M))
    modules = {
        str(p.relative_to(REPO))
        for p in (REPO / "drgsim").rglob("*.py")
        if p.name != "__init__.py" or p.parent.name == "drgsim"
    }
    assert sorted(modules - described) == []


def test_every_function_architecture_md_says_a_rule_lives_in_is_defined() -> None:
    text = (REPO / "docs" / "architecture.md").read_text("utf-8")
    table = text.split("## Where each rule lives")[1].split("\n## ")[0]
    named = {
        name
        for row in re.findall(r"^\|[^|]*\|[^|]*\|([^|]*)\|", table, re.M)
        for group in re.findall(r"\(([^)]*)\)", row)
        for name in re.findall(r"`(\w+)`", group)
    }
    sources = "\n".join(p.read_text("utf-8") for p in (REPO / "drgsim").rglob("*.py"))
    undefined = sorted(
        name
        for name in named
        if not re.search(rf"^\s*(?:def|class) {name}\b|^\s*{name}\s*(?::[^=\n]*)?=", sources, re.M)
    )
    assert len(named) > 10 and undefined == []


def test_the_readme_case_columns_are_the_importer_s() -> None:
    lines = ["| column | required | meaning | headers recognised |", "|---|---|---|---|"]
    for c in COLUMNS:
        lines.append(f"| `{c.name}` | {c.required} | {c.meaning} | {', '.join(c.aliases)} |")
    assert "\n".join(lines) in (REPO / "README.md").read_text("utf-8")


def rule_keys() -> dict[str, Any]:
    """Every key of the rule sections as a dotted path → its default (a mapping is one key)."""
    return {key: default for key, (default, _) in rule_keys_with_fallbacks().items()}


def rule_keys_with_fallbacks() -> dict[str, tuple[Any, Any]]:
    """Every key of the rule sections → (its default, what a null inherits at last, or None)."""
    out: dict[str, tuple[Any, Any]] = {}

    def walk(prefix: str, value: Any, fallback: Any) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(f"{prefix}.{f.name}", getattr(value, f.name), f.metadata.get("fallback"))
        else:
            out[prefix] = (value, fallback)

    scn = Scenario()
    for name in RULE_SECTIONS:
        walk(name, getattr(scn, name), None)
    return out


def plain(value: Any) -> Any:
    """A default as YAML would read it back: tuples as lists, dataclasses as mappings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def documented_defaults(text: str) -> dict[str, str]:
    """`key` → its default cell, from the rows of docs/rules.md's key tables."""
    return dict(re.findall(r"^\| `([a-z_.]+)` \| ([^|]*?) \|", text, re.M))


def test_rules_md_lists_every_rule_key_with_its_default() -> None:
    rows = documented_defaults((REPO / "docs" / "rules.md").read_text("utf-8"))
    indicators = rule_keys().pop("incentive.indicators")
    problems = []
    for key, (default, fallback) in rule_keys_with_fallbacks().items():
        if key == "incentive.indicators":
            continue
        if key not in rows:
            problems.append(f"{key}: no row")
            continue
        # "null (0)": the default, then in brackets what a null inherits at last
        cell, _, inherited = rows[key].partition(" (")
        documented = (yaml.safe_load(cell), yaml.safe_load(inherited[:-1]) if inherited else None)
        if documented != (plain(default), fallback):
            problems.append(f"{key}: documented {rows[key]!r}, default {default!r} ({fallback})")
    assert problems == []
    assert "incentive.indicators" in rows and indicators


def test_rules_md_gives_each_indicator_s_weight_best_and_worst() -> None:
    text = (REPO / "docs" / "rules.md").read_text("utf-8")
    table = {
        name: [float(x) for x in (w, best, worst)]
        for name, w, best, worst in re.findall(
            r"^\| `([a-z_]+)`[^|]*\|[^|]*\| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", text, re.M
        )
    }
    expected = {
        name: [ind.weight, ind.best, ind.worst]
        for name, ind in Scenario().incentive.indicators.items()
    }
    assert table == expected
