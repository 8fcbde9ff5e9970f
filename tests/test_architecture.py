"""The layout's rules, read from the source with ast (nothing is imported): no import cycles,
and the core (kernels, payment rules, engine, population) never imports the edges."""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "drgsim"

CORE = (
    "drgsim.acts",
    "drgsim.kernels",
    "drgsim.rules",
    "drgsim.engine",
    "drgsim.population",
    "drgsim.acts",
    "drgsim.cases",
    "drgsim.errors",
)
EDGES = (
    "drgsim.records",
    "drgsim.present",
    "drgsim.scale",
    "drgsim.cli",
    "drgsim.scenario.loader",
    "drgsim.scenario.yamlio",
    "drgsim.scenario.grid",
    "yaml",
    "matplotlib",
    "dask",
    "distributed",
    "pandas",
    "pyarrow",
    "fontTools",
    "tqdm",
)
KERNELS_MAY_USE = ("numpy", "numba", "llvmlite", "drgsim.kernels")  # llvmlite: numba intrinsics
# The layers, bottom up: each part of drgsim imports only from the layers below it (or its own).
LAYERS = (
    (
        "drgsim.errors",
        "drgsim.version",
        "drgsim.cpus",
        "drgsim.fork_safe",
        "drgsim.acts",
        "drgsim.cases",
        "drgsim.scenario",
    ),
    ("drgsim.kernels",),
    ("drgsim.rules",),
    ("drgsim.population",),
    ("drgsim.engine",),
    ("drgsim.records",),
    ("drgsim.present",),
    ("drgsim.scale",),
    ("drgsim.cli",),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_sources() -> dict[str, str]:
    """Every module of the package by dotted name, as source text."""
    return {_module_name(p): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


def imports(sources: Mapping[str, str]) -> dict[str, set[str]]:
    """What each module imports, anywhere in it (functions and TYPE_CHECKING blocks included).

    A name inside drgsim is resolved to the module it lives in (`from drgsim.scale import sweep`
    → drgsim.scale.sweep); a name outside is kept whole (`pyarrow.parquet`).
    """
    graph: dict[str, set[str]] = {}
    for name, text in sources.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # a relative import
                    here = name.split(".")
                    keep = len(here) - node.level + (1 if _is_package(name, sources) else 0)
                    base = ".".join([*here[:keep], *([base] if base else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in sources else base)
        graph[name] = {_owner(target, sources) for target in found if target != "__future__"}
    return graph


def _is_package(name: str, sources: Mapping[str, str]) -> bool:
    return any(other.startswith(name + ".") for other in sources)


def _owner(target: str, sources: Mapping[str, str]) -> str:
    """The drgsim module a dotted name lives in (the name itself outside drgsim)."""
    if target.split(".")[0] != "drgsim":
        return target
    name = target
    while name not in sources:
        name = name.rpartition(".")[0]
    return name


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether a dotted name is one of the prefixes or lies inside one."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one node (or a node importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def packages(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """The graph between drgsim's top-level parts (drgsim.rules, drgsim.cli, …)."""

    def part(name: str) -> str:
        return ".".join(name.split(".")[:2])

    out: dict[str, set[str]] = {}
    for name, targets in graph.items():
        if name == "drgsim":  # the package's own front door (drgsim.run) stands above all
            continue
        mine = out.setdefault(part(name), set())
        mine.update(part(t) for t in targets if t.startswith("drgsim.") and part(t) != part(name))
    return out


def core_violations(graph: Mapping[str, set[str]]) -> list[str]:
    """`module -> import` for every import of an edge by the core, or of more than numpy and
    numba by a kernel (the standard library aside)."""
    bad = []
    for name, targets in sorted(graph.items()):
        if not within(name, CORE):
            continue
        for target in sorted(targets):
            if (
                within(target, EDGES)
                or target == "drgsim"
                or (
                    within(name, ("drgsim.kernels",))
                    and not within(target, KERNELS_MAY_USE)
                    and target.split(".")[0] not in sys.stdlib_module_names
                )
            ):
                bad.append(f"{name} -> {target}")
    return bad


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return imports(read_sources())


def test_the_package_is_read_whole(graph: dict[str, set[str]]) -> None:
    assert {"drgsim.cli", "drgsim.rules.pricing", "drgsim.kernels.rng"} <= set(graph)
    assert "drgsim.kernels.jit" in graph["drgsim.kernels.rng"]
    assert "yaml" in graph["drgsim.scenario.yamlio"]


def test_no_module_imports_another_that_imports_it_back(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_no_two_packages_import_each_other(graph: dict[str, set[str]]) -> None:
    assert cycles(packages(graph)) == []


def test_the_core_imports_none_of_the_edges(graph: dict[str, set[str]]) -> None:
    assert core_violations(graph) == []


def test_each_layer_imports_only_the_layers_below_it(graph: dict[str, set[str]]) -> None:
    level = {part: i for i, layer in enumerate(LAYERS) for part in layer}
    assert set(packages(graph)) == set(level)  # a new part of drgsim takes its place in LAYERS
    upward = [
        f"{part} -> {target}"
        for part, targets in packages(graph).items()
        for target in targets
        if level[target] > level[part]
    ]
    assert upward == []


def test_yaml_in_the_pricing_rules_would_be_caught() -> None:
    sources = read_sources()
    sources["drgsim.rules.pricing"] = "import yaml\n" + sources["drgsim.rules.pricing"]
    assert core_violations(imports(sources)) == ["drgsim.rules.pricing -> yaml"]


def test_a_kernel_reaching_for_pandas_or_the_rules_would_be_caught() -> None:
    sources = read_sources()
    sources["drgsim.kernels.price"] += "\nimport pandas\nfrom drgsim.rules import money\n"
    assert core_violations(imports(sources)) == [
        "drgsim.kernels.price -> drgsim.rules.money",
        "drgsim.kernels.price -> pandas",
    ]


def test_a_cycle_through_a_function_level_import_would_be_caught() -> None:
    sources = read_sources()
    sources["drgsim.scale.sweep"] += "\ndef main():\n    from drgsim.cli import main\n"
    graph = imports(sources)
    assert ["drgsim.cli", "drgsim.scale.sweep"] in cycles(graph)
    assert ["drgsim.cli", "drgsim.scale"] in cycles(packages(graph))


def test_relative_imports_resolve_like_absolute_ones() -> None:
    sources = {
        "drgsim": "",
        "drgsim.rules": "",
        "drgsim.rules.a": "from . import b\nfrom .b import f\n",
        "drgsim.rules.b": "from ..rules import a\n",
    }
    graph = imports(sources)
    assert graph["drgsim.rules.a"] == {"drgsim.rules.b"}
    assert graph["drgsim.rules.b"] == {"drgsim.rules.a"}
    assert cycles(graph) == [["drgsim.rules.a", "drgsim.rules.b"]]
