"""The report's parameter table: every scenario key with its value as readable text."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable
from typing import Any

from drgsim.present import labels
from drgsim.scenario.loader import to_dict
from drgsim.scenario.meanings_zh import meaning_zh
from drgsim.scenario.schema import Scenario
from drgsim.scenario.sources_zh import source_zh


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One scenario key: its value, default, whether the file set it, meaning and source."""

    key: str
    value: str
    default: str
    set: bool
    doc: str
    source: str
    doc_zh: str = ""

    def meaning(self, lang: str) -> str:
        """The key's meaning in `lang`: the Chinese text where there is one, else the schema's."""
        return self.doc_zh if lang == "zh" and self.doc_zh else self.doc

    def source_in(self, lang: str) -> str:
        """Where the default comes from, in `lang` (citations kept, marks and words translated)."""
        return source_zh(self.source) if lang == "zh" else self.source


def parameters(scn: Scenario, set_keys: set[str]) -> list[Parameter]:
    """Every scenario key with its value, default, meaning and source, walking the dataclasses."""
    return list(_walk(scn, Scenario(), "", set_keys))


def parameter_table(params: list[Parameter], lang: str) -> str:
    """The parameters as HTML table rows' cells (already HTML), the ones the scenario set marked."""
    head = ["col.key", "col.value", "col.default", "col.set", "col.doc", "col.source"]
    rows = []
    for p in params:
        mark = labels.text("yes", lang) if p.set else ""
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{cell}</td>"
                for cell in (
                    f"<code>{_e(p.key)}</code>",
                    _lines(p.value),
                    _lines(p.default),
                    f"<span class='set'>{_e(mark)}</span>" if p.set else "",
                    _e(p.meaning(lang)),
                    _e(p.source_in(lang)),
                )
            )
            + "</tr>"
        )
    header = "".join(f"<th>{_e(labels.text(h, lang))}</th>" for h in head)
    return (
        f"<table class='params'><thead><tr>{header}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def as_text(value: Any) -> str:
    """A scenario value as readable text, never JSON: `0.15`, `1.06, 0.84, …`, `3: 1.0, 2: 0.9`,
    and one line per entry of a mapping of sections (`SW01: name 汕尾市人民医院, tier 3, …`)."""
    return _text(_prune(to_dict(value)))


def _text(plain: Any) -> str:
    """Plain (pruned) data as text: scalars as YAML writes them, sections one per line."""
    if plain is None:
        return "null"
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, dict):
        if any(isinstance(v, dict | list) for v in plain.values()):
            return "\n".join(f"{k}: {_flat(v)}" for k, v in plain.items())
        return ", ".join(f"{k}: {_text(v)}" for k, v in plain.items()) or "—"
    if isinstance(plain, list):
        if any(isinstance(v, dict | list) for v in plain):
            return "\n".join(_flat(v) for v in plain)
        return ", ".join(_text(v) for v in plain) or "—"
    return str(plain)


def _flat(value: Any, prefix: str = "") -> str:
    """A nested section on one line, its keys dotted: `tier 3, upcoding.rate 0.15`."""
    if isinstance(value, dict):
        return ", ".join(
            _flat(v, f"{prefix}{k}.") if isinstance(v, dict) else f"{prefix}{k} {_flat(v)}"
            for k, v in value.items()
        )
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    return _text(value)


def _prune(value: Any) -> Any:
    """A plain value with null entries of mappings removed, so hospitals read briefly."""
    if isinstance(value, dict):
        out = {str(k): _prune(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v != {}}
    if isinstance(value, list | tuple):
        return [_prune(v) for v in value]
    return value


def _walk(obj: Any, default: Any, prefix: str, set_keys: set[str]) -> Iterable[Parameter]:
    """The leaf keys of a scenario dataclass, recursing into nested dataclasses."""
    for f in dataclasses.fields(obj):
        if f.name == "variants":
            continue
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        base = getattr(default, f.name, None)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _walk(value, base, f"{key}.", set_keys)
            continue
        if "fallback" in f.metadata:  # an act's key: null takes the schema's fallback at last
            value = f.metadata["fallback"] if value is None else value
            base = f.metadata["fallback"] if base is None else base
        was_set = key in set_keys or any(k.startswith(f"{key}.") for k in set_keys)
        yield Parameter(
            key,
            as_text(value),
            as_text(base),
            was_set,
            str(f.metadata.get("doc", "")),
            str(f.metadata.get("source", "")),
            meaning_zh(key),
        )


def _lines(text: str) -> str:
    """Text as HTML, its lines kept."""
    return "<br>".join(_e(line) for line in text.split("\n"))


def _e(text: str) -> str:
    """HTML-escaped text."""
    return html.escape(text, quote=True)
