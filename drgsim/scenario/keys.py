"""Every scenario key of the schema with its default, allowed values, meaning and source.

The keys are found by walking the dataclasses of drgsim.scenario.schema, so the list cannot
go stale: a nested section adds its keys under its name (`budget.reserve`), a mapping of
sections adds them under a placeholder (`hospitals.<id>.tier`), a list of sections under `[]`
(`outliers.high[].ratio`). `drgsim keys` prints them; docs/keys.md is their Markdown.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from drgsim.errors import DrgsimError
from drgsim.scenario.schema import Scenario

#: The placeholder standing for a mapping's own names, by the mapping's key.
PLACEHOLDERS = {
    "hospitals": "<id>",
    "tiers": "<tier>",
    "funds": "<fund>",
    "indicators": "<indicator>",
}


@dataclass(frozen=True)
class KeyInfo:
    """One scenario key: its dotted path, default, allowed values, meaning and source."""

    key: str
    default: str
    allowed: str
    doc: str
    source: str


def scenario_keys(cls: Any = Scenario, prefix: str = "") -> Iterator[KeyInfo]:
    """Every leaf key of the schema dataclass `cls`, in the schema's order."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        path = f"{prefix}{f.name}"
        tp, optional = _strip_optional(hints[f.name])
        inner = _section_of(tp)
        if inner is not None and typing.get_origin(tp) is None:  # a nested section
            yield from scenario_keys(inner, f"{path}.")
            continue
        yield _info(path, f, tp, optional)
        if inner is not None:  # a mapping or a list of sections: their keys too
            each = "[]" if typing.get_origin(tp) is tuple else f".{_placeholder(f.name, tp)}"
            yield from scenario_keys(inner, f"{path}{each}.")


def listing(prefix: str = "", *, markdown: bool = False) -> str:
    """The keys at or under `prefix` (all without one) as terminal text or Markdown.

    An unknown prefix raises DrgsimError naming it and the nearest keys.
    """
    keys = list(scenario_keys())
    chosen = select(keys, prefix) if prefix else keys
    if not chosen:
        close = nearest(keys, prefix)
        hint = f"; nearest: {', '.join(close)}" if close else "; `drgsim keys` lists them all"
        raise DrgsimError(f"keys {prefix}: no scenario key is or starts with {prefix!r}{hint}")
    return as_markdown(chosen) if markdown else as_text(chosen)


def select(keys: list[KeyInfo], prefix: str) -> list[KeyInfo]:
    """The keys at or under the dotted `prefix`; a placeholder matches any name (SW01, 3)."""
    want = _parts(prefix)
    return [k for k in keys if _starts_with(_parts(k.key), want)]


def nearest(keys: list[KeyInfo], prefix: str, n: int = 3) -> list[str]:
    """The keys (or sections) whose names are closest to an unknown `prefix`."""
    names = sorted(
        {".".join(_parts(k.key)[:i]) for k in keys for i in range(1, 1 + len(_parts(k.key)))}
    )
    return difflib.get_close_matches(prefix, names, n=n, cutoff=0.5)


def as_text(keys: list[KeyInfo]) -> str:
    """The keys for a terminal: each key with its default and allowed values, then its meaning."""
    out = []
    for k in keys:
        out.append(f"{k.key} = {k.default}    ({k.allowed})")
        meaning = " — ".join(p for p in (k.doc, k.source and f"source: {k.source}") if p)
        if meaning:
            out.append(f"    {meaning}")
    return "\n".join(out) + "\n"


def as_markdown(keys: list[KeyInfo]) -> str:
    """The keys as Markdown: one table per top-level section, in the schema's order."""
    out = [
        "# Scenario keys",
        "",
        "Every key a scenario file (or `--set`, a variant, a sweep grid) can write, with its",
        "default, the values allowed, what it means and where its default comes from. Generated",
        "from `drgsim/scenario/schema.py` by `drgsim keys --markdown`; do not edit by hand.",
        "`<id>`, `<tier>`, `<fund>` and `<indicator>` stand for a hospital id, a tier (1–3), a",
        "fund's name and an indicator's name; `[]` for each item of a list. Act keys (rates and",
        "their parameters) left null inherit hospital → tier → region; the default shown after",
        "`null →` is what applies when no level sets them. The rules behind the keys:",
        "[rules.md](rules.md).",
    ]
    section = None
    for k in keys:
        top = _parts(k.key)[0]
        if top != section:
            section = top
            out += ["", f"## `{top}`", "", "| key | default | allowed | meaning | source |"]
            out.append("|---|---|---|---|---|")
        cells = (f"`{k.key}`", f"`{k.default}`", *map(_md_text, (k.allowed, k.doc, k.source)))
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"


def _info(path: str, f: dataclasses.Field[Any], tp: Any, optional: bool) -> KeyInfo:
    """A leaf key's row: its default as YAML would write it, its allowed values and text."""
    meta = f.metadata
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:  # pragma: no cover - every schema field has a default
        default = None
    text = _yaml(default)
    if "fallback" in meta:  # an act's key: null inherits, and the fallback applies at last
        text = f"null → {_yaml(meta['fallback'])}"
    allowed = _allowed(f.name, tp, meta)
    if optional:
        allowed += ", or null"
    return KeyInfo(path, text, allowed, str(meta.get("doc", "")), str(meta.get("source", "")))


def _allowed(name: str, tp: Any, meta: Mapping[str, Any]) -> str:
    """The values a key takes: its type and, for numbers, the schema's range."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return " | ".join(str(a) for a in args)
    if origin is tuple:
        item = args[0]
        section = _section_of(tp)
        what = "the keys below" if section is not None else _kind(item, meta, plural=True)
        return f"list of {what}" if len(args) != 2 or args[1] is Ellipsis else f"pair of {what}"
    if origin is dict:
        _, value_tp = args
        names = _placeholder(name, tp)
        value = "the keys below" if _section_of(tp) is not None else _kind(value_tp, meta)
        return f"mapping {names} → {value}"
    return _kind(tp, meta)


def _kind(tp: Any, meta: Mapping[str, Any], plural: bool = False) -> str:
    """A scalar's kind (with its range for numbers)."""
    tp, _ = _strip_optional(tp)
    if tp is bool:
        return "true | false"
    if tp is int or tp is float:
        name = (
            ("whole numbers" if plural else "whole number")
            if tp is int
            else ("numbers" if plural else "number")
        )
        bounds = _range(meta)
        return f"{name} {bounds}" if bounds else name
    if tp is str:
        return "texts" if plural else "text"
    if typing.get_origin(tp) is dict:
        return "mapping"
    return "any"


def _range(meta: Mapping[str, Any]) -> str:
    """The schema's bounds as an interval: in [0, 1], in (0, 5], ≥ 1, > 0."""
    low = _bound(meta, "ge", "[", "≥ ") or _bound(meta, "gt", "(", "> ")
    high = _bound(meta, "le", "]", "≤ ") or _bound(meta, "lt", ")", "< ")
    if low is not None and high is not None:
        return f"in {low[0]}{low[2]}, {high[2]}{high[0]}"
    one = low or high
    return "" if one is None else one[1] + one[2]


def _bound(
    meta: Mapping[str, Any], name: str, bracket: str, sign: str
) -> tuple[str, str, str] | None:
    """A bound of the schema as (bracket, sign, number), or None when the key has none."""
    value = meta.get(name)
    return None if value is None else (bracket, sign, _num(value))


def _num(x: float) -> str:
    """A bound as written: 1 not 1.0."""
    return str(x) if float(x) != int(x) else str(int(x))


def _yaml(value: Any) -> str:
    """A default as YAML flow text: null, true, [0.025, 0.975], {3: 1.0, 2: 0.9}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if value == "" else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _yaml({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_yaml(k)}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    return str(value)


def _md_text(text: str) -> str:
    """Plain text safe in Markdown: a placeholder such as <id> is not read as an HTML tag."""
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _parts(dotted: str) -> list[str]:
    """A dotted key's names; a list's items (`[]`) are a name of their own."""
    return [p for p in dotted.replace("[]", ".[]").split(".") if p]


def _starts_with(key: list[str], prefix: list[str]) -> bool:
    """Whether `key` begins with `prefix`, placeholders matching any name."""
    if not prefix or len(prefix) > len(key):
        return False
    return all(
        k == p or (k.startswith("<") and k.endswith(">")) for k, p in zip(key, prefix, strict=False)
    )


def _placeholder(name: str, tp: Any) -> str:
    """The placeholder of a mapping's names."""
    return PLACEHOLDERS.get(name, "<tier>" if typing.get_args(tp)[0] is int else "<name>")


def _section_of(tp: Any) -> Any:
    """The dataclass a field holds, maps or lists (None for plain values)."""
    if dataclasses.is_dataclass(tp):
        return tp
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict and dataclasses.is_dataclass(args[1]):
        return args[1]
    if origin is tuple and args and dataclasses.is_dataclass(args[0]):
        return args[0]
    return None


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    """`X | None` → (X, True); anything else → (itself, False)."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return tp, False
